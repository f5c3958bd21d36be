"""Named errors of model packs and the model registry.

Every one derives from :class:`vocab.errors.ChartcoderError`, so the CLI prints it and exits 2 and the service
refuses to start with the message instead of a traceback. Each message names the pack (and the file, where one
is at fault) and says what to do.
"""

from __future__ import annotations

from vocab.errors import ChartcoderError

__all__ = [
    "ModelCodeSetMismatchError",
    "ModelError",
    "ModelExistsError",
    "ModelFormatError",
    "ModelIntegrityError",
    "ModelNotFoundError",
    "ModelVersionError",
    "RegistryError",
]


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


class ModelVersionError(ModelError):
    """The pack was written by another chartcoder, spaCy or scikit-learn version (pickles are not portable)."""


class ModelCodeSetMismatchError(ModelError):
    """The pack was trained on candidates from another code-set artifact (release, tabular list or lexicon)."""


class RegistryError(ModelError):
    """The registry cannot do what was asked (nothing to roll back to, an unreadable registry.json, ...)."""
