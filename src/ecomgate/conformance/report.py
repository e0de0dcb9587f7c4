"""The conformance report: a progress line per rule, the text report, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .runner import FAIL, PASS, SKIP, RuleResult, RunReport


def progress_line(index: int, total: int, result: RuleResult) -> str:
    """``[ 7/38] pass  register.success-shape  register.do success is exactly ...``"""
    width = len(str(total))
    line = f"[{index:>{width}}/{total}] {result.outcome:<4}  {result.rule.id}  {result.rule.title}"
    if result.outcome != PASS and result.message:
        line += f"\n{'':>{2 * width + 3}}  -> {result.message}"
    return line


def summary_line(report: RunReport) -> str:
    return (
        f"{report.count(PASS)} passed, {report.count(FAIL)} failed, {report.count(SKIP)} skipped"
        f" of {len(report.results)} rules against {report.target} in {report.seconds:.1f} s"
    )


def exchanges_text(result: RuleResult) -> str:
    return "\n".join(e.describe() for e in result.exchanges)


def text_report(report: RunReport, *, verbose: bool = False) -> str:
    """Pass/fail/skip per rule; the requests and answers of failed rules (of every rule
    with ``verbose``)."""
    lines = [f"Conformance of {report.target} (eCommerce API v1, gateway-api.md)", ""]
    for result in report.results:
        rule = result.rule
        lines.append(f"{result.outcome.upper():<4}  {rule.id}  {rule.title}  ({rule.section})")
        if result.message:
            lines.append(f"      {result.message}")
        if result.exchanges and (verbose or result.outcome == FAIL):
            lines.extend("      " + line for line in exchanges_text(result).splitlines())
    lines += ["", summary_line(report)]
    return "\n".join(lines) + "\n"


def junit_xml(report: RunReport) -> bytes:
    """One ``testsuite``, one ``testcase`` per rule; ``failure`` (message + the requests and
    answers) or ``skipped``; the exchanges of every rule in ``system-out``."""
    suite = ET.Element(
        "testsuite",
        name="ecomgate-conformance",
        tests=str(len(report.results)),
        failures=str(report.count(FAIL)),
        errors="0",
        skipped=str(report.count(SKIP)),
        time=f"{report.seconds:.3f}",
    )
    ET.SubElement(
        ET.SubElement(suite, "properties"), "property", name="target", value=report.target
    )
    for result in report.results:
        rule = result.rule
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"conformance.{rule.group}",
            name=rule.id,
            time=f"{result.seconds:.3f}",
        )
        if result.outcome == FAIL:
            failure = ET.SubElement(case, "failure", message=result.message, type="conformance")
            failure.text = (
                f"{rule.title} ({rule.section})\n{result.message}\n\n{exchanges_text(result)}"
            )
        elif result.outcome == SKIP:
            ET.SubElement(case, "skipped", message=result.message)
        if result.exchanges:
            ET.SubElement(case, "system-out").text = exchanges_text(result)
    ET.indent(suite)
    data: bytes = ET.tostring(suite, encoding="utf-8", xml_declaration=True)
    return data


def rules_table() -> str:
    """The rule list as a Markdown table (docs/conformance.md)."""
    from .rules import RULES

    rows = ["| rule | checks | spec |", "|---|---|---|"]
    rows += [f"| `{r.id}` | {r.title} | {r.section} |" for r in RULES]
    return "\n".join(rows) + "\n"
