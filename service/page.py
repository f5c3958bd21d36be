"""The coder review page: ``/`` serves ``static/index.html``; its scripts and styles are under ``/static``.

Plain HTML, CSS and ES modules shipped in the package (no build step, nothing fetched from elsewhere). The
page talks to the same API as any client, with the key the coder signs in with, kept in session storage.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["PAGE_HEADERS", "STATIC_DIR", "install_review_page"]

STATIC_DIR = Path(__file__).resolve().parent / "static"

# Only this origin's scripts, styles and API; no framing, no referrer (note ids stay on this server).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}


async def review_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


def install_review_page(app: FastAPI) -> None:
    app.add_api_route("/", review_page, methods=["GET", "HEAD"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
