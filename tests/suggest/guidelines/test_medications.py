"""Long-term drug therapy Z79 (I.C.21.c.3) and the insulin rules of I.C.4.a.3."""

from __future__ import annotations

import pytest

from suggest.guidelines.medications import long_term_drug_codes
from suggest.guidelines.tables import read_table


@pytest.fixture(scope="module")
def drugs(vocabulary):
    return vocabulary.index("drug")


def codes(added):
    return {item.code for item in added}


def test_insulin_and_oral_agent_give_both_codes(note, drugs):
    """I.C.4.a.3: insulin plus an oral hypoglycemic -> both Z79.4 and Z79.84."""
    view = note("Medications:\nMetformin 1000 mg PO BID\nInsulin glargine 20 units at bedtime\n")
    added = long_term_drug_codes(view, drugs)
    assert {"Z79.4", "Z79.84"} <= codes(added)
    insulin = next(item for item in added if item.code == "Z79.4")
    assert insulin.guideline == "I.C.4.a.3"
    assert [piece.text for piece in insulin.evidence] == ["Insulin", "glargine 20 units at bedtime"]


def test_temporary_inpatient_insulin_gives_no_z79_4(note, drugs):
    """I.C.4.a.3: insulin given temporarily in hospital to control a type 2 patient's glucose: no Z79.4."""
    view = note(
        "Hospital Course:\nShe was started on sliding scale insulin while inpatient.\n"
        "Medications:\nGlipizide 5 mg daily\n"
    )
    added = codes(long_term_drug_codes(view, drugs))
    assert "Z79.4" not in added
    assert "Z79.84" in added


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ("Apixaban 5 mg BID", "Z79.01"),  # reviewed table (the Table of Drugs lacks apixaban)
        ("Warfarin 5 mg daily", "Z79.01"),  # Table of Drugs row Warfarin -> T45.51 anticoagulants
        ("Clopidogrel 75 mg daily", "Z79.02"),
        ("Aspirin 81 mg daily", "Z79.82"),
        ("ASA 81 mg", "Z79.82"),  # reviewed table: ASA = acetylsalicylic acid (Table of Drugs row Aspirin)
        ("Prednisone 10 mg daily", "Z79.52"),  # T38.0 glucocorticoids
        ("Oxycodone 5 mg q6h", "Z79.891"),  # T40.2 other opioids
        ("Anastrozole 1 mg daily", "Z79.811"),
        ("Tamoxifen 20 mg daily", "Z79.810"),
        ("Ozempic 1 mg weekly", "Z79.85"),
    ],
)
def test_drug_class_gives_its_long_term_code(note, drugs, line, code):
    """I.C.21.c.3: a long-term medication gives the Z79 code of its class."""
    assert code in codes(long_term_drug_codes(note(f"Medications:\n{line}\n"), drugs))


def test_short_courses_and_as_needed_drugs_are_not_long_term(note, drugs):
    """I.C.21.c.3: Z79 is for drugs taken long term; a steroid taper or an as-needed NSAID is not."""
    view = note("Medications:\nPrednisone 40 mg daily x 5 days (taper)\nIbuprofen 400 mg PRN pain\n")
    assert long_term_drug_codes(view, drugs) == []


def test_an_organ_named_in_the_note_is_no_drug(note, drugs):
    """I.C.21.c.3: "adrenal" is a Table of Drugs row (adrenal extract, a glucocorticoid) and a Neoplasm Table site;
    "an adrenal hypodense mass on CT" names the organ, not a long-term steroid (no Z79.52)."""
    view = note("Imaging:\nAn adrenal hypodense mass was seen on CT.\nAssessment:\nAdrenal incidentaloma.\n")
    assert long_term_drug_codes(view, drugs) == []


def test_discontinued_or_allergy_drugs_give_nothing(note, drugs):
    """I.C.21.c.3: only drugs the patient currently takes."""
    view = note("Allergies:\nAspirin (hives)\nAssessment and Plan:\nWarfarin was discontinued last year.\n")
    assert long_term_drug_codes(view, drugs) == []


