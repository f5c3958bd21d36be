"""The headings of a note as written ("DISCHARGE DIAGNOSES", "Findings:", "Electronically signed by:").

The engine's sectionizer names the sections a code's evidence sits in; the completeness checks need the
headings themselves (a discharge summary's "Disposition", an op note's "Findings", which the sectionizer files
under broader names or none). :func:`section_starts` maps them to the sectionizer's names for a note read
without the spaCy pipeline (tests, ``NoteFacts.from_text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from suggest.components.sections import load_section_rules

__all__ = ["Heading", "headings", "section_starts"]

# "Findings:" / "Pre-operative Diagnosis: ..." (a title of at most six words before a colon at a line start),
# or a line in capitals alone ("HOSPITAL COURSE").
_COLON_HEADING_RE = re.compile(r"^[ \t#*]*([A-Za-z][A-Za-z0-9 /&()'\-]{0,60}?)[ \t]*:", re.MULTILINE)
_CAPS_HEADING_RE = re.compile(r"^[ \t#*]*([A-Z][A-Z0-9 /&()'\-]{2,60}?)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Heading:
    start: int
    end: int
    title: str  # lower case, single spaces

    def matches(self, pattern: re.Pattern[str]) -> bool:
        return pattern.search(self.title) is not None


def headings(text: str) -> list[Heading]:
    """Every heading, in text order."""
    found: dict[int, Heading] = {}
    for pattern in (_COLON_HEADING_RE, _CAPS_HEADING_RE):
        for match in pattern.finditer(text):
            title = " ".join(match.group(1).lower().split())
            if title and len(title.split()) <= 6:
                found.setdefault(match.start(1), Heading(match.start(1), match.end(1), title))
    return [found[start] for start in sorted(found)]


@lru_cache(maxsize=1)
def _section_names() -> dict[str, str]:
    return {literal: name for name, literals in load_section_rules().items() for literal in literals}


def section_starts(text: str) -> tuple[tuple[int, str], ...]:
    """(offset, section name) for each heading the sectionizer's rules know, for a note read without spaCy."""
    names = _section_names()
    return tuple((heading.start, names[heading.title]) for heading in headings(text) if heading.title in names)
