"""The API reference for people, made from the same catalogue as the OpenAPI document: an
HTML page EcomGate serves itself (``/payment/rest/reference.html``, no CDN) and the markdown
of the docs site's reference page."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .contracts.catalogue import CATALOGUE, MethodContract
from .contracts.json_schema import REF_PREFIX, SchemaSet, param_schema
from .endpoint import json_response
from .openapi import PATH_PREFIX, document, method_path

REFERENCE_PATH = f"{PATH_PREFIX}/reference.html"
OPENAPI_PATH = f"{PATH_PREFIX}/openapi.json"


@dataclass(frozen=True)
class Row:
    name: str
    type: str
    required: bool
    notes: str


def _type_text(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).removeprefix(REF_PREFIX)
    if "const" in schema:
        return f'"{schema["const"]}"' if isinstance(schema["const"], str) else str(schema["const"])
    if "enum" in schema:
        return " \\| ".join(f'"{v}"' for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_type_text(schema['items'])}"
    if "anyOf" in schema:
        return " or ".join(_type_text(s) for s in schema["anyOf"])
    return str(schema.get("type", "any"))


def _notes(schema: dict[str, Any]) -> str:
    parts = []
    if "maxLength" in schema:
        parts.append(f"up to {schema['maxLength']} characters")
    if "pattern" in schema:
        parts.append(f"pattern `{schema['pattern']}`")
    if "maximum" in schema and schema.get("type") == "integer":
        parts.append(f"at most {len(str(schema['maximum']))} digits")
    if schema.get("format") == "uri":
        parts.append("http(s) URL")
    if "description" in schema:
        parts.append(str(schema["description"]))
    return "; ".join(parts)


def parameter_rows(contract: MethodContract) -> list[Row]:
    rows = []
    for p in contract.params.params:
        schema = param_schema(p)
        item = schema["items"] if p.repeatable else schema
        notes = _notes(item)
        if p.repeatable:
            notes = "; ".join(filter(None, ["may be repeated", notes]))
        rows.append(Row(p.name, _type_text(item), p.required, notes))
    return rows


def answer_models(contract: MethodContract) -> list[tuple[str, list[Row]]]:
    """The answer's TypedDict and every object type nested in it, each with its fields."""
    schemas = SchemaSet()
    schemas.ref(contract.answer)
    out = []
    for name, schema in schemas.components.items():
        required = set(schema.get("required", ()))
        rows = [
            Row(field, _type_text(s), field in required, _notes(s))
            for field, s in schema["properties"].items()
        ]
        out.append((name, rows))
    return out


def markdown() -> str:
    """The docs site's API reference (mkdocs hook ``docs/hooks/generated.py``)."""

    def table(rows: list[Row], first: str) -> list[str]:
        lines = [f"| {first} | type | required | notes |", "|---|---|---|---|"]
        lines += [
            f"| `{r.name}` | {r.type} | {'yes' if r.required else ''} | {r.notes} |" for r in rows
        ]
        return lines

    lines: list[str] = []
    for group in dict.fromkeys(c.group for c in CATALOGUE):
        lines += [f"## {group.value}", ""]
        for c in (c for c in CATALOGUE if c.group is group):
            lines += [f"### {c.name}.do", "", f"{c.summary} (spec {c.spec}).", ""]
            lines += [f"`POST` or `GET` `{method_path(c.name)}`", ""]
            if c.alias_of:
                lines += [f"The same method as `{c.alias_of}.do`.", ""]
            if not c.authenticated:
                lines += ["No merchant credentials: the order id is the key.", ""]
            lines += ["**Parameters**", "", *table(parameter_rows(c), "parameter"), ""]
            for name, rows in answer_models(c):
                lines += [f"**{name}**", "", *table(rows, "field"), ""]
            lines += [f"Errors: `{c.errors.value.__name__}` (see below).", ""]
    lines += ["## Error shapes", ""]
    errors = SchemaSet()
    for shape in dict.fromkeys(c.errors for c in CATALOGUE):
        errors.ref(shape.value)
    for name, schema in errors.components.items():
        required = set(schema.get("required", ()))
        rows = [
            Row(field, _type_text(s), field in required, _notes(s))
            for field, s in schema["properties"].items()
        ]
        lines += [f"**{name}**", "", *table(rows, "field"), ""]
    return "\n".join(lines)


_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
    autoescape=True,
)


@functools.cache
def _page() -> str:
    methods = [(c, parameter_rows(c), answer_models(c)) for c in CATALOGUE]
    return _TEMPLATES.get_template("reference.html").render(
        methods=methods,
        groups=list(dict.fromkeys(c.group for c in CATALOGUE)),
        openapi_path=OPENAPI_PATH,
        method_path=method_path,
    )


async def openapi_json(request: Request) -> Response:
    return json_response(document())


async def reference_page(request: Request) -> Response:
    return HTMLResponse(_page())


def routes() -> list[Route]:
    return [
        Route(OPENAPI_PATH, openapi_json, methods=["GET", "HEAD"]),
        Route(REFERENCE_PATH, reference_page, methods=["GET", "HEAD"]),
    ]
