"""Sections: medspaCy's Sectionizer with chartcoder's heading rules, and one section name per token.

Headings count only at the start of a line, so "the plan is" in a sentence does not open a Plan section.
Text before the first heading is in section ``"none"``. A one-letter heading (the SOAP note's "S:", "O:",
"A:", "P:") counts only with its colon, and not before a measurement on the same line: "P: 88" in the
vitals is a pulse, not the Plan.
"""

import bisect
import json
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from medspacy.section_detection import Section, Sectionizer, SectionRule
from spacy.language import Language
from spacy.tokens import Doc, Token

from suggest.errors import Errors

__all__ = ["NO_SECTION", "ClinicalSections", "load_section_rules", "section_at", "section_in", "section_of"]

NO_SECTION = "none"
_RULES_FILE = "section_rules.json"


def load_section_rules(path: Path | None = None) -> dict[str, list[str]]:
    """Section name -> heading literals, from the packaged rules or a file of the same shape."""
    text = (
        path.read_text(encoding="utf-8") if path else resources.files("suggest.data").joinpath(_RULES_FILE).read_text()
    )
    return {name: literals for name, literals in json.loads(text).items() if not name.startswith("_")}


def _heading_rules(rules: dict[str, list[str]]) -> list[SectionRule]:
    built = []
    for name, literals in rules.items():
        for literal in literals:
            if len(literal) > 1:  # "A" alone starts many a sentence ("A 64-year-old man ..."); "A:" is a heading
                built.append(SectionRule(literal=literal, category=name))
            built.append(SectionRule(literal=f"{literal}:", category=name))
    return built


def _is_measurement_label(doc: Doc, title: tuple[int, int]) -> bool:
    """A one-letter title followed, on its line, by a number that is not a list number: "P: 88", not "A: 1."."""
    start, end = title
    if len(doc[start].text) != 1:
        return False
    position = end
    while position < len(doc) and doc[position].is_space and "\n" not in doc[position].text:
        position += 1
    if position >= len(doc) or "\n" in doc[position - 1].text_with_ws or "\n" in doc[position].text:
        return False  # the heading ends its line
    following_next = doc[position + 1].text if position + 1 < len(doc) else ""
    return doc[position].like_num and following_next not in (".", ")")


class _SectionsOnly(Sectionizer):
    """medspaCy 1.3.1's Sectionizer (its ``__call__``, step for step) less ``token._.section``: it wrote the
    section on every token, half the Sectionizer's time, and nothing reads it (``section_at`` reads
    ``doc._.chartcoder_section_starts``). ``doc._.sections`` is the same list of sections."""

    def __call__(self, doc: Doc) -> Doc:
        if self._parent_sections or (self.assertion_attributes_mapping and self._input_span_type.lower() == "group"):
            return super().__call__(doc)  # not configured by chartcoder: medspaCy's own, token writes and all
        matcher = self._Sectionizer__matcher  # the Sectionizer keeps its matcher private (medspacy 1.3.1)
        matches = matcher(doc)
        if self.require_start_line:
            matches = self.filter_start_lines(doc, matches)
        if self.require_end_line:
            matches = self.filter_end_lines(doc, matches)
        doc._.sections = []
        if len(matches) == 0:
            doc._.sections.append(Section(None, 0, 0, 0, len(doc)))
            return doc
        sections = []
        if matches[0][1] != 0:
            sections.append(Section(None, 0, 0, 0, matches[0][1]))
        for i, (match_id, start, end) in enumerate(matches):
            if self._apply_sentence_boundary:
                doc[start].sent_start = True
                if end < len(doc):
                    doc[end].sent_start = True
            rule = matcher.rule_map[self.nlp.vocab.strings[match_id]]
            last = i == len(matches) - 1
            limit = len(doc) if last else matches[i + 1][1]
            if self.max_section_length is None and rule.max_scope is None:
                scope_end = limit
            else:
                scope = rule.max_scope if rule.max_scope is not None else self.max_section_length
                scope_end = min(end + scope, doc[-1].i + 1 if last else limit)
            sections.append(Section(rule.category, start, end, end, scope_end, None, rule))
        doc._.sections.extend(sections)
        if self.assertion_attributes_mapping and self._input_span_type.lower() == "ents":
            self.set_assertion_attributes(doc.ents)
        return doc


class ClinicalSections:
    """Runs the Sectionizer, then records where each section starts in ``doc._.chartcoder_section_starts``.

    ``token._.chartcoder_section`` reads that record: writing a value on every token cost more than the
    Sectionizer itself (spaCy builds an ``Underscore`` object per token access).
    """

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.rules: dict[str, list[str]] = {}
        self._sectionizer = _SectionsOnly(nlp, name=f"{name}_medspacy", rules=None, require_start_line=True)

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        rules: dict[str, list[str]] | None = None,
    ) -> None:
        self.rules = rules or load_section_rules()
        self._sectionizer.add(_heading_rules(self.rules))

    def __call__(self, doc: Doc) -> Doc:
        if not self.rules:
            raise ValueError(Errors.E006.format(name=self.name))
        doc = self._sectionizer(doc)
        headings: set[int] = set()
        starts: list[tuple[int, str]] = []
        for section in doc._.sections:
            title = section.title_span
            if title is not None and _is_measurement_label(doc, (title[0], title[1])):
                continue  # the text stays in the section before it
            starts.append((section.section_span[0], section.category or NO_SECTION))
            if title is not None:
                headings.update(range(*title))
        doc._.chartcoder_section_starts = tuple(sorted(starts))
        # a set on the doc: the term matcher reads it once, where a token extension per token cost 10% of its time
        doc._.chartcoder_headings = frozenset(headings)
        return doc

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / _RULES_FILE).write_text(json.dumps(self.rules, indent=1), encoding="utf-8")

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "ClinicalSections":
        self.initialize(rules=load_section_rules(Path(path) / _RULES_FILE))
        return self


def section_at(doc: Doc, position: int) -> str:
    """The section name of the token at ``position`` (``"none"`` before the first heading)."""
    return section_in(doc._.chartcoder_section_starts, position)


def section_in(starts: Sequence[tuple[int, str]], position: int) -> str:
    """The section name at token ``position`` from a Doc's ``chartcoder_section_starts`` (read once for many)."""
    found = bisect.bisect_right(starts, (position, "\uffff")) - 1
    return starts[found][1] if found >= 0 else NO_SECTION


def section_of(token: Token) -> str:
    return section_at(token.doc, token.i)


@Language.factory(
    "chartcoder_sections",
    requires=["token.is_sent_start"],
    assigns=[
        "doc._.sections",
        "doc._.chartcoder_headings",
        "doc._.chartcoder_section_starts",
        "token._.chartcoder_section",
    ],
    default_config={},
)
def make_clinical_sections(nlp: Language, name: str) -> "ClinicalSections":
    if not Doc.has_extension("chartcoder_section_starts"):
        Doc.set_extension("chartcoder_section_starts", default=())
    if not Token.has_extension("chartcoder_section"):
        Token.set_extension("chartcoder_section", getter=section_of)
    if not Doc.has_extension("chartcoder_headings"):
        Doc.set_extension("chartcoder_headings", default=frozenset())
    return ClinicalSections(nlp, name)
