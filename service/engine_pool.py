"""Engine processes: the engine in processes of its own, fed from the server's one queue (``engine_processes``).

In a server process the engine shares the interpreter lock with the event loop: while it codes a note, the
loop waits to read, route and answer the other requests, and a second engine thread gains nothing. uvicorn's
``--workers`` give each process its own lock, but a client keeps its connection to one of them, so with
keep-alive the busy worker queues notes while the other idles. :class:`PooledEngine` runs the engine in
``processes`` :class:`EngineProcess` es instead: every note goes to whichever process is free, and the server
process only speaks HTTP.

A per-note deadline that really stops the work: a note not coded within ``note_timeout_s`` (waiting for a free
process included) gets :class:`~service.errors.EngineTimeoutError` (HTTP 503), and the process coding it is
killed and replaced by a fresh one, so no note keeps an engine busy past its deadline. The other processes
go on with their notes (a :class:`~concurrent.futures.ProcessPoolExecutor` cannot stop one task: it can only
be torn down whole, failing every note in flight).

It is a :class:`suggest.engine_protocol.ReloadableEngine` (``suggest``, ``model_id``, :meth:`with_model`: a
new pool serving another model, for :mod:`service.model_reload`) plus :meth:`close` and :meth:`process_ids`.
Each process loads its engine from an :class:`suggest.engine_pool.EngineSpec`, as the processes of
:class:`suggest.engine_pool.EnginePool` (``batch``, ``evaluate``) do; it is not that pool because that pool is
a ``ProcessPoolExecutor``, which cannot stop one note. The note text crosses to a process through a pipe,
never a file or a log. Each process loads the code set and the model itself (``spawn``: nothing of the
server's threads or sockets is inherited).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from service.errors import EngineTimeoutError, EngineUnavailableError
from suggest.coded_document import CodedDocument
from suggest.types import NoteSuggestions

__all__ = ["EngineProcess", "PooledEngine"]

log = logging.getLogger(__name__)

START_TIMEOUT_S = 300.0
DEFAULT_NOTE_TIMEOUT_S = 30.0
_PARENT_POLL_S = 1.0
_STOP_WAIT_S = 5.0
_RESTART_PAUSE_S = 5.0


class _Overdue(Exception):
    """The process did not answer within the note's deadline."""


class _Stopped(Exception):
    """The process ended (killed, out of memory) before it answered."""


# --- inside an engine process ---------------------------------------------------------------------------------


def _serve(connection: Connection, home: str, model: str, parent: int) -> None:
    """An engine process's life: load the engine, say so, then code each note received until the pipe closes."""
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True, name="chartcoder-parent-watch").start()
    try:
        from suggest.engine_pool import EngineSpec

        engine = EngineSpec(home=Path(home), model=model).load()
    except Exception as error:  # reported to the server, which refuses to start or retries the replacement
        connection.send(("failed", f"{type(error).__name__}: {error}"))
        return
    connection.send(("ready", str(engine.model_id)))
    while True:
        try:
            text, setting, note_id, top, *kind = connection.recv()
        except (EOFError, OSError):  # the server closed the pipe: stop
            return
        try:
            if kind == ["document"]:  # one document of an encounter, with the work behind its suggestions
                answer: tuple[str, Any] = ("ok", engine.code_document(text, setting=setting, note_id=note_id))
            else:
                answer = ("ok", engine.suggest(text, setting=setting, note_id=note_id, top=top))
        except Exception as error:  # a note error (422) or a bug: raised again in the server
            answer = ("error", error)
        try:
            connection.send(answer)
        except Exception as error:  # an exception that cannot be pickled: its kind and message instead
            connection.send(("error", RuntimeError(f"{type(answer[1]).__name__}: {error}")))


