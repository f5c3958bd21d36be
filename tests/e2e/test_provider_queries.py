"""The provider-query flow on the review page, keyboard only: finding -> query -> answer -> review submitted.

The note's documentation finding is written into its stored suggestions (the ``documentation`` list the checks
add), so that the flow does not depend on which checks raise what; everything after that is the page and the API.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: pip install playwright (test extra)")
expect = sync_api.expect

pytestmark = pytest.mark.browser

QUERY_NOTE = (
    "HISTORY OF PRESENT ILLNESS:\n"
    "Patient with type 2 diabetes mellitus with diabetic chronic kidney disease, eGFR 38 last week.\n\n"
    "ASSESSMENT AND PLAN:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease. Continue metformin.\n"
)
INDICATOR = "eGFR 38 last week"
STATED = "Type 2 diabetes mellitus with diabetic chronic kidney disease"
PROVIDER_WORDS = "Stage 3b, per nephrology"
# Words of the note and of the answer that must reach no log line and no console message.
SECRET_PHRASES = [INDICATOR, "Continue metformin", PROVIDER_WORDS]


def _span(words: str, section: str, after: int = 0) -> dict[str, Any]:
    start = QUERY_NOTE.index(words, after)
    return {"start": start, "end": start + len(words), "text": words, "section": section, "assertion": "present"}


FINDING = {
    "kind": "specificity.ckd_stage",
    "family": "specificity",
    "severity": "info",
    "message": "Chronic kidney disease without a stage; the note has an eGFR.",
    "basis": "ICD-10-CM Official Guidelines I.C.14.a; Tabular N18",
    "evidence": [_span(STATED, "assessment_and_plan", QUERY_NOTE.index("ASSESSMENT"))],
    "indicators": [_span(INDICATOR, "history_of_present_illness")],
    "codes": ["N18.9"],
    "needs_query": True,
}


def _add_finding(live_server: Any, note_id: str) -> None:
    """Store the finding in the note's suggestions, as the engine with the documentation checks stores it."""
    with sqlite3.connect(live_server.process.home / "chartcoder.db") as connection:
        (stored,) = connection.execute("SELECT suggestions FROM notes WHERE id = ?", (note_id,)).fetchone()
        suggestions = json.loads(stored)
        suggestions["documentation"] = [FINDING]
        connection.execute("UPDATE notes SET suggestions = ? WHERE id = ?", (json.dumps(suggestions), note_id))


def _sign_in(page: Any, server: Any) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("#api-key")).to_be_focused()
    page.keyboard.type(server.coder_key)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()


def _tab_to(page: Any, selector: str, most: int = 12) -> None:
    for _ in range(most):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    expect(page.locator(selector)).to_be_focused()


def test_finding_query_answer_and_review_with_the_keyboard_only(live_server, page, output_dir):
    note = live_server.queue(QUERY_NOTE, "e2e-query")
    _add_finding(live_server, note["id"])
    assert note["suggestions"]["suggestions"], "the note should get suggestions from the mini code set"

    _sign_in(page, live_server)
    page.keyboard.press("n")
    expect(page.locator("#note-title")).to_have_text("Note e2e-query")

    # the finding beside the codes, with its severity, quoted indicator and basis
    finding = page.locator('#finding-list li[data-kind="specificity.ckd_stage"]')
    expect(finding).to_be_visible()
    expect(finding).to_contain_text("opportunity")
    expect(finding).to_contain_text(f"\u201c{INDICATOR}\u201d")
    expect(finding).to_contain_text("I.C.14.a")

    # q drafts the query: quoted indicator, a neutral question, the options with other and unable to determine
    page.keyboard.press("q")
    expect(page.locator("#query-dialog")).to_be_visible()
    expect(page.locator("#query-question")).to_be_focused()
    expect(page.locator("#query-indicators")).to_contain_text(f"\u201c{INDICATOR}\u201d")
    question = page.locator("#query-question").input_value()
    assert "stage of chronic kidney disease" in question
    options = page.locator("#query-options").input_value().split("\n")
    assert options[-2:] == ["Other (please specify)", "Unable to determine / clinically undetermined"]

    # an edit that mentions payment is refused, with the reason; the corrected query is marked sent
    page.keyboard.press("Control+End")
    page.keyboard.type(" This affects reimbursement.")
    _tab_to(page, "#query-send")
    page.keyboard.press("Enter")
    expect(page.locator("#query-error")).to_contain_text("reimbursement")
    expect(page.locator("#query-dialog")).to_be_visible()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.locator("#query-question")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Based on your clinical judgment, please clarify the stage of chronic kidney disease.")
    _tab_to(page, "#query-send")
    page.keyboard.press("Enter")
    expect(page.locator("#query-dialog")).to_be_hidden()

    # the query is open: the queue says so, and focus is on recording its answer; its text is there to copy
    record = page.locator("#query-list li[data-status=open] .record-answer")
    expect(record).to_be_focused()
    expect(page.locator("#query-list .query-text")).to_contain_text(f'"{INDICATOR}"')
    queue = live_server.api("GET", "/v1/notes?status=query_open").json()
    assert [item["id"] for item in queue["items"]] == [note["id"]]
    page.screenshot(path=str(output_dir / "provider-query.png"))

    # the provider's answer: the fourth option (Stage 3b) and their words
    page.keyboard.press("Enter")
    expect(page.locator("#answer-dialog")).to_be_visible()
    expect(page.locator('#answer-options input[value="0"]')).to_be_focused()
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(page.locator('#answer-options input[value="3"]')).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.locator("#answer-text")).to_be_focused()
    page.keyboard.type(PROVIDER_WORDS)
    _tab_to(page, "#answer-save")
    page.keyboard.press("Enter")
    expect(page.locator("#answer-dialog")).to_be_hidden()
    expect(page.locator("#query-list li[data-status=answered]")).to_contain_text("answered: a listed option")

    # then the review: accept the current suggestion, Enter submits
    page.keyboard.press("a")
    expect(page.locator("#suggestion-list > li.current")).to_have_attribute("data-decision", "accepted")
    page.keyboard.press("Enter")
    expect(page.locator("body")).to_have_attribute("data-last-review", re.compile(r".+"))

    stored = live_server.note(note["id"])
    assert stored["status"] == "reviewed" and len(stored["reviews"]) == 1
    assert page.locator("body").get_attribute("data-last-review") == stored["reviews"][0]["id"]
    (query,) = live_server.api("GET", f"/v1/queries?note_id={note['id']}").json()["items"]
    assert query["status"] == "answered" and query["answer_kind"] == "clinical"
    detail = live_server.api("GET", f"/v1/queries/{query['id']}").json()
    assert detail["options"][detail["answer_option"]] == "Stage 3b"
    assert detail["answer_text"] == PROVIDER_WORDS
    assert detail["indicators"][0]["text"] == INDICATOR
    stats = live_server.api("GET", "/v1/stats").json()["queries"]
    assert (stats["raised"], stats["answered"], stats["answer_rate"]) == (1, 1, 1.0)

    for phrase in SECRET_PHRASES:
        assert not any(phrase in line for line in page.log.console), "query words in the browser console"
        assert phrase not in live_server.process.log, "query words in the server log"
