"""schemathesis against a real ``ecomgate serve`` from its own served OpenAPI document: every
operation (each method as a form POST and as a GET), a bounded number of generated examples
each, with a real merchant's credentials so requests get past authentication.  No answer is a
5xx, and every answer matches its schema (the method's answer or its error shape)."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from ecomgate.testing.processes import GatewayProcess
from ecomgate.web.api.contracts.catalogue import CATALOGUE

from ..support import MerchantCredentials

#: per operation: 38 operations, so about 300 requests per engine, a few seconds
EXAMPLES = 8
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _with_credentials(case: schemathesis.Case, merchant: MerchantCredentials) -> None:
    """A real merchant's credentials in place of generated ones, unless the case sends a
    token (then both would be "credentials twice", also worth asking)."""
    if case.method == "POST":
        body = case.body if isinstance(case.body, dict) else {}
        if "token" not in body:
            case.body = {**body, **merchant.auth}
    elif "token" not in (case.query or {}):
        case.query = {**(case.query or {}), **merchant.auth}


def test_every_answer_matches_the_document(
    gateway: GatewayProcess, merchant: MerchantCredentials
) -> None:
    schema = schemathesis.openapi.from_url(f"{gateway.base_url}/payment/rest/openapi.json")
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 2 * len(CATALOGUE)
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            _with_credentials(case, merchant)
            case.call_and_validate(base_url=gateway.base_url, checks=CHECKS, timeout=30)

        try:
            check()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
