"""ICD-10-CM code syntax: normalisation, dotted form, 7th-character building.

These functions know the *shape* of a code only; whether a code exists is the code set's business.
"""

from __future__ import annotations

import re

from vocab.errors import InvalidCodeError

__all__ = [
    "CODE_REFERENCE_RE",
    "compact_code",
    "looks_like_code",
    "looks_like_code_prefix",
    "normalize_code",
    "with_placeholders",
]

# A letter and two alphanumerics (a digit second, but for the category QA0, new in April 2026), then up to
# four alphanumerics after the dot: seven characters in all. A letter second would make words such as
# "hello" or "unspeci" look like codes.
_COMPACT_RE = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]|A0)[0-9A-Z]{0,4}$")
_PREFIX_RE = re.compile(r"^[A-Z](?:[0-9][0-9A-Z]?|A0)\.?[0-9A-Z]{0,4}$")
_STRIP_RE = re.compile(r"[\s.]")

# A code as the Tabular List cites it inside a note, e.g. "E10.-", "N18.1-N18.6", "O24.4-", "Z79.4".
# The span is tried before the branch dash, or "N18.1-N18.6" would read as the branch "N18.1-" and "N18.6".
_CATEGORY = r"[A-Z](?:[0-9][0-9A-Z]|A0)"
_CITED = rf"{_CATEGORY}(?:\.[0-9A-Z]{{1,4}})?"
CODE_REFERENCE_RE = re.compile(
    rf"\b(?P<first>{_CITED})"
    rf"(?:\s*-\s*(?P<last>{_CITED})(?P<last_branch>\.?-)?|(?P<branch>\.?-))?"
)


def compact_code(text: str) -> str:
    """``" e11.9 "`` -> ``"E119"``; raises :class:`InvalidCodeError` for anything not code-shaped."""
    if not isinstance(text, str):
        raise InvalidCodeError(f"A code must be text, not {type(text).__name__}.")
    compact = _STRIP_RE.sub("", text).upper()
    if not _COMPACT_RE.match(compact):
        shown = text if len(text) <= 40 else text[:37] + "..."
        raise InvalidCodeError(
            f"{shown!r} is not an ICD-10-CM code: expected a letter, two characters, then up to four more "
            "(for example E11.9 or S52.521A)."
        )
    return compact


def normalize_code(text: str) -> str:
    """The canonical dotted, upper-case form: ``E119``, ``e11.9`` and ``E11.9`` all give ``E11.9``."""
    compact = compact_code(text)
    return compact if len(compact) == 3 else f"{compact[:3]}.{compact[3:]}"


def looks_like_code(text: str) -> bool:
    try:
        compact_code(text)
    except InvalidCodeError:
        return False
    return True


def looks_like_code_prefix(text: str) -> bool:
    """True for what a coder types when looking for a branch: ``E11``, ``e112``, ``E11.``, ``S52.52``."""
    stripped = text.strip().upper().replace(" ", "")
    return bool(stripped) and bool(_PREFIX_RE.match(stripped)) and stripped[0].isalpha()


def with_placeholders(code: str, seventh: str) -> str:
    """Build the 7-character code: pad with the placeholder X to six characters, then add ``seventh``.

    ``with_placeholders("T36.0", "A")`` -> ``"T36.0XXA"``; ``("S52.521", "A")`` -> ``"S52.521A"``.
    """
    seventh = seventh.strip().upper()
    if len(seventh) != 1 or not seventh.isalnum():
        raise InvalidCodeError(f"{seventh!r} is not a 7th character: expected one letter or digit.")
    compact = compact_code(code)
    if len(compact) > 6:
        raise InvalidCodeError(f"{normalize_code(code)} already has seven characters.")
    return normalize_code(compact.ljust(6, "X") + seventh)
