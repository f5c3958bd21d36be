"""The infectious agent of an infection coded outside chapter 1, B95-B97 (I.C.1.b, I.A.13 "use additional code").

"Certain infections are classified in chapters other than Chapter 1 and no organism is identified as part of the
infection code. In these instances, it is necessary to use an additional code from Chapter 1 to identify the
organism. A code from category B95, B96 or B97 is to be used as an additional code" (I.C.1.b). The Tabular List
says which codes: their "use additional code (B95-B97) to identify infectious agent" note (N30, N39.0, L00-L08 ...).

Data first: the organisms and their codes are the Alphabetic Index's "Infection, bacterial NOS / virus, viral NOS,
as cause of disease classified elsewhere" subterms ("Escherichia coli [E. coli]" B96.20, "Staphylococcus, aureus,
methicillin resistant (MRSA)" B95.62), read once per imported Index with their bracketed short forms and
non-essential modifiers. An organism counts for a listed code whose note asks for it when the note names it on a
line that states that code's condition ("Acute cystitis d/t E. coli"): the most specific name there wins. A B95-B97
code already listed, or a combination code that names the organism itself (no such note), adds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from suggest.guidelines.context import GuidelineContext
from suggest.guidelines.derived import derived_table
from suggest.guidelines.draft import CodeSetDraft, DraftCode
from suggest.guidelines.note import AddedCode, NoteView, add_codes, note_of
from suggest.guidelines.registry import guideline_steps
from vocab.codeset import CodeSet, parse_code_references
from vocab.index import AlphabeticIndex, IndexTerm

__all__ = ["GUIDELINE", "OrganismNames", "organism_names"]

GUIDELINE = "I.C.1.b"
_AGENT_CATEGORIES = ("B95", "B96", "B97")
_AGENT_PARENTS = ("bacterial", "virus")  # "Infection, bacterial NOS" / "Infection, virus, viral NOS"
_AS_CAUSE = "as cause of disease classified elsewhere"
_CATCH_ALL_RE = re.compile(r"\b(?:nec|nos|specified|other)\b", re.IGNORECASE)
_BRACKETED_RE = re.compile(r"\[([^\]]+)\]")
_ACRONYM_RE = re.compile(r"^[A-Z][A-Z0-9-]{2,}$")  # "MRSA", "MSSA": a name of its own
_SEPARATOR_RE = re.compile(r"[\s.]+")
_SKIPPED_ASSERTIONS = ("negated", "family", "hypothetical")
# An organism denied or still to be found ("negative for E. coli", "r/o MRSA") is no cause the note states.
_DENIED_RE = re.compile(r"\b(?:no|not|negative for|neg for|r/o|rule out|ruled out)\s+(?:[\w.]+\s+){0,2}$", re.I)
_DENIAL_REACH = 30


@dataclass(frozen=True)
class OrganismNames:
    """Every organism name the Index gives a B95-B97 code, as one compiled pattern (longest names first)."""

    pattern: re.Pattern[str]
    codes: dict[str, tuple[str, str]]  # normalised name -> (printed code, Index path)

    def named_in(self, text: str, start: int, end: int) -> list[tuple[int, int, str, str]]:
        """(start, end, code, Index path) of each organism named in ``text[start:end]``."""
        found = []
        for match in self.pattern.finditer(text, start, end):
            code, path = self.codes[_normalised(match.group())]
            found.append((match.start(), match.end(), code, path))
        return found


def organism_names(index: AlphabeticIndex) -> OrganismNames | None:
    """The Index's organism names (built once per imported Index); None when it has no such entries."""
    cached = derived_table("organisms.names", index)
    if "names" not in cached:
        cached["names"] = _build_names(index)
    names: OrganismNames | None = cached["names"]
    return names


def _build_names(index: AlphabeticIndex) -> OrganismNames | None:
    infection = next((term for term in index.main_terms() if term.title.lower().startswith("infection")), None)
    if infection is None:
        return None
    codes: dict[str, tuple[str, str]] = {}
    for parent in index.children(infection.id):
        if not parent.title.lower().startswith(_AGENT_PARENTS):
            continue
        for below in index.children(parent.id):
            if below.title.lower() == _AS_CAUSE:
                _collect(index, below, (), codes)
    if not codes:
        return None
    alternatives = sorted(codes, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w])(?:"
        + "|".join(r"[\s.]*".join(map(re.escape, name.split())) for name in alternatives)
        + r")(?![\w])",
        re.IGNORECASE,
    )
    return OrganismNames(pattern, codes)


