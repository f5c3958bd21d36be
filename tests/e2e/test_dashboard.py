"""The HCC badge and the dashboard in a real browser: a rejected HCC code shows in the risk-adjustment chart,
and the whole dashboard is reached and closed with the keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: pip install playwright (test extra)")
expect = sync_api.expect

pytestmark = pytest.mark.browser

HCC_NOTE = (
    "ASSESSMENT AND PLAN:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease. Continue metformin.\n"
    "2. Chronic systolic heart failure.\n"
    "3. Essential hypertension.\n"
)


def _sign_in(page: Any, server: Any) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("#api-key")).to_be_focused()
    page.keyboard.type(server.coder_key)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()


def _tab_to(page: Any, selector: str, presses: int = 40) -> None:
    for _ in range(presses):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} was not reached with Tab")


def test_hcc_badges_and_the_dashboard_with_the_keyboard(live_server, page, output_dir) -> None:
    note = live_server.queue(HCC_NOTE, "e2e-hcc")
    suggestions = note["suggestions"]["suggestions"]
    with_hcc = [item for item in suggestions if item["hcc"]]
    without = [item for item in suggestions if not item["hcc"]]
    assert with_hcc, "the diabetes and heart failure codes map to CMS-HCC V28 categories"

    _sign_in(page, live_server)
    page.locator("#queue-list button", has_text="e2e-hcc").click()
    expect(page.locator("#note-title")).to_have_text("Note e2e-hcc")
    for item in with_hcc:
        badge = page.locator(f'#suggestion-list > li[data-code="{item["code"]}"] .badge.hcc')
        expect(badge).to_have_text(" · ".join(f"HCC {category['hcc']}" for category in item["hcc"]))
        assert item["hcc"][0]["label"] in badge.get_attribute("title")
    for item in without:
        expect(page.locator(f'#suggestion-list > li[data-code="{item["code"]}"] .badge.hcc')).to_have_count(0)

    # reject the first HCC code, accept the rest, submit: one HCC code rejected
    expect(page.locator("#suggestion-list > li.current")).to_have_attribute("data-index", "0")
    for index, item in enumerate(suggestions):
        expect(page.locator("#suggestion-list > li.current")).to_have_attribute("data-index", str(index))
        page.keyboard.press("r" if item is with_hcc[0] else "a")
        page.keyboard.press("j")
    page.locator("#note-pane").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("Review v1 stored for e2e-hcc")
    review = live_server.note(note["id"])["reviews"][-1]
    assert review["rejected"] == [with_hcc[0]["code"]] and not review["added"]

    # the dashboard: reached with Tab, opened with Enter, every chart focusable, closed with Escape
    page.locator("#paste-open").focus()
    _tab_to(page, "#dashboard-open")
    page.keyboard.press("Enter")
    dialog = page.locator("#dashboard-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#dashboard-days")).to_be_focused()
    expect(page.locator("#dashboard-status")).to_contain_text("1 review in the last 30 days")
    numbers = page.locator(".dash-numbers")
    expect(numbers).to_contain_text("HCC codes rejected")
    expect(numbers.locator("dd").nth(4)).to_have_text("1")  # HCC codes rejected
    expect(page.locator("#dashboard-coders tbody tr")).to_have_count(1)
    expect(page.locator("#dashboard-coders tbody th")).to_have_text("e2e-coder")
    charts = page.locator("#dashboard-body figure.chart")
    assert charts.count() >= 6
    capture = page.locator("figure.chart", has_text="HCC codes: captured vs rejected").locator("svg")
    assert "1 rejected" in capture.get_attribute("aria-label")
    assert capture.locator("rect.seg-rejected").count() == 1
    hcc_rows = page.locator("figure.chart", has_text="By HCC").locator("svg")
    assert f"HCC {with_hcc[0]['hcc'][0]['hcc']}" in hcc_rows.get_attribute("aria-label")
    assert page.locator("#dashboard-body svg rect").count() >= 5
    assert page.locator("#dashboard-body script, #dashboard-body img").count() == 0
    # provider queries (issue 16) on the dashboard: their figures and a chart by finding kind and status
    expect(page.locator("#dashboard-body dt", has_text="Query answer rate")).to_have_count(1)
    expect(page.locator("figure.chart", has_text="Queries by finding kind and status")).to_have_count(1)
    reached = set()
    for _ in range(charts.count() + 6):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("() => document.activeElement.getAttribute('aria-labelledby')"))
    assert {charts.nth(i).get_attribute("aria-labelledby") for i in range(charts.count())} <= reached
    page.screenshot(path=str(output_dir / "dashboard.png"), full_page=True)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#dashboard-open")).to_be_focused()
    assert not any("chartcoder" in message and "error" in message.lower() for message in page.log.console)
