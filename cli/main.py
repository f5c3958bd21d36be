"""The ``chartcoder`` console script."""

from __future__ import annotations

import os

import typer

from cli import (
    check_commands,
    codes_commands,
    db_commands,
    evaluate_commands,
    export_commands,
    keys_commands,
    models_commands,
    serve_commands,
    suggest_commands,
    train_commands,
    vocab_commands,
)
from cli._common import user_errors
from vocab.file_modes import apply_umask
from vocab.settings import get_settings

app = typer.Typer(
    name="chartcoder",
    help="chartcoder: computer-assisted ICD-10-CM coding. Reads chart notes, proposes codes with evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _read_settings(context: typer.Context) -> None:
    """Every command reads chartcoder's settings once, when it starts (:mod:`vocab.settings`): an invalid value
    stops it here with one line, before anything is loaded. Read afresh per command and forgotten after it, never
    kept from one command to the next in the same process (a test's runner changes the environment between).

    Every file the command then creates under the data folder is owner-only, or group-readable when the settings
    ask for it (``group_readable_home``): notes are PHI, and the umask applies to every writer at once."""
    get_settings.cache_clear()
    context.call_on_close(get_settings.cache_clear)
    with user_errors():
        settings = get_settings()
    previous_umask = apply_umask(settings.home_modes)
    context.call_on_close(lambda: os.umask(previous_umask))


app.command("suggest")(suggest_commands.suggest)
app.command("batch")(suggest_commands.batch)
app.command("check")(check_commands.check)
app.add_typer(vocab_commands.app, name="vocab")
app.add_typer(codes_commands.app, name="codes")
app.add_typer(keys_commands.app, name="keys")
app.add_typer(db_commands.app, name="db")
app.command("serve")(serve_commands.serve)
app.command("evaluate")(evaluate_commands.evaluate)
app.add_typer(models_commands.app, name="models")
app.command("train")(train_commands.train)
app.command("export")(export_commands.export)


if __name__ == "__main__":  # pragma: no cover
    app()
