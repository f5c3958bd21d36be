"""Copy-forward text: the same long passage twice in one note.

``inconsistency.copy_forward`` (info): a sentence of at least :data:`MIN_WORDS` words repeated verbatim (case,
spacing and punctuation aside). Copied text may carry a finding forward that no longer holds, so the coder reads
both places before coding either (AHIMA, Appropriate Use of the Copy and Paste Functionality in Electronic
Health Records; ICD-10-CM Official Guidelines I.A.19: the provider's current diagnostic statement).
"""

from __future__ import annotations

import re

from suggest.documentation import bases
from suggest.documentation.context import NoteFacts
from suggest.documentation.finding import Finding
from suggest.documentation.registry import documentation_checks
from suggest.guidelines.note import NoteLine

__all__ = ["MIN_WORDS", "check_copy_forward"]

MIN_WORDS = 15
_WORD_RE = re.compile(r"[a-z0-9]+")


@documentation_checks.register("chartcoder.documentation.copy_forward.v1")
def check_copy_forward(facts: NoteFacts) -> list[Finding]:
    """Sentences of MIN_WORDS words or more that occur twice (AHIMA copy-and-paste guidance; I.A.19)."""
    first_seen: dict[tuple[str, ...], NoteLine] = {}
    findings = []
    for sentence in facts.view.sentences():
        words = tuple(_WORD_RE.findall(sentence.text.lower()))
        if len(words) < MIN_WORDS:
            continue
        original = first_seen.setdefault(words, sentence)
        if original is sentence:
            continue
        findings.append(
            Finding(
                kind="inconsistency.copy_forward",
                severity="info",
                message=f"A passage of {len(words)} words appears twice, in {original.section.replace('_', ' ')} "
                f"and {sentence.section.replace('_', ' ')}: copied text may no longer hold.",
                basis=f"{bases.COPY_PASTE}; ICD-10-CM Official Guidelines I.A.19",
                evidence=(
                    facts.evidence(original.start, original.end),
                    facts.evidence(sentence.start, sentence.end),
                ),
            )
        )
    return findings
