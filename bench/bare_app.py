"""The yardstick: a bare Starlette endpoint answering a fixed JSON body."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY = b'{"errorCode":"0","errorMessage":"Success","orderStatus":0,"actionCode":-100}'


async def endpoint(request: Request) -> Response:
    await request.body()
    return Response(BODY, media_type="application/json;charset=UTF-8")


app = Starlette(routes=[Route("/payment/rest/{method}.do", endpoint, methods=["GET", "POST"])])
