"""Reviewing a multi-document encounter in a real browser, with the keyboard only (issue 17, point 2).

The admission fixture (H&P, two progress notes, discharge summary) is queued through the API; the coder opens
the encounters view, walks the evidence of a code across documents, decides, reorders, sets a POA, adds a
code and submits once. What the page stored is read back through the API.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import FIXTURES_DIR
from tests.e2e.test_review_page import sign_in

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: pip install playwright (test extra)")
expect = sync_api.expect

pytestmark = pytest.mark.browser


def _admission() -> dict[str, Any]:
    records = [json.loads(line) for line in (FIXTURES_DIR / "encounters" / "admission.jsonl").read_text().splitlines()]
    fields = ("encounter_id", "patient_id", "age", "sex", "admission_date", "discharge_date", "setting")
    body: dict[str, Any] = {field: records[0][field] for field in fields}
    body["documents"] = [{key: record[key] for key in ("document_id", "type", "date", "text")} for record in records]
    return body


def test_a_multi_document_encounter_is_reviewed_with_the_keyboard(page, live_server, output_dir) -> None:
    created = live_server.api("POST", "/v1/encounters", json=_admission())
    assert created.status_code == 201, created.text
    encounter = created.json()
    codes = [item["code"] for item in encounter["suggestions"]["suggestions"]]
    assert len(codes) >= 3 and codes[0] == "E11.9"  # the mini code set: diabetes, hypertension, cough

    sign_in(page, live_server)
    page.keyboard.press("Shift+E")
    expect(page.locator("#encounter-workspace")).to_be_visible()
    expect(page.locator("#workspace")).to_be_hidden()
    page.keyboard.press("n")
    expect(page.locator("#enc-title")).to_have_text("Encounter adm-1")
    tabs = page.locator("#enc-tabs [role=tab]")
    expect(tabs).to_have_count(4)
    expect(tabs.nth(0)).to_have_attribute("aria-selected", "true")
    expect(page.locator("#enc-code-list > li.current")).to_have_attribute("data-code", "E11.9")

    # e walks the current code's evidence, whichever document holds it: the tab follows
    shown = []
    for _ in range(3):
        page.keyboard.press("e")
        panel = page.locator("#enc-document")
        expect(panel.locator("mark.flash").first).to_be_visible()
        shown.append(panel.get_attribute("data-document"))
        assert "diabetes" in panel.locator("mark.flash").first.inner_text().lower()
    assert len(set(shown)) >= 2, shown
    selected = page.locator("#enc-tabs [aria-selected=true]").get_attribute("data-document")
    assert selected == shown[-1]
    page.keyboard.press("]")  # the next document's tab
    expect(page.locator("#enc-tabs [aria-selected=true]")).not_to_have_attribute("data-document", selected)

    # decide: accept diabetes and hypertension, reject the rest; hypertension first, POA N; add a code
    page.keyboard.press("a")
    page.keyboard.press("a")
    for _ in codes[2:]:
        page.keyboard.press("r")
    page.keyboard.press("Home")  # not a shortcut: nothing happens
    for _ in range(len(codes) - 2):
        page.keyboard.press("k")
    expect(page.locator("#enc-code-list > li.current")).to_have_attribute("data-code", "I10")
    page.keyboard.press("K")
    expect(page.locator("#enc-code-list > li").first).to_have_attribute("data-code", "I10")
    page.keyboard.press("o")  # POA Y -> N
    expect(page.locator('#enc-code-list > li[data-code="I10"]')).to_contain_text("POA N")
    expect(page.locator('#enc-code-list > li[data-code="I10"]')).to_contain_text("reported 1st: principal")
    page.keyboard.press("/")
    expect(page.locator("#enc-add")).to_be_focused()
    page.keyboard.type("atrial fibrillation")
    page.keyboard.press("Enter")
    expect(page.locator("#enc-added-list > li")).to_have_count(1)
    added = page.locator("#enc-added-list > li").get_attribute("data-code")
    page.keyboard.press("Escape")
    page.screenshot(path=str(output_dir / "encounter-review.png"))
    page.keyboard.press("Enter")
    expect(page.locator("#enc-summary")).to_contain_text("Review version 1 submitted")

    stored = live_server.api("GET", f"/v1/encounters/{encounter['id']}").json()
    review = stored["reviews"][0]
    assert set(review["accepted"]) == {"E11.9", "I10"}
    assert set(review["rejected"]) == set(codes[2:])
    assert review["added"] == [added]
    assert review["sequence"] == ["I10", "E11.9", added]
    assert {entry["code"]: entry["poa"] for entry in review["poa"]} == {"I10": "N", "E11.9": "Y"}
    assert review["coder"] == "e2e-coder" and review["seconds_to_submit"] >= 0
    assert stored["status"] == "reviewed"
    logged = " ".join(page.log.console).lower()
    assert "diabetes" not in logged and "hypertension" not in logged
