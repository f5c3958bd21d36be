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
    ],
)
def test_personal_history_code(histories, code, expected):
    """I.C.21.c.4: a condition that no longer exists gets its history code; a chronic one keeps its code."""
    assert histories.code_for("personal", code) == expected


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
