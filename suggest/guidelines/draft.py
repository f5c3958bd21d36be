"""The working code set that guideline steps edit: :class:`DraftCode` entries and the :class:`CodeSetDraft`."""

from __future__ import annotations

from dataclasses import dataclass, field

from suggest.types import Evidence, Exclusion, Flag, Mention, PoaIndicator, Role

__all__ = ["CodeSetDraft", "DraftCode"]


@dataclass(eq=False)  # identity: two entries are the same entry, not two entries with equal fields
class DraftCode:
    """A code on its way to being reported.

    ``score``: the ranker's calibrated confidence (a combination code takes the best of its components');
    ``mentions``: the note's words behind it; ``notes``: rationale fragments, each naming its guideline section;
    ``sections``: the Official Guidelines sections applied to it ("I.C.9.a.2"); ``replaces``: component codes a
    combination code stands for; ``refined_from``: the less specific codes the specificity step replaced with this
    one; ``role``/``poa``/``proposed``: set by the sequencing and POA steps.
    """

    code: str
    score: float
    mentions: list[Mention]
    flags: list[Flag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    # the less specific codes this entry was refined from (I.B.1): their mentions are this code's own words
    refined_from: list[str] = field(default_factory=list)
    role: Role = "secondary"
    poa: PoaIndicator | None = None
    proposed: bool = False
    # the confidence on the model's scale where a guideline rule raised ``score`` to place the code in reporting
    # order (:func:`suggest.guidelines.note.add_codes`); None: ``score`` is the model's confidence
    confidence: float | None = None

    @property
    def calibrated_score(self) -> float:
        """The code's confidence on the ranker's scale (``score`` unless a rule placed the code): never above it."""
        return self.score if self.confidence is None else min(self.confidence, self.score)

    def cite(self, section: str, note: str) -> None:
        """Record that guideline ``section`` shaped this code, and why (shown in the rationale)."""
        if section not in self.sections:
            self.sections.append(section)
        text = f"{note} ({section})"
        if text not in self.notes:
            self.notes.append(text)

    def absorb(self, other: DraftCode) -> None:
        """Take ``other``'s mentions (its evidence now supports this code) and the better score."""
        self.mentions.extend(mention for mention in other.mentions if mention not in self.mentions)
        if self.confidence is not None or other.confidence is not None:
            self.confidence = max(self.calibrated_score, other.calibrated_score)
        self.score = max(self.score, other.score)
        for code in (*other.replaces, other.code):
            if code != self.code and code not in self.replaces:
                self.replaces.append(code)


@dataclass
class CodeSetDraft:
    """The codes being assembled, in working order, and the findings left out with the reason.

    Steps add, replace, remove and reorder entries; only :meth:`remove` and :meth:`replace` take a code out,
    so every code that leaves is accounted for (``excluded`` with its reason, or ``replaces`` on the code
    that stands for it).
    """

    entries: list[DraftCode]
    excluded: list[Exclusion] = field(default_factory=list)

    def codes(self) -> list[str]:
        return [entry.code for entry in self.entries]

    def get(self, code: str) -> DraftCode | None:
        return next((entry for entry in self.entries if entry.code == code), None)

    def __contains__(self, code: object) -> bool:
        return any(entry.code == code for entry in self.entries)

    def in_category(self, *prefixes: str) -> list[DraftCode]:
        """Entries whose code starts with any of ``prefixes`` ("I50", "N18.3")."""
        return [entry for entry in self.entries if entry.code.startswith(prefixes)]

    def add(self, entry: DraftCode) -> DraftCode:
        """Add a code, or merge it into the entry already holding that code; the entry kept is returned."""
        existing = self.get(entry.code)
        if existing is None:
            self.entries.append(entry)
            return entry
        existing.absorb(entry)
        existing.flags.extend(entry.flags)
        existing.notes.extend(note for note in entry.notes if note not in existing.notes)
        existing.sections.extend(section for section in entry.sections if section not in existing.sections)
        return existing

    def remove(self, code: str, reason: str) -> DraftCode | None:
        """Take ``code`` out of the list into ``excluded`` with ``reason`` (which names its guideline section)."""
        entry = self.get(code)
        if entry is None:
            return None
        self.entries.remove(entry)
        self.excluded.append(Exclusion(code, reason, _evidence(entry.mentions)))
        return entry

    def replace(self, components: list[str], combination: DraftCode, section: str, note: str) -> DraftCode:
        """``combination`` stands for ``components``: they leave the list and are listed as its ``replaces``."""
        kept = self.add(combination)
        for code in components:
            entry = self.get(code)
            if entry is None or entry is kept:
                continue
            self.entries.remove(entry)
            kept.absorb(entry)
        kept.cite(section, note)
        return kept


def _evidence(mentions: list[Mention]) -> tuple[Evidence, ...]:
    seen: dict[tuple[int, int], Evidence] = {}
    for mention in mentions:
        for piece in mention.evidence:
            seen.setdefault((piece.start, piece.end), piece)
    return tuple(sorted(seen.values(), key=lambda piece: piece.start))
