"""What a buyer's browser does without a browser: read the first form of a page, and pay
an order through ``paymentorder.do`` and the emulated 3-D Secure pages: 3DS1 (password
``12345678``) or 3DS2 (the method step, ``3ds/continue.do``, and a challenge answered with
the one-time code ``123456``).  Used by the pytest plugin and by EcomGate's own API tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import httpx

ACS_PASSWORD = "12345678"
ACS_OTP = "123456"


@dataclass
class Form:
    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The first <form> of a page: its action and its named input values."""

    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and self.form is None:
            self.form = Form(action=a.get("action", ""))
        elif tag == "input" and self.form is not None and not self._done and a.get("name"):
            self.form.fields[a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._done = True


def parse_form(page: str, base_url: str) -> Form:
    parser = _FormParser()
    parser.feed(page)
    if parser.form is None:
        raise AssertionError(f"no form on the page: {page[:500]}")
    parser.form.action = urljoin(base_url, parser.form.action)
    return parser.form


def card_fields(pan: str, cvc: str, year: str, month: str, name: str) -> dict[str, str]:
    """The card fields as the hosted page (and paymentorder.do) send them (spec §3.9)."""
    return {"$PAN": pan, "$CVC": cvc, "YYYY": year, "MM": month, "TEXT": name}


def pay_sync(
    http: httpx.Client,
    api_url: str,
    credentials: dict[str, str],
    order_id: str,
    card: dict[str, str],
    *,
    acs_password: str = ACS_PASSWORD,
    acs_otp: str = ACS_OTP,
) -> dict[str, Any]:
    """``paymentorder.do``, then the ACS pages and the return to the gateway when the card
    asks for 3-D Secure; the answer of paymentorder.do."""
    response = http.post(api_url, data={**credentials, "MDORDER": order_id, **card})
    answer: dict[str, Any] = response.json()
    if answer.get("is3DSVer2"):
        _three_ds2(http, api_url, credentials, order_id, answer, acs_otp)
        return answer
    if "acsUrl" not in answer:
        return answer
    challenge = http.post(
        answer["acsUrl"],
        data={"PaReq": answer["paReq"], "MD": order_id, "TermUrl": answer["termUrl"]},
    )
    form = parse_form(challenge.text, answer["acsUrl"])
    submitted = http.post(
        form.action, data={**form.fields, "password": acs_password, "action": "submit"}
    )
    back = parse_form(submitted.text, form.action)
    # the gateway's termUrl finishes the payment and sends the buyer on to the shop
    finished = http.post(back.action, data=back.fields)
    if finished.status_code >= 400:
        raise AssertionError(f"the 3-D Secure return failed: HTTP {finished.status_code}")
    return answer


def _three_ds2(
    http: httpx.Client,
    api_url: str,
    credentials: dict[str, str],
    order_id: str,
    answer: dict[str, Any],
    otp: str,
) -> None:
    """The 3DS method step (what the hidden frame posts), 3ds/continue.do, and when the
    issuer asks for it the challenge page with ``otp`` and the CRes back to the gateway."""
    if answer.get("threeDSMethodURL"):
        http.post(
            answer["threeDSMethodURL"],
            data={"threeDSMethodData": answer.get("threeDSMethodDataPacked", "")},
        )
        continue_url = urljoin(api_url, "3ds/continue.do")
        answer = http.post(continue_url, data={**credentials, "mdOrder": order_id}).json()
    if not answer.get("packedCReq"):
        return
    challenge = http.post(answer["acsUrl"], data={"creq": answer["packedCReq"]})
    form = parse_form(challenge.text, answer["acsUrl"])
    submitted = http.post(form.action, data={**form.fields, "otp": otp, "action": "submit"})
    back = parse_form(submitted.text, form.action)
    finished = http.post(back.action, data=back.fields)
    if finished.status_code >= 400:
        raise AssertionError(f"the 3-D Secure 2 return failed: HTTP {finished.status_code}")
