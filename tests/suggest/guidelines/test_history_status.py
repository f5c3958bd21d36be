"""Personal / family history (I.C.21.c.4) and status (I.C.21.c.3) through the Index and the Tabular List."""

from __future__ import annotations

import pytest

from suggest.guidelines.history_status import HistoryCodes, is_resolved, is_still_treated, status_codes


@pytest.fixture(scope="module")
def histories(vocabulary):
    return HistoryCodes(vocabulary.index("index"), vocabulary.codeset)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("I63.9", "Z86.73"),  # "h/o CVA without residual": Index, History, personal, cerebral infarction
        ("K63.5", "Z86.0100"),  # colon polyp -> history of colon polyps, not of colon cancer (Z85.038)
        ("C50.919", "Z85.3"),  # Tabular Z85.3: conditions classifiable to C50.-
        ("I21.9", "I25.2"),  # the Index sends a past MI to I25.2 (old myocardial infarction)
        ("I10", None),  # chronic and not said to be resolved: stays I10
        ("W19.XXXA", "Z91.81"),  # a fall: History, personal, "fall, falling" (one of the title's forms)
        # the subterms on the way must be named too: a laceration is no "malignant neoplasm, renal pelvis"
        ("S31.011A", None),
        ("R76.11", None),  # a tuberculin reaction is no "allergy, serum" status
    ],
)
def test_personal_history_code(histories, code, expected):
    """I.C.21.c.4: a condition that no longer exists gets its history code; a chronic one keeps its code."""
    assert histories.code_for("personal", code) == expected


@pytest.mark.parametrize(
    ("code", "wrong"),
    [
        ("J44.9", "Z86.711"),  # COPD: "History, personal, embolism, pulmonary" shares only "pulmonary"
        ("R53.81", "Z87.312"),  # malaise and fatigue: "History, personal, fracture, fatigue" is a stress fracture
        ("M81.0", "Z87.310"),  # osteoporosis: "History, personal, fracture, osteoporosis" is a healed fracture
    ],
)
def test_a_history_subterm_is_named_by_its_whole_walk(histories, code, wrong):
    """I.C.21.c.4, I.B.1: the Index's history subterm must be named by the condition down its whole walk, not by
    its last word alone: COPD is no history of pulmonary embolism."""
    assert histories.code_for("personal", code) != wrong
    assert histories.code_for("personal", code) is None


def test_resolved_condition_gets_the_body_system_history_code(histories):
    """I.C.21.c.4: resolved alcoholic pancreatitis -> Z87.19 (History, personal, disease, digestive system)."""
    assert histories.code_for("personal", "K85.20") is None
    assert histories.code_for("personal", "K85.20", resolved=True) == "Z87.19"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("C18.9", "Z80.0"),  # colon cancer: digestive organs, not Z80.9
        ("C56.9", "Z80.41"),  # ovarian cancer
        ("I21.9", "Z82.49"),  # MI: ischemic heart disease
        ("F32.A", "Z81.8"),  # depression: other mental disorders
        ("N19", "Z84.19"),  # kidney failure: other disorders of kidney, not APOL1 (Z84.11)
    ],
)
def test_family_history_code(histories, code, expected):
    """I.C.21.c.4: a relative's condition -> the family history code the Tabular's ranges and the Index name."""
    assert histories.code_for("family", code) == expected


def test_still_treated_and_resolved_cues():
    """I.C.21.c.4: a condition still treated stays active; 'no active disease' is not treatment."""
    assert is_still_treated("history of breast cancer, currently on anastrozole")
    assert not is_still_treated("Hx prostate CA - no active disease")
    assert is_resolved("resolved alcoholic pancreatitis")


@pytest.mark.parametrize(
    "sentence", ["A 67-year-old male with a history of hypertension", "She is 45 years old, hx of HTN", "2-month-old"]
)
def test_an_age_is_no_sign_that_a_condition_resolved(histories, sentence):
    """I.C.21.c.4: history codes are for conditions that no longer exist; the "old" of an age ("67-year-old",
    "45 years old") says nothing of the kind, so "history of hypertension" on the opening line stays I10, not
    Z86.79 (personal history of other diseases of the circulatory system)."""
    assert not is_resolved(sentence)
    assert histories.code_for("personal", "I10", resolved=is_resolved(sentence)) is None


@pytest.mark.parametrize("sentence", ["old MI", "he has old MI on ECG", "h/o old CVA"])
def test_old_before_a_condition_still_says_it_is_past(sentence):
    """I.C.21.c.4: "old" naming the condition ("old MI") is a past condition."""
    assert is_resolved(sentence)