def _collect(
    index: AlphabeticIndex, term: IndexTerm, above: tuple[str, ...], codes: dict[str, tuple[str, str]]
) -> None:
    """Each subterm's names: its title under its parents' ("Staphylococcus aureus"), its bracketed short form
    ("E. coli"), an acronym modifier ("MRSA") and a species modifier ("Proteus mirabilis")."""
    for child in index.children(term.id):
        if _CATCH_ALL_RE.search(child.title):
            continue  # "specified NEC" names no organism
        title = _BRACKETED_RE.sub("", child.title).strip()
        names = [" ".join((*above, title))]
        names += [short for short in _BRACKETED_RE.findall(child.title)]
        for modifier in child.nemod:
            names.append(modifier if _ACRONYM_RE.match(modifier) else " ".join((*above, title, modifier)))
        if child.codes and child.codes[0].startswith(_AGENT_CATEGORIES):
            path = " > ".join(index.path(child.id))
            for name in names:
                key = _normalised(name)
                if len(key) >= 4 and key not in codes:
                    codes[key] = (child.codes[0], path)
        _collect(index, child, (*above, title), codes)


def _normalised(name: str) -> str:
    return _SEPARATOR_RE.sub(" ", name.lower()).strip()


def _asks_for_agent(codeset: CodeSet, code: str) -> bool:
    """Whether the code's Tabular notes say "use additional code (B95-B97) to identify infectious agent" (read
    once per code of a code set)."""
    known = derived_table("organisms.asks_for_agent", codeset)
    if code not in known:
        known[code] = any(
            reference.first.startswith(_AGENT_CATEGORIES)
            for _, note in codeset.inherited_notes(code, "use_additional")
            for reference in parse_code_references(note)
        )
    asks: bool = known[code]
    return asks


def _agent_for(entry: DraftCode, note: NoteView, names: OrganismNames) -> tuple[int, int, str, str] | None:
    """The most specific organism named on a line that states the entry's condition."""
    found: list[tuple[int, int, str, str]] = []
    lines = set()
    for mention in entry.mentions:
        for piece in mention.evidence:
            if piece.assertion in _SKIPPED_ASSERTIONS:
                continue
            start = note.text.rfind("\n", 0, piece.start) + 1
            end = note.text.find("\n", piece.end)
            lines.add((start, len(note.text) if end < 0 else end))
    for start, end in sorted(lines):
        found.extend(
            item
            for item in names.named_in(note.text, start, end)
            if not _DENIED_RE.search(note.text, max(start, item[0] - _DENIAL_REACH), item[0])
        )
    return max(found, key=lambda item: (item[1] - item[0], -item[0]), default=None)


@guideline_steps.register("chartcoder.guidelines.organisms.v1")
def code_infectious_agents(draft: CodeSetDraft, context: GuidelineContext) -> None:
    """B95-B97 for the organism of an infection whose code asks for it (I.C.1.b)."""
    index = context.index("index")
    if index is None or draft.in_category(*_AGENT_CATEGORIES):
        return
    asking = [entry for entry in draft.entries if _asks_for_agent(context.codeset, entry.code)]
    if not asking:
        return
    names = organism_names(index)
    if names is None:
        return
    note = note_of(context)
    added = []
    for entry in asking:
        found = _agent_for(entry, note, names)
        if found is None:
            continue
        start, end, printed, path = found
        code = printed.rstrip("-").rstrip(".")
        why = f"infectious agent of {entry.code} (its 'use additional code (B95-B97)' note): Alphabetic Index {path}"
        added.append(AddedCode(code, (note.evidence(start, end),), why, GUIDELINE, sequence="after"))
        break  # one agent code per organism named: the first infection that asks for it carries it
    add_codes(draft, added, context.codeset, threshold=context.threshold)
