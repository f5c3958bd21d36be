"""Effects of external causes need the external event stated (I.A.19, I.C.19): T14, T66-T77, T79."""

from __future__ import annotations

from suggest.guidelines.external_effects import require_external_event, states_external_event
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_a_lone_word_is_no_effect_of_an_external_cause(codeset):
    """I.A.19: "heat packs" is no effect of heat, "freezing at doorways" no effect of cold, septic "shock" no
    traumatic shock: the codes leave the list with a reason naming the section."""
    text = "Plan: ketorolac, heat packs.\nParkinson disease: freezing at doorways.\nSeptic shock on pressors."
    draft = draft_of(
        ("T67.9XXA", 0.7, [mention(text, "heat", ("T67.9XXA",))]),
        ("T69.9XXA", 0.7, [mention(text, "freezing", ("T69.9XXA",))]),
        ("T79.4XXA", 0.6, [mention(text, "shock", ("T79.4XXA",))]),
    )
    require_external_event(draft, context_of(codeset, text, draft))
    assert draft.codes() == []
    assert all("I.A.19" in exclusion.reason for exclusion in draft.excluded)


def test_a_stated_external_event_keeps_the_code(codeset):
    """I.C.19: heat stroke after a run in the sun, a fall with an injury: the code stays."""
    text = "Heat stroke after running a marathon in 38C heat.\nFell from a ladder: injury of the back."
    draft = draft_of(
        ("T67.01XA", 0.8, [mention(text, "Heat stroke", ("T67.01XA",))]),
        ("T14.90XA", 0.6, [mention(text, "injury", ("T14.90XA",))]),
    )
    require_external_event(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["T67.01XA", "T14.90XA"]


def test_secondhand_smoke_exposure_is_no_external_event():
    """I.A.19: exposure to tobacco smoke is Z77.22, not an effect of an external cause."""
    assert not states_external_event("secondhand smoke exposure at home")
    assert not states_external_event("exposure to secondhand smoke")
    assert states_external_event("exposure to cold overnight")
