"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) of the contracts: TypedDicts of answers and
parameter tables of requests."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, NotRequired, Required, get_args, get_origin, get_type_hints

from ..params import Kind, Param, ParamTable
from .common import Schema

#: components are named after their TypedDict; a schema refers to them by this prefix
REF_PREFIX = "#/components/schemas/"


def is_typed_dict(tp: Any) -> bool:
    return isinstance(tp, type) and typing.is_typeddict(tp)


def _unwrap(tp: Any) -> tuple[Any, dict[str, Any]]:
    """The bare type and the Schema keywords of ``Annotated``/``NotRequired`` layers."""
    extra: dict[str, Any] = {}
    while True:
        origin = get_origin(tp)
        if origin is typing.Annotated:
            tp, *metadata = get_args(tp)
            for item in metadata:
                if isinstance(item, Schema):
                    extra = {**item.keywords, **extra}
        elif origin in (NotRequired, Required):
            tp = get_args(tp)[0]
        else:
            return tp, extra


class SchemaSet:
    """TypedDicts turned into named components, each once, nested ones by reference."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}

    def ref(self, td: type) -> dict[str, Any]:
        name = td.__name__
        if name not in self.components:
            self.components[name] = {}  # placed first: a recursive type stops here
            self.components[name] = self._object(td)
        return {"$ref": REF_PREFIX + name}

    def _object(self, td: type) -> dict[str, Any]:
        hints = get_type_hints(td, include_extras=True)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: self.of(tp) for name, tp in hints.items()},
        }
        required = sorted(td.__required_keys__)  # type: ignore[attr-defined]
        if required:
            schema["required"] = required
        doc = (td.__doc__ or "").strip()
        if doc and not doc.startswith(td.__name__ + "("):  # not the generated signature
            schema["description"] = " ".join(doc.split())
        return schema

    def of(self, tp: Any) -> dict[str, Any]:
        bare, extra = _unwrap(tp)
        return {**self._bare(bare), **extra}

    def _bare(self, tp: Any) -> dict[str, Any]:
        if tp is Any:
            return {}
        if is_typed_dict(tp):
            return self.ref(tp)
        origin = get_origin(tp)
        if origin is Literal:
            values = list(get_args(tp))
            return {"const": values[0]} if len(values) == 1 else {"enum": values}
        if origin is list:
            return {"type": "array", "items": self.of(get_args(tp)[0])}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(get_args(tp)[1])}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(arg) for arg in get_args(tp)]}
        simple = {str: "string", int: "integer", bool: "boolean", float: "number"}
        if tp in simple:
            return {"type": simple[tp]}
        raise TypeError(f"no JSON Schema for {tp!r}")


def _digits_pattern(p: Param) -> str:
    width = f"{p.max_len}" if p.exact else f"1,{p.max_len or 18}"
    return f"^[0-9]{{{width}}}$"


def param_schema(p: Param) -> dict[str, Any]:
    """What a parameter's value looks like on the wire (a form field or a query value)."""
    k = p.kind
    schema: dict[str, Any]
    if k is Kind.DIGITS:
        schema = {"type": "string", "pattern": _digits_pattern(p)}
    elif k in (Kind.INTEGER, Kind.AMOUNT):
        schema = {"type": "integer", "minimum": 0, "maximum": 10 ** (p.max_len or 18) - 1}
        if k is Kind.AMOUNT:
            schema["description"] = "minor units (kopecks, cents)"
    elif k is Kind.LANGUAGE:
        schema = {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 639-1"}
    elif k is Kind.URL:
        schema = {"type": "string", "format": "uri"}
    elif k in (Kind.JSON, Kind.JSON_FLAT):
        schema = {"type": "string", "contentMediaType": "application/json"}
        schema["description"] = (
            "a JSON object of names and string values, as text"
            if k is Kind.JSON_FLAT
            else "a JSON object, as text"
        )
    elif k in (Kind.DATETIME, Kind.DATETIME_UTC):
        zone = "UTC" if k is Kind.DATETIME_UTC else "the gateway's time zone"
        schema = {
            "type": "string",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$",
            "description": f"yyyy-MM-ddTHH:mm:ss in {zone}",
        }
    elif k is Kind.BOOL:
        schema = {"type": "boolean"}
    else:  # TEXT, SECRET
        schema = {"type": "string"}
        if k is Kind.SECRET:
            schema["format"] = "password"
    if p.max_len and schema.get("type") == "string" and "pattern" not in schema:
        schema["maxLength"] = p.max_len
    if p.repeatable:
        return {"type": "array", "items": schema}
    return schema


def form_schema(table: ParamTable) -> dict[str, Any]:
    """The form body of a method: every parameter, the mandatory ones required."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {p.name: param_schema(p) for p in table.params},
    }
    required = [p.name for p in table.params if p.required]
    if required:
        schema["required"] = required
    return schema
