"""The review page in a real browser: sign in, open a queued note, decide with the keyboard, submit.

What the page stored is read back through the API; screenshots go to test-output/.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests: pip install playwright (test extra)")
expect = sync_api.expect

pytestmark = pytest.mark.browser

# A character outside the Basic Multilingual Plane before the evidence: the service counts code points,
# JavaScript counts UTF-16 units, so a highlight one unit off would show here.
FLOW_NOTE = (
    "CHIEF COMPLAINT:\nFollow-up visit \U0001fa7a, labs reviewed.\n\n"
    "HISTORY OF PRESENT ILLNESS:\n"
    "Patient with type 2 diabetes mellitus with diabetic chronic kidney disease, on metformin.\n"
    "Denies chest pain.\n\n"
    "FAMILY HISTORY:\nMother had heart failure.\n\n"
    "ASSESSMENT AND PLAN:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease. Continue metformin.\n"
    "2. Atrial fibrillation, rate controlled.\n"
    "3. Essential hypertension.\n"
)
NEXT_NOTE = "ASSESSMENT AND PLAN:\n1. Essential hypertension, well controlled.\n"
NEGATED_NOTE = (
    "HISTORY OF PRESENT ILLNESS:\n"
    "Patient denies chest pain. Chest x-ray: no pneumonia. No aspiration pneumonia.\n"
    "No evidence of heart failure. Cough for 3 days.\n\n"
    "PAST MEDICAL HISTORY:\nHistory of pneumonia, unspecified organism, resolved.\n\n"
    "FAMILY HISTORY:\nFather with atrial fibrillation.\n\n"
    "ASSESSMENT AND PLAN:\n1. Cough.\n"
)
OVERLAP_NOTE = (
    "HISTORY OF PRESENT ILLNESS:\nPatient with type 2 diabetes mellitus and chronic kidney disease stage 3.\n"
)
SPECIFIC_NOTE = "ASSESSMENT AND PLAN:\n1. Heart failure.\n2. Essential hypertension.\n"
HOSTILE_NOTE = (
    'PROBLEM LIST:\n<img src=x onerror="window.__injected=1"> <b>not bold</b> &amp; </mark>\n'
    "Type 2 diabetes mellitus with diabetic chronic kidney disease.\n"
)
# Sentences of the notes that must never reach a log line or the browser console.
SECRET_PHRASES = ["labs reviewed", "Mother had heart failure", "rate controlled", "Continue metformin"]


def sign_in(page: Any, server: Any) -> None:
    page.goto(server.base_url + "/")
    expect(page.locator("#api-key")).to_be_focused()
    page.keyboard.type(server.coder_key)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()


def open_from_queue(page: Any, external_id: str) -> None:
    page.locator("#queue-list button", has_text=external_id).click()
    expect(page.locator("#note-title")).to_have_text(f"Note {external_id}")


def evidence_text(page: Any, key: str) -> str:
    """The words the page highlights for one evidence span (a span can be cut into several marks)."""
    return "".join(page.locator(f'#note-text mark[data-m~="{key}"]').all_text_contents())


def card(page: Any, code: str) -> Any:
    return page.locator(f'#suggestion-list > li[data-code="{code}"]')


def go_to(page: Any, index: int) -> None:
    """j / k until suggestion ``index`` is the current one."""
    current = int(page.locator("#suggestion-list > li.current").get_attribute("data-index"))
    for _ in range(abs(index - current)):
        page.keyboard.press("j" if index > current else "k")
    expect(page.locator("#suggestion-list > li.current")).to_have_attribute("data-index", str(index))


def test_a_coder_reviews_a_queued_note_with_the_keyboard(live_server, page, output_dir):
    live_server.queue(NEXT_NOTE, "e2e-next")
    note = live_server.queue(FLOW_NOTE, "e2e-flow")  # newest: the first pending note
    suggestions = note["suggestions"]["suggestions"]
    diabetes = next(i for i, item in enumerate(suggestions) if item["code"].startswith("E11."))
    other = next(i for i, item in enumerate(suggestions) if i != diabetes)
    diabetes_code, other_code = suggestions[diabetes]["code"], suggestions[other]["code"]

    sign_in(page, live_server)
    page.keyboard.press("n")
    expect(page.locator("#note-title")).to_have_text("Note e2e-flow")
    expect(page.locator("#model-info")).to_contain_text(note["model"])

    # the note, every character as text; each evidence span highlighted exactly
    assert page.locator("#note-text").text_content() == FLOW_NOTE
    assert page.locator("#note-text img, #note-text script").count() == 0
    for k, evidence in enumerate(suggestions[diabetes]["evidence"]):
        assert evidence_text(page, f"s{diabetes}e{k}") == evidence["text"]
    assert any(e["text"].lower().startswith("type 2 diabetes") for e in suggestions[diabetes]["evidence"])
    first_mark = page.locator(f'#note-text mark[data-m~="s{diabetes}e0"]').first
    assert diabetes_code in first_mark.get_attribute("title")
    assert f"c{diabetes % 8}" in first_mark.get_attribute("class")
    expect(page.locator("#note-text strong.heading", has_text="FAMILY HISTORY:")).to_have_attribute(
        "data-section", "family history"
    )
    family = note["suggestions"]["excluded"][0]
    family_mark = page.locator('#note-text mark[data-m~="x0e0"]')
    expect(family_mark).to_have_text(family["evidence"][0]["text"])
    assert family["reason"] in family_mark.get_attribute("title")
    first_mark.hover()  # hovering a highlight points at its suggestion
    expect(card(page, diabetes_code)).to_have_class(re.compile(r"\blinked\b"))

    # the suggestion list: code, title, score, flags, evidence
    diabetes_card = card(page, diabetes_code)
    expect(diabetes_card).to_contain_text(suggestions[diabetes]["description"])
    expect(diabetes_card.locator(".score")).to_contain_text(f"{round(suggestions[diabetes]['score'] * 100)}%")
    for flag in suggestions[diabetes]["flags"]:
        expect(diabetes_card.locator(f".flag-{flag['kind']}")).to_be_visible()
    expect(diabetes_card.locator(".ev-link")).to_have_count(len(suggestions[diabetes]["evidence"]))

    # decide with the keyboard only
    go_to(page, diabetes)
    page.keyboard.press("a")
    expect(diabetes_card).to_have_attribute("data-decision", "accepted")
    go_to(page, other)
    page.keyboard.press("r")
    expect(card(page, other_code)).to_have_attribute("data-decision", "rejected")
    page.keyboard.press("/")
    expect(page.locator("#code-search")).to_be_focused()
    page.keyboard.type("aspiration pneumonia")
    expect(page.locator('#search-results [data-code="J69.0"]')).to_be_visible()
    for _ in range(12):
        if page.locator('#search-results [aria-selected="true"]').get_attribute("data-code") == "J69.0":
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator('#added-list [data-code="J69.0"]')).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#suggestion-list > li.current")).to_be_focused()
    expect(page.locator("#review-summary")).to_contain_text("1 accepted · 1 rejected · 1 added")
    page.locator("#review-pane").evaluate("pane => { pane.scrollTop = 0; }")
    page.screenshot(path=str(output_dir / "review-page.png"))

    page.keyboard.press("Enter")
    expect(page.locator("#note-title")).to_have_text("Note e2e-next")  # the next pending note opens
    stored = live_server.note(note["id"])
    assert stored["status"] == "reviewed"
    review = stored["reviews"][-1]
    assert (review["accepted"], review["rejected"], review["added"]) == ([diabetes_code], [other_code], ["J69.0"])
    assert review["coder"] == "e2e-coder"
    assert review["model"] == note["model"]
    expect(page.locator("body")).to_have_attribute("data-last-review", review["id"])

    posted = [r for r in page.log.requests if r.method == "POST" and r.url.endswith(f"/v1/notes/{note['id']}/review")]
    assert len(posted) == 1
    assert re.fullmatch(r"[A-Za-z0-9_.:-]{8,200}", posted[0].headers["idempotency-key"])
    assert page.url == live_server.base_url + "/"  # nothing about the note (or the key) in the address
    assert all(live_server.coder_key not in request.url for request in page.log.requests)
    for phrase in SECRET_PHRASES:
        assert not any(phrase in line for line in page.log.console), "note text in the browser console"
        assert phrase not in live_server.process.log, "note text in the server log"


def test_negated_family_and_historical_findings_are_shown_apart(live_server, page, output_dir):
    note = live_server.queue(NEGATED_NOTE, "e2e-negated")
    excluded = note["suggestions"]["excluded"]
    assert {item["evidence"][0]["assertion"] for item in excluded} >= {"negated", "family"}

    sign_in(page, live_server)
    open_from_queue(page, "e2e-negated")
    assert page.locator("#note-text").text_content() == NEGATED_NOTE
    for j, exclusion in enumerate(excluded):
        for k, evidence in enumerate(exclusion["evidence"]):
            marks = page.locator(f'#note-text mark[data-m~="x{j}e{k}"]')
            assert "".join(marks.all_text_contents()) == evidence["text"]
            assert exclusion["reason"] in marks.first.get_attribute("title")
            assert f"a-{evidence['assertion']}" in marks.first.get_attribute("class")
            assert "excluded" in marks.first.get_attribute("class")

    negated = page.locator("#note-text mark.excluded.a-negated").first
    assert "line-through" in negated.evaluate("node => getComputedStyle(node).textDecorationLine")
    family = page.locator("#note-text mark.excluded.a-family").first
    assert float(family.evaluate("node => getComputedStyle(node).opacity")) < 1
    historical = [
        (i, k)
        for i, item in enumerate(note["suggestions"]["suggestions"])
        for k, evidence in enumerate(item["evidence"])
        if evidence["assertion"] == "historical"
    ]
    for i, k in historical:  # a suggestion resting on a past mention: dimmed as well
        assert "a-historical" in page.locator(f'#note-text mark[data-m~="s{i}e{k}"]').first.get_attribute("class")
    expect(page.locator("#excluded-list > li")).to_have_count(len(excluded))
    expect(page.locator("#excluded-list")).to_contain_text("negated in the note")
    page.locator("#excluded-box").scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / "review-negated.png"))

    page.set_viewport_size({"width": 1024, "height": 700})  # a small laptop: the three panes still fit
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for pane in ("#queue-pane", "#note-pane", "#review-pane"):
        box = page.locator(pane).bounding_box()
        assert box is not None and box["width"] >= 150 and box["x"] + box["width"] <= 1024 + 1, pane
    page.screenshot(path=str(output_dir / "review-negated-1024.png"))


def test_overlapping_evidence_of_two_suggestions_is_highlighted_for_both(live_server, page):
    note = live_server.queue(OVERLAP_NOTE, "e2e-overlap")
    suggestions = note["suggestions"]["suggestions"]
    spans = [(i, k, e) for i, item in enumerate(suggestions) for k, e in enumerate(item["evidence"])]
    overlapping = [
        (a, b)
        for a in spans
        for b in spans
        if a[0] < b[0] and a[2]["start"] < b[2]["end"] and b[2]["start"] < a[2]["end"]
    ]
    assert overlapping, "the note should give two suggestions resting on overlapping words"

    sign_in(page, live_server)
    open_from_queue(page, "e2e-overlap")
    for i, k, evidence in spans:
        assert evidence_text(page, f"s{i}e{k}") == evidence["text"]
    (i, k, _), (j, m, _) = overlapping[0]
    shared = page.locator(f'#note-text mark.overlap[data-m~="s{i}e{k}"][data-m~="s{j}e{m}"]').first
    title = shared.get_attribute("title")
    assert suggestions[i]["code"] in title and suggestions[j]["code"] in title
    shared.hover()
    expect(card(page, suggestions[i]["code"])).to_have_class(re.compile(r"\blinked\b"))
    expect(card(page, suggestions[j]["code"])).to_have_class(re.compile(r"\blinked\b"))


def test_replacing_a_suggestion_by_a_more_specific_code(live_server, page):
    note = live_server.queue(SPECIFIC_NOTE, "e2e-specific")
    suggestions = note["suggestions"]["suggestions"]
    index = next(i for i, item in enumerate(suggestions) if item["code"] == "I50.9")
    assert "I50.22" in next(f["codes"] for f in suggestions[index]["flags"] if f["kind"] == "unspecified")

    sign_in(page, live_server)
    open_from_queue(page, "e2e-specific")
    go_to(page, index)
    page.keyboard.press("s")
    expect(card(page, "I50.9").locator("button.choice").first).to_be_focused()
    page.keyboard.press("Escape")  # leaves the choices, back on the suggestion
    expect(card(page, "I50.9")).to_be_focused()
    expect(card(page, "I50.9").locator("details.specific")).not_to_have_attribute("open", "")
    page.keyboard.press("s")
    choice = page.locator('#suggestion-list button.choice[data-code="I50.22"]')
    expect(choice).to_be_visible()
    expect(choice).to_contain_text("Chronic systolic (congestive) heart failure")  # titles looked up
    choice.click()
    expect(card(page, "I50.9")).to_have_attribute("data-decision", "replaced")
    expect(card(page, "I50.9").locator(".replacement")).to_contain_text("I50.22")
    page.locator("#submit-review").click()
    expect(page.locator("#toast")).to_contain_text("stored")
    review = live_server.note(note["id"])["reviews"][-1]
    assert (review["accepted"], review["rejected"], review["added"]) == ([], ["I50.9"], ["I50.22"])


def test_sign_in_paste_a_note_and_sign_out(live_server, page):
    page.goto(live_server.base_url + "/")
    page.fill("#api-key", "cc_not-a-key")
    page.press("#api-key", "Enter")
    expect(page.locator("#sign-in-error")).to_contain_text("key")
    expect(page.locator("#workspace")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0

    sign_in(page, live_server)
    assert page.evaluate("sessionStorage.getItem('chartcoder.apiKey')") == live_server.coder_key
    assert page.evaluate("localStorage.length") == 0
    page.keyboard.press("?")
    expect(page.locator("#help-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help-dialog")).to_be_hidden()

    page.keyboard.press("p")
    expect(page.locator("#paste-text")).to_be_focused()
    page.fill("#paste-text", HOSTILE_NOTE)
    page.fill("#paste-external-id", "e2e-pasted")
    page.locator("#paste-submit").click()
    expect(page.locator("#note-title")).to_have_text("Note e2e-pasted")
    assert page.locator("#note-text").text_content() == HOSTILE_NOTE  # markup in a note stays text
    assert page.locator("#note-text img, #note-text b").count() == 0
    assert page.evaluate("window.__injected") is None
    expect(page.locator("#suggestion-list > li").first).to_be_visible()
    listed = live_server.api("GET", "/v1/notes", params={"status": "pending"}).json()["items"]
    assert "e2e-pasted" in [item["external_id"] for item in listed]

    page.reload()  # the key lives in this tab's session: still signed in
    expect(page.locator("#workspace")).to_be_visible()
    page.locator("#sign-out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0
    assert page.locator("#note-text").text_content() == ""
    assert page.url == live_server.base_url + "/"


def test_a_purged_note_shows_its_codes_but_no_text(live_server, page):
    """Past the retention period the service answers text null (evidence words too): the page says so."""
    note = live_server.queue(SPECIFIC_NOTE, "e2e-purged")

    def purged(route: Any) -> None:
        body = route.fetch().json()
        body["text"], body["text_purged_at"] = None, body["created_at"]
        for item in body["suggestions"]["suggestions"] + body["suggestions"]["excluded"]:
            for evidence in item["evidence"]:
                evidence["text"] = None
        route.fulfill(json=body)

    page.route(f"**/v1/notes/{note['id']}", purged)
    sign_in(page, live_server)
    open_from_queue(page, "e2e-purged")
    expect(page.locator("#note-text")).to_contain_text("purged")
    assert page.locator("#note-text mark").count() == 0
    first = card(page, note["suggestions"]["suggestions"][0]["code"])
    expect(first).to_be_visible()
    expect(first.locator(".ev-link").first).to_be_disabled()
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("stored")
    review = live_server.note(note["id"])["reviews"][-1]
    assert review["accepted"] == [note["suggestions"]["suggestions"][0]["code"]]


INPATIENT_NOTE = (
    "DISCHARGE DIAGNOSES:\n"
    "1. Type 2 diabetes mellitus with diabetic chronic kidney disease.\n"
    "2. Atrial fibrillation, present on admission.\n"
    "3. Essential hypertension.\n"
)


def test_reporting_order_and_poa_are_set_with_the_keyboard_and_stored(live_server, page, output_dir):
    note = live_server.queue(INPATIENT_NOTE, "e2e-inpatient", setting="inpatient")
    suggestions = note["suggestions"]["suggestions"]
    assert len(suggestions) >= 2, "the inpatient note should get two suggestions from the mini code set"
    first, second = suggestions[0]["code"], suggestions[1]["code"]

    sign_in(page, live_server)
    open_from_queue(page, "e2e-inpatient")
    # what the engine says about each code is on its card
    for item in suggestions:
        shown = card(page, item["code"])
        expect(shown.locator(".badge.proposed" if item["proposed"] else ".badge.listed")).to_be_visible()
        role = {"principal": "principal", "first_listed": "first-listed"}.get(item["role"])
        if role:
            expect(shown.locator(".badge.role")).to_have_text(role)
        else:
            expect(shown.locator(".badge.role")).to_have_count(0)
        if item["replaces"]:
            expect(shown.locator(".replaces")).to_contain_text(", ".join(item["replaces"]))
        expect(shown.locator("select.poa-select")).to_have_value(item["poa"] or "")

    # accept the first two codes, then move the second above the first: Shift+K
    page.keyboard.press("a")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(card(page, first).locator(".sequence")).to_contain_text("principal")
    page.keyboard.press("Shift+K")
    expect(page.locator("#suggestion-list > li").first).to_have_attribute("data-code", second)
    expect(card(page, second)).to_be_focused()
    expect(card(page, second).locator(".sequence")).to_contain_text("Reported 1st: the principal diagnosis")
    expect(card(page, first).locator(".sequence")).to_have_text("Reported 2nd")
    page.keyboard.press("Shift+J")  # and back down, and up again: the move is reversible
    expect(page.locator("#suggestion-list > li").first).to_have_attribute("data-code", first)
    page.keyboard.press("Shift+K")
    expect(page.locator("#suggestion-list > li").first).to_have_attribute("data-code", second)
    page.keyboard.press("j")  # j / k follow the list as shown: the next one is now the first code
    expect(card(page, first)).to_be_focused()
    page.keyboard.press("k")
    expect(card(page, second)).to_be_focused()

    # POA with the keyboard: o cycles Y, N, U, W, 1 from the current value
    cycle = ["Y", "N", "U", "W", "1"]
    start = suggestions[1]["poa"]
    expected = cycle[(cycle.index(start) + 1) % 5] if start in cycle else "Y"
    page.keyboard.press("o")
    expect(card(page, second).locator("select.poa-select")).to_have_value(expected)
    page.keyboard.press("o")
    expected = cycle[(cycle.index(expected) + 1) % 5]
    expect(card(page, second).locator("select.poa-select")).to_have_value(expected)
    page.locator("#review-pane").evaluate("pane => { pane.scrollTop = 0; }")
    page.screenshot(path=str(output_dir / "review-sequence-poa.png"))

    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("stored")
    review = live_server.note(note["id"])["reviews"][-1]
    assert review["sequence"] == [second, first]
    poa = {entry["code"]: entry["poa"] for entry in review["poa"]}
    assert poa[second] == expected
    assert poa.get(first) == suggestions[0]["poa"]  # left as the engine said (absent when it said nothing)

    # reopened from the reviewed notes, the stored order and POA come back
    page.locator("#queue-status").select_option("reviewed")
    open_from_queue(page, "e2e-inpatient")
    expect(page.locator("#suggestion-list > li").first).to_have_attribute("data-code", second)
    expect(card(page, second).locator("select.poa-select")).to_have_value(expected)


def test_a_combination_shows_the_codes_it_replaces_and_listed_codes_are_told_apart(live_server, page):
    """The service's answer is shaped here (route) so the page is checked on a combination and a listed code
    whatever the mini code set's engine builds."""
    note = live_server.queue(SPECIFIC_NOTE, "e2e-combination")

    def combined(route: Any) -> None:
        body = route.fetch().json()
        top, *rest = body["suggestions"]["suggestions"]
        top.update(role="first_listed", proposed=True, replaces=["I10", "N18.4"])
        for item in rest:
            item.update(role="secondary", proposed=False, replaces=[])
        route.fulfill(json=body)

    page.route(f"**/v1/notes/{note['id']}", combined)
    sign_in(page, live_server)
    open_from_queue(page, "e2e-combination")
    top, *rest = note["suggestions"]["suggestions"]
    expect(card(page, top["code"]).locator(".replaces")).to_have_text(
        "Combination code: replaces I10, N18.4 (not reported beside it)"
    )
    expect(card(page, top["code"]).locator(".badge.role")).to_have_text("first-listed")
    expect(card(page, top["code"]).locator(".badge.proposed")).to_have_text("proposed")
    expect(card(page, top["code"]).locator("select.poa-select")).to_have_count(0)  # outpatient: no POA
    for item in rest:
        expect(card(page, item["code"]).locator(".badge.listed")).to_have_text("listed only")
        expect(card(page, item["code"]).locator(".replaces")).to_have_count(0)
    page.keyboard.press("a")
    expect(card(page, top["code"]).locator(".sequence")).to_have_text("Reported 1st: the first-listed diagnosis")
    page.keyboard.press("Enter")
    expect(page.locator("#toast")).to_contain_text("stored")
    review = live_server.note(note["id"])["reviews"][-1]
    assert review["sequence"] == [top["code"]] and review["poa"] == []
