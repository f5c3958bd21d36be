"""Model packs and the model registry: versioned, hash-verified learned models and the champion the engine uses.

Imports :mod:`vocab` only (never :mod:`suggest`, :mod:`training` or :mod:`service`); a pack's parts are built
here from JSON and arrays by the classes registered under their types (:mod:`models.parts`; the engine's part
classes live in :mod:`suggest` and register when imported) and handed to the engine, which only knows them
through the protocols in :mod:`suggest.ranking`. Nothing in a pack is unpickled.
"""

from models.errors import (
    ModelCodeSetMismatchError,
    ModelError,
    ModelExistsError,
    ModelFormatError,
    ModelIntegrityError,
    ModelNotFoundError,
    ModelVersionError,
    RegistryError,
)
from models.manifest import CodeSetRef, DataFingerprint, ModelManifest, Versions, code_set_ref, current_versions
from models.pack import LoadedPack, read_pack, verify_pack, write_pack
from models.registry import ModelRegistry, RegistryState, registry_folder

__all__ = [
    "CodeSetRef",
    "DataFingerprint",
    "LoadedPack",
    "ModelCodeSetMismatchError",
    "ModelError",
    "ModelExistsError",
    "ModelFormatError",
    "ModelIntegrityError",
    "ModelManifest",
    "ModelNotFoundError",
    "ModelRegistry",
    "ModelVersionError",
    "RegistryError",
    "RegistryState",
    "Versions",
    "code_set_ref",
    "current_versions",
    "read_pack",
    "registry_folder",
    "verify_pack",
    "write_pack",
]
