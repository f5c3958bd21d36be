"""Bad notes get a clear, named error or an empty well-formed result; the engine never crashes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suggest.errors import BinaryNoteError, EmptyNoteError, NoteError, NoteTooLargeError, SettingError


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_empty_notes_are_refused(mini_engine, text: str) -> None:
    with pytest.raises(EmptyNoteError, match="E001"):
        mini_engine.suggest(text)


def test_a_five_megabyte_note_is_refused_with_the_limit(mini_engine) -> None:
    with pytest.raises(NoteTooLargeError, match="limit is 1,000,000"):
        mini_engine.suggest("hypertension " * 400_000)


def test_binary_content_is_refused(mini_engine) -> None:
    with pytest.raises(BinaryNoteError, match="E003"):
        mini_engine.suggest("abc\x00\x01\x02 def")


def test_mostly_control_characters_is_refused(mini_engine) -> None:
    with pytest.raises(BinaryNoteError):
        mini_engine.suggest("".join(chr(code) for code in range(1, 9)) * 50)


def test_unknown_setting_is_refused(mini_engine) -> None:
    with pytest.raises(SettingError, match="outpatient"):
        mini_engine.suggest("Hypertension.", setting="emergency")


def test_non_text_is_refused(mini_engine) -> None:
    with pytest.raises(NoteError, match="must be text"):
        mini_engine.suggest(b"Hypertension.")  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=400))
def test_arbitrary_unicode_never_raises_anything_but_note_errors(mini_engine, text: str) -> None:
    try:
        result = mini_engine.suggest(text)
    except NoteError:
        return
    for item in (*result.suggestions, *result.excluded):
        for piece in item.evidence:
            assert text[piece.start : piece.end] == piece.text


_CLINICAL_WORDS = st.sampled_from(
    [
        "type",
        "2",
        "diabetes",
        "mellitus",
        "hypertension",
        "no",
        "denies",
        "history",
        "of",
        "CKD",
        "stage",
        "3",
        "pneumonia",
        "fracture",
        "radius",
        "right",
        "HTN",
        "heart",
        "failure",
        "\n",
        "Assessment:",
        ".",
        ",",
        "mother",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_CLINICAL_WORDS, min_size=1, max_size=60), st.sampled_from([" ", "  ", "\n", " \t"]))
def test_offsets_always_point_at_the_evidence_text(mini_engine, words: list[str], glue: str) -> None:
    text = glue.join(words)
    try:
        result = mini_engine.suggest(text)
    except NoteError:
        return
    for item in (*result.suggestions, *result.excluded):
        for piece in item.evidence:
            assert 0 <= piece.start < piece.end <= len(text)
            assert text[piece.start : piece.end] == piece.text
