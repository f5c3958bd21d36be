"""``/`` serves the review page and ``/static`` its files, with headers that keep it to this origin."""

from __future__ import annotations

import re

from service.page import STATIC_DIR


def test_root_is_the_review_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/static/js/app.js">' in response.text


def test_every_file_the_page_references_is_served(client):
    page = client.get("/").text
    referenced = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page))
    for script in STATIC_DIR.glob("js/*.js"):
        referenced |= {f"/static/js/{name}" for name in re.findall(r'from "\./([\w-]+\.js)"', script.read_text())}
    assert {"/static/review.css", "/static/js/app.js", "/static/js/api.js", "/static/js/note-view.js"} <= referenced
    for path in referenced:
        response = client.get(path)
        assert response.status_code == 200, path
        if path.endswith(".js"):
            assert "javascript" in response.headers["content-type"]


def test_the_page_uses_nothing_from_another_origin():
    for path in STATIC_DIR.rglob("*"):
        if path.is_file():
            # The SVG namespace is a name, never fetched (createElementNS needs it): the one address allowed.
            text = path.read_text(encoding="utf-8").replace('"http://www.w3.org/2000/svg"', '"svg-namespace"')
            assert not re.search(r"https?://", text), f"{path.name} refers to another origin"
            assert "innerHTML" not in text and "insertAdjacentHTML" not in text, f"{path.name} builds markup"
            assert "console.log" not in text, f"{path.name} logs"


def test_the_service_info_moved_to_v1_info(client):
    info = client.get("/v1/info").json()
    assert info["service"] == "chartcoder" and info["docs"] == "/docs"
