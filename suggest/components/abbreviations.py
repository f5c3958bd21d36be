"""Abbreviation senses: an ambiguous abbreviation is read in the sense its context gives it.

"RA" after "SpO2 95%" is room air, beside "methotrexate" rheumatoid arthritis; "CVA tenderness" is the
costovertebral angle; "PE:" opening an exam line is the physical exam. The reviewed table
``suggest/data/abbreviation_senses.tsv`` says, per abbreviation and in order, which cue picks which sense
(see its header); the first cue found decides, and every abbreviation ends with a default. The decision is
recorded per token in ``doc._.chartcoder_abbreviation_senses`` (token index -> the word sets of the chosen
senses; empty for a reading that names no diagnosis), which the term matcher reads. Abbreviations without a
row keep every sense of ``vocab/data/abbreviations.tsv``.
"""

import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Token

from suggest.components.sections import section_at
from suggest.errors import Errors
from suggest.termtable import sense_words

__all__ = ["CUES", "NO_DIAGNOSIS", "AbbreviationSenses", "SenseRule", "load_sense_rules"]

_RULES_FILE = "abbreviation_senses.tsv"
CUES = ("before", "after", "line", "label", "section", "spelled", "default")
NO_DIAGNOSIS = "~"  # a sense written "~room air" names no diagnosis
_WINDOW = 3  # tokens before / after an abbreviation that a "before" / "after" cue reads
_MAX_TEXTS = 500_000


@dataclass(frozen=True, slots=True)
class SenseRule:
    """One row of the table: this ``cue`` with one of these ``words`` gives the abbreviation this ``sense``."""

    abbreviation: str
    sense: str
    cue: str
    words: tuple[str, ...] = ()

    @property
    def names_a_diagnosis(self) -> bool:
        return not self.sense.startswith(NO_DIAGNOSIS)

    @property
    def sense_words(self) -> tuple[str, ...]:
        """The words the term matcher reads for this sense (none for a reading that names no diagnosis)."""
        return sense_words(self.sense) if self.names_a_diagnosis else ()


def load_sense_rules(path: Path | None = None) -> dict[str, tuple[SenseRule, ...]]:
    """Abbreviation (upper case) -> its rules in file order, from the packaged table or a file like it."""
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files("suggest.data").joinpath(_RULES_FILE).read_text(encoding="utf-8")
    )
    rules: dict[str, list[SenseRule]] = {}
    lines = (line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    for row in csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        abbreviation, sense, cue, words = [*row, "", "", "", ""][:4]
        if cue not in CUES:
            raise ValueError(Errors.E008.format(abbreviation=abbreviation, cue=cue, cues=", ".join(CUES)))
        rule = SenseRule(abbreviation.strip().upper(), sense.strip(), cue, tuple(words.lower().split()))
        rules.setdefault(rule.abbreviation, []).append(rule)
    return {abbreviation: tuple(found) for abbreviation, found in rules.items()}


def _word_matches(word: str, pattern: str) -> bool:
    if pattern.startswith("*"):
        return word.endswith(pattern[1:])
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1])
    return word == pattern


def _any_word(tokens: Iterable[Token], patterns: tuple[str, ...]) -> bool:
    return any(_word_matches(token.lower_, pattern) for token in tokens for pattern in patterns)


