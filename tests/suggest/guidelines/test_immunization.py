"""I.C.21.c.2: Z23 for a vaccine given at this encounter, never for one declined or only in the history."""

from suggest.guidelines.immunization import code_immunization
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def _codes(codeset, text: str) -> list[str]:
    draft = draft_of(("S61.412A", 0.8, [mention(text, "laceration", ("S61.412A",))]))
    code_immunization(draft, context_of(codeset, text, draft))
    return draft.codes()


def test_i_c_21_c_2_vaccine_given_today_adds_z23(codeset):
    text = "A/P: laceration of left hand, repaired. Tdap 0.5 mL IM given.\n"
    draft = draft_of(("S61.412A", 0.8, [mention(text, "laceration", ("S61.412A",))]))
    code_immunization(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["S61.412A", "Z23"]
    z23 = draft.get("Z23")
    assert "I.C.21.c.2" in z23.sections
    assert z23.score >= 0.35


def test_i_c_21_c_2_named_vaccine_dose_given(codeset):
    text = "Plan: laceration care. Hep A vaccine dose #1 given today, #2 in 6 months.\n"
    assert "Z23" in _codes(codeset, text)


def test_i_c_21_c_2_declined_or_historical_vaccine_is_no_encounter_for_immunization(codeset):
    text = (
        "Immunizations: last tetanus unknown. Flu vaccine received in October.\n"
        "A/P: laceration. Tdap offered, patient declined. HBV immune, no vaccine needed.\n"
    )
    assert "Z23" not in _codes(codeset, text)
