"""Neoplasms (I.C.2) through the Neoplasm Table, receptor status, history and chemotherapy encounters.

- Secondary sites: "metastatic to the liver", "mets to bone", "bone metastases" name a site whose Neoplasm
  Table row gives the "Malignant Secondary" column (bone -> C79.51), laterality from the note's words.
- Receptor status (Tabular C50 "use additional code": FY2026 one code per receptor): ER Z17.0 / Z17.1,
  PR Z17.21 / Z17.22, HER2 Z17.31 / Z17.32; the combined Z17.4- codes give way to them.
- Current malignancy versus history (I.C.2.d, I.C.2.m): a personal history code (Z85) is wrong while the
  malignancy is still treated (hormone therapy, chemotherapy, radiation) or has spread; the active code
  comes back. A primary documented as excised / treated with no evidence of disease becomes its Z85 code.
- A chemotherapy encounter gets Z51.11 (I.C.2.e.2: sequenced first); pain said to be due to the neoplasm
  gets G89.3 (I.C.6.b.5).
"""

from __future__ import annotations

import re

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.folding import folded_note, says_any, text_says_any
from suggest.guidelines.index_walk import best_subterm, billable_choice, expanded_words
from suggest.guidelines.note import AddedCode, NoteView, add_codes, guideline_mention, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet
from vocab.index import AlphabeticIndex

__all__ = ["chemotherapy_encounter", "neoplasm_pain", "receptor_status_codes", "secondary_site_codes"]

GUIDELINE = "I.C.2"
HISTORY_GUIDELINE = "I.C.2.m"
CHEMO_GUIDELINE = "I.C.2.e.2"
PAIN_GUIDELINE = "I.C.6.b.5"
_SECONDARY_RE = re.compile(
    r"\b(?:metasta\w*|mets|spread)\s+(?:disease\s+)?(?:to|in|into|involving)\s+(?:the\s+)?(?:(?:left|right|[lr])\s+)?"
    r"(?P<site>[a-z][a-z ,]{1,50}?)(?=\s*(?:;|\.|\)|$|with|without|from|\n))"
    r"|\b(?P<site2>bone|bony|osseous|liver|hepatic|lung|pulmonary|brain|adrenal|nodal|lymph node|peritoneal|pleural)"
    r"\s+(?:metasta\w*|mets)\b",
    re.IGNORECASE,
)
# Every match of _SECONDARY_RE holds one of these words (folded: suggest/guidelines/folding.py).
_SECONDARY_WORDS = ("metasta", "mets", "spread")
_SITE_WORDS = {
    "bony": "bone",
    "osseous": "bone",
    "hepatic": "liver",
    "pulmonary": "lung",
    "nodal": "lymph node",
    "peritoneal": "peritoneum",
    "pleural": "pleura",
    "nodes": "lymph node",
    "node": "lymph node",
}
_RECEPTOR_RE = {
    "ER": re.compile(r"\b(?:ER|estrogen receptor)\s*(?:\(\s*)?(?P<sign>\+|-|positive|negative|pos|neg)", re.I),
    "PR": re.compile(r"\b(?:PR|PgR|progesterone receptor)\s*(?:\(\s*)?(?P<sign>\+|-|positive|negative|pos|neg)", re.I),
    "HER2": re.compile(
        r"\bHER-?2(?:/neu|-neu)?\s*(?:\(\s*)?(?P<sign>\+|-|positive|negative|pos|neg|not amplified)", re.I
    ),
}
_ER_PR_RE = re.compile(r"\bER\s*/\s*PR\s*(?P<sign>\+|-|positive|negative)", re.IGNORECASE)
_TRIPLE_NEGATIVE_RE = re.compile(r"\btriple[- ]negative\b", re.IGNORECASE)
_RECEPTOR_CODES = {
    ("ER", True): "Z17.0",
    ("ER", False): "Z17.1",
    ("PR", True): "Z17.21",
    ("PR", False): "Z17.22",
    ("HER2", True): "Z17.31",
    ("HER2", False): "Z17.32",
}
_CHEMO_RE = re.compile(
    r"\b(?:(?:here|presents?|admitted|scheduled|arrives?) for (?:\w+ ){0,3}(?:chemo\w*|cycle)|"
    r"C\d+D\d+|cycle \d+(?: day \d+)? of (?:\w+ ){0,3}chemo\w*|chemo\w* infusion today|"
    r"receiv\w+ (?:cycle|chemo\w*) today)",
    re.IGNORECASE,
)
_NEOPLASM_PAIN_RE = re.compile(
    r"\b(?:cancer|tumou?r|neoplasm|malignan\w*|metasta\w*|oncologic)[- ](?:related |associated )?pain\b|"
    r"\bpain (?:due to|from|secondary to|related to|2/2) (?:\w+ ){0,3}"
    r"(?:cancer|tumou?r|neoplasm|malignan\w*|metasta\w*|mets)",
    re.IGNORECASE,
)
_CURRENT_TREATMENT_RE = re.compile(
    r"\b(?:on|currently|receiving|undergoing|continues?|continuing|started|taking)\s+(?:\w+\s+){0,3}"
    r"(?:chemo\w*|radiation|immunotherapy|hormon\w+ therapy|endocrine therapy|anastrozole|letrozole|exemestane|"
    r"tamoxifen|adjuvant)\b",
    re.IGNORECASE,
)
# "mets" alone is ambiguous ("<4 METs" is exercise capacity): only "metastatic", "metastases", "mets to".
_SPREAD_RE = re.compile(r"\bmetasta\w*|\bmets (?:to|in)\b|\b(?:bone|liver|brain|lung|nodal) mets\b", re.IGNORECASE)
_NO_DISEASE_RE = re.compile(
    r"\b(no evidence of (?:disease|recurrence|malignancy)|NED|disease[- ]free|in remission|completed (?:\w+ ){0,2}"
    r"(?:treatment|chemo\w*|radiation|therapy)|surveillance|undetectable)\b",
    re.IGNORECASE,
)


