"""External causes (I.C.20) from the External Cause Index: mechanism, place, activity, status."""

from __future__ import annotations

import pytest

from suggest.guidelines.external_cause import external_cause_codes


@pytest.fixture(scope="module")
def run(vocabulary, note):
    def codes(text: str, seventh: str = "A") -> set[str]:
        found = external_cause_codes(note(text), vocabulary.index("eindex"), vocabulary.codeset, seventh)
        assert all(item.sequence == "after" for item in found)  # I.C.20.a: never first-listed
        return {item.code for item in found}

    return codes


def test_mechanism_place_activity_status_at_the_initial_encounter(run):
    """I.C.20.a / b / c / k: a dog bite on the sidewalk -> W54.0XXA + Y92.480; a restaurant cook at work ->
    Y92.511, Y93.G3, Y99.0."""
    assert {"W54.0XXA", "Y92.480"} <= run("History of Present Illness:\nBitten by a dog on the sidewalk.\n")
    found = run("History of Present Illness:\nBurned while cooking at the restaurant, at work as a line cook.\n")
    assert {"Y92.511", "Y93.G3", "Y99.0"} <= found


def test_fall_from_a_ladder(run):
    """I.C.20.a: the External Cause Index 'Fall, falling > in, on > ladder' gives W11."""
    assert "W11.XXXA" in run("History of Present Illness:\nFell from a ladder, injuring the wrist.\n")


def test_place_activity_status_only_at_the_initial_encounter(run):
    """I.C.20.b / c / k: place, activity and status codes are reported once, at the initial encounter."""
    found = run("History of Present Illness:\nBitten by a dog on the sidewalk while at work.\n", seventh="D")
    assert not any(code.startswith(("Y92", "Y93", "Y99")) for code in found)


def test_no_external_cause_without_an_injury(vocabulary):
    """I.C.20: an external cause code explains an injury; "fall risk" with no injury coded gets none."""
    from suggest.guidelines.external_cause import code_external_causes
    from tests.suggest.guidelines.conftest import context_of, draft_of, mention

    text = "Assessment: Delirium. High fall risk.\n"
    draft = draft_of(
        ("F05", 0.8, [mention(text, "Delirium", ("F05",))]),
        ("W19.XXXA", 0.5, [mention(text, "fall", ("W19.XXXA",))]),
    )
    code_external_causes(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert draft.codes() == ["F05"]


def test_i_c_20_k_occupation_in_the_social_history_is_no_work_status(run):
    """I.C.20.k: Y99.0 is for an injury during work for pay; 'works as a paralegal' in the social history says
    nothing of this event."""
    found = run(
        "History of Present Illness:\nBitten by a dog on the sidewalk.\nSocial History:\nWorks as a paralegal.\n"
    )
    assert "Y99.0" not in found


def test_i_c_20_k_leisure_activity_is_other_external_cause_status(run):
    """I.C.20.k: an activity done as a favour or for leisure is Y99.8, not Y99.0."""
    found = run("History of Present Illness:\nBitten by a dog on the sidewalk, walking it as a favor for a friend.\n")
    assert "Y99.8" in found
    assert "Y99.0" not in found


def test_hot_liquid_splashed_on_the_skin_is_contact_with_it(run):
    """I.C.20.a: "hot oil splashed onto his forearm" is External Cause Index "Contact, with, hot, oil (cooking)"
    X10.2XXA (a splash or spill of a hot liquid is contact with it)."""
    found = run("History of Present Illness:\nHe was frying when hot oil splashed onto his L forearm.\n")
    assert "X10.2XXA" in found


def test_the_activity_the_injury_interrupted(run):
    """I.C.20.c: "was walking her neighbor's dog" names the activity (Activity, walking, an animal Y93.K1); a dog
    named only as what startled ("a skateboarder startled the dog") names none."""
    text = "History of Present Illness:\nShe was walking her neighbor's dog (on leash) when it bit her R calf.\n"
    assert "Y93.K1" in run(text)
    text = "History of Present Illness:\nBitten on the R calf when a skateboarder startled the dog.\n"
    assert not any(code.startswith("Y93") for code in run(text))


def test_i_c_20_b_an_injury_at_work_happened_at_the_named_workplace(run):
    """I.C.20.b: an injury the narrative says happened at work took place at the workplace the note names
    ("Employer: ... factory" -> Place of occurrence, factory Y92.63); without the at-work statement the employer
    line says nothing of where the injury happened."""
    at_work = "Employer: furniture factory.\nHistory of Present Illness:\nCut his hand on a blade at work.\n"
    assert "Y92.63" in run(at_work)
    elsewhere = "Employer: furniture factory.\nHistory of Present Illness:\nCut his hand on a knife while hiking.\n"
    assert "Y92.63" not in run(elsewhere)
