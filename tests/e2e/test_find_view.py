"""The find view in a real browser: f opens it, a code prefix and a patient-free search find the filed encounter,
[ / ] page, Enter on a result opens its note; the search travels as a POST body, never in a URL."""

from __future__ import annotations

from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: pip install playwright (test extra)")
expect = sync_api.expect

pytestmark = pytest.mark.browser

DIABETES_NOTE = "ASSESSMENT AND PLAN:\n1. Type 2 diabetes mellitus with diabetic chronic kidney disease.\n"
HYPERTENSION_NOTE = "ASSESSMENT AND PLAN:\n1. Essential hypertension, well controlled.\n"


def _file(server: Any, text: str, note_id: str) -> dict[str, Any]:
    note = server.queue(text, note_id)
    codes = [item["code"] for item in note["suggestions"]["suggestions"]]
    response = server.api("POST", f"/v1/notes/{note['id']}/review", json={"accepted": codes})
    assert response.status_code == 201, response.text
    return note


def test_find_filed_encounters_with_the_keyboard_and_open_one(live_server: Any, page: Any, output_dir: Any) -> None:
    diabetes = _file(live_server, DIABETES_NOTE, "find-diabetes")
    _file(live_server, HYPERTENSION_NOTE, "find-hypertension")
    page.goto(live_server.base_url + "/")
    expect(page.locator("#api-key")).to_be_focused()
    page.keyboard.type(live_server.coder_key)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()

    page.keyboard.press("f")
    dialog = page.locator("#find-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#find-code")).to_be_focused()
    page.locator("#find-code-mode").select_option("prefix")
    page.locator("#find-code").fill("E11.")
    page.keyboard.press("Enter")
    results = page.locator("#find-results > li")
    expect(results).to_have_count(1)
    expect(results.first).to_have_attribute("data-encounter", diabetes["id"])
    expect(page.locator("#find-count")).to_contain_text("1 encounter found")
    expect(results.first.locator(".find-code").first).to_contain_text("E11")

    page.locator("#find-code").fill("")
    page.locator("#find-coder").fill("e2e-coder-that-does-not-exist")
    page.keyboard.press("Enter")
    expect(page.locator("#find-count")).to_contain_text("0 encounters found")
    page.locator("#find-coder").fill("")
    page.keyboard.press("Enter")
    expect(results).to_have_count(2)  # every filed encounter, newest service date first
    page.screenshot(path=str(output_dir / "find-view.png"))

    page.locator("#find-results button.find-open").last.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(page.locator("#note-title")).to_contain_text("find-")
    searches = [request for request in page.log.requests if "/v1/encounters/search" in request.url]
    assert searches and all(request.method == "POST" and "?" not in request.url for request in searches)


def test_a_bad_range_is_reported_in_the_view(live_server: Any, page: Any) -> None:
    page.goto(live_server.base_url + "/")
    page.keyboard.type(live_server.coder_key)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()
    page.locator("#find-open").click()
    page.locator("#find-code-mode").select_option("range")
    page.locator("#find-code").fill("E13-E10")
    page.keyboard.press("Enter")
    expect(page.locator("#find-error")).to_contain_text("ends before it starts")
    expect(page.locator("#find-count")).to_contain_text("0 encounters found")
