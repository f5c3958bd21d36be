"""Dependencies of the route functions, as ``Annotated`` aliases (``session: SessionDep``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from service.authentication import INVALID_KEY_MESSAGE, MISSING_KEY_MESSAGE, PRINCIPAL_SCOPE_KEY, authenticate
from service.engine_runner import EngineRunner
from service.metrics import Metrics
from service.model_reload import ChampionFollower
from service.releases import ServiceReleases
from service.security import Principal
from service.settings import Settings
from service.store.database import Database
from suggest.engine_protocol import ReloadableEngine
from vocab.vocabulary import Vocabulary

__all__ = [
    "AdminKey",
    "CurrentKey",
    "DatabaseDep",
    "EngineDep",
    "FollowerDep",
    "MetricsDep",
    "ReleasesDep",
    "RunnerDep",
    "SessionDep",
    "SettingsDep",
    "VocabularyDep",
    "get_current_key",
    "require_role",
]

_bearer = HTTPBearer(auto_error=False, description="An API key made with `chartcoder keys create`.")
_CHALLENGE = {"WWW-Authenticate": "Bearer"}

# The getters below only read app.state: ``async def`` runs them on the event loop. A plain ``def`` would send
# each through the thread pool, five hops per request that waited for the GIL behind the engine's thread.


async def _settings(request: Request) -> Settings:
    return request.app.state.settings


async def _database(request: Request) -> Database:
    return request.app.state.database


async def _engine(request: Request) -> ReloadableEngine:
    return request.app.state.engine


async def _vocabulary(request: Request) -> Vocabulary:
    return request.app.state.vocabulary


async def _releases(request: Request) -> ServiceReleases:
    return request.app.state.releases


async def _runner(request: Request) -> EngineRunner:
    return request.app.state.runner


async def _metrics(request: Request) -> Metrics:
    return request.app.state.metrics


async def _follower(request: Request) -> ChampionFollower:
    return request.app.state.follower


SettingsDep = Annotated[Settings, Depends(_settings)]
DatabaseDep = Annotated[Database, Depends(_database)]
EngineDep = Annotated[ReloadableEngine, Depends(_engine)]
VocabularyDep = Annotated[Vocabulary, Depends(_vocabulary)]
RunnerDep = Annotated[EngineRunner, Depends(_runner)]
ReleasesDep = Annotated[ServiceReleases, Depends(_releases)]
MetricsDep = Annotated[Metrics, Depends(_metrics)]
FollowerDep = Annotated[ChampionFollower, Depends(_follower)]


def _session(database: DatabaseDep) -> Iterator[Session]:
    with database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(_session)]


def get_current_key(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    database: DatabaseDep,
) -> Principal:
    """The caller's API key, looked up on every request so that a revoked key stops working at once.

    :class:`service.authentication.AuthenticateFirstMiddleware` has normally checked it already, before the
    body was read, and left it in the scope; the lookup here serves apps mounted without that middleware.
    """
    checked = request.scope.get(PRINCIPAL_SCOPE_KEY)
    if isinstance(checked, Principal):
        return checked
    if credentials is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, MISSING_KEY_MESSAGE, _CHALLENGE)
    principal = authenticate(database, credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, INVALID_KEY_MESSAGE, _CHALLENGE)
    return principal


CurrentKey = Annotated[Principal, Depends(get_current_key)]


def require_role(role: str) -> Callable[[Principal], Principal]:
    """A dependency admitting keys of ``role``; admin keys may do everything a coder key may."""

    def check(principal: CurrentKey) -> Principal:
        if principal.role != role and not principal.is_admin:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"This needs an API key with the {role!r} role.")
        return principal

    return check


AdminKey = Annotated[Principal, Depends(require_role("admin"))]
