"""Named, numbered errors of the suggestion engine (``E0xx`` ids are stable: documentation and logs cite them)."""

from __future__ import annotations

from vocab.errors import ChartcoderError

__all__ = [
    "BinaryNoteError",
    "DocumentTypeError",
    "EmptyNoteError",
    "EncounterError",
    "EncounterTooLargeError",
    "EngineError",
    "Errors",
    "NoteError",
    "NoteTooLargeError",
    "QueryDraftError",
    "SettingError",
]


class Errors:
    """Message templates; ``Errors.E001.format(...)``."""

    E001 = "[E001] The note is empty (or only whitespace): there is nothing to code."
    E002 = "[E002] The note is {size:,} characters long; the limit is {limit:,}. Split it or raise the limit."
    E003 = "[E003] The note contains binary data (NUL or control bytes), not text."
    E004 = "[E004] Unknown encounter setting {setting!r}: expected 'outpatient' or 'inpatient'."
    E005 = "[E005] The note must be text (str), not {kind}."
    E006 = "[E006] Component {name!r} was used before initialize() loaded its data."
    E007 = (
        "[E007] The model pack {model!r} was built for code set {pack_release!r}; the loaded code set is {release!r}."
    )
    E008 = "[E008] Abbreviation sense table: unknown cue {cue!r} for {abbreviation!r}; expected one of {cues}."
    E009 = "[E009] Unknown document type {document_type!r}: expected one of {types}, or none to read it from the note."
    # E020-E029: provider queries (suggest/documentation/query.py)
    E020 = (
        "[E020] The finding quotes nothing from the note: a compliant provider query cites the clinical indicators "
        "in the record, so none can be drafted from it."
    )
    # E030-E039: encounters (suggest/encounter.py, suggest/encounter_input.py)
    E030 = "[E030] The encounter has no documents: there is nothing to code."
    E031 = "[E031] Document {document!r}: unknown document type {kind!r}; expected one of {kinds}."
    E032 = "[E032] The admission date {admission} is after the discharge date {discharge}."
    E033 = "[E033] The encounter has {count:,} documents; the limit is {limit:,}. Split it or raise the limit."
    E034 = "[E034] The encounter's documents hold {size:,} characters in all; the limit is {limit:,}."
    E035 = "[E035] Two documents of the encounter have the id {document!r}; document ids must be unique."
    E036 = "[E036] Document {document!r}: {problem}"
    E037 = "[E037] Document {document!r} is dated {when}, outside the stay ({admission} to {discharge})."
    E038 = "[E038] Line {line}: {problem}"


class EngineError(ChartcoderError):
    """Base of the engine's errors."""


class NoteError(EngineError, ValueError):
    """The note itself cannot be coded (the caller's input, not a bug)."""


class EmptyNoteError(NoteError):
    pass


class NoteTooLargeError(NoteError):
    pass


class BinaryNoteError(NoteError):
    pass


class SettingError(NoteError):
    pass


class DocumentTypeError(NoteError):
    pass


class EncounterError(NoteError):
    """The encounter cannot be coded as sent (the caller's input, not a bug); the message names the problem."""


class EncounterTooLargeError(EncounterError, NoteTooLargeError):
    """Too many documents, or too much text in all."""


class QueryDraftError(EngineError, ValueError):
    """A provider query cannot be drafted from this finding (E020)."""
