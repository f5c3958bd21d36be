"""The ``chartcoder`` console script."""

from __future__ import annotations

import typer

from cli import (
    codes_commands,
    db_commands,
    evaluate_commands,
    keys_commands,
    models_commands,
    serve_commands,
    suggest_commands,
    train_commands,
    vocab_commands,
)
from vocab.file_modes import apply_umask, home_modes

app = typer.Typer(
    name="chartcoder",
    help="chartcoder: computer-assisted ICD-10-CM coding. Reads chart notes, proposes codes with evidence.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _files_follow_the_home_policy() -> None:
    """Every file a command creates under the data folder is owner-only, or group-readable when the settings
    ask for it (``CHARTCODER_GROUP_READABLE_HOME``): notes are PHI, the umask applies to every writer at once."""
    apply_umask(home_modes(_group_readable_home()))


def _group_readable_home() -> bool:
    from service.settings import Settings  # the policy is a service setting; read it without the cached object

    try:
        return Settings().group_readable_home
    except Exception:  # invalid settings are the command's to report; meanwhile stay owner-only
        return False


app.command("suggest")(suggest_commands.suggest)
app.command("batch")(suggest_commands.batch)
app.add_typer(vocab_commands.app, name="vocab")
app.add_typer(codes_commands.app, name="codes")
app.add_typer(keys_commands.app, name="keys")
app.add_typer(db_commands.app, name="db")
app.command("serve")(serve_commands.serve)
app.command("evaluate")(evaluate_commands.evaluate)
app.add_typer(models_commands.app, name="models")
app.command("train")(train_commands.train)


if __name__ == "__main__":  # pragma: no cover
    app()
