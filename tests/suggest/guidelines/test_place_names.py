"""Words that name a clinic or service are not a documented condition (IV.J)."""

from __future__ import annotations

from suggest.guidelines.place_names import drop_place_names, names_a_place
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_iv_j_a_clinic_name_is_not_a_documented_condition(codeset):
    text = "TELEHEALTH VISIT - Movement Disorders Clinic\nAssessment: Parkinson disease with dyskinesia.\n"
    draft = draft_of(
        ("G25.9", 0.65, [mention(text, "Movement Disorders", ("G25.9",), section="none")]),
        ("G20.B2", 0.8, [mention(text, "Parkinson disease with dyskinesia", ("G20.B2",))]),
    )
    drop_place_names(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["G20.B2"]
    assert "IV.J" in draft.excluded[0].reason


def test_iv_j_a_condition_also_documented_outside_the_clinic_name_stays(codeset):
    text = "HEART FAILURE CLINIC\nAssessment: chronic heart failure, euvolemic.\n"
    draft = draft_of(
        (
            "I50.9",
            0.7,
            [
                mention(text, "HEART FAILURE", ("I50.9",), section="none"),
                mention(text, "heart failure", ("I50.9",), occurrence=0),
            ],
        ),
    )
    drop_place_names(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["I50.9"]


def test_place_word_must_follow_on_the_same_line():
    text = "Dx: migraine\nClinic follow-up in 3 months"
    assert not names_a_place(text, text.index("migraine") + len("migraine"))
    assert names_a_place("Liver Clinic - new patient", len("Liver"))


def test_iv_j_a_consulting_service_is_not_a_documented_condition(codeset):
    """IV.J: "Addiction med consult: pt motivated" names the service consulted, not an addiction the patient has
    (the alcohol dependence documented elsewhere is coded from its own words)."""
    text = "Hospital course:\nAddiction med consult: pt motivated; acamprosate started.\n"
    draft = draft_of(("F19.20", 0.4, [mention(text, "Addiction", ("F19.20",), section="hospital_course")]))
    drop_place_names(draft, context_of(codeset, text, draft))
    assert draft.codes() == []
    assert names_a_place("Cardiology consult today", len("Cardiology"))
    assert not names_a_place("Addiction to opioids, consult pending", len("Addiction"))
