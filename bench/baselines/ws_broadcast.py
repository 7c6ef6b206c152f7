"""The floor: a bare `websockets` server that relays every text frame to every connected socket.

No framework, no UI, no storage: the least work any chat server on this machine has to do to fan
a message out, so the benchmark can tell the cost of Python + sockets from the cost of Flet.
`GET /healthz` answers 200 for readiness probes. Run: `python -m bench.baselines.ws_broadcast`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

CONNECTIONS: set[ServerConnection] = set()


async def relay(connection: ServerConnection) -> None:
    CONNECTIONS.add(connection)
    try:
        async for message in connection:
            if isinstance(message, str):
                broadcast(CONNECTIONS, message)
    except ConnectionClosed:
        pass  # a client that drops its connection is part of the benchmark, not an error
    finally:
        CONNECTIONS.discard(connection)


def health(connection: ServerConnection, request: Request) -> Response | None:
    if request.path == "/healthz":
        return connection.respond(HTTPStatus.OK, f"ok {len(CONNECTIONS)}\n")
    return None


async def serve_forever(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set_result, None)
    async with serve(relay, host, port, process_request=health, max_size=None, ping_interval=None):
        await stop


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="bare websockets broadcast server (benchmark)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8552)
    args = parser.parse_args(argv)
    asyncio.run(serve_forever(args.host, args.port))


if __name__ == "__main__":
    run()
