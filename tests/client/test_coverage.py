"""The SDK, the OpenAPI document and the endpoint cover exactly the same methods."""

from __future__ import annotations

import inspect

from ecomgate.client import AsyncGateway, Gateway
from ecomgate.web.api.contracts.catalogue import CATALOGUE
from ecomgate.web.api.openapi import document, method_path
from ecomgate.web.app import build_api


def sdk_methods(cls: type) -> dict[str, str]:
    """Python method name -> the API method it calls."""
    return {
        name: member.api_method
        for name, member in inspect.getmembers(cls)
        if hasattr(member, "api_method")
    }


def test_the_sdk_calls_every_served_method_and_nothing_else() -> None:
    served = set(build_api().methods)
    aliases = {c.name for c in CATALOGUE if c.alias_of}
    sync, asynchronous = sdk_methods(Gateway), sdk_methods(AsyncGateway)
    assert sync == asynchronous
    assert set(sync.values()) == served - aliases
    assert len(sync) == len(set(sync.values()))  # one Python method per API method


def test_the_document_lists_every_served_method() -> None:
    served = set(build_api().methods)
    assert set(document()["paths"]) == {method_path(name) for name in served}


def test_async_methods_are_coroutines_with_the_sync_signature() -> None:
    for name in sdk_methods(Gateway):
        sync, asynchronous = getattr(Gateway, name), getattr(AsyncGateway, name)
        assert inspect.iscoroutinefunction(asynchronous), name
        assert (
            inspect.signature(sync).parameters.keys()
            == inspect.signature(asynchronous).parameters.keys()
        )
        assert sync.__doc__, name
