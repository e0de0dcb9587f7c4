"""The wire contracts of the ``.do`` methods: what each one answers, as TypedDicts.

One module per group of methods (``orders``, ``card_payment``, ``bindings``; ``common`` for
the answers every method shares).  The handlers build their answers as these types, so mypy
checks that a handler and its contract agree; ``catalogue`` pairs each served method with its
parameter table (``web/api/params.py``) and its answer, and the OpenAPI document
(``web/api/openapi.py``), the docs' API reference and the SDK (``ecomgate.client``) are made
from it.

TypedDicts cost nothing at run time (an answer is still a plain dict), so the hot path is
unchanged.  ``Annotated[..., Schema(...)]`` adds what a Python type cannot say (a pattern, a
description) to the JSON Schema made from a field.
"""
