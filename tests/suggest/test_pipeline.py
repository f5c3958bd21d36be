"""The engine's behaviour on notes a coder would recognise: combination codes, assertion, coding rules."""

from __future__ import annotations

import pytest

from suggest.types import NoteSuggestions

pytestmark = [pytest.mark.slow, pytest.mark.shared_data]

NOTE = """CHIEF COMPLAINT
Follow-up of diabetes.

PAST MEDICAL HISTORY
History of breast cancer.

FAMILY HISTORY
Mother with type 2 diabetes.

ASSESSMENT AND PLAN
1. Type 2 diabetes with stage 3 CKD.
2. HTN, continue lisinopril.
3. Denies chest pain.
4. Probable pneumonia.
"""


def codes(result: NoteSuggestions) -> list[str]:
    return [suggestion.code for suggestion in result.suggestions]


def excluded(result: NoteSuggestions) -> dict[str, str]:
    return {exclusion.code: exclusion.reason for exclusion in result.excluded}


def suggestion(result: NoteSuggestions, code: str):
    return next(item for item in result.suggestions if item.code == code)


def test_combination_code_wins_over_its_parts(engine) -> None:
    result = engine.suggest("Type 2 diabetes with stage 3 CKD.")
    found = codes(result)
    assert "E11.22" in found
    assert "N18.30" in found  # E11.22 asks for the stage: "use additional code (N18.1-N18.6)"
    assert "E11.9" not in found and "N18.9" not in found


def test_modifier_far_away_in_the_sentence_counts(engine) -> None:
    result = engine.suggest("Type 2 diabetes mellitus, poorly followed, now with chronic kidney disease stage 3.")
    assert "E11.22" in codes(result)


def test_negated_finding_is_excluded_with_its_reason(engine) -> None:
    result = engine.suggest(NOTE)
    assert "R07.9" not in codes(result)
    assert excluded(result)["R07.9"] == "negated in the note"


def test_family_history_gives_a_family_history_code(engine) -> None:
    """I.C.21.c.4: a relative's diabetes is family history Z83.3, never the patient's E11.9; where the patient has
    diabetes too, the family history is no added risk and leaves the list with that reason."""
    without_diabetes = NOTE.replace("Follow-up of diabetes.", "Follow-up of gout.")
    result = engine.suggest(without_diabetes.replace("Type 2 diabetes with stage 3 CKD.", "Gout, stable."))
    assert "Z83.3" in codes(result)
    family = suggestion(result, "Z83.3")
    assert {piece.assertion for piece in family.evidence} == {"family"}
    assert "E11.9" in excluded(result)
    result = engine.suggest(NOTE)
    assert "Z83.3" not in codes(result)
    assert "condition the patient has now" in excluded(result)["Z83.3"]


def test_personal_history_of_a_resolved_condition_gives_a_history_code(engine) -> None:
    result = engine.suggest(NOTE)
    assert "Z85.3" in codes(result)
    assert not any(code.startswith("C50") for code in codes(result))


def test_uncertain_diagnosis_follows_the_setting(engine) -> None:
    outpatient = engine.suggest(NOTE, setting="outpatient")
    inpatient = engine.suggest(NOTE, setting="inpatient")
    assert "J18.9" not in codes(outpatient)
    assert "uncertain" in excluded(outpatient)["J18.9"]
    assert "J18.9" in codes(inpatient)
    assert any(flag.kind == "uncertain_inpatient" for flag in suggestion(inpatient, "J18.9").flags)


def test_abbreviation_in_assessment(engine) -> None:
    result = engine.suggest(NOTE)
    # HTN with CKD is coded I12.9, hypertensive CKD (I.C.9.a.2); its evidence still includes the abbreviation
    hypertension = suggestion(result, "I12.9")
    assert any(piece.text == "HTN" and piece.section == "assessment_and_plan" for piece in hypertension.evidence)


def test_misspelling_is_matched_fuzzily(engine) -> None:
    result = engine.suggest("Assessment: acute appendicitis, scheduled for surgery. Also hypertenison.")
    assert "I10" in codes(result)


def test_a_word_is_no_misspelling_of_its_opposite(engine) -> None:
    """A word the table lacks is matched to its nearest table word, never to one with the opposite prefix:
    "hypocoagulation" (a treatment) is no "hypercoagulation" (D68.59), "macroscopic hematuria" no "microscopic
    hematuria" (R31.2-)."""
    result = engine.suggest("Assessment: systemic hypocoagulation with heparin. Macroscopic hematuria.")
    assert not [code for code in codes(result) if code.startswith(("D68", "R31.2"))], codes(result)


def test_a_word_of_its_own_is_no_misspelling_of_a_clinical_word(engine) -> None:
    """I.A.19 (the code assignment rests on the provider's statement): "In addition" states no addiction (F19.2-),
    "left hemithorax" no hemothorax (S27.1-), cell mitosis no miosis (H57.03); a real misspelling is still read."""
    result = engine.suggest(
        "Assessment: type 2 diabetes. In addition, hypertenison. CT: left hemithorax clear. Biopsy: rare mitosis."
    )
    found = codes(result)
    assert not [code for code in found if code.startswith(("F19", "S27.1", "H57.03"))], found
    assert "I10" in found and "E11.9" in found, found


def test_a_bone_named_in_an_ecg_or_an_exam_is_no_fracture(engine) -> None:
    """The Tabular's "Axis" under S12.1 and "Knee cap" under S82.0 name the bones: "normal axis" on an ECG and a
    tender knee cap code no fracture."""
    result = engine.suggest("ECG: NSR, normal axis, no ST changes. Exam: knee cap tender.\nA/P: chest wall pain.")
    assert not [code for code in codes(result) if code.startswith(("S12", "S82"))], codes(result)