# Every match of each whole-note pattern below holds one of its words (folded; suggest/guidelines/folding.py): a
# note holding none is not scanned with it (a scan of a note costs 0.1-0.2 ms a pattern).
_CHEMO_WORDS = ("chemo", "cycle")  # or a cycle and day "C2D1": _CYCLE_DAY_HINT_RE
_CYCLE_DAY_HINT_RE = re.compile(r"[cC]\d+[dD]\d")
_NEOPLASM_PAIN_WORDS = ("pain",)
_NEOPLASM_WORDS = ("cancer", "tumo", "neoplasm", "malignan", "metasta", "oncologic", "mets")
_CURRENT_TREATMENT_WORDS = (
    "chemo",
    "radiation",
    "therapy",
    "anastrozole",
    "letrozole",
    "exemestane",
    "tamoxifen",
    "adjuvant",
)
_SPREAD_WORDS = ("metasta", "mets")
_NO_DISEASE_WORDS = ("no evidence of", "ned", "disease", "remission", "completed", "surveillance", "undetectable")


def _may_say(note: NoteView, *word_lists: tuple[str, ...]) -> bool:
    """Whether the note holds a word of each of ``word_lists`` (a pattern's match holds one of each)."""
    lowered = folded_note(note)
    return all(says_any(lowered, words) for words in word_lists)


def secondary_site_codes(note: NoteView, table: AlphabeticIndex, codeset: CodeSet) -> list[AddedCode]:
    """Secondary malignant neoplasm codes for the sites a note says the cancer spread to."""
    main = table.find("Neoplasm, neoplastic") if table.main_terms() else None
    if main is None or not text_says_any(note.text, _SECONDARY_WORDS):
        return []  # most notes name no spread: no scan of the note with the pattern
    added: dict[str, AddedCode] = {}
    for match in _SECONDARY_RE.finditer(note.text):
        group = "site" if match.group("site") else "site2"
        for site in re.split(r",|\band\b", match.group(group).lower()):
            site = _SITE_WORDS.get(site.strip(), site.strip())
            around = note.text[max(0, match.start() - 20) : match.end()]
            found = best_subterm(table, main, expanded_words(site)) if site else None
            printed = dict(found[0].columns).get("malignant_secondary") if found else None
            code = billable_choice(codeset, printed, expanded_words(f"{site} {around}")) if printed else None
            if found is None or code is None or code in added:
                continue
            title = " > ".join(table.path(found[0].id))
            evidence = (note.evidence(match.start(), match.end()),)
            why = f"'metastatic to' a site is secondary: Neoplasm Table row '{title}', column Malignant Secondary"
            added[code] = AddedCode(code, evidence, why, GUIDELINE)
    return list(added.values())


