"""The served OpenAPI document and reference page: valid, and exactly the served methods."""

from __future__ import annotations

import re
import typing

import httpx
from openapi_spec_validator import validate
from starlette.applications import Starlette

from ecomgate.web.api.contracts.catalogue import CATALOGUE


def served_methods(app: Starlette) -> set[str]:
    return set(app.state.api.methods)


async def test_the_served_document_validates_and_lists_every_served_method(
    http: httpx.AsyncClient, app: Starlette
) -> None:
    response = await http.get("/payment/rest/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    validate(doc)  # raises on an invalid OpenAPI 3.1 document
    assert doc["openapi"].startswith("3.1")
    names = {re.fullmatch(r"/payment/rest/(.+)\.do", path)[1] for path in doc["paths"]}  # type: ignore[index]
    assert names == served_methods(app)
    for path, item in doc["paths"].items():
        assert set(item) == {"get", "post"}, path
        body = item["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]
        assert body["schema"]["type"] == "object"


def test_the_catalogue_names_each_served_method_once(app: Starlette) -> None:
    names = [c.name for c in CATALOGUE]
    assert len(names) == len(set(names))
    assert set(names) == served_methods(app)


async def test_parameters_carry_type_length_pattern_and_required_flag(
    http: httpx.AsyncClient,
) -> None:
    doc = (await http.get("/payment/rest/openapi.json")).json()
    register = doc["paths"]["/payment/rest/register.do"]["post"]
    form = register["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert set(form["required"]) == {"amount", "returnUrl"}
    assert form["properties"]["orderNumber"] == {"type": "string", "maxLength": 36}
    assert form["properties"]["currency"] == {"type": "string", "pattern": "^[0-9]{3}$"}
    assert form["properties"]["amount"]["type"] == "integer"
    query = {p["name"]: p for p in register["parameters"]} if "parameters" in register else {}
    assert query == {}  # the POST takes the form; the GET takes the same as a query string
    get = doc["paths"]["/payment/rest/register.do"]["get"]
    params = {p["name"]: p for p in get["parameters"]}
    assert params["returnUrl"]["required"] is True
    assert params["features"]["schema"]["type"] == "array"


async def test_the_legacy_status_answers_with_capitalised_names(http: httpx.AsyncClient) -> None:
    doc = (await http.get("/payment/rest/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    answer = doc["paths"]["/payment/rest/getOrderStatus.do"]["post"]["responses"]["200"]
    refs = [s["$ref"] for s in answer["content"]["application/json"]["schema"]["anyOf"]]
    assert refs == [
        "#/components/schemas/LegacyStatusAnswer",
        "#/components/schemas/LegacyErrorAnswer",
    ]
    assert {"OrderStatus", "ErrorCode", "ErrorMessage"} <= set(
        schemas["LegacyStatusAnswer"]["required"]
    )
    assert set(schemas["LegacyErrorAnswer"]["required"]) == {"ErrorCode", "ErrorMessage"}


async def test_the_reference_page_is_served_whole_without_outside_resources(
    http: httpx.AsyncClient, app: Starlette
) -> None:
    response = await http.get("/payment/rest/reference.html")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    for name in served_methods(app):
        assert f'id="{name}"' in page, name
    # no CDN: nothing is loaded from another host
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_each_handler_is_typed_as_its_catalogued_answer(app: Starlette) -> None:
    """mypy checks a handler builds its declared answer; this checks the declaration is the
    one the OpenAPI document publishes."""
    for contract in CATALOGUE:
        handler = app.state.api.methods[contract.name].handler
        declared = typing.get_type_hints(handler)["return"]
        answers = typing.get_args(declared) or (declared,)
        assert contract.answer in answers, (contract.name, declared)
