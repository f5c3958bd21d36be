"""Combination codes from the Alphabetic Index's "with" / "due to" subterms (I.A.15, I.B.9, I.C.4.a, I.C.1.d).

The Index lists, under a main term, the conditions it is classified "with": Diabetes, type 2 > with > chronic
kidney disease -> E11.22; Hypertension > with > heart failure -> I11.0; Sepsis > Escherichia coli -> A41.51.
The "with" convention (I.A.15) presumes the link when both conditions are documented, anywhere in the note,
unless the provider says they are unrelated. This step reads those links from the imported Index (nothing is
hand-written): when the draft holds the main term's code (or a code of the same category, for links within it)
and another documented condition whose words cover the subterm's, the combination code is added and

- the main term's own code leaves the list (E11.9 once E11.22 applies), listed as the combination's
  ``replaces``;
- the other condition leaves it too, unless the Tabular List asks for it beside the combination ("use
  additional code to identify stage of chronic kidney disease (N18.1-N18.6)") or the Index prints it as a
  manifestation code in brackets (E11.43 [K31.84]);
- an organism subterm (Sepsis > Escherichia coli) combines only with an organism code of B95-B97 (I.C.1.d).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.registry import guideline_steps
from suggest.rules import RuleContext, billable_code
from suggest.types import Mention
from vocab.codes import normalize_code
from vocab.codeset import CodeSet, parse_code_references
from vocab.errors import ChartcoderError
from vocab.text import STOPWORDS, normalize_tokens, normalized_words

__all__ = ["IndexLink", "combine_with_index", "index_links"]

# Hypertension's combinations (I11-I13) are decided by the hypertension step from I.C.9.a, which also places
# the CKD stage; the Index's "Hypertension > with" subterms only point there.
_OWN_STEP_BASES = ("I10", "I11", "I12", "I13", "I15", "I16", "I1A")
_ORGANISM_CATEGORIES = ("B95", "B96", "B97")
_STEM = 7
# I.A.15: "... unless the documentation clearly states the conditions are unrelated".
_UNRELATED = re.compile(r"unrelated|not (?:due to|related to|caused by|from|secondary to|associated with)")
_IGNORED_WORDS = STOPWORDS | {"due", "without", "type", "mellitus"}
# Words too general to say which condition a subterm means on their own ("due to drug", "disease NEC").
_GENERIC_WORDS = frozenset(
    "disease disorder drug condition complication syndrome state acute chronic other specified nec involvement "
    "cause causes classified elsewhere".split()
)
_CATCH_ALL = re.compile(r"\b(?:nec|specified|other|classified elsewhere)\b", re.IGNORECASE)
# Not conditions a combination code absorbs: status, history and encounter Z codes and external causes.
_NOT_COMBINED = ("Z", "V", "W", "X", "Y")
# A title's clause from "without" to its end: the conditions the code says are absent (I.A.15).
_WITHOUT_CLAUSE = re.compile(r"\bwithout\b.*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class IndexLink:
    """One Index path from a main term's code to the code of the main term "with" another condition."""

    base: str  # the main term's code (E11.9)
    combination: str  # the code the Index gives for the pair (E11.22), maybe a category to complete
    words: frozenset[str]  # the other condition's words, from the subterms below "with" ("chronic kidney disease")
    manifestations: tuple[str, ...]  # codes the Index prints in brackets beside it (code them too)
    organism: bool  # a direct subterm (an organism), not under "with" / "due to"
    path: str  # the Index path, for the rationale
    # the category the subterm's words have as a main term of their own ("dermatitis" -> L30): the other
    # condition must be that one, not a different condition sharing the word (contact dermatitis, L23)
    target: str | None = None