def receptor_status_codes(note: NoteView) -> list[AddedCode]:
    """Z17 codes, one per receptor the note states (ER, PR, HER2)."""
    found: dict[str, AddedCode] = {}

    def put(receptor: str, positive: bool, start: int, end: int) -> None:
        code = _RECEPTOR_CODES[(receptor, positive)]
        if receptor not in found:
            why = f"{receptor} {'positive' if positive else 'negative'} (Tabular C50: use additional code, Z17)"
            found[receptor] = AddedCode(code, (note.evidence(start, end),), why, GUIDELINE)

    for match in _TRIPLE_NEGATIVE_RE.finditer(note.text):
        for receptor in ("ER", "PR", "HER2"):
            put(receptor, False, match.start(), match.end())
    for match in _ER_PR_RE.finditer(note.text):
        for receptor in ("ER", "PR"):
            put(receptor, _positive(match.group("sign")), match.start(), match.end())
    for receptor, pattern in _RECEPTOR_RE.items():
        for match in pattern.finditer(note.text):
            put(receptor, _positive(match.group("sign")), match.start(), match.end())
    return list(found.values())


def _positive(sign: str) -> bool:
    return sign.lower() in ("+", "positive", "pos")


def chemotherapy_encounter(note: NoteView) -> AddedCode | None:
    if not _may_say(note, _CHEMO_WORDS) and not _CYCLE_DAY_HINT_RE.search(note.text):
        return None
    match = _CHEMO_RE.search(note.text)
    if match is None:
        return None
    return AddedCode(
        "Z51.11",
        (note.evidence(match.start(), match.end()),),
        "encounter for antineoplastic chemotherapy",
        CHEMO_GUIDELINE,
        sequence="first",
    )


def neoplasm_pain(note: NoteView) -> AddedCode | None:
    if not _may_say(note, _NEOPLASM_PAIN_WORDS, _NEOPLASM_WORDS):
        return None
    match = _NEOPLASM_PAIN_RE.search(note.text)
    if match is None:
        return None
    return AddedCode(
        "G89.3", (note.evidence(match.start(), match.end()),), "pain documented as due to the neoplasm", PAIN_GUIDELINE
    )


