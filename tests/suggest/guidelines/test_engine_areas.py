"""The issue-14 areas end to end through the engine (zero-shot, FY2026 with the Index and tables imported)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def engine(vocabulary):
    from suggest.pipeline import load_engine

    return load_engine(vocabulary, model="zero-shot")


NOTE = """Chief Complaint: diabetes follow-up.
Past Medical History: Type 2 diabetes mellitus. h/o CVA without residual deficits.
Family History: Mother with breast cancer.
Social History: Former smoker, quit 2010.
Medications:
Metformin 1000 mg BID
Insulin glargine 20 units nightly
Allergies: Amoxicillin (hives)
Assessment and Plan:
1. Type 2 diabetes mellitus without complications. Continue metformin and insulin.
"""


def test_history_status_drugs_and_allergies_in_one_note(engine):
    """I.C.21.c.4: h/o CVA -> Z86.73, never I63.9; family breast cancer -> Z80.3; former smoker -> Z87.891;
    I.C.4.a.3: Z79.4 + Z79.84; I.C.21.c.3: amoxicillin allergy -> Z88.0, not T78.40XA. Each with its evidence."""
    result = engine.suggest(NOTE)
    proposed = {item.code: item for item in result.suggestions if item.proposed}
    assert {"Z86.73", "Z80.3", "Z87.891", "Z79.4", "Z79.84", "Z88.0"} <= set(proposed)
    assert "I63.9" not in proposed and not any(code.startswith("T78") for code in proposed)
    assert proposed["Z79.84"].evidence[0].text.startswith("Metformin")
    assert "I.C.4.a.3" in proposed["Z79.84"].rationale
    assert any("Amoxicillin" in piece.text for piece in proposed["Z88.0"].evidence)
