"""Pregnancy (I.C.15): chapter 15 code for a complicating condition, trimester from weeks, Z3A, Z33.1 / Z34."""

from __future__ import annotations

import pytest

from suggest.guidelines.pregnancy import code_pregnancy, complicating_code, gestation_weeks, weeks_code, with_trimester
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


@pytest.mark.parametrize(
    ("condition", "trimester", "expected"),
    [
        ("D64.9", 2, "O99.012"),
        ("J02.0", 2, "O99.512"),
        ("I10", 3, "O10.013"),
        ("E11.9", 2, "O24.112"),
        ("E66.9", 2, "O99.212"),
        ("E03.9", None, "O99.280"),
    ],
)
def test_condition_complicating_pregnancy_gets_its_chapter_15_code(vocabulary, condition, trimester, expected):
    """I.C.15.a.1: the Tabular's 'Conditions in ...' notes (O99.0: D50-D64, O10.0: I10) and O24 for diabetes."""
    assert complicating_code(condition, vocabulary.codeset, trimester) == expected


def test_trimester_and_weeks_from_the_gestational_age(vocabulary):
    """I.C.15.a.3: 12 weeks 6 days is the first trimester and Z3A.12; week 24 is the second trimester."""
    weeks, _, _ = gestation_weeks("G2P1 at 12w6d, pregnant")
    assert (weeks, weeks_code(weeks)) == (12, "Z3A.12")
    assert with_trimester("O99.511", vocabulary.codeset, 2) == "O99.512"


def test_complicated_pregnancy_gets_no_z33_1_and_o_code_added(vocabulary):
    """I.C.15.a.1 / I.C.15.b.1: anemia at 24 weeks -> O99.012 + D64.9 + Z3A.24; Z33.1 and Z34 leave."""
    text = "Prenatal visit: G1P0 pregnant at 24 weeks. Assessment: Anemia. Pregnant state.\n"
    draft = draft_of(
        ("D64.9", 0.8, [mention(text, "Anemia", ("D64.9",), section="assessment_and_plan")]),
        ("Z33.1", 0.6, [mention(text, "Pregnant state", ("Z33.1",))]),
        ("Z34.82", 0.5, [mention(text, "Prenatal visit", ("Z34.82",))]),
    )
    code_pregnancy(draft, context_of(vocabulary.codeset, text, draft))
    assert {"O99.012", "D64.9", "Z3A.24"} <= set(draft.codes())
    assert "Z33.1" not in draft and "Z34.82" not in draft


def test_chapter_15_code_is_sequenced_first(vocabulary):
    """I.C.15.a.1: in a pregnancy the chapter 15 code leads, Z3A never does."""
    from suggest.guidelines.sequencing import sequence_codes

    text = "Assessment: Strep pharyngitis. Pregnancy at 24 weeks.\n"
    draft = draft_of(
        ("J02.0", 0.9, [mention(text, "Strep pharyngitis", ("J02.0",))]),
        ("O99.512", 0.8, [mention(text, "Pregnancy", ("O99.512",))]),
        ("Z3A.24", 0.8, [mention(text, "24 weeks", ("Z3A.24",))]),
    )
    sequence_codes(draft, context_of(vocabulary.codeset, text, draft))
    assert draft.codes()[0] == "O99.512"


def test_not_pregnant_gets_no_chapter_15_code(vocabulary):
    """I.C.15: chapter 15 codes only in a pregnancy; "not pregnant" / a negative test is no pregnancy."""
    text = "Assessment: Anemia. Urine pregnancy test negative.\n"
    draft = draft_of(("D64.9", 0.8, [mention(text, "Anemia", ("D64.9",))]))
    code_pregnancy(draft, context_of(vocabulary.codeset, text, draft))
    assert draft.codes() == ["D64.9"]


def test_i_c_15_a_1_symptom_in_pregnancy_is_coded_from_the_index_pregnancy_complicated_by(vocabulary):
    """I.C.15.a.1: "nausea and vomiting of pregnancy" is Pregnancy, complicated by, vomiting (O21.9), not R11.2;
    the O code replaces the symptom code and takes its words (one finding), so the ranker's other O21 reading
    of the same words leaves as well."""
    from suggest.guidelines.one_per_finding import one_code_per_finding

    text = "OB visit: GA 12w3d.\nA/P:\n1. Nausea and vomiting of pregnancy, mild. Start doxylamine-pyridoxine.\n"
    draft = draft_of(
        ("R11.2", 0.9, [mention(text, "Nausea and vomiting", ("R11.2",), section="assessment_and_plan")]),
        ("O21.1", 0.5, [mention(text, "vomiting of pregnancy", ("O21.1",), section="assessment_and_plan")]),
    )
    context = context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary)
    code_pregnancy(draft, context)
    assert "R11.2" not in draft
    assert draft.get("O21.9") is not None and "I.C.15.a.1" in draft.get("O21.9").sections
    assert draft.get("O21.9").replaces == ["R11.2"]
    one_code_per_finding(draft, context)
    assert "O21.1" not in draft and "O21.9" in draft


def test_i_c_15_a_1_symptom_the_index_does_not_list_in_pregnancy_stays(vocabulary):
    text = "OB visit: GA 20w.\nA/P:\n1. Cough x 3 days, no fever.\n"
    draft = draft_of(("R05.9", 0.8, [mention(text, "Cough", ("R05.9",), section="assessment_and_plan")]))
    code_pregnancy(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert "R05.9" in draft


def test_the_pregnancy_pattern_is_pre_checked_with_the_words_its_matches_start_with():
    """A note with no word the pattern starts with (not "ega" inside "negative") and no "G" before a digit is not
    scanned with it."""
    from suggest.guidelines import pregnancy
    from suggest.guidelines.note import NoteView

    for example in ["pregnant", "Pregnancy", "G2P1", "g3 p2", "IUP", "gestational", "prenatal", "antepartum", "EGA"]:
        note = NoteView(f"Note: {example} here.")
        assert pregnancy._PREGNANT_NOW_RE.search(note.text) and pregnancy._pregnant_now(note), example
    for example in ["negative", "mega", "nonpregnant-x", "G-tube"]:
        note = NoteView(f"Note: {example} here.")
        assert bool(pregnancy._PREGNANT_NOW_RE.search(note.text)) == pregnancy._pregnant_now(note), example