@guideline_steps.register("chartcoder.guidelines.neoplasm.v1")
def code_neoplasms(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Secondary sites from the Neoplasm Table, Z17 receptor status, current vs history (I.C.2.d, I.C.2.m),
    Z51.11 (I.C.2.e.2) and G89.3 (I.C.6.b.5)."""
    note = note_of(context)
    codeset = context.codeset
    table = context.index("neoplasm")
    added: list[AddedCode] = []
    if table is not None:
        added += secondary_site_codes(note, table, codeset)
    malignant = bool(draft.in_category("C", "Z85")) or any(item.code.startswith("C") for item in added)
    if malignant and (
        draft.in_category("C50", "Z85.3")
        or (_may_say(note, ("breast",)) and re.search(r"\bbreast\b", context.text, re.I))
    ):
        receptors = receptor_status_codes(note)
        if receptors:
            for entry in draft.in_category("Z17"):
                if entry.code not in {item.code for item in receptors}:
                    draft.remove(entry.code, f"one Z17 code per receptor stated ({GUIDELINE}; Tabular Z17)")
            added += receptors
    if malignant:
        added += [found for found in (chemotherapy_encounter(note), neoplasm_pain(note)) if found is not None]
        _current_or_history(draft, context)
    add_codes(draft, added, codeset, threshold=context.threshold)
    _drop_unspecified_site(draft)
    _laterality(draft, context)


def _laterality(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """A neoplasm code takes the side the note gives its site ("L breast" -> left), from its sibling codes."""
    codeset = context.codeset
    for entry in list(draft.in_category("C", "D0", "D1", "D2", "D3", "D4")):
        record = codeset.codes[entry.code]
        title = record.description
        if record.parent is None or not re.search(r"\b(right|left|unspecified)\b", title):
            continue
        words: set[str] = set()
        for mention in entry.mentions:
            words |= expanded_words(context.text[max(0, mention.start - 30) : mention.end + 30])
        sides = words & {"left", "right"}
        if len(sides) != 1:
            continue
        side = sides.pop()
        wanted = re.sub(
            r"\b(right|left|unspecified)(?= (?:female |male )?(?:breast|lung|bronchus|kidney|ovary|"
            r"testis|eye|adrenal|side))",
            side,
            title,
        )
        if wanted == title:
            continue
        parent = codeset.codes[record.parent].parent or record.parent
        sibling = next((c.code for c in codeset.billable_descendants(parent) if c.description == wanted), None)
        if sibling is not None and sibling not in draft:
            replacement = DraftCode(code=sibling, score=entry.score, mentions=list(entry.mentions))
            kept = draft.replace([entry.code], replacement, GUIDELINE, f"{side} side documented")
            kept.replaces[:] = [code for code in kept.replaces if code != sibling]


def _drop_unspecified_site(draft: CodeSetDraft) -> None:
    """C80.1 (malignant neoplasm, unspecified) and C79.9 (secondary, unspecified site) give way to a neoplasm
    code with its site (I.C.2.k: C80.1 only when no site can be determined)."""
    sited = [e for e in draft.in_category("C", "Z85") if not e.code.startswith(("C80", "C79.9"))]
    if sited:
        for entry in draft.in_category("C80.1", "C79.9"):
            draft.remove(entry.code, f"the neoplasm's site is documented ({sited[0].code}) (I.C.2.k)")
    # an "unspecified site of breast" code gives way to a code of the same category naming the site
    for entry in list(draft.in_category("C50.9")):
        sites = [other for other in draft.in_category("C50") if not other.code.startswith("C50.9")]
        if sites:
            # the same neoplasm: its words (the diagnosis statement "breast CA") are the site code's too
            site = next((other for other in sites if other.code[-1] == entry.code[-1]), sites[0])
            draft.replace([entry.code], site, GUIDELINE, f"a more specific site of the same neoplasm than {entry.code}")


def _current_or_history(draft: CodeSetDraft, context: GuidelineContext) -> None:
    text, note = context.text, note_of(context)
    treated = (_may_say(note, _CURRENT_TREATMENT_WORDS) and bool(_CURRENT_TREATMENT_RE.search(text))) or bool(
        draft.in_category("Z79.81", "Z51.1")
    )
    spread = _may_say(note, _SPREAD_WORDS) and bool(_SPREAD_RE.search(text))
    if treated or spread:
        # I.C.2.m: still treated or spread: the malignancy is current, not history
        for entry in draft.in_category("Z85"):
            restored = _excluded_active(draft, entry.code)
            if restored is None:
                continue
            draft.remove(
                entry.code, f"the malignancy is still treated: coded as current {restored.code} ({HISTORY_GUIDELINE})"
            )
            kept = draft.add(restored)
            kept.cite(HISTORY_GUIDELINE, "malignancy still under treatment: current, not history")
        return
    if _may_say(note, _NO_DISEASE_WORDS) and _NO_DISEASE_RE.search(text):
        # I.C.2.d: excised or eradicated, no further treatment, no evidence of disease -> Z85
        for entry in [entry for entry in draft.in_category("C") if not entry.code.startswith(("C77", "C78", "C79"))]:
            history = context.history_code("personal", entry.code, "resolved")
            if history is None:
                continue
            replacement = DraftCode(code=history, score=entry.score, mentions=list(entry.mentions))
            draft.replace([entry.code], replacement, "I.C.2.d", "primary excised / treated, no evidence of disease")


def _excluded_active(draft: CodeSetDraft, history: str) -> DraftCode | None:
    """The active malignancy code a history code was made from (kept among the exclusions with its evidence)."""
    for exclusion in draft.excluded:
        if exclusion.code.startswith("C") and history in exclusion.reason and exclusion.evidence:
            mention = guideline_mention(exclusion.evidence, exclusion.code)
            entry = draft.get(history)
            return DraftCode(code=exclusion.code, score=entry.score if entry else 0.6, mentions=[mention])
    return None
