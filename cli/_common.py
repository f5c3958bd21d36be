"""What every command shares: the data folder, turning chartcoder errors into exit code 2, reading input."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from vocab.errors import ChartcoderError

__all__ = ["HomeOption", "console", "error_console", "fail", "labelled", "read_text_input", "user_errors"]

# No markup interpretation: messages quote user input, paths and commands whose square brackets rich would
# take for style tags and drop ("pip install 'chartcoder[spark]'"). Styles are given as Text parts instead.
console = Console(highlight=False, soft_wrap=True, markup=False)
error_console = Console(stderr=True, highlight=False, markup=False)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home", help="Data folder (code set, models, database); default: the home setting ($CHARTCODER_HOME)."
    ),
]

T = TypeVar("T")


def labelled(label: str, style: str, message: str) -> Text:
    """``label`` in ``style``, then ``message`` printed as it is (brackets and all)."""
    return Text.assemble((label, style), " ", message)


def fail(message: str, code: int = 2) -> typer.Exit:
    error_console.print(labelled("error:", "bold red", message))
    return typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """A chartcoder error is the user's to fix: print it plainly and exit 2, never a traceback."""
    try:
        yield
    except ChartcoderError as error:
        raise fail(str(error)) from None
    except UnicodeDecodeError as error:
        raise fail(f"The input is not UTF-8 text (byte {error.start}): {error.reason}.") from None


def read_text_input(source: str, max_bytes: int | None = None) -> str:
    """Read a file, or standard input for ``-``, as strict UTF-8; a clear error for anything else."""
    try:
        data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except FileNotFoundError:
        raise fail(f"No such file: {source}") from None
    except IsADirectoryError:
        raise fail(f"{source} is a folder, not a file.") from None
    except OSError as error:
        raise fail(f"Cannot read {source}: {error.strerror}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise fail(f"{source} is {len(data):,} bytes; the limit is {max_bytes:,}.")
    if b"\x00" in data:
        raise fail(f"{source} looks binary (it contains NUL bytes), not text.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise fail(f"{source} is not UTF-8 text (invalid byte at offset {error.start}).") from None


def run_guarded(function: Callable[[], T]) -> T:
    with user_errors():
        return function()
