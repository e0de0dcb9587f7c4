"""A logging filter that keeps card numbers out of every log line, at every level.

The gateway itself never logs a PAN; this is the net under what it does not control:
uvicorn's trace log prints each request's scope (its query string, where a misbehaving
client may put card fields), and an exception's text may quote a value.  Any run of 13-19
digits that passes the Luhn check becomes its masked form, and the query strings in
uvicorn's ASGI trace are replaced by their length.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from ecomgate.domain.cards import luhn_valid, mask_pan

_DIGIT_RUN = re.compile(r"(?<!\d)\d{13,19}(?!\d)")
#: loggers whose handlers get the filter (a filter on a logger skips its children's records)
_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi", "ecomgate")


def redact_card_numbers(text: str) -> str:
    return _DIGIT_RUN.sub(lambda m: mask_pan(m[0]) if luhn_valid(m[0]) else m[0], text)


def _without_query(value: Any) -> Any:
    if isinstance(value, dict) and "query_string" in value:
        return {**value, "query_string": f"<{len(value['query_string'])} bytes>"}
    return value


class CardNumberRedaction(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.asgi" and isinstance(record.args, tuple):
            record.args = tuple(_without_query(a) for a in record.args)
        text = record.getMessage()
        redacted = redact_card_numbers(text)
        if redacted != text:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_card_numbers(record.exc_text)
        return True


def install() -> None:
    """Put the filter on every handler that may write the gateway's or uvicorn's records
    (idempotent: uvicorn configures logging before the application starts)."""
    handlers = {h for name in _LOGGERS for h in logging.getLogger(name).handlers}
    if logging.lastResort is not None:
        handlers.add(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(f, CardNumberRedaction) for f in handler.filters):
            handler.addFilter(CardNumberRedaction())