def test_reviewed_tables_hold_valid_codes_and_rows(vocabulary, drugs):
    """Every code in the reviewed tables is valid in FY2026; every named Table of Drugs row exists."""
    codeset = vocabulary.codeset
    for row in read_table("long_term_codes"):
        assert codeset.is_billable(row["code"]), row
    for row in read_table("drug_table_classes"):
        assert codeset.is_billable(row["code"]), row
    classes = {row["class"] for row in read_table("long_term_codes")}
    for row in read_table("drug_classes"):
        assert row["class"] in classes or row["class"] == "-", row
        assert row["table_row"] == "-" or drugs.find(*row["table_row"].split(", ")) is not None, row


def test_medication_list_under_an_unknown_heading(note, drugs):
    """I.C.21.c.3: a "DISCHARGE MEDS:" list is a medication list even where no section rule names it."""
    view = note("Hospital Course:\nImproved.\nDISCHARGE MEDS: insulin glargine 34 units qHS; metformin 500 mg BID.\n")
    assert {"Z79.4", "Z79.84"} <= codes(long_term_drug_codes(view, drugs))


def test_an_as_needed_analgesic_is_no_long_term_use_wherever_it_is_named(note, drugs):
    """I.C.21.c.3: ibuprofen listed PRN is not long-term NSAID use, even where the HPI names it again ("not
    relieved by home ibuprofen"); a dose taken hours ago is no regimen either."""
    view = note(
        "HPI: Pain not relieved by home oxycodone + ibuprofen.\nMeds: oxycodone 5 mg q6h prn, ibuprofen 400 mg prn\n"
    )
    assert not {"Z79.1", "Z79.891"} & codes(long_term_drug_codes(view, drugs))
    view = note("HPI: Fever to 39.1 at home (on ibuprofen 6 h ago).\n")
    assert "Z79.1" not in codes(long_term_drug_codes(view, drugs))


def test_a_steroid_course_by_day_is_not_long_term(note, drugs):
    """I.C.21.c.3: "prednisone 40 mg day 3/5" is a short course, not Z79.52."""
    view = note("A/P:\n1. COPD exacerbation - continue prednisone 40 mg day 3/5, azithromycin.\n")
    assert "Z79.52" not in codes(long_term_drug_codes(view, drugs))


def test_a_stated_long_term_therapy_gives_its_class_code(note, drugs):
    """I.C.21.c.3: "chronic pain on long-term opioid therapy" -> Z79.891, though the opioid is listed PRN; a
    denied one ("no long-term steroid use") gives nothing."""
    view = note("A/P: Chronic pain on long-term opioid therapy.\nMeds: oxycodone 5 mg q6h prn\n")
    assert "Z79.891" in codes(long_term_drug_codes(view, drugs))
    assert "Z79.52" not in codes(long_term_drug_codes(note("A/P: no long-term steroid use.\n"), drugs))


def test_i_c_21_c_3_a_drug_given_as_a_short_course_is_not_long_term(note, drugs):
    """I.C.21.c.3: Z79 is not for a medication given for a brief period to treat an acute illness: prednisone
    stated as "day 2/5" is that course wherever else the note says the patient is "on prednisone"."""
    view = note(
        "Subjective:\nGlucose 190s on prednisone.\n"
        "Assessment and Plan:\n1. Asthma exacerbation - prednisone 40 mg day 2/5, albuterol q4h prn.\n"
    )
    assert "Z79.52" not in codes(long_term_drug_codes(view, drugs))


def test_i_c_21_c_3_a_listed_regimen_stays_long_term_beside_a_short_course(note, drugs):
    """I.C.21.c.3: a steroid the medication list has as a regimen stays long-term even with a burst noted."""
    view = note(
        "Medications:\nPrednisone 5 mg daily\n"
        "Assessment and Plan:\n1. Asthma flare - prednisone burst 40 mg x 5 days, then back to 5 mg.\n"
    )
    assert "Z79.52" in codes(long_term_drug_codes(view, drugs))
