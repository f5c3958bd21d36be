"""I.C.19.d.4: a code for each burn site; T30 (body region unspecified) only when no site is coded."""

from suggest.guidelines.burns import drop_unspecified_burn_region
from tests.suggest.guidelines.conftest import context_of, draft_of, mention


def test_i_c_19_d_4_unspecified_region_leaves_when_a_site_is_coded(codeset):
    text = "Assessment: second degree burn of left forearm. Burn care.\n"
    draft = draft_of(
        ("T22.212A", 0.8, [mention(text, "second degree burn of left forearm", ("T22.212A",))]),
        ("T30.0", 0.6, [mention(text, "Burn care", ("T30.0",))]),
    )
    drop_unspecified_burn_region(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["T22.212A"]
    assert draft.excluded[0].code == "T30.0"
    assert "I.C.19.d.4" in draft.excluded[0].reason


def test_i_c_19_d_4_unspecified_region_stays_without_a_site(codeset):
    text = "Assessment: burn, site not documented.\n"
    draft = draft_of(("T30.0", 0.6, [mention(text, "burn", ("T30.0",))]))
    drop_unspecified_burn_region(draft, context_of(codeset, text, draft))
    assert draft.codes() == ["T30.0"]
