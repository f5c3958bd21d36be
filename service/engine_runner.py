"""Running the engine off the event loop, a bounded number of notes at a time, under the request timeout."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from service.errors import EngineTimeoutError

__all__ = ["EngineRunner"]

T = TypeVar("T")


class EngineRunner:
    """A small thread pool of its own: engine work waits in its queue, never in the request threadpool.

    On timeout the caller gets :class:`EngineTimeoutError` (HTTP 503) at once and work not yet started is
    cancelled. What happens to work already running depends on the engine: a
    :class:`~service.engine_pool.PooledEngine` stops it at its own deadline (it kills the engine process);
    the in-process engine cannot be interrupted (a thread cannot be), so it finishes in the background, which
    the tokenizer's bounded work keeps linear in the note's length (``service/README.md``, "Deadlines").
    """

    def __init__(self, threads: int, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="chartcoder-engine")

    async def run(self, work: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._executor, work), self.timeout_s)
        except TimeoutError:
            raise EngineTimeoutError(
                f"The engine did not finish within {self.timeout_s:g} s (the server may be busy). "
                "Retry later, or send smaller notes or batches."
            ) from None

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