@guideline_steps.register("chartcoder.guidelines.combination.v1")
def combine_with_index(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """Build the combination codes the Index's "with" subterms name for conditions documented anywhere in the
    note (I.A.15 "with", I.B.9 multiple coding, I.C.4.a diabetes, I.C.1.d sepsis by organism)."""
    index = context.index("index")
    if index is None:
        return
    links = index_links(index, context.codeset)
    rule_context = RuleContext(
        codeset=context.codeset, setting=context.setting, text=context.text, history_code=context.history_code
    )
    originals = list(draft.entries)  # combinations never combine again: no chains
    said = _SaidForms(originals, context)
    for base_entry in originals:
        if base_entry not in draft.entries:
            continue  # already folded into a combination
        for link_group in _links_for(base_entry.code, links):
            _apply_best(draft, base_entry, originals, link_group, said, context, rule_context)


def _links_for(code: str, links: dict[str, list[IndexLink]]) -> list[list[IndexLink]]:
    """The link lists that start from ``code``: its own, and (within its category) its category's base code."""
    groups = []
    if code in links:
        groups.append(links[code])
    category = code[:3]
    for base, found in links.get(_CATEGORY_KEY + category, {}).items():  # type: ignore[union-attr]
        if base != code:
            groups.append(found)
    return groups


def _apply_best(
    draft: CodeSetDraft,
    base_entry: DraftCode,
    originals: list[DraftCode],
    links: list[IndexLink],
    said: _SaidForms,
    context: GuidelineContext,
    rule_context: RuleContext,
) -> None:
    by_key, link_keys = _links_by_key(links)
    for position, other in enumerate(originals):
        if other is base_entry or other not in draft.entries or base_entry not in draft.entries:
            continue
        if other.code[:3] == base_entry.code[:3] or other.code.startswith(_NOT_COMBINED):
            continue  # a sibling is the same finding (one_per_finding), not another condition
        words, stems, keys = said.of(position)
        reachable = {link for key in keys & link_keys for link in by_key[key]}
        matching = [
            link
            for link in reachable
            if (link.target is None or other.code[:3] == link.target)
            and link.words
            and _covered(link.words, words, stems)
            and (not link.organism or other.code.startswith(_ORGANISM_CATEGORIES))
        ]
        if not matching or _said_unrelated(other, context):
            continue
        link = max(matching, key=lambda found: (len(found.words), -len(found.combination), found.path))
        _combine(draft, base_entry, other, link, context, rule_context)


def _combine(
    draft: CodeSetDraft,
    base_entry: DraftCode,
    other: DraftCode,
    link: IndexLink,
    context: GuidelineContext,
    rule_context: RuleContext,
) -> None:
    codeset = context.codeset
    mentions = [*base_entry.mentions, *(m for m in other.mentions if m not in base_entry.mentions)]
    try:
        code, flag = billable_code(link.combination, mentions, rule_context)
    except ChartcoderError:
        return
    if code == other.code or code == base_entry.code:
        return
    combination = DraftCode(
        code=code,
        score=min(base_entry.score, other.score) * 0.5 + max(base_entry.score, other.score) * 0.5,
        mentions=list(mentions),
        flags=[flag] if flag else [],
    )
    components = []
    if base_entry.code == link.base or codeset.codes[base_entry.code].description.lower().endswith(
        ("without complications", "unspecified")
    ):
        components.append(base_entry.code)
    if not _kept_beside(other.code, code, link, codeset):
        components.append(other.code)
    section = "I.C.1.d" if link.organism else "I.A.15"
    kept = draft.replace(components, combination, section, f"combination code: Index {link.path}")
    kept.score = max(kept.score, base_entry.score if base_entry.code in components else kept.score)


class _SaidForms:
    """Each original entry's words, their stems and both together (the keys its links are looked up by), as the
    step found the entry, worked out when the entry is first read as the other condition of a link: most entries
    never are. (A combination merged into a listed code adds mentions to it: they do not count.)"""

    def __init__(self, originals: list[DraftCode], context: GuidelineContext) -> None:
        self._context = context
        self._found = [(entry.code, list(entry.mentions)) for entry in originals]
        self._forms: list[tuple[set[str], set[str], set[str]] | None] = [None] * len(originals)

    def of(self, position: int) -> tuple[set[str], set[str], set[str]]:
        """The forms of ``originals[position]``."""
        forms = self._forms[position]
        if forms is None:
            words = _said_words(*self._found[position], self._context)
            stems = {word[:_STEM] for word in words if len(word) >= _STEM}
            forms = self._forms[position] = (words, stems, words | stems)
        return forms


def _links_by_key(links: list[IndexLink]) -> tuple[dict[str, list[IndexLink]], frozenset[str]]:
    """The links by their longest word (its 7-letter stem when that long): an entry only tries the links whose
    key word it says (built once per link list); and those keys as a set, which an entry's words meet in one set
    intersection."""
    cached = _BY_KEY.get(id(links))
    if cached is not None and cached[0] is links:
        return cached[1], cached[2]
    by_key: dict[str, list[IndexLink]] = {}
    for link in links:
        if not link.words:
            continue
        key = max(sorted(link.words), key=len)
        by_key.setdefault(key[:_STEM] if len(key) >= _STEM else key, []).append(link)
    _BY_KEY[id(links)] = (links, by_key, frozenset(by_key))
    return by_key, frozenset(by_key)


_BY_KEY: dict[int, tuple[list[IndexLink], dict[str, list[IndexLink]], frozenset[str]]] = {}


def _covered(wanted: frozenset[str], words: set[str], stems: set[str]) -> bool:
    """Every wanted word is said, as such or as a word of the same 7-letter stem ("hyperosmolar" for the Index's
    "hyperosmolarity")."""
    return all(word in words or (len(word) >= _STEM and word[:_STEM] in stems) for word in wanted)


def _kept_beside(other: str, combination: str, link: IndexLink, codeset: CodeSet) -> bool:
    """Whether ``other`` stays beside the combination: the Tabular List ("use additional code", "code first",
    "code also") or the Index (a bracketed code) asks for it, or it says more than the combination does (I12.9
    beside E11.22)."""
    said = set(normalize_tokens(codeset.codes[combination].description)) | link.words
    own = set(normalize_tokens(codeset.codes[other].description)) - _IGNORED_WORDS - _GENERIC_WORDS
    if own - said - {"unspecified", "site"}:
        return True
    if any(other.startswith(code.rstrip("-").rstrip(".")) for code in link.manifestations):
        return True
    notes = [
        note
        for field in ("use_additional", "code_first", "code_also")
        for where, note in codeset.inherited_notes(combination, field)
        if not where.startswith("chapter")
    ]
    return any(reference.covers(other) for note in notes for reference in parse_code_references(note))


def _said_words(code: str, mentions: list[Mention], context: GuidelineContext) -> set[str]:
    """What the note and the code's title say the patient has.

    A title's "without ..." clause names what the code leaves out ("viral hepatitis C without hepatic coma",
    "hernia without obstruction or gangrene"): the "with" convention links two conditions the note documents
    (I.A.15), so those words count only where the note itself says them on the line of the code's mention
    ("cholelithiasis, obstructing stone"), never on the title's word alone ("HCV" is no hepatic coma)."""
    title = context.codeset.codes[code].description
    clause = _WITHOUT_CLAUSE.search(title)
    words = set(normalized_words(title[: clause.start()] if clause else title))
    said_on_lines: set[str] = set()
    for mention in mentions:
        if mention.assertion in ("negated", "family", "hypothetical"):
            continue
        words.update(normalized_words(mention.term))
        for piece in mention.evidence:
            words.update(normalized_words(piece.text))
        if clause:
            start, end = _line_around(mention.start, context)
            said_on_lines.update(word[:_STEM] for word in normalize_tokens(context.text[start:end]))
    if clause:
        words.update(word for word in normalize_tokens(clause.group(0)) if word[:_STEM] in said_on_lines)
    return words


def _line_around(offset: int, context: GuidelineContext) -> tuple[int, int]:
    start = context.lowered.rfind("\n", 0, offset) + 1
    end = context.lowered.find("\n", offset)
    return start, end if end != -1 else len(context.lowered)


def _said_unrelated(entry: DraftCode, context: GuidelineContext) -> bool:
    text = context.lowered
    for mention in entry.mentions:
        window = text[max(0, mention.start - 80) : mention.end + 80]
        if _UNRELATED.search(window):
            return True
    return False


def index_links(index: Any, codeset: CodeSet) -> dict[str, list[IndexLink]]:
    """Base code -> its Index links (built once per imported Index)."""
    cached = derived_table("combination.index_links", index, codeset)
    if "links" not in cached:
        cached["links"] = _index_links(index, codeset)
    links: dict[str, list[IndexLink]] = cached["links"]
    return links


_CATEGORY_KEY = "category:"


def _index_links(index: Any, codeset: CodeSet) -> dict[str, Any]:
    """Base code -> links, and "category:E11" -> {base code: its links within that category}."""
    links: dict[str, Any] = {}
    for term in index.terms:
        if term.parent is None:
            continue
        parent = index.terms[term.parent]
        base = _valid(parent.codes[0], codeset) if parent.codes else None
        if base is None or base.startswith(_OWN_STEP_BASES):
            continue
        if term.title.lower() == "with" or (term.title.lower() == "due to" and not base.startswith("R")):
            for path, below in _below(index, term.id):
                target = _own_category(index, path[0], codeset) if len(path) == 1 else None
                _add_links(links, base, below, path, index.path(below.id), codeset, organism=False, target=target)
        elif term.codes and parent.parent is None:
            _add_links(links, base, term, (term.title,), index.path(term.id), codeset, organism=True)
    by_category: dict[str, dict[str, list[IndexLink]]] = {}
    for base, found in links.items():
        if not _is_default_code(codeset.codes[base].description):
            continue  # only a category's default code ("without complications") stands for the whole category
        within = [link for link in found if link.combination[:3] == base[:3]]
        if within:
            by_category.setdefault(_CATEGORY_KEY + base[:3], {})[base] = within
    links.update(by_category)
    return links


def _add_links(
    links: dict[str, list[IndexLink]],
    base: str,
    term: Any,
    titles: tuple[str, ...],
    full_path: tuple[str, ...],
    codeset: CodeSet,
    organism: bool,
    target: str | None = None,
) -> None:
    if any(_CATCH_ALL.search(title) for title in titles):
        return  # "specified disease NEC": says nothing a note's words can match
    words = frozenset(word for title in titles for word in normalize_tokens(title) if word not in _IGNORED_WORDS)
    if not words - _GENERIC_WORDS:
        return
    for printed in term.codes[:1]:
        combination = _valid(printed, codeset)
        if combination is None:
            continue
        manifestations = tuple(code for code in term.manifestation if code)
        links.setdefault(base, []).append(
            IndexLink(base, combination, words, manifestations, organism, " > ".join(full_path), target)
        )


def _own_category(index: Any, title: str, codeset: CodeSet) -> str | None:
    """The category of the main term spelled like ``title`` ("Polyneuropathy" -> G62), or None."""
    term = index.find(title)
    if term is None or not term.codes:
        return None
    code = _valid(term.codes[0], codeset)
    return code[:3] if code is not None else None


def _below(index: Any, term_id: int, depth: int = 3) -> list[tuple[tuple[str, ...], Any]]:
    """(titles below the "with" term, term) for each coded subterm down to ``depth`` levels."""
    found: list[tuple[tuple[str, ...], Any]] = []
    stack: list[tuple[tuple[str, ...], Any]] = [((child.title,), child) for child in index.children(term_id)]
    while stack:
        titles, term = stack.pop()
        if term.codes:
            found.append((titles, term))
        if len(titles) < depth:
            stack.extend(((*titles, child.title), child) for child in index.children(term.id))
    return found


def _is_default_code(title: str) -> bool:
    lowered = title.lower()
    return (" without complication" in lowered or "unspecified" in lowered) and " with " not in lowered


def _valid(printed: str, codeset: CodeSet) -> str | None:
    text = printed.rstrip("-").rstrip(".")
    try:
        code = normalize_code(text)
    except ChartcoderError:
        return None
    return code if code in codeset.codes else None