def test_status_codes_from_the_index(vocabulary, note):
    """I.C.21.c.3: s/p CABG Z95.1, pseudophakia Z96.1, L mastectomy Z90.12, home oxygen Z99.81, hemodialysis
    Z99.2 - and nothing for a passing word ("stomach bug", "transplant evaluation")."""
    text = (
        "Past Surgical History:\ns/p CABG 2015. Pseudophakia OU. L mastectomy 2019.\n"
        "Social History:\nOn home oxygen 2L. Hemodialysis MWF. Had a stomach bug. Kidney transplant evaluation.\n"
    )
    from vocab.lexicon import load_abbreviations

    found = status_codes(note(text), vocabulary.index("index"), vocabulary.codeset, load_abbreviations())
    assert {item.code for item in found} == {"Z95.1", "Z96.1", "Z90.12", "Z99.81", "Z99.2"}


def test_family_history_of_a_condition_the_patient_has_leaves_the_list(codeset):
    """I.C.21.c.4: family history is for a relative's disease the patient is at risk of; family DM2 in a patient
    with DM2 is dropped, the family MI of a patient without one stays."""
    from suggest.guidelines.history_status import drop_family_history_of_own_condition
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "A/P: DM2 on metformin.\nFH: mother DM2, father MI at 50."
    draft = draft_of(
        ("E11.9", 0.8, [mention(text, "DM2", ("E11.9",))]),
        ("Z83.3", 0.8, [mention(text, "DM2", ("E11.9",), "family_history", "family", occurrence=1)]),
        ("Z82.49", 0.8, [mention(text, "MI", ("I21.9", "I25.2"), "family_history", "family")]),
    )
    drop_family_history_of_own_condition(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E11.9", "Z82.49"]
    assert "I.C.21.c.4" in draft.excluded[0].reason


def test_a_past_symptom_is_not_coded_as_current(codeset):
    """I.C.21.c.4 / I.B.4: "s/p pacemaker for symptomatic bradycardia" - bradycardia is past and has no history
    code: R00.1 is listed at a quarter of its score (below any proposal threshold), citing the section."""
    from suggest.rules import RuleContext, _by_assertion
    from suggest.types import Candidate
    from tests.suggest.guidelines.conftest import mention

    text = "s/p pacemaker for symptomatic bradycardia"
    past = mention(text, "bradycardia", ("R00.1",), section="diagnoses", assertion="historical")
    context = RuleContext(codeset=codeset, setting="inpatient", text=text, history_code=lambda *args, **kw: None)
    ((code, ranked, exclusion),) = list(_by_assertion(Candidate(code="R00.1", mentions=(past,)), 0.8, context))
    assert (code, exclusion) == ("R00.1", None) and ranked is not None
    assert ranked.score == 0.2
    assert "I.C.21.c.4" in ranked.notes[0]


def test_an_inpatient_rule_out_that_was_ruled_out_is_not_coded(engine_rules):
    """Section II.H: an uncertain inpatient diagnosis is coded only while still to be ruled out; "r/o ACS" then
    "ACS ruled out" is excluded."""
    kept, _ = engine_rules("I24.9", "possible", "negated", setting="inpatient")
    assert kept == []
    kept, _ = engine_rules("I24.9", "possible", setting="inpatient")
    assert kept == ["I24.9"]


@pytest.fixture
def engine_rules(codeset):
    """``(code, *assertions, setting)`` -> (codes ranked, codes excluded) by the assertion rules of
    :mod:`suggest.rules` for one candidate with one mention per assertion."""
    from suggest.rules import RuleContext, _by_assertion
    from suggest.types import Candidate
    from tests.suggest.guidelines.conftest import mention

    def run(code: str, *assertions: str, setting: str = "outpatient"):
        text = " ".join(["finding"] * len(assertions))
        mentions = tuple(
            mention(text, "finding", (code,), assertion=assertion, occurrence=position)
            for position, assertion in enumerate(assertions)
        )
        context = RuleContext(codeset=codeset, setting=setting, text=text, history_code=lambda *args, **kw: None)
        results = list(_by_assertion(Candidate(code=code, mentions=mentions), 0.8, context))
        return (
            [found for found, ranked, _ in results if ranked is not None],
            [found for found, _, exclusion in results if exclusion is not None],
        )

    return run


def test_a_passing_word_is_no_status(codeset):
    """I.C.21.c.3: "transplant referral at eGFR <=20" is no transplant status (Z94.9 leaves); "s/p kidney transplant
    2019" states one (Z94.0 stays)."""
    from suggest.guidelines.history_status import code_status
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "A/P: CKD 4; RRT options discussed, transplant referral at eGFR <=20.\nPMH: s/p kidney transplant 2019."
    draft = draft_of(
        ("Z94.9", 0.65, [mention(text, "transplant", ("Z94.9",))]),
        ("Z94.0", 0.65, [mention(text, "kidney transplant", ("Z94.0",), section="past_medical_history")]),
    )
    code_status(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["Z94.0"]
    assert "I.C.21.c.3" in draft.excluded[0].reason


@pytest.fixture(scope="module")
def statuses(vocabulary, note):
    """``statuses(text, setting)`` -> the set of status codes :func:`status_codes` finds in the note."""
    from vocab.lexicon import load_abbreviations

    abbreviations = load_abbreviations()

    def run(text: str, setting: str = "outpatient") -> set[str]:
        found = status_codes(note(text), vocabulary.index("index"), vocabulary.codeset, abbreviations, setting)
        return {item.code for item in found}

    return run


def test_dnr_dialysis_and_wheelchair_are_status_codes(statuses):
    """I.C.21.c.3: a do-not-resuscitate order (Index: Status, do not resuscitate Z66), dialysis dependence written
    "on HD" (Status, dialysis Z99.2) and a full-time wheelchair user (Status, wheelchair confinement Z99.3) are
    status codes; "not DNR" is none."""
    text = (
        "Assessment:\n1. ESRD on HD since 2022.\n2. Paraplegia, full-time manual wheelchair user.\n"
        "Code status: DNR/DNI.\n"
    )
    assert statuses(text) == {"Z66", "Z99.2", "Z99.3"}
    assert statuses("Assessment:\nFull code, not DNR.\n") == set()


def test_past_surgical_history_lists_status_procedures(statuses):
    """I.C.21.c.3: the past surgical history lists procedures already done: "L TKA 2021" is a knee joint implant
    (Presence, knee-joint implant Z96.652), "radical prostatectomy" an absent prostate (Absence, prostate Z90.79,
    the "-ectomy" word naming the Index's organ) and an ileocecal resection an absent part of the intestine."""
    text = "PSH: L TKA 2021 (doing well); radical prostatectomy 2015; ileocecal resection 2020.\n"
    assert statuses(text) == {"Z96.652", "Z90.79", "Z90.49"}


def test_a_joint_replacement_is_no_absence(statuses):
    """I.C.21.c.3: "s/p R TKA" leaves a knee prosthesis (Z96.651), not an acquired absence of the knee (Z89.521):
    an "Absence" entry names a status only where the note says the part was removed; "s/p R BKA" does."""
    assert statuses("PMH: s/p R TKA 2019.\n") == {"Z96.651"}
    assert statuses("PMH: s/p R BKA 2019.\n") == {"Z89.511"}


def test_a_procedure_of_this_stay_is_no_status(statuses):
    """I.C.21.c.3: an organ removed during this admission ("s/p lap cholecystectomy 2/4" in a discharge summary)
    is the stay's procedure, not an acquired-absence status; a prior one (with its year) is Z90.49."""
    stay = "DISCHARGE DIAGNOSES:\n2. Acute cholecystitis - s/p lap cholecystectomy 2/4.\n"
    assert statuses(stay, "inpatient") == set()
    assert statuses("PMH: s/p lap cholecystectomy 2015.\n", "inpatient") == {"Z90.49"}


def test_a_coronary_stent_is_not_also_angioplasty_status(statuses):
    """I.C.21.c.3, I.A.12.a: "s/p DES to LAD" is coronary angioplasty with implant (Status, angioplasty, coronary
    artery, with implant Z95.5); "s/p PCI" alone would be Z98.61, which Excludes1 Z95.5: the stent's code stays."""
    assert statuses("PMH: CAD s/p PCI 2018.\n") == {"Z98.61"}
    assert statuses("PMH: CAD s/p DES to LAD 2019 - no angina since.\nA/P: CAD s/p PCI, stable.\n") == {"Z95.5"}


def test_a_status_is_named_by_its_own_words_not_by_one_shared_word(statuses):
    """I.C.21.c.3: a status code reports a status the note states. "History of urinary lithiasis" is no bladder
    removal (Status, cystectomy (urinary bladder) Z90.6: one word of the modifier is not the modifier), "presence of
    multiple areas without contrast uptake in the left kidney" no kidney transplant (the Transplant entry needs
    the word) and "a central scar" no cystostomy (Status, cystostomy, cutaneous Z93.51: the level above the
    subterm must be named too). "Full-time manual wheelchair user" (Dependence, on, wheelchair), "liver
    transplantation" and "pacemaker in place" (Presence, cardiac, pacemaker: "cardiac" is in Z95.0's own title)
    stay status codes."""
    assert statuses("PMH: history of urinary lithiasis.\n") == set()
    assert statuses("CT showed the presence of multiple areas without contrast uptake in the left kidney.\n") == set()
    assert statuses("Exam: s/p a central scar.\n") == set()
    assert statuses("PMH: s/p liver transplantation 2015. Pacemaker in place.\n") == {"Z94.4", "Z95.0"}
    assert statuses("Paraplegia, full-time manual wheelchair user.\n") == {"Z99.3"}


def test_a_body_part_is_no_device_and_specified_type_nec_names_nothing(statuses):
    """I.C.21.c.3: "history of bilateral eye pain" is no "Presence, artificial, eye" (Z97.0) and "history of
    ischemic heart disease" no artificial heart (Z95.812): "artificial" must be said, Z97.0's title does not say
    it for the note. "History of type 2 diabetes" is no "Presence, ear implant, specified type NEC" (Z96.29).
    "Artificial eye" and "aortic valve replacement" (Status, organ replacement, ..., heart, valve Z95.2) stay."""
    assert statuses("PMH: history of bilateral eye pain. History of ischemic heart disease.\n") == set()
    assert statuses("PMH: history of type 2 diabetes mellitus with poor metabolic control.\n") == set()
    assert statuses("PSH: artificial eye 2010; aortic valve replacement 2018.\n") == {"Z97.0", "Z95.2"}


def test_a_denied_history_states_no_status(statuses):
    """I.C.21.c.3: "No known history of ..." and "denied a history of ..." deny the procedure (up to three words
    between the denial and the cue)."""
    assert statuses("No known history of kidney transplant.\n") == set()
    assert statuses("She denied a history of colostomy.\n") == set()
    assert statuses("PMH: history of kidney transplant.\n") == {"Z94.0"}


def test_status_synonyms_cite_valid_codes(codeset):
    """I.C.21.c.3: every code the reviewed status wording table cites as its Index source is in the code set."""
    import re

    from suggest.guidelines.tables import read_table

    rows = read_table("status_synonyms")
    assert rows
    for row in rows:
        cited = re.findall(r"\b(Z\d\d(?:\.\d+)?)", row["source"])
        assert cited, row
        assert all(code in codeset.codes for code in cited), row


def test_the_diagnostic_statement_of_history_outweighs_the_narrative(codeset):
    """I.C.21.c.4 with Section III: "Hx unprovoked DVT (11/2025) - no residual thrombus" in the discharge diagnoses
    is history (Z86.718) though the HPI tells the story "w/ DVT dx 11/2025"; a current DVT stated in the diagnoses
    stays active."""
    from suggest.rules import RuleContext, _by_assertion
    from suggest.types import Candidate
    from tests.suggest.guidelines.conftest import mention

    text = "Discharge Diagnoses:\n3. Hx DVT (11/2025) - no residual thrombus.\nHPI: 46M w/ DVT dx 11/2025."
    past = mention(text, "DVT", ("I82.40",), section="diagnoses", assertion="historical")
    story = mention(text, "DVT", ("I82.40",), section="history_of_present_illness", occurrence=1)
    context = RuleContext(
        codeset=codeset, setting="inpatient", text=text, history_code=lambda kind, code, sentence="": "Z86.718"
    )
    results = list(_by_assertion(Candidate(code="I82.40", mentions=(past, story)), 0.8, context))
    assert [code for code, ranked, _ in results if ranked is not None] == ["Z86.718"]
    current = mention(text, "DVT", ("I82.40",), section="diagnoses")
    results = list(_by_assertion(Candidate(code="I82.40", mentions=(current, story)), 0.8, context))
    assert [code for code, ranked, _ in results if ranked is not None] == ["I82.40"]


def test_a_lower_case_word_is_the_english_word_not_an_abbreviation():
    """The Index walks read an abbreviation's sense ("CABG", "COPD"), but a word in lower case is the English
    word unless chartcoder's reviewed list has it: "cold snare" is no chronic obstructive lung disease (COLD),
    "a central scar" no severe cutaneous adverse reaction (SCAR); "COLD" as written still is."""
    from suggest.guidelines.index_walk import expanded_words
    from vocab.lexicon import load_abbreviations

    abbreviations = load_abbreviations()
    assert "obstructive" not in expanded_words("s/p cold snare polypectomy", abbreviations)
    assert "cutaneous" not in expanded_words("a central scar", abbreviations)
    assert "obstructive" in expanded_words("COLD exacerbation", abbreviations)
    assert "obstructive" in expanded_words("copd", abbreviations)
