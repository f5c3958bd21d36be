"""The words a code's evidence places point at, read from the note while its text exists."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from service.store.models import Note

__all__ = ["NoteWords", "note_words"]


class NoteWords:
    """``words(place)``: the words at ``place`` ({"document", "start", "end"}), None once the note is purged.

    Keeps the texts of the notes it read (one encounter's documents, or one page's): make one per encounter or
    page, so that a long export holds no more than that. ``read`` counts the notes whose text it used (audited).
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._texts: dict[str, str | None] = {}
        self.read = 0

    def __call__(self, place: dict[str, Any]) -> str | None:
        document = place["document"]
        if document not in self._texts:
            note = self.session.get(Note, document)
            self._texts[document] = note.text if note is not None else None
            self.read += self._texts[document] is not None
        text = self._texts[document]
        if not text:
            return None
        words = text[place["start"] : place["end"]]
        return words or None


def note_words(session: Session) -> NoteWords:
    return NoteWords(session)
