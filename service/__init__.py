"""chartcoder's HTTP service (FastAPI): ``create_app`` builds the app; nothing is created at import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["create_app"]

if TYPE_CHECKING:
    from service.app import create_app


def __getattr__(name: str) -> Any:
    # FastAPI and SQLAlchemy are imported only when the app is asked for, not by `import service`.
    if name == "create_app":
        from service.app import create_app

        return create_app
    raise AttributeError(f"module 'service' has no attribute {name!r}")
