"""Engine processes: the engine in processes of its own, fed from the server's one queue (``engine_processes``).

In a server process the engine shares the interpreter lock with the event loop: while it codes a note, the
loop waits to read, route and answer the other requests, and a second engine thread gains nothing. uvicorn's
``--workers`` give each process its own lock, but a client keeps its connection to one of them, so with
keep-alive the busy worker queues notes while the other idles. :class:`PooledEngine` runs the engine in
``processes`` worker processes of a :class:`~concurrent.futures.ProcessPoolExecutor` instead: every note goes
to whichever process is free, and the server process only speaks HTTP.

It is a :class:`suggest.engine_protocol.ReloadableEngine` (``suggest``, ``model_id``, :meth:`with_model`: a
new pool serving another model, for :mod:`service.model_reload`) plus :meth:`close`. The processes are a
:class:`suggest.engine_pool.EnginePool` (the pool ``batch`` and ``evaluate`` use too). The note text crosses
to a worker through a pipe, never a file or a log. Each worker process loads the code set and the model
itself (``spawn``: nothing of the server's threads or sockets is inherited).
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from service.errors import EngineUnavailableError
from suggest.engine_pool import EnginePool, EngineSpec
from suggest.engine_protocol import SuggestionEngine
from suggest.types import NoteSuggestions

__all__ = ["PooledEngine"]

START_TIMEOUT_S = 300.0
_PING_S = 0.05


def _ping(engine: SuggestionEngine) -> tuple[int, str]:
    time.sleep(_PING_S)  # long enough for the other workers, still loading, to take their own pings
    return os.getpid(), str(engine.model_id)


def _suggest(
    engine: SuggestionEngine, text: str, setting: str, note_id: str | None, top: int | None
) -> NoteSuggestions:
    return engine.suggest(text, setting=setting, note_id=note_id, top=top)


class PooledEngine:
    """``processes`` engine processes serving ``model`` (a model id or ``"zero-shot"``) over ``home``.

    Use :meth:`start`: it returns once every process has loaded the engine.
    """

    def __init__(self, home: Path, model: str, processes: int) -> None:
        self.home = home
        self.processes = processes
        self.model_id = model
        self._requested = model
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    @classmethod
    def start(cls, home: Path, model: str, processes: int, timeout_s: float = START_TIMEOUT_S) -> PooledEngine:
        pool = cls(home, model, processes)
        try:
            pool.model_id = pool._wait_until_loaded(timeout_s)
        except BaseException:
            pool.close()
            raise
        return pool

    def _new_pool(self) -> EnginePool:
        return EnginePool(EngineSpec(home=self.home, model=self._requested).load, self.processes)

    def _wait_until_loaded(self, timeout_s: float) -> str:
        """The model id every process serves, once each has answered a ping (all loaded)."""
        deadline = time.monotonic() + timeout_s
        answered: dict[int, str] = {}
        while len(answered) < self.processes:
            pings = [self._pool.submit(_ping) for _ in range(self.processes)]
            try:
                for ping in pings:
                    pid, model_id = ping.result(timeout=max(0.0, deadline - time.monotonic()))
                    answered[pid] = model_id
            except BrokenProcessPool as error:
                message = f"An engine process failed while loading model {self._requested!r}."
                raise EngineUnavailableError(message) from error
            except TimeoutError:
                raise EngineUnavailableError(
                    f"The engine processes did not load model {self._requested!r} within {timeout_s:g} s."
                ) from None
        served = set(answered.values())
        if len(served) != 1:  # cannot happen with an explicit model id; guards a champion read per process
            raise EngineUnavailableError(f"The engine processes loaded different models: {sorted(served)}.")
        return served.pop()

    def suggest(
        self, text: str, setting: str = "outpatient", note_id: str | None = None, top: int | None = None
    ) -> NoteSuggestions:
        """The note's :class:`suggest.types.NoteSuggestions`, coded in a free engine process (blocks)."""
        pool = self._pool
        try:
            return pool.submit(_suggest, text, setting, note_id, top).result()
        except BrokenProcessPool:
            self._replace_broken(pool)
            raise EngineUnavailableError(
                "An engine process stopped while coding the note; it is being restarted. Retry the request."
            ) from None

    def _replace_broken(self, broken: EnginePool) -> None:
        """A dead worker breaks the whole pool: start a new one (once, however many requests saw it)."""
        with self._lock:
            if self._pool is broken:
                self._pool = self._new_pool()
                broken.shutdown(wait=False, cancel_futures=True)

    def with_model(self, model: str, *, home: Path | None = None) -> PooledEngine:
        """A new pool of as many processes serving ``model`` (over ``home``, default this pool's); this one
        keeps serving until it is closed."""
        return PooledEngine.start(home or self.home, model, self.processes)

    def process_ids(self) -> list[int]:
        """The engine processes' ids (for operators and tests)."""
        return self._pool.process_ids()

    def close(self) -> None:
        """Stop the processes once the notes already queued are coded (returns at once)."""
        self._pool.shutdown(wait=False)
