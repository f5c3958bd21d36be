"""What a guideline step may read about the note: :class:`GuidelineContext` (read-only)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from suggest.types import Candidate, Mention, Setting
from vocab.codeset import CodeSet

__all__ = ["GuidelineContext"]

# "\n", or ".", ";", ":" before a space; written from one character class, which re scans for fast (half the time
# of the alternation "\n|[.;:](?=\s)", the same matches)
_SENTENCE_END = re.compile(r"[\n.;:](?:(?<=\n)|(?=\s))")
_LINE_BREAK_RE = re.compile(r"\n")


@dataclass(frozen=True)
class GuidelineContext:
    """The note and the classification, as a guideline step sees them.

    ``codeset``: the Tabular List (titles, hierarchy, notes, 7th characters); ``index``: ``source`` ->
    the imported :class:`vocab.index.AlphabeticIndex` ("index", "eindex", "drug", "neoplasm") or None when not
    imported; ``setting``: "inpatient" (Section II) or "outpatient" (Section IV); ``text``: the note exactly as
    received (never log it); ``candidates`` and ``scores``: every candidate code with its ranker score, in the
    same order (their mentions carry section and assertion); ``threshold``: the model's proposal threshold;
    ``history_code``: (kind, code, sentence) -> the personal ("personal") or family ("family") history code, or
    None (:mod:`suggest.guidelines.history_status`); ``sections``: where each note section starts.
    """

    codeset: CodeSet
    setting: Setting
    text: str
    candidates: Sequence[Candidate]
    scores: Sequence[float]
    threshold: float
    index: Callable[[str], Any] = field(default=lambda source: None)
    history_code: Callable[..., str | None] = field(default=lambda kind, code, sentence="": None)
    # (character offset, section name) where each section of the note starts, in order (the engine's sections)
    sections: tuple[tuple[int, str], ...] = ()

    @cached_property
    def mentions(self) -> tuple[Mention, ...]:
        """Every distinct mention of the note, in text order."""
        seen: dict[tuple[int, int, str], Mention] = {}
        for candidate in self.candidates:
            for mention in candidate.mentions:
                seen.setdefault((mention.start, mention.end, mention.term), mention)
        return tuple(sorted(seen.values(), key=lambda mention: (mention.start, mention.end)))

    def memo(self, name: str) -> dict[Any, Any]:
        """An empty dict at first, the same one for each ``name`` while this note is coded: a step keeps in it
        what it derives from the note and reads again (several entries, and steps, share a mention's words)."""
        memos = self._memos
        found = memos.get(name)
        if found is None:
            found = memos[name] = {}
        return found

    @cached_property
    def _memos(self) -> dict[str, dict[Any, Any]]:
        return {}

    @cached_property
    def lowered(self) -> str:
        return self.text.lower()

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [match.end() for match in _LINE_BREAK_RE.finditer(self.text)]  # not a Python loop per character

    def line_of(self, offset: int) -> int:
        """The number (from 0) of the note's line that holds character ``offset``."""
        return bisect.bisect_right(self._line_starts, offset) - 1

    def sentence_around(self, start: int, end: int, limit: int = 400) -> str:
        """The lower-cased sentence (or list line) holding ``start:end``: bounded by line breaks and by ".", ";"
        or ":" followed by a space, at most ``limit`` characters either side."""
        # every step asks for its mentions' sentences: each is found once per note, from the note's sentence
        # ends found once (was two regex splits of up to 800 characters per call)
        key = (start, end, limit)
        sentence = self._sentences_around.get(key)
        if sentence is None:
            sentence = self._sentences_around[key] = self._sentence_around(start, end, limit)
        return sentence

    @cached_property
    def _sentences_around(self) -> dict[tuple[int, int, int], str]:
        return {}

    @cached_property
    def _sentence_ends(self) -> list[int]:
        """Where each match of ``_SENTENCE_END`` starts in the lower-cased note (each is one character long)."""
        return [match.start() for match in _SENTENCE_END.finditer(self.lowered)]

    def _sentence_around(self, start: int, end: int, limit: int) -> str:
        """``_SENTENCE_END.split(text[left:start])[-1] + text[start:end] + _SENTENCE_END.split(text[end:right])[0]``
        from the precomputed sentence ends. A "." (";", ":") ends a sentence only when a space follows it inside
        the piece split, so one that is the last character of a piece does not split it there."""
        text = self.lowered
        ends = self._sentence_ends
        left = max(0, start - limit)
        right = min(len(text), end + limit)
        head_from = left
        at = bisect.bisect_left(ends, start) - 1
        if at >= 0 and ends[at] == start - 1 and text[ends[at]] != "\n":
            at -= 1  # its following space lies outside text[left:start]
        if at >= 0 and ends[at] >= left:
            head_from = ends[at] + 1
        tail_to = right
        at = bisect.bisect_left(ends, end)
        if at < len(ends) and ends[at] < right and (ends[at] < right - 1 or text[ends[at]] == "\n"):
            tail_to = ends[at]
        return text[head_from:start] + text[start:end] + text[end:tail_to]

    def present_mentions(self) -> tuple[Mention, ...]:
        """Mentions the patient has now (not negated, hypothetical, family or uncertain-outpatient)."""
        codable = {"present"} | ({"possible"} if self.setting == "inpatient" else set())
        return tuple(mention for mention in self.mentions if mention.assertion in codable)

    def says(self, pattern: str) -> bool:
        """Whether the note's text matches ``pattern`` (a regular expression, case-insensitive)."""
        return re.search(pattern, self.lowered) is not None

    def score_of(self, code: str) -> float:
        """The ranker's score of a candidate code, 0 when the code was no candidate."""
        return max(
            (score for candidate, score in zip(self.candidates, self.scores, strict=True) if candidate.code == code),
            default=0.0,
        )
