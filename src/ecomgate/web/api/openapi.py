"""The OpenAPI 3.1 document of the ``.do`` methods, made from ``contracts.catalogue``.

Served at ``/payment/rest/openapi.json``; every method is a POST with a form body and a GET
with a query string (spec §1.3), answering HTTP 200 with its answer or its error shape.
"""

from __future__ import annotations

import functools
from importlib import metadata
from typing import Any

from .contracts.catalogue import CATALOGUE, MethodContract
from .contracts.json_schema import SchemaSet, form_schema, param_schema

PATH_PREFIX = "/payment/rest"
_AUTH_NOTE = (
    "Authentication: userName and password, or token (never both); "
    "merchantLogin acts for another merchant (spec §1.4)."
)


def method_path(name: str) -> str:
    return f"{PATH_PREFIX}/{name}.do"


def _operation(
    contract: MethodContract, schemas: SchemaSet, *, form: bool, http: str
) -> dict[str, Any]:
    description = contract.summary + f" (spec {contract.spec})."
    if contract.authenticated:
        description += " " + _AUTH_NOTE
    if contract.alias_of:
        description += f" The same method as {contract.alias_of}.do."
    answer = {
        "anyOf": [schemas.ref(contract.answer), schemas.ref(contract.errors.value)],
    }
    operation: dict[str, Any] = {
        "operationId": f"{contract.name.replace('/', '_')}_{http}",
        "summary": contract.summary,
        "description": description,
        "tags": [contract.group.value],
        "responses": {
            "200": {
                "description": "The answer, or an error in the method's error shape "
                "(business errors are HTTP 200, spec §1.3)",
                "content": {"application/json": {"schema": answer}},
            }
        },
    }
    if form:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": form_schema(contract.params)}
            },
        }
    else:
        operation["parameters"] = [
            {
                "name": p.name,
                "in": "query",
                "required": p.required,
                "schema": param_schema(p),
                **({"style": "form", "explode": True} if p.repeatable else {}),
            }
            for p in contract.params.params
        ]
    return operation


def _version() -> str:
    try:
        return metadata.version("ecomgate")
    except metadata.PackageNotFoundError:  # run from a source tree
        return "0"


@functools.cache
def document() -> dict[str, Any]:
    """The document (built once per process: it depends on the code only)."""
    schemas = SchemaSet()
    paths = {
        method_path(c.name): {
            "post": _operation(c, schemas, form=True, http="post"),
            "get": _operation(c, schemas, form=False, http="get"),
        }
        for c in CATALOGUE
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "EcomGate eCommerce API v1",
            "version": _version(),
            "description": "The .do methods of the eCommerce API v1 as EcomGate serves them. "
            "Each is also served under /rest/<method>.do. Parameters may come as a POST "
            "form body, a POST query string, a GET query string or a JSON object body.",
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": g} for g in dict.fromkeys(c.group.value for c in CATALOGUE)],
        "paths": paths,
        "components": {"schemas": dict(sorted(schemas.components.items()))},
    }
