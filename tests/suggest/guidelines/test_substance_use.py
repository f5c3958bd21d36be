"""Tobacco (I.C.5.b, I.C.21.c.4, I.C.21.c.1) and the use < abuse < dependence hierarchy (I.C.5.b.2)."""

from __future__ import annotations

import pytest

from suggest.guidelines.substance_use import substance_hierarchy_drops, tobacco_codes


def codes(note, text: str) -> set[str]:
    return {item.code for item in tobacco_codes(note(text))}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Social History:\nSmokes 1 ppd x 20 years.\n", {"F17.210"}),  # I.C.5.b: current, cigarettes
        ("Social History:\nChews tobacco daily.\n", {"F17.220"}),
        ("Social History:\nVapes nicotine daily.\n", {"F17.290"}),
        ("Social History:\nFormer smoker, quit 2010 (30 pack-years).\n", {"Z87.891"}),  # I.C.21.c.4
        ("Social History:\nNever smoker. No alcohol.\n", set()),
        ("Social History:\nLives with mother who smokes in the home.\n", {"Z77.22"}),  # I.C.21.c.1
        ("Social History:\nDad smokes cigarettes in the car. Smoking cessation advised for father.\n", {"Z77.22"}),
        ("Social History:\nOccasional cigars, not dependent. Tobacco use (cigars).\n", {"Z72.0"}),  # Use, tobacco
        ("Social History:\nVapes nicotine e-cig daily.\n", {"F17.290"}),
        ("Labs:\nUrine dip negative.\n", set()),
        ("Social History:\nRegular marijuana smoker. Vapes THC.\n", set()),  # cannabis, not tobacco (I.C.5.b)
        ("Social History:\nSmokes 1 ppd and marijuana on weekends.\n", {"F17.210"}),
    ],
)
def test_tobacco_statement_gives_its_code(note, text, expected):
    """I.C.5.b / I.C.21.c.4 / I.C.21.c.1: current smoker F17.2- by product (uncomplicated, not "in remission"),
    former smoker Z87.891, second-hand smoke Z77.22."""
    assert codes(note, text) == expected


def test_current_smoker_is_not_in_remission(note):
    """I.C.5.b: "in remission" only when the provider says so; a current smoker is uncomplicated."""
    assert codes(note, "Social History:\nCurrent smoker, 1/2 ppd.\n") == {"F17.210"}
    assert codes(note, "Social History:\nNicotine dependence, cigarettes, in remission.\n") == {"F17.211"}


def test_dependence_over_abuse_over_use():
    """I.C.5.b.2: abuse and dependence documented -> dependence only; use and abuse -> abuse only."""
    assert substance_hierarchy_drops(["F10.20", "F10.10", "F10.90", "F11.90", "F11.10", "I10"]) == {
        "F10.10": "F10.20",
        "F10.90": "F10.20",
        "F11.90": "F11.10",
    }


def test_use_without_a_related_disorder_is_not_coded(vocabulary):
    """I.C.5.b.3: F10.90 (alcohol use, uncomplicated) is only reported with a disorder linked to the use."""
    from suggest.guidelines.substance_use import code_substance_use
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "Social History: drinks 2 beers on weekends. Alcohol dependence in early remission.\n"
    draft = draft_of(
        ("F10.90", 0.6, [mention(text, "drinks 2 beers", ("F10.90",))]),
        ("F10.21", 0.8, [mention(text, "Alcohol dependence in early remission", ("F10.21",))]),
    )
    code_substance_use(draft, context_of(vocabulary.codeset, text, draft))
    assert draft.codes() == ["F10.21"]


def test_a_bare_dependence_beside_the_named_substance_is_no_other_substance(codeset):
    """I.C.5.b: "Tobacco dependence - cigarettes" is F17.210; the F19.20 "other psychoactive substance dependence"
    read from its word "dependence" leaves. An F19 of its own sentence stays."""
    from suggest.guidelines.substance_use import _drop_unnamed_other_substance
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "A/P:\n1. Tobacco dependence - cigarettes.\n2. Kratom dependence, counseled."
    draft = draft_of(
        ("F17.210", 0.8, [mention(text, "Tobacco dependence", ("F17.210",))]),
        ("F19.20", 0.66, [mention(text, "dependence", ("F19.20",))]),
    )
    context = context_of(codeset, text, draft)
    _drop_unnamed_other_substance(draft, context)
    assert draft.codes() == ["F17.210"]
    draft = draft_of(
        ("F17.210", 0.8, [mention(text, "Tobacco dependence", ("F17.210",))]),
        ("F19.20", 0.66, [mention(text, "dependence", ("F19.20",), occurrence=1)]),
    )
    _drop_unnamed_other_substance(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["F17.210", "F19.20"]


def test_a_disorder_in_remission_is_reported_from_the_history(codeset):
    """I.C.5.b.1: "alcohol use disorder, moderate - in sustained remission" in the past medical history is reported
    with F10.21 (a guideline-built mention, so sequencing proposes it outside the diagnosis list); a disorder the
    sentence does not say is in remission gets nothing from this rule."""
    from suggest.guidelines.substance_use import remission_codes
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "PMH: HTN; alcohol use disorder, moderate - in sustained remission, sober since 2019.\nPMH: OUD.\n"
    draft = draft_of(
        ("F10.21", 0.5, [mention(text, "alcohol use disorder, moderate", ("F10.21",), "past_medical_history")]),
        ("F11.21", 0.5, [mention(text, "OUD", ("F11.21",), "past_medical_history")]),
    )
    found = remission_codes(draft, context_of(codeset, text, draft))
    assert [(item.code, item.guideline) for item in found] == [("F10.21", "I.C.5.b.1")]


def test_a_bare_dependence_in_the_rule_s_tobacco_statement_is_no_other_substance(codeset):
    """I.C.5.b: "2. Tobacco dependence - cigarettes." is the F17.210 the tobacco rule read (with the social history);
    the bare "dependence" in it is no F19.20 other psychoactive substance, though the rule's mention spans both."""
    from suggest.guidelines.note import NoteView, guideline_mention
    from suggest.guidelines.substance_use import _drop_unnamed_other_substance
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "SH: current smoker 1 ppd.\nAssessment:\n1. PAD.\n2. Tobacco dependence - cigarettes.\n3. HTN.\n"
    view = NoteView(text)
    pieces = tuple(
        view.evidence(text.index(words), text.index(words) + len(words))
        for words in ("SH: current smoker 1 ppd.", "Tobacco dependence - cigarettes.")
    )
    draft = draft_of(("F19.20", 0.66, [mention(text, "dependence", ("F19.20",))]))
    draft.entries.extend(draft_of(("F17.210", 0.8, [guideline_mention(pieces, "F17.210")])).entries)
    _drop_unnamed_other_substance(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["F17.210"]
    assert "I.C.5.b" in draft.excluded[0].reason
