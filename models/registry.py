"""The model registry: a folder of packs and one champion, with a history for rollback.

Layout (``<home>/models`` by default; ``CHARTCODER_MODELS_DIR`` or an explicit folder overrides it)::

    registry.json     {"champion": id or null, "history": [earlier champions, oldest first], "updated": ...}
    registry.lock     held (flock) while registry.json is read-modified-written
    <id>/             one model pack each (see models.pack)

Exactly one champion: registry.json names a single id, and it is replaced as a whole (temporary file +
``os.replace``), so a reader sees the old champion or the new one, never a mix. Promoting pushes the
current champion onto the history; ``rollback`` pops it back.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import ModelError, ModelNotFoundError, RegistryError
from models.manifest import MANIFEST_FILE, CodeSetRef, ModelManifest, utc_timestamp
from models.pack import LoadedPack, read_manifest, read_pack, verify_pack, write_pack
from vocab.settings import MODELS_DIR_ENV, Settings, get_settings

__all__ = ["MODELS_DIR_ENV", "REGISTRY_FILE", "ModelRegistry", "RegistryState", "registry_folder"]

REGISTRY_FILE = "registry.json"
_LOCK_FILE = "registry.lock"
_HISTORY_LIMIT = 50


def registry_folder(home: Path | None = None, settings: Settings | None = None) -> Path:
    """The settings' ``models_dir`` (``$CHARTCODER_MODELS_DIR``) if set, else ``<home>/models`` (home: given, else
    the settings' home). ``settings`` default: the process's (:func:`vocab.settings.get_settings`)."""
    settings = settings or get_settings()
    if settings.models_dir is not None:
        return settings.models_dir.expanduser()
    return (home or settings.home.expanduser()) / "models"


class RegistryState(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    champion: str | None = None
    history: tuple[str, ...] = Field(default=())  # earlier champions, oldest first
    updated: str | None = None


class ModelRegistry:
    """Packs under one folder; ``champion()`` is what the engine loads when no model is named."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    @classmethod
    def for_home(cls, home: Path | None = None, settings: Settings | None = None) -> ModelRegistry:
        return cls(registry_folder(home, settings))

    # --- reading ------------------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        """Ids of the complete packs (a folder with a manifest), sorted; half-written temporaries are hidden."""
        if not self.folder.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.folder.iterdir()
            if entry.is_dir() and not entry.name.startswith(".") and (entry / MANIFEST_FILE).is_file()
        )

    def manifests(self) -> list[ModelManifest]:
        """Every readable pack's manifest, oldest first; an unreadable one is skipped (``show`` names its error)."""
        found = []
        for model_id in self.ids():
            try:
                found.append(read_manifest(self.folder / model_id))
            except ModelError:
                continue
        return sorted(found, key=lambda manifest: (manifest.created, manifest.id))

    def pack_folder(self, model_id: str) -> Path:
        if not model_id or model_id.startswith(".") or "/" in model_id or "\\" in model_id:
            raise ModelNotFoundError(f"{model_id!r} is not a model id.")
        folder = self.folder / model_id
        if not (folder / MANIFEST_FILE).is_file():
            known = ", ".join(self.ids()) or "none"
            raise ModelNotFoundError(f"No model {model_id!r} in {self.folder} (registered: {known}).")
        return folder

    def manifest(self, model_id: str) -> ModelManifest:
        return read_manifest(self.pack_folder(model_id))

    def state(self) -> RegistryState:
        path = self.folder / REGISTRY_FILE
        if not path.exists():
            return RegistryState()
        try:
            return RegistryState.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError) as error:
            raise RegistryError(f"{path} is not a readable model registry: {error}") from error

    def champion(self) -> str | None:
        return self.state().champion

    def load(self, model_id: str, *, code_set: CodeSetRef | None = None) -> LoadedPack:
        return read_pack(self.pack_folder(model_id), code_set=code_set)

    def verify(self, model_id: str, *, code_set: CodeSetRef | None = None) -> ModelManifest:
        return verify_pack(self.pack_folder(model_id), code_set=code_set)

    # --- writing ------------------------------------------------------------------------------------------
    def add(self, manifest: ModelManifest, parts: Mapping[str, Any]) -> ModelManifest:
        """Write a new pack (atomically); it is not the champion until promoted."""
        return write_pack(self.folder, manifest, parts)

    def promote(self, model_id: str, *, code_set: CodeSetRef | None = None) -> RegistryState:
        """Make ``model_id`` the champion after verifying the pack (hashes, versions, and the code set if given)."""
        self.verify(model_id, code_set=code_set)
        with self._locked():
            state = self.state()
            if state.champion == model_id:
                return state
            history = (*state.history, state.champion) if state.champion else state.history
            return self._write_state(RegistryState(champion=model_id, history=history[-_HISTORY_LIMIT:]))

    def rollback(self) -> RegistryState:
        """Restore the previous champion; earlier champions whose packs were deleted are skipped."""
        with self._locked():
            state = self.state()
            history = list(state.history)
            while history:
                previous = history.pop()
                if (self.folder / previous / MANIFEST_FILE).is_file():
                    return self._write_state(RegistryState(champion=previous, history=tuple(history)))
            raise RegistryError(
                f"Nothing to roll back to: {self.folder} has no earlier champion"
                + (f" (the champion is {state.champion!r})." if state.champion else " and no champion.")
            )

    def demote(self) -> RegistryState:
        """No champion: the engine falls back to the zero-shot heuristic; ``rollback`` restores this one."""
        with self._locked():
            state = self.state()
            history = (*state.history, state.champion) if state.champion else state.history
            return self._write_state(RegistryState(champion=None, history=history[-_HISTORY_LIMIT:]))

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / _LOCK_FILE).open("a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _write_state(self, state: RegistryState) -> RegistryState:
        stamped = state.model_copy(update={"updated": utc_timestamp()})
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".registry-", suffix=".json")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(stamped.model_dump(mode="json"), indent=2))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.folder / REGISTRY_FILE)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return stamped
