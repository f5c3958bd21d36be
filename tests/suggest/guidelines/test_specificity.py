"""Specificity from the note (I.B.1-I.B.2), the 7th character (I.C.19.a) and sepsis (I.C.1.d)."""

from __future__ import annotations

from suggest.guidelines.sepsis import code_sepsis
from suggest.guidelines.specificity import more_specific_code, refine_specificity
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_b_acute_on_chronic_systolic_heart_failure_is_i50_23(codeset):
    text = "Assessment: acute on chronic systolic heart failure, diuresing.\n"
    draft = draft_of(("I50.9", 0.8, [mention(text, "heart failure", ("I50.9",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["I50.23"]
    assert "I.B.1" in draft.entries[0].sections


def test_i_b_laterality_r_means_right(codeset):
    text = "A/P: primary osteoarthritis R knee - PT referral.\n"
    draft = draft_of(("M17.10", 0.8, [mention(text, "primary osteoarthritis", ("M17.10",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["M17.11"]


def test_i_b_unspecified_code_stays_when_the_note_says_nothing_more(codeset):
    assert more_specific_code("I50.9", {"heart", "failure", "diuresing"}, codeset) is None


def test_i_b_with_and_without_are_not_confused(codeset):
    # "without status epilepticus" is never read as a code "with status epilepticus"
    better = more_specific_code("G40.909", {"epilepsy", "not", "intractable", "status"}, codeset)
    assert better is None or "with status" not in codeset.codes[better].description.lower()


def test_i_c_19_a_seventh_character_d_for_routine_healing_follow_up(codeset):
    text = "Fracture follow-up: left Colles fracture, routine healing, cast in place.\n"
    draft = draft_of(("S52.532A", 0.8, [mention(text, "left Colles fracture", ("S52.532A",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["S52.532D"]
    assert "I.C.19.a" in draft.entries[0].sections


def test_i_c_19_a_initial_encounter_stays_a(codeset):
    text = "ED: right knee abrasion after a fall today. Follow up with PCP in 1 week.\n"
    draft = draft_of(("S80.211A", 0.8, [mention(text, "right knee abrasion", ("S80.211A",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["S80.211A"]


def test_i_c_1_d_1_a_sepsis_coded_by_organism_and_i_c_1_d_2_septic_shock(codeset):
    text = "Final diagnoses:\n1. Septic shock due to E. coli bacteremia\n2. Sepsis, source pyelonephritis\n"
    draft = draft_of(("A41.9", 0.8, [mention(text, "Sepsis", ("A41.9",), "diagnoses")]))
    code_sepsis(draft, context_of(codeset, text, draft, setting="inpatient"))
    assert draft.codes() == ["A41.51", "R65.21"]
    assert "I.C.1.d.1.a" in draft.entries[0].sections and "I.C.1.d.2" in draft.entries[1].sections


def test_i_c_1_d_negated_septic_shock_is_not_coded(codeset):
    text = "Assessment: sepsis from pneumonia, no septic shock.\n"
    draft = draft_of(("A41.9", 0.8, [mention(text, "sepsis", ("A41.9",))]))
    code_sepsis(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["A41.9"]


def test_i_b_2_laterality_word_of_another_finding_in_the_sentence_is_not_used(codeset):
    # "left" qualifies the wrist, many words away from the shoulder pain: the unspecified side stays
    text = "Shoulder pain began after the accident in which the patient also broke the left wrist.\n"
    draft = draft_of(("M25.519", 0.8, [mention(text, "Shoulder pain", ("M25.519",), section="none")]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["M25.519"]


def test_i_b_2_every_added_qualifier_must_be_said(codeset):
    # "right" alone does not say "primary": H20.9 stays rather than H20.011 (primary iridocyclitis, right eye)
    assert more_specific_code("H20.9", {"iridocyclitis", "right", "eye"}, codeset) is None


def test_i_a_9_a_unspecified_code_never_becomes_other_specified_by_laterality(codeset):
    # "bilateral" says the side, not that the disorder is an "other specified" one (H18.893)
    assert more_specific_code("H18.9", {"disorder", "cornea", "bilateral", "other", "specified"}, codeset) is None


def test_i_b_2_a_title_that_denies_the_finding_is_not_more_specific(codeset):
    # "Vomiting without nausea" (R11.11) is no more specific nausea (R11.0)
    better = more_specific_code("R11.0", {"nausea", "vomiting", "without"}, codeset)
    assert better != "R11.11"


def test_i_b_2_shorthand_lle_names_the_left_lower_limb(codeset):
    text = "A/P: LLE cellulitis - start cephalexin.\n"
    draft = draft_of(("L03.90", 0.8, [mention(text, "cellulitis", ("L03.90",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["L03.116"]


def test_i_c_19_d_burn_depth_written_as_an_ordinal(codeset):
    # I.C.19.d.1: burns are classified by depth; "2nd degree" is the title's "second degree"
    text = "Assessment: 2nd degree burn L forearm from hot oil. Silver sulfadiazine.\n"
    draft = draft_of(("T22.012A", 0.8, [mention(text, "burn L forearm", ("T22.012A",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["T22.212A"]


def test_i_b_2_subclassification_in_the_seventh_character_npdr_ou(codeset):
    # I.B.2: E11.3293's 7th character is laterality, not an encounter extension; "mild NPDR OU" says all of it
    text = "Assessment: DM2 w/ mild NPDR OU w/o macular edema - annual eye exam.\n"
    draft = draft_of(("E11.319", 0.8, [mention(text, "NPDR", ("E11.319",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["E11.3293"]


def test_i_b_2_atn_is_acute_kidney_failure_with_tubular_necrosis(codeset):
    text = "Assessment: AKI - ATN from septic shock, renally dose meds.\n"
    draft = draft_of(("N17.9", 0.8, [mention(text, "AKI", ("N17.9",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["N17.0"]


def test_i_b_2_less_specific_sibling_gives_way_to_the_listed_specific_code(codeset):
    # the ranker read "L common femoral" as I82.419 (unspecified femoral vein) beside the I82.412 the Index walk
    # gave: the note says "left", so it is the same DVT and its words support I82.412 (I.B.1, I.B.2)
    text = "A/P:\n1. Acute DVT, L common femoral vein - improving on apixaban.\n"
    femoral = mention(text, "Acute DVT, L common femoral vein", ("I82.419",))
    draft = draft_of(
        ("I82.412", 0.56, [mention(text, "Acute DVT", ("I82.90",))]),
        ("I82.419", 0.53, [femoral]),
    )
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["I82.412"]
    assert femoral in draft.get("I82.412").mentions
    assert "I82.419" in draft.get("I82.412").refined_from


def test_i_c_12_a_pressure_ulcer_of_unspecified_site_takes_the_site_the_note_names(codeset):
    # L89.93 "Pressure ulcer of unspecified site, stage 3": the note names the sacrum, so L89.153 (sacral
    # region, stage 3): site and stage from the documentation (I.C.12.a, I.B.2)
    text = "A/P:\n1. Pressure ulcer of sacrum, stage 3 - healing, 46% area reduction.\n"
    draft = draft_of(("L89.93", 0.5, [mention(text, "Pressure ulcer", ("L89.93",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["L89.153"]


def test_i_b_2_unspecified_site_stays_when_the_note_names_none(codeset):
    text = "A/P:\n1. Pressure ulcer, stage 3 - healing.\n"
    draft = draft_of(("L89.93", 0.5, [mention(text, "Pressure ulcer", ("L89.93",))]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["L89.93"]


def test_i_a_9_b_default_child_asserts_nothing_the_note_does_not_say(codeset):
    """I.A.9.b / I.B.2: a category read from "L breast cancer" (C50) becomes the unspecified-site code of the
    side the note says (C50.912), never a sibling that adds a type nobody documented ("inflammatory", C50.A2)."""
    from suggest.rules import RuleContext, billable_code

    text = "Dx: L breast cancer, ER+, on anastrozole.\n"
    found = mention(text, "breast cancer", ("C50",), section="diagnoses")
    context = RuleContext(codeset=codeset, setting="outpatient", text=text, history_code=lambda *args, **kw: None)
    code, flag = billable_code("C50", [found], context)
    assert code == "C50.919"  # the side is the specificity step's to read; the default says nothing more
    assert flag is not None and flag.kind == "needs_specificity"
    draft = draft_of((code, 0.8, [found]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["C50.912"]


def test_i_a_9_b_default_child_of_a_dvt_leaves_the_side_open(codeset):
    """I.A.9.b: "DVT" with no side said is the unspecified-side code (I82.409), not the right leg (I82.401)."""
    from suggest.rules import RuleContext, billable_code

    text = "Reason: f/u acute DVT on anticoagulation.\n"
    found = mention(text, "DVT", ("I82.40",), section="none")
    context = RuleContext(codeset=codeset, setting="outpatient", text=text, history_code=lambda *args, **kw: None)
    assert billable_code("I82.40", [found], context)[0] == "I82.409"


def test_i_b_2_sigmoid_diverticulosis_is_the_large_intestine_code(codeset):
    """I.B.1-2: "sigmoid diverticulosis" - the Index names the sigmoid "intestine, large" (site_words), so the
    "part unspecified" code K57.90 becomes K57.30."""
    text = "Post-procedure diagnosis:\n3. Sigmoid diverticulosis\n"
    draft = draft_of(("K57.90", 0.8, [mention(text, "diverticulosis", ("K57.90",), section="procedures")]))
    refine_specificity(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["K57.30"]
    assert "I.B.1" in draft.entries[0].sections
