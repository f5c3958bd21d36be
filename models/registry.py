"""The model registry: a folder of packs and one champion, with a history for rollback.

Layout (``<home>/models`` by default; ``CHARTCODER_MODELS_DIR`` or an explicit folder overrides it)::

    registry.json     {"champion": id or null, "history": [earlier champions, oldest first],
                       "pins": {id: sha256 of the pack's manifest.json when it was registered}, "updated": ...}
    registry.lock     held (flock) while registry.json is read-modified-written
    <id>/             one model pack each (see models.pack)

Exactly one champion: registry.json names a single id, and it is replaced as a whole (temporary file +
``os.replace``), so a reader sees the old champion or the new one, never a mix. Promoting pushes the
current champion onto the history; ``rollback`` pops it back.

Each pack's manifest hash is pinned beside the champion pointer when the pack is registered; every load and
verification compares the manifest on disk with its pin (E103) and refuses a pack that has none (E104). The
manifest pins each part's sha256 in turn, so editing a threshold, swapping a part or copying a pack in by hand
is refused by the CLI, the service and Spark alike, and shown as incompatible in ``/v1/models``.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.errors import Errors, ModelError, ModelNotFoundError, ModelTamperedError, RegistryError
from models.manifest import MANIFEST_FILE, CodeSetRef, ModelManifest, utc_timestamp
from models.pack import LoadedPack, manifest_sha256, read_manifest, read_pack, verify_pack, write_pack
from models.parts import PackPart
from vocab.artifact import write_file_atomically
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
    pins: dict[str, str] = Field(default_factory=dict)  # pack id -> sha256 of its manifest.json
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
                found.append(read_manifest(self.folder / model_id, accept_old=True))
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
        """The manifest as written (an old format too: ``show`` and ``list`` name what is wrong with it)."""
        return read_manifest(self.pack_folder(model_id), accept_old=True)

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

    def pin(self, model_id: str) -> str:
        """The manifest sha256 pinned when ``model_id`` was registered (:class:`ModelTamperedError` if none)."""
        self.pack_folder(model_id)  # a named error for an unknown id first
        pinned = self.state().pins.get(model_id)
        if pinned is None:
            raise ModelTamperedError(Errors.E104.format(model=model_id, registry=self.folder / REGISTRY_FILE))
        return pinned

    def load(self, model_id: str, *, code_set: CodeSetRef | None = None) -> LoadedPack:
        """The pack's parts, after every check of :func:`models.pack.read_pack` against its pinned manifest."""
        return read_pack(self.pack_folder(model_id), code_set=code_set, pinned_sha256=self.pin(model_id))

    def verify(self, model_id: str, *, code_set: CodeSetRef | None = None) -> ModelManifest:
        return verify_pack(self.pack_folder(model_id), code_set=code_set, pinned_sha256=self.pin(model_id))

    def problem(self, model_id: str, *, code_set: CodeSetRef | None = None) -> str | None:
        """Why ``model_id`` would be refused (pin, versions, code set, part types, hashes), or None."""
        try:
            self.verify(model_id, code_set=code_set)
        except ModelError as error:
            return str(error)
        return None

    # --- writing ------------------------------------------------------------------------------------------
    def add(self, manifest: ModelManifest, parts: Mapping[str, PackPart]) -> ModelManifest:
        """Write a new pack (atomically) and pin its manifest's hash; it is not the champion until promoted."""
        written = write_pack(self.folder, manifest, parts)
        self.pin_current(written.id)
        return written

    def pin_current(self, model_id: str) -> str:
        """Pin the manifest as it is on disk now: for a pack just written, or one the user vouches for
        (`chartcoder models upgrade`). Returns the pinned sha256."""
        sha = manifest_sha256(self.pack_folder(model_id))
        with self._locked():
            state = self.state()
            self._write_state(state.model_copy(update={"pins": {**state.pins, model_id: sha}}))
        return sha

    def promote(self, model_id: str, *, code_set: CodeSetRef | None = None) -> RegistryState:
        """Make ``model_id`` the champion after verifying the pack (hashes, versions, and the code set if given)."""
        self.verify(model_id, code_set=code_set)
        with self._locked():
            state = self.state()
            if state.champion == model_id:
                return state
            history = (*state.history, state.champion) if state.champion else state.history
            return self._write_state(
                state.model_copy(update={"champion": model_id, "history": history[-_HISTORY_LIMIT:]})
            )

    def rollback(self) -> RegistryState:
        """Restore the previous champion; earlier champions whose packs were deleted are skipped."""
        with self._locked():
            state = self.state()
            history = list(state.history)
            while history:
                previous = history.pop()
                if (self.folder / previous / MANIFEST_FILE).is_file():
                    return self._write_state(state.model_copy(update={"champion": previous, "history": tuple(history)}))
            raise RegistryError(
                f"Nothing to roll back to: {self.folder} has no earlier champion"
                + (f" (the champion is {state.champion!r})." if state.champion else " and no champion.")
            )

    def demote(self) -> RegistryState:
        """No champion: the engine falls back to the zero-shot heuristic; ``rollback`` restores this one."""
        with self._locked():
            state = self.state()
            history = (*state.history, state.champion) if state.champion else state.history
            return self._write_state(state.model_copy(update={"champion": None, "history": history[-_HISTORY_LIMIT:]}))

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
        data = json.dumps(stamped.model_dump(mode="json"), indent=2).encode("utf-8")
        write_file_atomically(self.folder / REGISTRY_FILE, data)
        return stamped
