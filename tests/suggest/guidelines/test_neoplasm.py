"""Neoplasms (I.C.2): secondary sites via the Neoplasm Table, Z17 per receptor, current vs history (I.C.2.m),
Z51.11 (I.C.2.e.2), G89.3 (I.C.6.b.5)."""

from __future__ import annotations

from suggest.guidelines.neoplasm import (
    chemotherapy_encounter,
    code_neoplasms,
    neoplasm_pain,
    receptor_status_codes,
    secondary_site_codes,
)
from suggest.types import Exclusion
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_metastatic_to_a_site_is_secondary(vocabulary, note):
    """I.C.2 / Neoplasm Table: "metastatic to bone and liver", "brain metastases" -> C79.51, C78.7, C79.31."""
    view = note("Assessment and Plan:\nBreast cancer metastatic to bone and liver. Brain metastases.\n")
    found = {item.code for item in secondary_site_codes(view, vocabulary.index("neoplasm"), vocabulary.codeset)}
    assert found == {"C79.51", "C78.7", "C79.31"}


def test_one_receptor_status_code_per_receptor(note):
    """Tabular C50 / Z17 (FY2026): ER+, PR+, HER2- -> Z17.0, Z17.21, Z17.32 (not a combined Z17.4- code)."""
    codes = {item.code for item in receptor_status_codes(note("Pathology: IDC, ER+/PR+/HER2-negative.\n"))}
    assert codes == {"Z17.0", "Z17.21", "Z17.32"}
    assert {item.code for item in receptor_status_codes(note("Triple-negative breast cancer.\n"))} == {
        "Z17.1",
        "Z17.22",
        "Z17.32",
    }


def test_chemotherapy_encounter_and_neoplasm_pain(note):
    """I.C.2.e.2: Z51.11 for a chemotherapy visit (first-listed); I.C.6.b.5: G89.3 for pain due to the cancer."""
    view = note("Chief Complaint:\nHere for cycle 3 of chemotherapy. Pain due to bone metastases.\n")
    found = chemotherapy_encounter(view)
    assert found is not None and found.code == "Z51.11" and found.sequence == "first"
    pain = neoplasm_pain(view)
    assert pain is not None and pain.code == "G89.3"


def test_still_treated_malignancy_is_current_not_history(vocabulary):
    """I.C.2.m: breast cancer on anastrozole is current (C50.912), not history (Z85.3)."""
    text = "History of left breast cancer, on anastrozole.\n"
    draft = draft_of(("Z85.3", 0.6, [mention(text, "breast cancer", ("C50.912",), assertion="historical")]))
    evidence = draft.entries[0].mentions[0].evidence
    draft.excluded.append(
        Exclusion("C50.912", "personal history (condition no longer present): coded as Z85.3", evidence)
    )
    code_neoplasms(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert "C50.912" in draft and "Z85.3" not in draft


def test_laterality_and_unspecified_site(vocabulary):
    """I.C.2 / I.C.2.k: "L breast" cancer takes the left-side code; C80.1 gives way to a code with a site."""
    text = "Assessment: Invasive ductal carcinoma of L breast, upper-outer quadrant. Cancer.\n"
    draft = draft_of(
        ("C50.419", 0.8, [mention(text, "carcinoma of L breast, upper-outer quadrant", ("C50.419",))]),
        ("C80.1", 0.5, [mention(text, "Cancer", ("C80.1",))]),
    )
    code_neoplasms(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    assert draft.codes() == ["C50.412"]


def test_i_c_2_the_unspecified_site_statement_is_the_site_codes_own_words(vocabulary):
    """I.C.2: "L breast cancer (upper-outer quadrant)" in the history and "Metastatic breast CA (L)" in the
    assessment are one neoplasm: C50.912 gives way to C50.412, which keeps the assessment's words (so it is
    proposed as a stated diagnosis)."""
    text = "HPI: L breast cancer, upper-outer quadrant.\nA/P:\n2. Metastatic breast CA (L) to bone.\n"
    statement = mention(text, "breast CA", ("C50.912",))
    draft = draft_of(
        ("C50.412", 0.54, [mention(text, "breast cancer", ("C50.412",), section="history_of_present_illness")]),
        ("C50.912", 0.74, [statement]),
    )
    code_neoplasms(draft, context_of(vocabulary.codeset, text, draft, vocabulary=vocabulary))
    site = draft.get("C50.412")
    assert "C50.912" not in draft and site is not None
    assert statement in site.mentions and "C50.912" in site.replaces


def test_each_whole_note_pattern_is_pre_checked_with_words_its_matches_hold():
    """A note holding none of a pattern's words is not scanned with it: every match holds one of them (one example
    per alternative of each pattern)."""
    import re

    from suggest.guidelines import neoplasm
    from suggest.guidelines.folding import folded, says_any

    cases = [
        (
            neoplasm._CHEMO_RE,
            [neoplasm._CHEMO_WORDS],
            "here for chemo; presents for C3 cycle; C2D1; cycle 3 day 1 of "
            "FOLFOX chemotherapy; chemo infusion today; receiving cycle today",
        ),
        (
            neoplasm._NEOPLASM_PAIN_RE,
            [neoplasm._NEOPLASM_PAIN_WORDS, neoplasm._NEOPLASM_WORDS],
            "cancer-related pain; "
            "tumour pain; neoplasm associated pain; malignant pain; metastatic pain; oncologic pain; pain due to bone "
            "mets; pain from the tumor",
        ),
        (
            neoplasm._CURRENT_TREATMENT_RE,
            [neoplasm._CURRENT_TREATMENT_WORDS],
            "on chemotherapy; currently radiation; "
            "receiving immunotherapy; continues hormonal therapy; started endocrine therapy; taking anastrozole; on "
            "letrozole; on exemestane; on tamoxifen; undergoing adjuvant",
        ),
        (neoplasm._SPREAD_RE, [neoplasm._SPREAD_WORDS], "metastatic; mets to liver; mets in; bone mets"),
        (
            neoplasm._NO_DISEASE_RE,
            [neoplasm._NO_DISEASE_WORDS],
            "no evidence of recurrence; NED; disease-free; in "
            "remission; completed adjuvant chemo; surveillance; undetectable",
        ),
    ]
    for pattern, word_lists, examples in cases:
        for example in examples.split("; "):
            matches = list(pattern.finditer(example))
            assert matches, example
            for match in matches:
                said = all(says_any(folded(match.group()), words) for words in word_lists)
                cycle_day = pattern is neoplasm._CHEMO_RE and neoplasm._CYCLE_DAY_HINT_RE.search(match.group())
                assert said or cycle_day, match.group()
    assert neoplasm._CYCLE_DAY_HINT_RE.search("c12d3") and re.search(r"\bbreast\b", "BREAST", re.I)
