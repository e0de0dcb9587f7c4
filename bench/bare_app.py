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


def serve_fd(fd: int) -> None:
    """Serve ``app`` on the listening TCP socket inherited as ``fd``.  Not ``uvicorn --fd``:
    uvicorn takes such a socket for a Unix one, so its connections go without TCP_NODELAY
    and each keep-alive answer waits out a delayed ACK (~40 ms)."""
    import socket

    import uvicorn

    sock = socket.socket(fileno=fd)  # family and type read from the descriptor
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    import sys

    serve_fd(int(sys.argv[1]))
