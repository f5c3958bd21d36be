"""Acknowledged means durable: SIGKILL the server in the middle of a burst of reviews, then count them."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy import func, select

from service.store.database import open_database
from service.store.models import Review
from service.store.repositories import scoped_idempotency_key
from tests.service.server_process import ServerProcess, prepare_home

pytestmark = pytest.mark.slow

MARKER = "Periwinkle-Hollowbrook crash marker"
NOTES = 12
REVIEWS = 600
KILL_AFTER_ACKS = 80


@dataclass
class Attempt:
    note_id: str
    key: str
    body: dict
    status: int | None = None
    review_id: str | None = None


def _queue_notes(client: httpx.Client, headers: dict[str, str]) -> list[tuple[str, str]]:
    notes = []
    for index in range(NOTES):
        text = f"Visit {index}. {MARKER}. Type 2 diabetes mellitus with diabetic chronic kidney disease."
        response = client.post("/v1/notes", json={"text": text}, headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        notes.append((body["id"], body["suggestions"]["suggestions"][0]["code"]))
    return notes


def _send(client: httpx.Client, headers: dict[str, str], attempt: Attempt) -> None:
    attempt.status = None
    try:
        response = client.post(
            f"/v1/notes/{attempt.note_id}/review",
            json=attempt.body,
            headers={**headers, "Idempotency-Key": attempt.key},
        )
    except httpx.TransportError:
        return  # never acknowledged: the client would retry
    attempt.status = response.status_code
    if response.status_code in (200, 201):
        attempt.review_id = response.json()["id"]


def test_acknowledged_reviews_survive_sigkill_and_retries_count_once(tmp_path, mini_home):
    home = prepare_home(tmp_path / "home", mini_home)
    server = ServerProcess(home, log_level="debug")
    try:
        server.wait_ready()
        assert server.admin_key, server.log
        headers = {"Authorization": f"Bearer {server.admin_key}"}
        with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
            notes = _queue_notes(client, headers)
            attempts = [
                Attempt(
                    note_id=notes[i % NOTES][0], key=f"crash-{uuid.uuid4()}", body={"accepted": [notes[i % NOTES][1]]}
                )
                for i in range(REVIEWS)
            ]
            killed = threading.Event()

            def kill_when_enough_acknowledged() -> None:
                while sum(attempt.review_id is not None for attempt in attempts) < KILL_AFTER_ACKS:
                    time.sleep(0.005)
                server.kill()
                killed.set()

            killer = threading.Thread(target=kill_when_enough_acknowledged, daemon=True)
            killer.start()
            with ThreadPoolExecutor(max_workers=16) as pool:
                list(pool.map(lambda attempt: _send(client, headers, attempt), attempts))
            assert killed.wait(timeout=30), f"the burst ended before the kill: {Counter(a.status for a in attempts)}"
    finally:
        server.stop()

    acknowledged = [attempt for attempt in attempts if attempt.review_id is not None]
    assert KILL_AFTER_ACKS <= len(acknowledged) < REVIEWS, "the kill should land in the middle of the burst"
    database = open_database(f"sqlite:///{home / 'chartcoder.db'}")
    with database.session() as session:
        # keys are stored scoped to the API key that sent them: map them back to the clients' keys
        coder_key_id = session.scalar(select(Review.coder_key_id).limit(1))
        clients_key = {scoped_idempotency_key(coder_key_id, attempt.key): attempt.key for attempt in attempts}
        stored = {clients_key.get(row.idempotency_key): row.id for row in session.scalars(select(Review))}
        versions = session.execute(select(Review.note_id, Review.version)).all()
    for attempt in acknowledged:
        assert stored.get(attempt.key) == attempt.review_id, "an acknowledged review was lost"
    assert len(versions) == len(set(versions)) == len(stored)

    # Clients retry everything not acknowledged (and, being unsure, some acknowledged ones): once each.
    restarted = ServerProcess(home, log_level="debug")
    try:
        restarted.wait_ready()
        assert restarted.admin_key is None  # keys exist: no new admin key is printed
        with httpx.Client(base_url=restarted.base_url, timeout=60.0) as client, ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda attempt: _send(client, headers, attempt), attempts))
            for _round in range(3):  # a client retries whatever a slow machine timed out, with the same key
                pending = [attempt for attempt in attempts if attempt.status not in (200, 201)]
                list(pool.map(lambda attempt: _send(client, headers, attempt), pending))
    finally:
        restarted.stop()
    statuses = Counter(attempt.status for attempt in attempts)
    assert set(statuses) <= {200, 201}, f"retries failed: {statuses}\n{restarted.log[-3000:]}"
    with database.session() as session:
        assert session.scalar(select(func.count(Review.id))) == REVIEWS
        assert session.scalar(select(func.count(func.distinct(Review.idempotency_key)))) == REVIEWS
    for attempt in acknowledged:
        assert stored[attempt.key] == attempt.review_id
    database.dispose()
    assert MARKER not in server.log + restarted.log, "the server logged note text"
