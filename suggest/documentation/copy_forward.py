"""Copy-forward text: the same long passage twice in one note.

``inconsistency.copy_forward`` (info): a passage of two or more sentences, :data:`MIN_WORDS` words or more,
repeated verbatim (case, spacing and punctuation aside). Copied text may carry a finding forward that no longer
holds, so the coder reads both places before coding either (AHIMA, Appropriate Use of the Copy and Paste
Functionality in Electronic Health Records; ICD-10-CM Official Guidelines I.A.19: the provider's current
diagnostic statement).
"""

from __future__ import annotations

import re

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks
from suggest.guidelines.note import NoteLine

__all__ = ["MIN_WORDS", "check_copy_forward"]

MIN_WORDS = 25  # the passage, all its sentences together
_MIN_SENTENCE_WORDS = 4
_WORD_RE = re.compile(r"[a-z0-9]+")


def _key(sentence: NoteLine) -> tuple[str, ...]:
    return tuple(_WORD_RE.findall(sentence.text.lower()))


def _keyed_sentences(facts: NoteFacts) -> list[tuple[NoteLine, tuple[str, ...]]]:
    """Each sentence with its words in lower case. An ASCII note's folded text is its lower case (folded once per
    note), so its sentences' words are read there, without a lower-case copy of each sentence."""
    if not facts.text.isascii():
        return [(sentence, _key(sentence)) for sentence in facts.view.sentences()]
    lowered = facts.folded
    return [
        (sentence, tuple(_WORD_RE.findall(lowered, sentence.start, sentence.end)))
        for sentence in facts.view.sentences()
    ]


@documentation_checks.register("chartcoder.documentation.copy_forward.v1")
def check_copy_forward(facts: NoteFacts) -> list[Finding]:
    """Two or more consecutive sentences, MIN_WORDS words in all, that occur again in the same order (AHIMA
    copy-and-paste guidance; I.A.19). One repeated sentence (a summary line restated in the assessment) is not
    a copied passage."""
    kept = [(sentence, key) for sentence, key in _keyed_sentences(facts) if len(key) >= _MIN_SENTENCE_WORDS]
    sentences = [sentence for sentence, _ in kept]
    keys = [key for _, key in kept]
    where: dict[tuple[str, ...], int] = {}
    findings = []
    covered = -1
    for position, key in enumerate(keys):
        first = where.setdefault(key, position)
        if first == position or position <= covered:
            continue
        length = 0
        while (
            position + length < len(keys)
            and first + length < position
            and keys[first + length] == keys[position + length]
        ):
            length += 1
        words = sum(len(keys[position + offset]) for offset in range(length))
        if length < 2 or words < MIN_WORDS:
            continue
        covered = position + length - 1
        original = (sentences[first], sentences[first + length - 1])
        copy = (sentences[position], sentences[covered])
        findings.append(
            Finding(
                kind="inconsistency.copy_forward",
                severity="info",
                message=f"A passage of {length} sentences ({words} words) appears twice, in "
                f"{original[0].section.replace('_', ' ')} and {copy[0].section.replace('_', ' ')}: copied text "
                "may no longer hold.",
                basis=f"{bases.COPY_PASTE}; ICD-10-CM Official Guidelines I.A.19",
                evidence=(
                    facts.evidence(original[0].start, original[1].end),
                    facts.evidence(copy[0].start, copy[1].end),
                ),
            )
        )
    return findings
