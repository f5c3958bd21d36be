"""Note text never reaches a log, at any level, whatever happens to the request."""

from __future__ import annotations

import logging

import pytest

MARKER = "Quillfeather-Marbleworth unique marker sentence"
LOGGERS = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "sqlalchemy", "sqlalchemy.engine", "alembic"]
LOGGERS += ["httpx", "service", "suggest", "vocab", "starlette", "asyncio", "psycopg", "multipart"]


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def test_no_note_text_in_any_log(all_logs, client, keys):
    note = f"Type 2 diabetes mellitus with diabetic chronic kidney disease. {MARKER}. Atrial fibrillation."
    json_headers = {**keys.coder, "Content-Type": "application/json"}
    answers = [
        client.post("/v1/suggest", json={"text": note, "note_id": "phi-1"}, headers=keys.coder),
        client.post(
            "/v1/suggest/batch",
            json={"notes": [{"text": note}, {"text": MARKER + "\x01\x02" * 50}]},
            headers=keys.coder,
        ),
        client.post("/v1/suggest", json={"text": note, "setting": "nowhere"}, headers=keys.coder),
        client.post("/v1/suggest", json={"text": note * 3000}, headers=keys.coder),
        client.post("/v1/suggest", json={"text": f"{MARKER}\x00"}, headers=keys.coder),
        client.post("/v1/suggest", content=f'{{"text": "{MARKER}'.encode(), headers=json_headers),
        client.post("/v1/suggest", content=f'{{"text": "{MARKER} \xe9"}}'.encode("latin-1"), headers=json_headers),
        client.post("/v1/suggest", json={"text": note, "extra": MARKER}, headers=keys.coder),
        client.post("/v1/notes", json={"text": note, "encounter": {"specialty": 5}}, headers=keys.coder),
    ]
    stored = client.post("/v1/notes", json={"text": note}, headers=keys.coder).json()
    code = stored["suggestions"]["suggestions"][0]["code"]
    answers += [
        client.get(f"/v1/notes/{stored['id']}", headers=keys.coder),
        client.get("/v1/notes", headers=keys.coder),
        client.post(
            f"/v1/notes/{stored['id']}/review", json={"accepted": [code], "added": ["I10"]}, headers=keys.coder
        ),
        client.post(f"/v1/notes/{stored['id']}/review", json={"added": ["Q99.9"]}, headers=keys.coder),
        client.get("/v1/stats", headers=keys.coder),
        client.get("/v1/audit", headers=keys.admin),
    ]
    assert [answer.status_code for answer in answers] == [
        200,
        200,
        422,
        413,
        422,
        422,
        422,
        422,
        422,
        200,
        200,
        201,
        422,
        200,
        200,
    ]
    assert all_logs.records, "the capture should have seen the app's logs (SQL statements at least)"
    for record in all_logs.records:
        assert MARKER not in record.getMessage(), f"{record.name} logged the note"
    assert MARKER not in all_logs.text
    # error answers do not echo the note either (only GET /v1/notes/{id} returns it, on purpose)
    for answer in answers[2:9]:
        assert MARKER not in answer.text


def test_the_access_log_keeps_paths_but_no_query_and_no_free_text():
    from service.logs import PathOnlyAccessLog

    def logged(path: str) -> str:
        record = logging.LogRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("1.2.3.4:5", "GET", path, "1.1", 200),
            None,
        )
        PathOnlyAccessLog().filter(record)
        return record.getMessage()

    assert '"GET /v1/codes/search HTTP/1.1"' in logged("/v1/codes/search?q=chest+pain+HIV")
    assert "/v1/notes/0a1b2c3d4e5f60718293a4b5c6d7e8f9/review" in logged(
        "/v1/notes/0a1b2c3d4e5f60718293a4b5c6d7e8f9/review"
    )
    assert "/v1/codes/E11.9" in logged("/v1/codes/E11.9")
    free_text = logged("/v1/codes/patient has HIV, see notes")
    assert "HIV" not in free_text and "/v1/codes/<masked>" in free_text
