"""A route class that refuses request bodies which are not UTF-8 with a 422 instead of FastAPI's bare 400."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["Utf8Route"]


class Utf8Route(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def utf8_only(request: Request) -> Response:
            body = await request.body()  # cached on the request: FastAPI parses the same bytes next
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                raise RequestValidationError(
                    [
                        {
                            "type": "utf8_invalid",
                            "loc": ("body", error.start),
                            "msg": f"The request body is not UTF-8 text (invalid byte at offset {error.start}).",
                        }
                    ]
                ) from None
            return await handler(request)

        return utf8_only
