"""Poisoning, adverse effect, underdosing and toxic effects from the Table of Drugs and Chemicals (I.C.19.e.5)."""

from __future__ import annotations

import pytest

from suggest.guidelines.drugs import drug_event_codes


@pytest.fixture(scope="module")
def run(vocabulary, note):
    def codes(text: str) -> dict[str, str]:
        found = drug_event_codes(note(text), vocabulary.index("drug"), vocabulary.codeset)
        return {item.code: item.guideline for item in found}

    return codes


def test_intentional_overdose_is_self_harm_poisoning(run):
    """I.C.19.e.5.b: an intentional acetaminophen overdose -> T39.1X2A (the Table's intentional column)."""
    assert run("History of Present Illness:\nIntentional overdose of acetaminophen, about 40 tablets.\n") == {
        "T39.1X2A": "I.C.19.e.5.b"
    }


def test_poisoning_without_stated_intent_is_accidental(run):
    """I.C.19.e.5.b: intent unknown or unspecified -> accidental (T..1)."""
    assert "T39.1X1A" in run("History of Present Illness:\nToddler ingested acetaminophen tablets.\n")


def test_adverse_effect_of_a_prescribed_drug(run):
    """I.C.19.e.5.a: hyperkalemia due to lisinopril taken as prescribed -> T46.4X5A (after the manifestation)."""
    assert run("Assessment and Plan:\nHyperkalemia due to lisinopril.\n") == {"T46.4X5A": "I.C.19.e.5.a"}


def test_underdosing_with_its_noncompliance_reason(run):
    """I.C.19.e.5.c: ran out of furosemide, could not afford it -> T50.1X6A + Z91.120."""
    found = run("History of Present Illness:\nRan out of furosemide 2 weeks ago because she could not afford it.\n")
    assert found == {"T50.1X6A": "I.C.19.e.5.c", "Z91.120": "I.C.19.e.5.c"}


def test_toxic_effect_of_a_nonmedicinal_substance(run):
    """I.C.19.e.5.b / T51-T65: accidental carbon monoxide poisoning -> T58.91XA."""
    assert "T58.91XA" in run("History of Present Illness:\nCarbon monoxide poisoning from a faulty heater.\n")


def test_a_drug_merely_listed_gives_nothing(run):
    assert run("Medications:\nLisinopril 10 mg daily\nAssessment and Plan:\nHypertension, continue lisinopril.\n") == {}


def test_nonprescribed_drug_with_a_prescribed_one_is_poisoning(run):
    """I.C.19.e.5.b: lithium toxicity from an interaction with OTC ibuprofen -> poisoning (T43.591A, T39.311A),
    not adverse effects."""
    found = run(
        "History of Present Illness:\nOn chronic lithium; took OTC ibuprofen daily.\n"
        "Assessment and Plan:\nLithium toxicity due to interaction with ibuprofen.\n"
    )
    assert {"T43.591A", "T39.311A"} <= set(found)
    assert not any(code.endswith("5A") for code in found)


def test_a_cue_far_from_the_drug_does_not_count(run):
    """I.C.19.e.5: the drug must be what the poisoning / adverse-effect words are about."""
    text = (
        "Hospital Course:\nAlcohol intoxication on arrival, CIWA protocol started, later given thiamine, folate "
        "and a multivitamin, and a lidocaine patch for chest wall pain.\n"
    )
    assert not any(code.startswith("T41") for code in run(text))


def test_i_c_19_e_5_a_adverse_effect_named_in_a_hyphenated_word(run):
    """I.C.19.e.5.a: "steroid-induced hyperglycemia" is an adverse effect of the Table row 'Steroid' -> T38.0X5A."""
    assert run("Assessment and Plan:\nSteroid-induced hyperglycemia, no history of diabetes.\n") == {
        "T38.0X5A": "I.C.19.e.5.a"
    }


@pytest.mark.parametrize(
    "text",
    [
        "Assessment and Plan:\nOpen-angle glaucoma, IOP 14 mmHg in OD with timolol 0.5% drops; continue timolol.\n",
        "Assessment and Plan:\nAtrial fibrillation, on apixaban due to CHA2DS2-VASc of 4.\n",
        "Assessment and Plan:\nAsthma, well controlled on albuterol inhaler as needed.\n",
        "Assessment and Plan:\nDepression with suicidal ideation, no plan; started sertraline 50 mg.\n",
        "History of Present Illness:\nFell at home while intoxicated, sent home with a lidocaine patch.\n",
        "Assessment and Plan:\nType 2 diabetes; discussed the side effects of metformin.\n",
        "Assessment and Plan:\nType 2 diabetes, metformin side effects reviewed with the patient.\n",
    ],
)
def test_i_c_19_e_5_a_a_drug_merely_taken_gives_no_t_code(run, text):
    """I.C.19.e.5: a drug correctly prescribed and taken, with no effect stated as caused by it, is no poisoning
    ("OD" the right eye, "suicidal" ideation, a patient "intoxicated", an inhaler's route) and no adverse effect
    (a drug given "due to" its indication, side effects only discussed): no T code at all."""
    assert run(text) == {}


def test_i_c_19_e_5_b_overdose_abbreviated_od_on_a_drug(run):
    """I.C.19.e.5.b: "OD on heroin" is an overdose (poisoning, accidental when no intent is stated)."""
    assert "T40.1X1A" in run("History of Present Illness:\nFound down after he OD on heroin.\n")