class AbbreviationSenses:
    """Decides the sense of each ambiguous abbreviation in a note (see the module docstring)."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        self.rules: dict[str, tuple[SenseRule, ...]] = {}
        self._orth_rules: dict[int, tuple[SenseRule, ...] | None] = {}
        self._lexeme = nlp.vocab.__getitem__

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        rules: dict[str, tuple[SenseRule, ...]] | None = None,
    ) -> None:
        self.rules = rules if rules is not None else load_sense_rules()
        self._orth_rules = {}

    def __call__(self, doc: Doc) -> Doc:
        if not self.rules:
            raise ValueError(Errors.E006.format(name=self.name))
        chosen: dict[int, frozenset[frozenset[str]]] = {}
        lowered: str | None = None
        for position, orth in enumerate(doc.to_array(ORTH).tolist()):
            rules = self._rules_for(orth)
            if rules is None:
                continue
            if lowered is None:
                lowered = doc.text.lower()
            rule = self._decide(doc[position], rules, lowered)
            chosen[position] = frozenset({frozenset(rule.sense_words)} if rule.names_a_diagnosis else ())
        doc._.chartcoder_abbreviation_senses = chosen
        return doc

    def _rules_for(self, orth: int) -> tuple[SenseRule, ...] | None:
        """The rules of a token text, once per text: "RA", "CP" as written (a lower-case "ra" is no abbreviation)."""
        if orth not in self._orth_rules:
            if len(self._orth_rules) >= _MAX_TEXTS:
                self._orth_rules.clear()  # a long-running server meets unbounded distinct words
            text = self._lexeme(orth).orth_
            self._orth_rules[orth] = None if text.islower() else self.rules.get(text.upper())
        return self._orth_rules[orth]

    def _decide(self, token: Token, rules: tuple[SenseRule, ...], lowered_text: str) -> SenseRule:
        sentence = token.sent
        for rule in rules:
            if _cue_found(rule, token, sentence.start, sentence.end, lowered_text):
                return rule
        return rules[-1]  # the table ends every abbreviation with its default; a file without one keeps the last

    def to_disk(self, path: Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        rows = [
            "\t".join((rule.abbreviation, rule.sense, rule.cue, " ".join(rule.words)))
            for rules in self.rules.values()
            for rule in rules
        ]
        (path / _RULES_FILE).write_text("\n".join(rows) + "\n", encoding="utf-8")

    def from_disk(self, path: Path, exclude: Iterable[str] = ()) -> "AbbreviationSenses":
        self.initialize(rules=load_sense_rules(Path(path) / _RULES_FILE))
        return self


def _cue_found(rule: SenseRule, token: Token, start: int, end: int, lowered_text: str) -> bool:
    doc, position = token.doc, token.i
    if rule.cue == "before":
        return _any_word(_near(doc, range(position - 1, start - 1, -1)), rule.words)
    if rule.cue == "after":
        return _any_word(_near(doc, range(position + 1, end)), rule.words)
    if rule.cue == "line":
        return _any_word((doc[index] for index in range(start, end) if index != position), rule.words)
    if rule.cue == "label":
        first = next((index for index in range(start, end) if not doc[index].is_space), None)
        return first == position and position + 1 < end and doc[position + 1].text == ":"
    if rule.cue == "section":
        return section_at(doc, position) in rule.words
    if rule.cue == "spelled":
        return rule.names_a_diagnosis and _spelled_out(rule.sense, lowered_text)
    return rule.cue == "default"


def _near(doc: Doc, positions: range) -> list[Token]:
    """The first ``_WINDOW`` tokens at ``positions`` that are not whitespace."""
    found: list[Token] = []
    for index in positions:
        if not doc[index].is_space:
            found.append(doc[index])
            if len(found) == _WINDOW:
                break
    return found


def _spelled_out(sense: str, lowered_text: str) -> bool:
    plain = " ".join(re.sub(r"\([^()]*\)", " ", sense).lower().split())
    return re.search(rf"\b{re.escape(plain)}\b", lowered_text) is not None


@Language.factory(
    "chartcoder_abbreviations",
    requires=["token.is_sent_start", "doc._.chartcoder_section_starts"],
    assigns=["doc._.chartcoder_abbreviation_senses"],
    default_config={},
)
def make_abbreviation_senses(nlp: Language, name: str) -> "AbbreviationSenses":
    if not Doc.has_extension("chartcoder_abbreviation_senses"):
        Doc.set_extension("chartcoder_abbreviation_senses", default=None)
    return AbbreviationSenses(nlp, name)