def test_a_seventh_character_is_never_read_from_a_title_the_note_half_says(engine) -> None:
    """I.C.19.a: the 7th character is the episode of care the note documents. "Stress fracture of the left foot"
    says no sequela: the title "Stress fracture, left foot, sequela" (M84.375S) is matched only whole, and the
    specificity step gives the initial encounter."""
    result = engine.suggest("Assessment: stress fracture of the left foot, new this week.")
    assert "M84.375A" in codes(result) and "M84.375S" not in codes(result), codes(result)


def test_sections_are_known_for_every_mention(engine) -> None:
    result = engine.suggest(NOTE)
    listed = [*result.suggestions, *result.excluded]  # the mother's diabetes is excluded: the patient has it
    sections = {piece.section for item in listed for piece in item.evidence}
    assert {"assessment_and_plan", "family_history", "past_medical_history"} <= sections


def test_evidence_offsets_point_at_the_words(engine) -> None:
    result = engine.suggest(NOTE)
    pieces = [piece for item in result.suggestions for piece in item.evidence]
    pieces += [piece for item in result.excluded for piece in item.evidence]
    assert pieces
    for piece in pieces:
        assert NOTE[piece.start : piece.end] == piece.text


def test_non_billable_code_is_never_final_without_a_flag(engine) -> None:
    result = engine.suggest("Assessment: fracture of the right radius after a fall.")
    for item in result.suggestions:
        assert item.billable or any(flag.kind in ("needs_specificity", "seventh_character") for flag in item.flags)
    fracture = next(item for item in result.suggestions if item.code.startswith("S52"))
    assert len(fracture.code.replace(".", "")) == 7  # the 7th character was added
    assert any(flag.kind == "seventh_character" for flag in fracture.flags)


def test_category_resolves_to_the_child_the_note_supports(engine) -> None:
    result = engine.suggest("Assessment: fracture of the left radius.")
    fracture = next(item for item in result.suggestions if item.code.startswith("S52"))
    assert "left" in fracture.description.lower()


def test_excludes1_pairs_are_flagged(engine) -> None:
    result = engine.suggest("Assessment: type 1 diabetes. Type 2 diabetes.")
    flagged = {item.code for item in result.suggestions if any(flag.kind == "excludes1" for flag in item.flags)}
    assert {"E10.9", "E11.9"} <= flagged


def test_use_additional_and_code_first_notes_surface_as_flags(engine) -> None:
    result = engine.suggest("Type 2 diabetes with stage 3 CKD.")
    combination = suggestion(result, "E11.22")
    use_additional = [flag for flag in combination.flags if flag.kind == "use_additional"]
    assert use_additional and "N18.1" in use_additional[0].message
    stage = suggestion(result, "N18.30")
    assert any(flag.kind == "code_first" for flag in stage.flags)


def test_scores_are_probabilities_and_ranks_are_in_reporting_order(engine) -> None:
    result = engine.suggest(NOTE)
    scores = [item.score for item in result.suggestions]
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert [item.rank for item in result.suggestions] == list(range(1, len(scores) + 1))
    # proposed codes first (reporting order, rank 1 first-listed), the listed ones after by score
    proposed = [item.proposed for item in result.suggestions]
    assert proposed == sorted(proposed, reverse=True)
    listed = [item.score for item in result.suggestions if not item.proposed]
    assert listed == sorted(listed, reverse=True)
    roles = [item.role for item in result.suggestions]
    assert roles[0] == "first_listed" and set(roles[1:]) <= {"secondary"}


def test_output_matches_the_documented_schema(engine) -> None:
    data = engine.suggest(NOTE, note_id="n1").to_dict()
    assert set(data) == {
        "note_id",
        "code_set",
        "model",
        "setting",
        "suggestions",
        "excluded",
        "release_before_date",
        "documentation",
    }
    # the release that coded the note, by its own name (the bundled one is the FY2026 April 1, 2026 update)
    assert data["code_set"] == "ICD-10-CM FY2026 (April 1, 2026)" and data["note_id"] == "n1"
    first = data["suggestions"][0]
    assert set(first) == {
        "rank",
        "code",
        "description",
        "score",
        "billable",
        "evidence",
        "flags",
        "rationale",
        "role",
        "poa",
        "proposed",
        "replaces",
        "hcc",
    }
    assert set(first["evidence"][0]) == {"start", "end", "text", "section", "assertion"}
    assert set(data["excluded"][0]) == {"code", "reason", "evidence"}


def test_text_without_medical_content_gives_an_empty_well_formed_result(engine) -> None:
    result = engine.suggest("The quick brown fox jumps over the lazy dog. Meeting at noon on Tuesday.")
    assert result.suggestions == () and result.excluded == ()


def test_a_note_in_another_language_does_not_fail(engine) -> None:
    result = engine.suggest("Paciente de 45 años con dolor torácico y fiebre desde hace tres días.")
    assert isinstance(result, NoteSuggestions)


def test_top_limits_the_suggestions(engine) -> None:
    assert len(engine.suggest(NOTE, top=2).suggestions) == 2


def test_suggest_many_keeps_order_and_reports_bad_notes(engine) -> None:
    from suggest.errors import EmptyNoteError

    results = list(
        engine.suggest_many(
            [("a", "Hypertension.", "outpatient"), ("b", "  ", "outpatient"), ("c", "Asthma.", "inpatient")]
        )
    )
    assert results[0].note_id == "a" and "I10" in codes(results[0])
    assert isinstance(results[1], EmptyNoteError)
    assert results[2].note_id == "c" and results[2].setting == "inpatient"
