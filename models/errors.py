"""Named errors of model packs and the model registry.

Every one derives from :class:`vocab.errors.ChartcoderError`, so the CLI prints it and exits 2 and the service
refuses to start with the message instead of a traceback. Each message names the pack (and the file, where one
is at fault) and says what to do.
"""

from __future__ import annotations

from vocab.errors import ChartcoderError

__all__ = [
    "Errors",
    "ModelCodeSetMismatchError",
    "ModelError",
    "ModelExistsError",
    "ModelFormatError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelPartError",
    "ModelTamperedError",
    "ModelVersionError",
    "RegistryError",
]


class Errors:
    """Numbered message templates of model packs (``E1xx`` ids are stable: documentation and logs cite them)."""

    E101 = (
        "[E101] Model pack {model!r} names an unknown part type {part_type!r} for its part {part!r} (known: "
        "{known}). It was written by another chartcoder, or edited; it will not be loaded."
    )
    E102 = (
        "[E102] {path} is a model pack in format {found}; this chartcoder reads format {expected}. Convert it "
        "with `chartcoder models upgrade` (packs in format 1 hold pickles: only upgrade packs you wrote)."
    )
    E103 = (
        "[E103] The manifest of model pack {model!r} ({path}) does not match the sha256 pinned in the registry "
        "when the pack was registered: it was edited after training. It will not be loaded; restore it, or "
        "train a new pack."
    )
    E104 = (
        "[E104] Model pack {model!r} has no pinned manifest hash in {registry} (a pack copied in by hand, or a "
        "registry from an older chartcoder). Run `chartcoder models upgrade` to pin the packs you trust."
    )
    E105 = "[E105] {path}: part {part!r} of model pack {model!r} is not readable: {reason}."
    E106 = (
        "[E106] Model pack {model!r} lists file {filename!r}, which is not a part file this chartcoder reads "
        "(parts are <name>.json with an optional <name>.npz); it will not be loaded."
    )


class ModelError(ChartcoderError):
    """Base of every model-pack and registry error."""


class ModelNotFoundError(ModelError, KeyError):
    """No pack with that id in the registry."""

    def __str__(self) -> str:  # KeyError quotes its argument; a message should read as prose
        return str(self.args[0]) if self.args else ""


class ModelExistsError(ModelError):
    """A pack with that id is already registered (packs are immutable: a new one needs a new id)."""


class ModelFormatError(ModelError):
    """The manifest is missing or unreadable, or a part is not what the manifest says it is."""


class ModelIntegrityError(ModelFormatError):
    """A file of the pack is missing, truncated or modified: its sha256 differs from the manifest's."""


class ModelTamperedError(ModelIntegrityError):
    """The manifest differs from the hash pinned when the pack was registered (E103), or has no pin (E104)."""


class ModelPartError(ModelFormatError):
    """A part names an unknown registered type (E101), a file that is not a part (E106), or does not read (E105)."""


class ModelVersionError(ModelError):
    """The pack was written by another chartcoder, spaCy or scikit-learn version, or in another format (E102)."""


class ModelCodeSetMismatchError(ModelError):
    """The pack was trained on candidates from another code-set artifact (release, tabular list or lexicon)."""


class RegistryError(ModelError):
    """The registry cannot do what was asked (nothing to roll back to, an unreadable registry.json, ...)."""
