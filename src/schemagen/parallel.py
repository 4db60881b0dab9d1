"""Run one stage in a forked worker while the caller runs the others.

Generation is CPU-bound and the Python stage (datamodel-code-generator) is the longest, so on a
multi-core machine it runs in a child process that inherits the compiled corpus through fork
(nothing is pickled on the way in) and sends back its StageResult, a value of plain bytes and
strings. Where fork is unavailable, or SCHEMAGEN_JOBS=1, the stage simply runs in-process.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Deferred(Generic[T]):
    """The result of `fn`, computed in a child process (or on demand, in-process)."""

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._pid: int | None = None
        self._read: int | None = None
        if _can_fork():
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: compute, send, and leave without running the parent's exits
                os.close(read)
                _child(fn, write)
            os.close(write)
            self._pid, self._read = pid, read

    def cancel(self) -> None:
        """Stop the worker (its result is not wanted) and reap it."""
        if self._pid is not None and self._read is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._read)
            self._pid = self._read = None

    def result(self) -> T:
        if self._pid is None or self._read is None:
            return self._fn()
        chunks = []
        with os.fdopen(self._read, "rb") as stream:
            while chunk := stream.read(1 << 20):
                chunks.append(chunk)
        os.waitpid(self._pid, 0)
        self._pid = None
        if not chunks:  # the worker died without answering: do the work here
            return self._fn()
        status, payload = pickle.loads(b"".join(chunks))
        if status == "error":
            raise payload  # the worker's own exception: the caller handles it as if run here
        return payload  # type: ignore[no-any-return]


def _can_fork() -> bool:
    return (
        hasattr(os, "fork")
        and os.environ.get("SCHEMAGEN_JOBS") != "1"
        and (os.cpu_count() or 1) > 1
    )


def _child(fn: Callable[[], object], write: int) -> None:
    code = 0
    try:
        try:
            message: tuple[str, object] = ("ok", fn())
        except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
            code = 1
            message = ("error", error)
            try:
                pickle.dumps(error)
            except Exception:  # noqa: BLE001 - an exception that cannot travel: send its text
                message = ("error", RuntimeError(f"{type(error).__name__}: {error}"))
        with os.fdopen(write, "wb") as stream:
            stream.write(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(code)
