"""The exception tree of chartcoder, rooted here because `vocab` is the lowest layer.

Every error a user can cause derives from :class:`ChartcoderError`, so the CLI and the service can turn
any of them into a clear message (exit code 2, HTTP 4xx) without catching unrelated bugs.
"""

from __future__ import annotations

__all__ = [
    "ChartcoderError",
    "CodeSetFormatError",
    "CodeSetNotBuiltError",
    "IndexFormatError",
    "InvalidCodeError",
    "QueryError",
    "UnknownCodeError",
    "VocabError",
]


class ChartcoderError(Exception):
    """Base of every error chartcoder raises on purpose."""


class VocabError(ChartcoderError):
    """A problem with the code set, the Alphabetic Index or a code."""


class InvalidCodeError(VocabError, ValueError):
    """The text is not shaped like an ICD-10-CM code at all."""


class UnknownCodeError(VocabError, KeyError):
    """The text is shaped like a code but the code set has no such code."""

    def __str__(self) -> str:  # KeyError quotes its argument; a message should read as prose
        return str(self.args[0]) if self.args else ""


class CodeSetNotBuiltError(VocabError):
    """No code-set artifact exists where one was expected."""


class CodeSetFormatError(VocabError):
    """A code-set artifact is corrupt, tampered with, or from an incompatible format version."""


class IndexFormatError(VocabError):
    """An Alphabetic Index file is not in a format chartcoder can read."""


class QueryError(VocabError, ValueError):
    """A search query is empty, too long, or otherwise unusable."""
