"""Request checks FastAPI leaves out: bodies that are not UTF-8 (a 422 instead of a bare 400), and query
parameters the route does not have (a 422 instead of silently ignoring a misspelt ``?limt=5``)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

__all__ = ["Utf8Route", "refuse_unknown_query_parameters"]

_known_parameters: dict[int, frozenset[str]] = {}


async def refuse_unknown_query_parameters(request: Request) -> None:
    """An app-wide dependency: 422 for a query parameter the route neither declares nor its dependencies."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if not isinstance(dependant, Dependant):
        return
    known = _known_parameters.get(id(route))
    if known is None:
        known = _known_parameters[id(route)] = frozenset(_query_names(dependant))
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        raise RequestValidationError(
            [{"type": "extra_forbidden", "loc": ("query", name), "msg": "Unknown query parameter"} for name in unknown]
        )


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for child in dependant.dependencies:
        names |= _query_names(child)
    return names


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