def _exit_with_parent(parent: int) -> None:
    """A server killed outright (SIGKILL, OOM) cannot stop its engine processes: each stops itself, or it would
    hold its ~600 MB forever."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(0)


# --- in the server ----------------------------------------------------------------------------------------------


class EngineProcess:
    """One engine in a process of its own, spoken to over a pipe; it can be killed in the middle of a note."""

    def __init__(self, home: Path, model: str) -> None:
        context = multiprocessing.get_context("spawn")
        self._connection, child_end = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child_end, str(home), model, os.getpid()), name="chartcoder-engine", daemon=True
        )
        self._process.start()
        child_end.close()
        self.model_id: str | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def wait_loaded(self, timeout_s: float) -> str:
        """The model id it serves, once loaded; :class:`EngineUnavailableError` if it failed or took too long."""
        try:
            status, detail = self._receive(timeout_s)
        except _Overdue:
            raise EngineUnavailableError(f"An engine process did not load its model within {timeout_s:g} s.") from None
        except _Stopped:
            raise EngineUnavailableError("An engine process stopped while loading its model.") from None
        if status != "ready":
            raise EngineUnavailableError(f"An engine process could not load its model: {detail}")
        self.model_id = detail
        return str(detail)

    def suggest(self, note: tuple[Any, ...], timeout_s: float) -> Any:
        """The note's suggestions; the engine's own error raised again; :class:`_Overdue` past ``timeout_s``."""
        try:
            self._connection.send(note)
        except (OSError, ValueError):
            raise _Stopped from None
        status, detail = self._receive(timeout_s)
        if status == "error":
            raise detail
        return detail

    def _receive(self, timeout_s: float) -> tuple[str, Any]:
        try:
            if not self._connection.poll(max(0.0, timeout_s)):
                raise _Overdue
            message: tuple[str, Any] = self._connection.recv()
        except (EOFError, OSError):
            raise _Stopped from None
        return message

    def kill(self) -> None:
        """Stop it now, in the middle of a note if need be."""
        self._process.kill()
        self._process.join(_STOP_WAIT_S)
        self._connection.close()

    def stop(self) -> None:
        """Let it finish: closing the pipe ends its loop (it is killed if it has not ended within a few seconds)."""
        self._connection.close()
        self._process.join(_STOP_WAIT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(_STOP_WAIT_S)


class PooledEngine:
    """``processes`` engine processes serving ``model`` (a model id or ``"zero-shot"``) over ``home``; a note
    not coded within ``note_timeout_s`` is answered with :class:`EngineTimeoutError` and its process replaced.

    Use :meth:`start`: it returns once every process has loaded the engine.
    """

    def __init__(self, home: Path, model: str, processes: int, note_timeout_s: float = DEFAULT_NOTE_TIMEOUT_S) -> None:
        self.home = home
        self.processes = processes
        self.note_timeout_s = note_timeout_s
        self.model_id = model
        self._idle: queue.SimpleQueue[EngineProcess | None] = queue.SimpleQueue()  # None: this pool was closed
        self._members: set[EngineProcess] = set()
        self._lock = threading.Lock()
        self._closed = False
        # The pool that replaced this one (``with_model``): a request that took this pool just before it closed is
        # coded there instead of waiting for a process that will never come free.
        self._successor: PooledEngine | None = None

    @classmethod
    def start(
        cls,
        home: Path,
        model: str,
        processes: int,
        timeout_s: float = START_TIMEOUT_S,
        note_timeout_s: float = DEFAULT_NOTE_TIMEOUT_S,
    ) -> PooledEngine:
        pool = cls(home, model, processes, note_timeout_s)
        try:
            pool.model_id = pool._start_processes(timeout_s)
        except BaseException:
            pool.close()
            raise
        return pool

    def _start_processes(self, timeout_s: float) -> str:
        """Start every process at once and wait for all to load; the model id they all serve."""
        deadline = time.monotonic() + timeout_s
        started = [EngineProcess(self.home, self.model_id) for _ in range(self.processes)]
        with self._lock:
            self._members.update(started)
        try:
            served = {member.wait_loaded(deadline - time.monotonic()) for member in started}
        except BaseException:
            for member in started:
                member.kill()
            raise
        if len(served) != 1:  # cannot happen with an explicit model id; guards a champion read per process
            raise EngineUnavailableError(f"The engine processes loaded different models: {sorted(served)}.")
        for member in started:
            self._idle.put(member)
        return served.pop()

    def process_ids(self) -> list[int]:
        """The engine processes' ids (those loading a replacement included)."""
        with self._lock:
            return sorted(member.pid for member in self._members if member.pid is not None)

    def suggest(
        self, text: str, setting: str = "outpatient", note_id: str | None = None, top: int | None = None
    ) -> NoteSuggestions:
        """The note's :class:`suggest.types.NoteSuggestions`, coded in a free engine process (blocks at most
        ``note_timeout_s``)."""
        result: NoteSuggestions = self._ask((text, setting, note_id, top))
        return result

    def code_document(self, text: str, setting: str = "outpatient", note_id: str | None = None) -> CodedDocument:
        """One document of an encounter (:meth:`suggest.engine.Engine.code_document`), in a free engine process."""
        result: CodedDocument = self._ask((text, setting, note_id, None, "document"))
        return result

    def _ask(self, message: tuple[Any, ...]) -> Any:
        deadline = time.monotonic() + self.note_timeout_s
        try:
            member = self._idle.get(timeout=self.note_timeout_s)
        except queue.Empty:
            raise EngineTimeoutError(
                f"No engine process became free within {self.note_timeout_s:g} s (the server is busy). Retry later."
            ) from None
        if member is None:  # closed while the note waited: wake the next waiter too, and hand the note on
            self._idle.put(None)
            if self._successor is None:
                raise EngineUnavailableError("The engine was being replaced while the note waited. Retry the request.")
            text, setting, note_id, top, *kind = message
            if kind == ["document"]:
                return self._successor.code_document(text, setting, note_id)
            return self._successor.suggest(text, setting, note_id, top)
        try:
            answer = member.suggest(message, deadline - time.monotonic())
        except _Overdue:
            self._replace(member)
            raise EngineTimeoutError(
                f"The engine did not finish the note within {self.note_timeout_s:g} s: its engine process was "
                "stopped and is being replaced. Retry later, or send a smaller note."
            ) from None
        except _Stopped:
            self._replace(member)
            raise EngineUnavailableError(
                "An engine process stopped while coding the note; it is being restarted. Retry the request."
            ) from None
        except Exception:  # the engine's own error about the note: the process is fine
            self._release(member)
            raise
        except BaseException:  # interrupted while the process may still be answering: it cannot be trusted
            self._replace(member)
            raise
        self._release(member)
        return answer

    def _release(self, member: EngineProcess) -> None:
        with self._lock:
            closed = self._closed
            if closed:
                self._members.discard(member)
        if closed:
            member.stop()
        else:
            self._idle.put(member)

    def _replace(self, member: EngineProcess) -> None:
        """Kill ``member`` and start a fresh process in the background (loading takes seconds)."""
        member.kill()
        with self._lock:
            self._members.discard(member)
            if self._closed:
                return
        threading.Thread(target=self._start_replacement, daemon=True, name="chartcoder-engine-restart").start()

    def _start_replacement(self) -> None:
        while True:
            member = EngineProcess(self.home, self.model_id)
            with self._lock:
                self._members.add(member)
            try:
                member.wait_loaded(START_TIMEOUT_S)
            except EngineUnavailableError as error:
                log.error("engine process replacement failed (%s); retrying in %g s", error, _RESTART_PAUSE_S)
                member.kill()
                with self._lock:
                    self._members.discard(member)
                    if self._closed:
                        return
                time.sleep(_RESTART_PAUSE_S)
                continue
            self._release(member)
            return

    def with_model(self, model: str, *, home: Path | None = None) -> PooledEngine:
        """A new pool of as many processes serving ``model`` (over ``home``, default this pool's); this one
        keeps serving until it is closed, and then hands the notes still waiting for one of its processes on."""
        successor = PooledEngine.start(home or self.home, model, self.processes, note_timeout_s=self.note_timeout_s)
        self._successor = successor
        return successor

    def close(self) -> None:
        """Stop the idle processes now and each busy one once its note is coded (returns at once)."""
        with self._lock:
            self._closed = True
        idle: list[EngineProcess] = []
        while True:
            try:
                member = self._idle.get_nowait()
            except queue.Empty:
                break
            if member is not None:  # None: closed before
                idle.append(member)
        with self._lock:
            self._members.difference_update(idle)
        self._idle.put(None)  # wakes a request still waiting for a process of this pool
        if idle:
            threading.Thread(target=_stop_all, args=(idle,), daemon=True, name="chartcoder-engine-stop").start()


def _stop_all(members: list[EngineProcess]) -> None:
    for member in members:
        member.stop()
