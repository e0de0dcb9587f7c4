"""The logging net under card numbers: Luhn-valid 13-19 digit runs are masked, other
numbers (amounts, timestamps, RRNs) are left alone, and uvicorn's trace of a request scope
loses its query string."""

from __future__ import annotations

import logging

from ecomgate.web.log_redaction import CardNumberRedaction, redact_card_numbers


def test_card_numbers_are_masked_and_other_numbers_kept() -> None:
    text = "pan=4563960122001999 at 1733150000000 amount 2000 rrn 600000000001"
    assert redact_card_numbers(text) == (
        "pan=456396**1999 at 1733150000000 amount 2000 rrn 600000000001"
    )


def test_the_trace_of_a_request_scope_loses_its_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.asgi", 5, __file__, 1, "ASGI [%d] Started scope=%s",
        (1, {"path": "/payment/rest/paymentorder.do", "query_string": b"%24CVC=347&x=1"}),
        None,
    )  # fmt: skip
    assert CardNumberRedaction().filter(record)
    assert "347" not in record.getMessage()
    assert "<14 bytes>" in record.getMessage()


def test_an_exception_text_is_redacted_too() -> None:
    try:
        raise ValueError("bad card 4111111111111111")
    except ValueError:
        import sys

        record = logging.LogRecord("ecomgate", 40, __file__, 1, "failed", None, sys.exc_info())
    CardNumberRedaction().filter(record)
    assert record.exc_text is not None
    assert "4111111111111111" not in record.exc_text and "411111**1111" in record.exc_text
