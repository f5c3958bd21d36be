"""What a note must be before the engine reads it: text, in a known setting, not empty, not too long, not binary."""

from __future__ import annotations

import re

from suggest.errors import (
    BinaryNoteError,
    EmptyNoteError,
    Errors,
    NoteError,
    NoteTooLargeError,
    SettingError,
)
from suggest.types import SETTINGS, Setting

__all__ = ["DEFAULT_MAX_NOTE_CHARS", "check_note"]

DEFAULT_MAX_NOTE_CHARS = 1_000_000
_CONTROL_SHARE_LIMIT = 0.05


def check_note(text: object, setting: str, max_note_chars: int = DEFAULT_MAX_NOTE_CHARS) -> Setting:
    """``setting`` as a :data:`Setting` when the note can be coded; a named :class:`NoteError` otherwise."""
    if not isinstance(text, str):
        raise NoteError(Errors.E005.format(kind=type(text).__name__))
    if setting not in SETTINGS:
        raise SettingError(Errors.E004.format(setting=setting))
    if not text.strip():
        raise EmptyNoteError(Errors.E001)
    if len(text) > max_note_chars:
        raise NoteTooLargeError(Errors.E002.format(size=len(text), limit=max_note_chars))
    if _looks_binary(text):
        raise BinaryNoteError(Errors.E003)
    return setting


# C0 and C1 control characters (Unicode category Cc) but the whitespace ones a text file may hold.
_CONTROL_CHARACTERS = re.compile("[\x01-\x08\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:10_000]
    controls = len(_CONTROL_CHARACTERS.findall(sample))
    return controls > _CONTROL_SHARE_LIMIT * len(sample)
