"""Tests of vocab.codes: code syntax only (normalisation, prefixes, 7th characters), no code set needed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vocab.codes import (
    CODE_REFERENCE_RE,
    compact_code,
    looks_like_code,
    looks_like_code_prefix,
    normalize_code,
    with_placeholders,
)
from vocab.errors import ChartcoderError, InvalidCodeError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E11.9", "E11.9"),
        ("E119", "E11.9"),
        ("e11.9", "E11.9"),
        ("  e119 ", "E11.9"),
        ("E 11.9", "E11.9"),
        ("i10", "I10"),
        ("I10.", "I10"),
        ("s52521a", "S52.521A"),
        ("T36.0X1A", "T36.0X1A"),
        ("t360x1a", "T36.0X1A"),
        ("C4A.0", "C4A.0"),
        ("QA0.0101", "QA0.0101"),  # the one category with a letter second (April 2026)
    ],
)
def test_normalize_code_accepts_every_spelling(text: str, expected: str) -> None:
    assert normalize_code(text) == expected


def test_compact_code_drops_dots_and_spaces() -> None:
    assert compact_code(" s52.521a ") == "S52521A"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "unspeci", "E1", "1E11", "E11.99999", "E11-9", "E11.9!", "EE1.9", "diabetes", "E11.9 E10.9"],
)
def test_not_code_shaped_text_is_an_invalid_code_error(text: str) -> None:
    with pytest.raises(InvalidCodeError, match="not an ICD-10-CM code"):
        normalize_code(text)


def test_invalid_code_error_is_a_value_error_and_a_chartcoder_error() -> None:
    with pytest.raises(ValueError):
        normalize_code("hello")
    assert issubclass(InvalidCodeError, ChartcoderError)


def test_non_text_is_refused_clearly() -> None:
    with pytest.raises(InvalidCodeError, match="must be text"):
        compact_code(119)  # type: ignore[arg-type]


def test_a_very_long_bad_code_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidCodeError) as raised:
        normalize_code("x" * 500)
    assert len(str(raised.value)) < 200


@pytest.mark.parametrize(
    ("text", "is_code", "is_prefix"),
    [
        ("E11.9", True, True),
        ("e112", True, True),
        ("E11.", True, True),
        ("E1", False, True),
        ("e", False, False),
        ("qa0", True, True),
        ("hello", False, False),
        ("pneumo", False, False),
        ("E11.9 with", False, False),
        ("", False, False),
    ],
)
def test_looks_like_code_and_prefix(text: str, is_code: bool, is_prefix: bool) -> None:
    assert looks_like_code(text) is is_code
    assert looks_like_code_prefix(text) is is_prefix


@pytest.mark.parametrize(
    ("code", "seventh", "expected"),
    [
        ("S52.521", "A", "S52.521A"),
        ("s52521", "d", "S52.521D"),
        ("T36.0", "A", "T36.0XXA"),
        ("T36.0X1", "A", "T36.0X1A"),
        ("S72", "A", "S72.XXXA"),
    ],
)
def test_with_placeholders_pads_with_x_to_six_then_adds_the_seventh(code: str, seventh: str, expected: str) -> None:
    assert with_placeholders(code, seventh) == expected


@pytest.mark.parametrize(("code", "seventh"), [("S52.521", "AB"), ("S52.521", ""), ("S52.521", "-"), ("S52.521A", "A")])
def test_with_placeholders_refuses_bad_seventh_characters(code: str, seventh: str) -> None:
    with pytest.raises(InvalidCodeError):
        with_placeholders(code, seventh)


def test_code_references_in_notes() -> None:
    note = "type 1 diabetes mellitus (E10.-); chronic kidney disease (N18.1-N18.6); insulin (Z79.4)"
    found = [(match.group(0), match.group("first"), match.group("last")) for match in CODE_REFERENCE_RE.finditer(note)]
    # a span is one reference, not the branch "N18.1-" followed by "N18.6"
    assert found == [("E10.-", "E10", None), ("N18.1-N18.6", "N18.1", "N18.6"), ("Z79.4", "Z79.4", None)]


_CODE = st.from_regex(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", fullmatch=True)


@given(_CODE)
def test_normalisation_is_idempotent_and_ignores_case_and_dots(code: str) -> None:
    canonical = normalize_code(code)
    assert normalize_code(canonical) == canonical
    assert normalize_code(code.lower().replace(".", "")) == canonical
    assert looks_like_code(code) and looks_like_code_prefix(code)


@given(st.text(max_size=12))
def test_any_text_either_normalises_or_raises_invalid_code_error(text: str) -> None:
    try:
        canonical = normalize_code(text)
    except InvalidCodeError:
        return
    assert canonical == canonical.upper() and 3 <= len(canonical.replace(".", "")) <= 7
