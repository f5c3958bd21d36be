"""Engines in processes: one engine per process, loaded once, and pools of processes that each hold one.

What ``chartcoder batch --workers N``, ``evaluate --workers N``, the Spark executors and the service's engine
processes share. An engine (a spaCy pipeline, a term table and a code set: about 600 MB) is cheaper to load
than to pickle, so a process loads its own, from a small picklable recipe (:class:`EngineSpec`, or any
factory), once, and keeps it in :func:`process_engine`'s cache; work reaches it as
``function(engine, *arguments)``.

Pool processes are started with ``spawn`` (a forked copy of a process that already runs threads: BLAS,
tokenizers, a server's event loop, can deadlock), and each stops itself when its parent dies (a parent
killed outright, SIGKILL or OOM, cannot stop them, and each would hold its engine's memory forever).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from datetime import date

    from suggest.engine import Engine
    from suggest.releases import ReleaseEngines

__all__ = ["EnginePool", "EngineSpec", "process_engine"]

T = TypeVar("T")

_PARENT_POLL_S = 1.0
_POOL_ENGINE = "pool"  # the key of a pool process's engine in the cache

# This process's engines by key, and how many times each key was loaded (1 per process: tests check it).
# Only the latest key is kept: a process rarely needs two engines, and each is large.
_engines: dict[Hashable, Any] = {}
_loads: dict[Hashable, int] = {}


@dataclass(frozen=True)
class EngineSpec:
    """How a process loads its own engine (once per process, never per note); picklable.

    ``models_dir``: the model registry's folder, when not the settings' (a Spark executor gets it from the driver).
    """

    home: Path | None = None
    model: str | None = None
    max_note_chars: int | None = None
    models_dir: Path | None = None

    def load(self) -> Engine:
        """The engine over the release in force today."""
        from suggest.loading import load_engine

        return load_engine(home=self.home, model=self.model, **self._options())

    def load_release(self, effective: date) -> Engine:
        """The engine over the release effective on ``effective`` (see :func:`suggest.releases.engine_for_release`)."""
        from suggest.releases import engine_for_release
        from vocab.artifact import default_home

        return engine_for_release(self.home or default_home(), effective, self.model, **self._options())

    def load_releases(self) -> ReleaseEngines:
        """Engines by release, each loaded on its first note: the notes' dates of service choose."""
        from suggest.releases import ReleaseEngines
        from vocab.artifact import default_home

        return ReleaseEngines(home=self.home or default_home(), load=self.load_release, _engines={})

    def _options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.max_note_chars is not None:
            options["max_note_chars"] = self.max_note_chars
        if self.models_dir is not None:
            options["models_dir"] = self.models_dir
        return options


def process_engine(key: Hashable, factory: Callable[[], T]) -> T:
    """This process's engine for ``key``, built by ``factory`` the first time (and again after another key)."""
    engine = _engines.get(key)
    if engine is None:
        _engines.clear()
        engine = factory()
        _engines[key] = engine
        _loads[key] = _loads.get(key, 0) + 1
    return engine


def _start_process(factory: Callable[[], Any]) -> None:
    parent = os.getppid()
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="chartcoder-parent-watch").start()
    process_engine(_POOL_ENGINE, factory)


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(0)


def _call(function: Callable[..., T], arguments: tuple[Any, ...]) -> T:
    return function(_engines[_POOL_ENGINE], *arguments)


class EnginePool:
    """``processes`` processes, each holding the engine ``factory`` builds (in the process, when it starts).

    ``submit(function, *arguments)`` runs ``function(engine, *arguments)`` in a free process; the function and
    its arguments are pickled (module-level functions only). A process that dies breaks the whole pool
    (:class:`concurrent.futures.process.BrokenProcessPool`): start a new one.
    """

    def __init__(self, factory: Callable[[], Any], processes: int) -> None:
        self.factory = factory
        self.processes = processes
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_process,
            initargs=(factory,),
        )

    def submit(self, function: Callable[..., T], /, *arguments: Any) -> Future[T]:
        return self._executor.submit(_call, function, arguments)

    def process_ids(self) -> list[int]:
        """The ids of the processes started so far."""
        return list(self._executor._processes or {})

    def shutdown(self, *, wait: bool = True, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=cancel_futures)

    def __enter__(self) -> EnginePool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.shutdown()