def test_i_c_19_e_5_b_inhaled_nonmedicinal_substance_is_a_toxic_effect(run):
    """I.C.19.e.5.b / T51-T65: inhaling a nonmedicinal substance (carbon monoxide) is a toxic effect."""
    assert "T58.91XA" in run("History of Present Illness:\nInhaled carbon monoxide from a faulty heater.\n")


def test_i_c_19_e_5_a_effect_from_drug_therapy(run):
    """I.C.19.e.5.a: "hyperglycemia from steroid use" states the effect as caused by the drug -> T38.0X5A."""
    assert run("Assessment and Plan:\nHyperglycemia from steroid use.\n") == {"T38.0X5A": "I.C.19.e.5.a"}


def test_i_c_19_e_5_a_adverse_effect_manifestation_is_coded_from_the_index(vocabulary, note):
    """I.C.19.e.5.a: "code first the nature of the adverse effect": the effect the sentence names ("rash" of
    "rash due to amoxicillin") gets its Alphabetic Index code (Rash R21) beside the T code when no listed code
    reads it; the drug's T code follows it."""
    from suggest.guidelines.drugs import code_drug_events

    from .conftest import context_of, draft_of

    text = "Assessment and Plan:\n1. Diffuse rash due to amoxicillin, taken as prescribed. Stop amoxicillin.\n"
    draft = draft_of()
    code_drug_events(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert {"T36.0X5A", "R21"} <= set(draft.codes())
    rash = draft.get("R21")
    assert rash is not None and any("I.C.19.e.5.a" in why for why in rash.notes)


def test_i_c_19_e_5_a_a_listed_manifestation_is_not_added_again(vocabulary, note):
    """I.C.19.e.5.a: an effect a listed code already reads (the ranker's E87.5 for "hyperkalemia") gets no
    second code from the Index."""
    from suggest.guidelines.drugs import code_drug_events

    from .conftest import context_of, draft_of, mention

    text = "Assessment and Plan:\nHyperkalemia due to lisinopril, hold lisinopril.\n"
    draft = draft_of(("E87.9", 0.7, [mention(text, "Hyperkalemia", ("E87.9",))]))
    code_drug_events(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert "T46.4X5A" in draft.codes()
    assert "E87.5" not in draft.codes()


def test_i_c_19_e_5_a_a_decreased_function_is_the_index_loss_of_it(vocabulary, note):
    """I.C.19.e.5.a: "decreased appetite due to metformin" is the Index's "Loss (of), appetite" R63.0, coded first
    beside the adverse-effect T code."""
    from suggest.guidelines.drugs import code_drug_events

    from .conftest import context_of, draft_of

    text = "Assessment and Plan:\n2. Decreased appetite due to metformin, taking as prescribed.\n"
    draft = draft_of()
    code_drug_events(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert {"R63.0", "T38.3X5A"} <= set(draft.codes())


def test_i_c_19_e_5_b_both_drugs_an_interaction_names_are_poisonings(run):
    """I.C.19.e.5.b: toxicity from "the interaction of prescribed warfarin with OTC naproxen she bought herself"
    is a poisoning by both drugs, the nonprescribed one too (T39.311A for naproxen, a propionic acid derivative),
    although no cause word stands right before it."""
    found = run(
        "Assessment and Plan:\nSupratherapeutic INR with hematuria from the interaction of prescribed warfarin with "
        "nonprescribed OTC naproxen.\n"
    )
    assert "T45.511A" in found and "T39.311A" in found


def test_each_event_pattern_runs_on_the_sentences_holding_its_own_words():
    """A sentence runs only the event patterns whose words it holds: every match of each pattern holds one of that
    pattern's words (one example per alternative), and so does every match of the nonprescribed pattern."""
    from suggest.guidelines import drugs
    from suggest.guidelines.folding import folded, says_any

    examples = (
        "ran out; run out; running out; out of his meds; out of refills; missed a dose; missed doses; skipping; "
        "skipped; stopped taking; not taking; not been taking; noncompliant; non-compliance; nonadherent; "
        "non-adherence; underdosing; under-dosed; taking less; taking half; cut back; cut down; rationing; "
        "self-discontinued; unable to afford; couldn't afford; cannot afford; overdose; OD on; OD of; poisoning; "
        "ingestion; swallowed; intoxication; intoxicated with; took 30 tablets; took a handful; took several; "
        "took an entire; intentionally took; deliberately ingested; purposely swallowed; suicide attempt; self-harm; "
        "self harm; wrong medication; wrong route; medication error; dosing error; given in error; by mistake; "
        "accidentally took; accidental ingestion; accidentally given; exposure to; exposed to; inhaled; inhalation; "
        "inhaling; due to; secondary to; 2/2; caused by; attributed to; related to; reaction to; adverse effect of; "
        "adverse drug reactions to; toxicity from; from her therapy; from the steroid use; from use; induced; "
        "toxicity; side effects; side-effect; adverse reaction"
    ).split("; ")
    nonprescribed = ["OTC", "over-the-counter", "over the counter", "nonprescribed", "not prescribed", "on her own"]
    cues = (*drugs._EVENT_CUES, (drugs._NONPRESCRIBED_RE, drugs._NONPRESCRIBED_WORDS))
    for pattern, words in cues:
        assert all(word == folded(word) for word in words)
        for example in (*examples, *nonprescribed, "interaction"):
            for match in pattern.finditer(example):
                assert says_any(folded(match.group()), words), (pattern.pattern, match.group())
    assert all(any(pattern.search(example) for pattern, _ in drugs._EVENT_CUES) for example in examples)
    assert all(drugs._NONPRESCRIBED_RE.search(example) for example in nonprescribed)
