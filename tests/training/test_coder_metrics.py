"""The families issue 14 reports apart (Z79, Z88, Z80-Z87, status, T36-T50, external causes, O, Z3A)."""

from __future__ import annotations

from training.coder_metrics import CoderGold, coder_report, reported_families, score_coder_note


def test_reported_families_sum_their_member_families():
    """Z80-Z87 sums the family (Z80-Z84) and personal (Z85-Z87) history codes; a family no note holds is zero."""
    gold = CoderGold.of("I10", ["I10", "Z82.49", "Z87.891", "Z79.01", "W01.0XXA"], must_not=["Z86.73"])
    note = score_coder_note(
        "n1", "outpatient", gold, ["I10", "Z82.49", "Z86.73", "Z79.01"], ["I10", "Z82.49", "Z86.73"]
    )
    report = coder_report([note], lambda code: ("9", "chapter"))
    families = reported_families(report.by_family)
    history = families["Z80-Z87"]
    assert (history.core, history.core_at_10, history.proposed, history.proposed_correct) == (2, 1, 2, 1)
    assert history.must_not_proposed == 1
    assert families["Z79"].recall_at_10 == 1.0 and families["Z79"].recall_proposed == 0.0
    assert families["external cause"].core == 1 and families["external cause"].recall_at_10 == 0.0
    assert families["Z3A"].core == 0
    assert list(families) == ["Z79", "Z88", "Z80-Z87", "status", "T36-T50", "external cause", "O", "Z3A"]
    assert report.to_dict()["reported_families"]["Z80-Z87"]["core"] == 2
