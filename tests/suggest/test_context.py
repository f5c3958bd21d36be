"""Context the coder reads: ambiguous abbreviations by their context, dash and colon negation, lists whose
negation stops where the list does, and the SOAP / operative headings as sections whose diagnoses weigh most."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from suggest.candidates import SECTION_WEIGHTS
from suggest.components.abbreviations import CUES, load_sense_rules
from suggest.termtable import read_reviewed_abbreviations, sense_words

NO_DIAGNOSIS = "no diagnosis"


def read_as(engine, text: str, abbreviation: str, occurrence: int = 0) -> str:
    """The sense the engine reads the ``occurrence``-th ``abbreviation`` of ``text`` in."""
    doc = engine.nlp(text)
    positions = [token.i for token in doc if token.text == abbreviation]
    chosen = doc._.chartcoder_abbreviation_senses[positions[occurrence]]
    if not chosen:
        return NO_DIAGNOSIS
    (words,) = chosen
    senses = [rule.sense for rule in load_sense_rules()[abbreviation.upper()] if rule.names_a_diagnosis]
    return next(sense for sense in senses if frozenset(sense_words(sense)) == words)


# --- abbreviations: one test per ambiguous pair --------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vitals: T 98.6, HR 88, SpO2 95% RA.", NO_DIAGNOSIS),
        ("Sats 92% on RA, breathing comfortably.", NO_DIAGNOSIS),
        ("SpO2 97%RA at rest.", NO_DIAGNOSIS),
        ("PMH: RA on methotrexate, HTN.", "rheumatoid arthritis"),
        ("Problem list: RA, hypothyroidism.", "rheumatoid arthritis"),
        ("Obesity: GLP-1 RA to be discussed with endocrinology.", NO_DIAGNOSIS),  # a receptor agonist
    ],
)
def test_ra_is_room_air_by_a_saturation_and_rheumatoid_arthritis_otherwise(mini_engine, text, expected) -> None:
    assert read_as(mini_engine, text, "RA") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CC: CP x 2 days, substernal, radiating to the left arm.", "chest pain"),
        ("Denies CP, SOB.", "chest pain"),
        ("PMH: spastic CP, wheelchair bound, on baclofen.", "cerebral palsy"),
        ("Hx of cerebral palsy since birth.\nA/P: CP - continue PT.", "cerebral palsy"),
    ],
)
def test_cp_is_chest_pain_unless_cerebral_palsy_is_in_view(mini_engine, text, expected) -> None:
    assert read_as(mini_engine, text, "CP", occurrence=-1 if "since birth" in text else 0) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Abdomen soft. No CVA tenderness.", NO_DIAGNOSIS),
        ("Back: L CVA TTP.", NO_DIAGNOSIS),
        ("PMH: CVA 2019 with residual left weakness.", "cerebrovascular accident"),
    ],
)
def test_cva_tenderness_is_the_costovertebral_angle_not_a_stroke(mini_engine, text, expected) -> None:
    assert read_as(mini_engine, text, "CVA") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PMH: relapsing-remitting MS on ocrelizumab.", "multiple sclerosis"),
        ("Echo: severe MS, mitral valve area 0.9 cm2.", "mitral stenosis"),
        ("MS: alert, oriented x3.", NO_DIAGNOSIS),
        ("Family reports altered MS since yesterday.", NO_DIAGNOSIS),
        ("MS at baseline per daughter.", NO_DIAGNOSIS),
        ("Meds: MS Contin 15 mg BID.", NO_DIAGNOSIS),
        ("Problem list: MS, HTN.", "multiple sclerosis"),
    ],
)
def test_ms_is_multiple_sclerosis_mitral_stenosis_or_mental_status_by_context(mini_engine, text, expected) -> None:
    assert read_as(mini_engine, text, "MS") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PE: lungs clear, RRR.", NO_DIAGNOSIS),
        ("PE unremarkable except for mild edema.", NO_DIAGNOSIS),
        ("CTA chest: segmental PE; started heparin.", "pulmonary embolism"),
        ("CXR: small left PE with blunting of the costophrenic angle.", "pleural effusion"),
        ("A/P: PE, on apixaban.", "pulmonary embolism"),
        ("Discharge diagnoses: PE.", "pulmonary embolism"),
    ],
)
def test_pe_is_the_exam_a_pulmonary_embolism_or_a_pleural_effusion_by_context(mini_engine, text, expected) -> None:
    assert read_as(mini_engine, text, "PE") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PMH: MI 2018 s/p stent.", "myocardial infarction"),
        ("h/o MI, on aspirin.", "myocardial infarction"),
        ("Echo: moderate MI, EF 55%.", "mitral insufficiency"),
        ("Exam: holosystolic murmur at the apex c/w MI.", "mitral insufficiency"),
        ("Problem list: MI, HTN.", "myocardial infarction"),
    ],
)
def test_mi_is_myocardial_infarction_unless_the_mitral_valve_is_in_view(mini_engine, text, expected) -> None:
    assert read_as(mini_engine, text, "MI") == expected


def test_every_sense_in_the_table_is_a_reviewed_sense_and_every_abbreviation_has_a_default() -> None:
    reviewed = read_reviewed_abbreviations()
    rules = load_sense_rules()
    assert rules, "the packaged table is empty"
    for abbreviation, found in rules.items():
        assert found[-1].cue == "default", f"{abbreviation} does not end with a default row"
        assert all(rule.cue in CUES for rule in found)
        for rule in found:
            if rule.names_a_diagnosis:
                assert sense_words(rule.sense) in reviewed[abbreviation], (abbreviation, rule.sense)
            else:
                assert rule.sense[1:] and rule.sense[1:].strip() == rule.sense[1:], rule.sense
        diagnosis_senses = {sense_words(rule.sense) for rule in found if rule.names_a_diagnosis}
        # every reviewed sense of the abbreviation can be chosen by some row
        assert diagnosis_senses == set(reviewed[abbreviation]), abbreviation


def test_the_sense_table_rows_have_the_documented_shape() -> None:
    text = resources.files("suggest.data").joinpath("abbreviation_senses.tsv").read_text(encoding="utf-8")
    rows = list(csv.reader((line for line in text.splitlines() if line and not line.startswith("#")), delimiter="\t"))
    assert rows and all(len(row) == 5 for row in rows), [row for row in rows if len(row) != 5]
    assert all(row[4].strip() for row in rows), "every row says why"


# --- negation: dash, colon, lists ----------------------------------------------------------------------------
def assertions(engine, text: str) -> dict[str, str]:
    doc = engine.nlp(text)
    return {span.text.lower(): span._.chartcoder_assertion for span in doc.spans["chartcoder_terms"]}


@pytest.mark.parametrize(
    "text",
    [
        "ROS: - fever, - heart failure, + atrial fibrillation",
        "ROS: -fever, -heart failure, +atrial fibrillation",
        "Heart failure: none. Atrial fibrillation: present.",
        "Heart failure: denies. Atrial fibrillation present.",
        "Heart failure: negative. Atrial fibrillation present.",
        "ROS: neg: fever, heart failure. Pos: atrial fibrillation",
        "ROS: negative: fever, heart failure; positive: atrial fibrillation",
        "(-) heart failure, (+) atrial fibrillation",
        "Denies fever, heart failure; reports atrial fibrillation.",
        "Denies fever or heart failure, reports atrial fibrillation.",
        "No fever or heart failure but has atrial fibrillation.",
    ],
)
def test_dash_and_colon_negation_stop_at_the_end_of_the_denied_list(mini_engine, text) -> None:
    found = assertions(mini_engine, text)
    assert (found.get("heart failure"), found.get("atrial fibrillation")) == ("negated", "present"), found


@pytest.mark.parametrize(
    "text",
    [
        "A/P:\n- Heart failure\n- Atrial fibrillation",  # bullets are no negation
        "Dx: Heart failure - improving. Atrial fibrillation - rate controlled.",  # a dash in prose neither
        "Obesity, class 1 - heart failure noted on echo, atrial fibrillation on ECG.",
    ],
)
def test_a_bullet_or_a_dash_in_prose_negates_nothing(mini_engine, text) -> None:
    found = assertions(mini_engine, text)
    assert {found.get("heart failure"), found.get("atrial fibrillation")} == {"present"}, found


@pytest.mark.parametrize(
    ("text", "heart_failure"),
    [
        ("Heart failure: no.\nAtrial fibrillation: yes.", "negated"),  # the answer ends there: it is the label's
        ("ROS:\nHeart failure: no\nAtrial fibrillation: yes", "negated"),
        ("Heart failure: no changes. Atrial fibrillation present.", "present"),  # 'no' denies the word after it
        ("Echo: no heart failure. Atrial fibrillation present.", "negated"),
    ],
)
def test_a_colon_no_denies_the_label_only_when_the_answer_ends_there(mini_engine, text, heart_failure) -> None:
    found = assertions(mini_engine, text)
    assert (found.get("heart failure"), found.get("atrial fibrillation")) == (heart_failure, "present"), found


@pytest.mark.parametrize(
    "text",
    [
        "A 76-year-old man without known allergies, with heart failure and atrial fibrillation.",
        "A woman with no relevant past history who came to the ED with heart failure and atrial fibrillation.",
        "A man with no history of interest presented with heart failure and atrial fibrillation.",
        "A woman with no history of interest was diagnosed with heart failure and atrial fibrillation.",
        "On metoprolol for heart failure and atrial fibrillation, enoxaparin as prophylaxis.",
    ],
)
def test_a_new_clause_about_the_patient_ends_the_denial_before_it(mini_engine, text) -> None:
    found = assertions(mini_engine, text)
    assert (found.get("heart failure"), found.get("atrial fibrillation")) == ("present", "present"), found


@pytest.mark.parametrize(
    "text",
    [
        "No fever, no heart failure, no atrial fibrillation.",
        "The patient was not diagnosed with heart failure or atrial fibrillation.",
        "Denies heart failure, atrial fibrillation.",
    ],
)
def test_denials_without_a_new_clause_stay_negated(mini_engine, text) -> None:
    found = assertions(mini_engine, text)
    assert (found.get("heart failure"), found.get("atrial fibrillation")) == ("negated", "negated"), found


@pytest.mark.parametrize(("text", "expected"), [("HIV neg.", "negated"), ("HIV Ab negative, Hgb 12.", "negated")])
def test_a_negative_result_after_its_test_negates_it(mini_engine, text, expected) -> None:
    found = assertions(mini_engine, text)
    assert found.get("hiv") == expected, found


def test_a_negative_result_reaches_only_its_own_test(mini_engine) -> None:
    found = assertions(mini_engine, "Atrial fibrillation - TSH neg, rate controlled.")
    assert found.get("atrial fibrillation") == "present", found


# --- sections: SOAP and operative headings --------------------------------------------------------------------
def sections_of(engine, text: str) -> dict[str, str]:
    doc = engine.nlp(text)
    return {token.text: token._.chartcoder_section for token in doc if token.is_alpha}


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("S:", "history_of_present_illness"),
        ("O:", "physical_exam"),
        ("A:", "assessment_and_plan"),
        ("P:", "plan"),
        ("Dx:", "diagnoses"),
        ("Post-operative diagnosis:", "diagnoses"),
        ("POSTOPERATIVE DIAGNOSIS:", "diagnoses"),
        ("Post-procedure diagnosis:", "diagnoses"),
        ("Pre-operative diagnosis:", "preoperative_diagnosis"),
        ("Assessment/Plan:", "assessment_and_plan"),
        ("A/P:", "assessment_and_plan"),
        ("Impression:", "assessment_and_plan"),
        ("Discharge diagnoses:", "diagnoses"),
        ("Principal diagnosis:", "diagnoses"),
    ],
)
def test_soap_and_operative_headings_are_sections(mini_engine, heading: str, section: str) -> None:
    assert sections_of(mini_engine, f"Seen today.\n{heading} Hypertension\n")["Hypertension"] == section


def test_a_one_letter_heading_needs_its_colon_and_is_not_a_measurement(mini_engine) -> None:
    found = sections_of(mini_engine, "Vitals:\nT: 98.6\nP: 88\nA 64 year old man.\nA: 1. Hypertension")
    assert found["man"] == "vitals"  # "P: 88" is the pulse and "A 64 ..." a sentence: the vitals go on
    assert found["Hypertension"] == "assessment_and_plan"  # "A: 1." opens a numbered assessment


def test_diagnosis_statements_weigh_most() -> None:
    top = max(SECTION_WEIGHTS.values())
    assert SECTION_WEIGHTS["diagnoses"] == SECTION_WEIGHTS["assessment_and_plan"] == top
    # the post-operative diagnosis replaces the pre-operative one (Guidelines IV.M); a plan lists work to do
    assert SECTION_WEIGHTS["preoperative_diagnosis"] < top and SECTION_WEIGHTS["plan"] < top
    assert SECTION_WEIGHTS["history_of_present_illness"] < top and SECTION_WEIGHTS["none"] < top


def test_a_soap_assessment_outranks_the_same_words_outside_a_section(mini_engine) -> None:
    def score(text: str) -> float:
        return next(s.score for s in mini_engine.suggest(text).suggestions if s.code == "I10")

    assert score("S: follow-up\nA: Essential hypertension") > score("Follow-up.\nEssential hypertension")


# --- the whole engine over the indexed code set ---------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        ("Vitals: T 98.6, HR 88, SpO2 95% RA.\nA/P: community acquired pneumonia.", "J18.9", "M06"),
        ("PMH: RA on methotrexate.", "M06.9", None),
        ("CC: CP x 2 days, substernal.", "R07.9", "G80"),
        ("Abdomen soft. No CVA tenderness.\nA/P: cystitis.", "N30.90", "I63"),
        ("Echo: moderate MI, EF 55%.", "I34.0", "I21"),
        ("CTA: segmental PE, on heparin.", "I26.99", "J90"),
        ("#pAF - NSR on tele w/ brief AF episodes; cont apixaban.", "I48.0", None),
    ],
)
def test_the_engine_codes_the_sense_the_context_gives(engine, text, present, absent) -> None:
    codes = [suggestion.code for suggestion in engine.suggest(text).suggestions]
    assert present in codes, codes
    assert absent is None or not any(code.startswith(absent) for code in codes), codes


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PMH: DM, HTN.", "E11.9"),
        ("HPI: 55 yo with DM on metformin, here for follow-up.", "E11.9"),
        ("Assessment:\nDM, well controlled.", "E11.9"),
        ("Problem list:\n1. DM\n2. HTN", "E11.9"),
        ("A/P: DM w/ CKD stage 3a.", "E11.22"),  # the Index's "Diabetes, with, chronic kidney disease" (I.A.15)
        ("A/P: DM2 with neuropathy.", "E11.40"),
    ],
)
def test_dm_is_diabetes_mellitus_wherever_it_stands(engine, text, expected) -> None:
    codes = [suggestion.code for suggestion in engine.suggest(text).suggestions]
    assert expected in codes, codes


def test_a_sense_table_with_an_unknown_cue_is_refused_with_its_error(tmp_path) -> None:
    table = tmp_path / "senses.tsv"
    table.write_text("RA\trheumatoid arthritis\tnearby\tmethotrexate\twhy\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\[E008\].*'nearby'.*'RA'"):
        load_sense_rules(table)


@pytest.mark.slow
@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("Labs: blood type O pos, rubella immune, HCV neg.", ("B06", "B19")),
        ("DVT ppx: enoxaparin. Code status: Full.", ("I82",)),
        ("DVT prophylaxis: enoxaparin.", ("I82",)),
        ("D-dimer neg (low pretest prob for PE).", ("I26",)),
        ("Dietitian saw pt; GLP-1 RA to be discussed.", ("M06",)),
        ("Labs: EtOH neg, UDS neg.", ("F10",)),
    ],
)
def test_results_prophylaxis_and_low_probability_code_nothing(engine, text, absent) -> None:
    codes = [suggestion.code for suggestion in engine.suggest(text).suggestions]
    assert not [code for code in codes if code.startswith(absent)], codes


# Section II.H / IV.H (uncertain and ruled-out diagnoses): a diagnosis the provider rules out is not coded;
# "ruled out" follows the finding as often as it precedes it ("SEPSIS RULED OUT", "Chest pain - ACS ruled out").
@pytest.mark.parametrize(
    "text",
    ["A/P:\n- Atrial fibrillation\n- HEART FAILURE RULED OUT", "Heart failure ruled out. Atrial fibrillation."],
)
def test_ruled_out_after_the_finding_negates_it_section_ii_h(mini_engine, text) -> None:
    found = assertions(mini_engine, text)
    assert (found.get("heart failure"), found.get("atrial fibrillation")) == ("negated", "present"), found
