"""Run datamodel-codegen in a forked worker while the caller runs the other stages.

Generation is CPU-bound and datamodel-codegen is most of it, so on a multi-core machine it runs
in a child process. A `Worker` is forked before its input exists: it warms up (imports
datamodel-code-generator, about 0.4 s) while the caller compiles the corpus, then receives its
job (a module-level function and its argument, pickled) and sends back the result, a value of
plain data. A `Resident` serves a long-lived session: forked once, warm ever after, one job per
round. Where fork is unavailable, or SCHEMAGEN_JOBS=1, a job simply runs in-process when its
result is asked for.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")
A = TypeVar("A")


class Job(Protocol[T]):
    """One piece of work handed to another process: what the pipeline needs of a worker."""

    def submit(self, fn: Callable[[A], T], argument: A) -> None: ...

    def result(self) -> T: ...

    def cancel(self) -> None: ...


class Worker(Generic[T]):
    """One job, run in a child process forked at construction (or in-process, on demand)."""

    def __init__(self, warm_up: Callable[[], object] | None = None) -> None:
        self._job: tuple[Callable[[Any], T], Any] | None = None
        self._pid: int | None = None
        self._to_child: int | None = None
        self._from_child: int | None = None
        if _can_fork():
            job_read, job_write = os.pipe()
            result_read, result_write = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns, never runs the parent's exit handlers
                os.close(job_write)
                os.close(result_read)
                _serve(warm_up, job_read, result_write)
            os.close(job_read)
            os.close(result_write)
            self._pid, self._to_child, self._from_child = pid, job_write, result_read

    def submit(self, fn: Callable[[A], T], argument: A) -> None:
        """Give the worker its job. `fn` must be importable by name (a module-level function or
        a functools.partial of one); an argument that cannot be pickled runs in-process."""
        self._job = (fn, argument)
        if self._to_child is None:
            return
        try:
            payload = pickle.dumps(self._job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - any pickling failure: run it here instead
            self.cancel()
            return
        with os.fdopen(self._to_child, "wb") as stream:  # the child reads while it warms up
            self._to_child = None
            stream.write(payload)

    def cancel(self) -> None:
        """Stop the worker (its result is not wanted, or it will run in-process) and reap it."""
        if self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = None
        for descriptor in (self._to_child, self._from_child):
            if descriptor is not None:
                os.close(descriptor)
        self._to_child = self._from_child = None

    def result(self) -> T:
        """The job's value; the worker's own exception if it raised one."""
        if self._job is None:
            raise RuntimeError("Worker.result() before submit()")
        if self._pid is None or self._from_child is None:
            return self._run_here()
        chunks = []
        with os.fdopen(self._from_child, "rb") as stream:
            self._from_child = None
            while chunk := stream.read(1 << 20):
                chunks.append(chunk)
        os.waitpid(self._pid, 0)
        self._pid = None
        if not chunks:  # the worker died without answering: do the work here
            return self._run_here()
        status, payload = pickle.loads(b"".join(chunks))
        if status == "error":
            raise payload  # the worker's own exception: the caller handles it as if run here
        return payload  # type: ignore[no-any-return]

    def _run_here(self) -> T:
        assert self._job is not None
        fn, argument = self._job
        return fn(argument)


def _can_fork() -> bool:
    return (
        hasattr(os, "fork")
        and os.environ.get("SCHEMAGEN_JOBS") != "1"
        and (os.cpu_count() or 1) > 1
    )


def _serve(warm_up: Callable[[], object] | None, job_read: int, result_write: int) -> None:
    try:
        warming = threading.Thread(target=_quietly, args=(warm_up,), daemon=True)
        warming.start()
        with os.fdopen(job_read, "rb") as stream:
            payload = stream.read()
        warming.join()
        if payload:  # empty: the parent gave up on this worker
            with os.fdopen(result_write, "wb") as stream:
                stream.write(_answer(payload))
    finally:
        os._exit(0)


def _answer(payload: bytes) -> bytes:
    """Run a pickled (function, argument) job; its value or its exception, pickled."""
    try:
        fn, argument = pickle.loads(payload)
        message: tuple[str, object] = ("ok", fn(argument))
    except Exception as error:  # noqa: BLE001 - sent to the parent, which raises it
        message = ("error", error)
    try:
        return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 - a value or exception that cannot travel
        return pickle.dumps(("error", RuntimeError(f"{type(error).__name__}: {error}")))


def _quietly(warm_up: Callable[[], object] | None) -> None:
    """Warming up only saves time; if it fails, the job meets the same failure and reports it."""
    if warm_up is not None:
        with contextlib.suppress(Exception):
            warm_up()


class Resident:
    """A worker process kept for many jobs, for a long-lived session (`generate --watch`).

    Forked once, after `warm_up`, it answers jobs one at a time over a pipe (each message a
    length and a pickle), so no round pays for a fork, a warm-up or a cold heap. A job cancelled
    or failed half-way kills it; the next job starts a new one. Use as a context manager.
    """

    def __init__(self, warm_up: Callable[[], object] | None = None) -> None:
        self._warm_up = warm_up
        self._pid: int | None = None
        self._to_child: int | None = None
        self._from_child: int | None = None

    def __enter__(self) -> Resident:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def job(self) -> Job[Any]:
        """A handle for the next job; runs in-process where fork is unavailable."""
        if self._pid is None and _can_fork():
            self._start()
        return _ResidentJob(self)

    def close(self) -> None:
        if self._pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
        for descriptor in (self._to_child, self._from_child):
            if descriptor is not None:
                os.close(descriptor)
        self._pid = self._to_child = self._from_child = None

    def _start(self) -> None:
        if self._warm_up is not None:
            _quietly(self._warm_up)  # here, once: the child inherits it
        job_read, job_write = os.pipe()
        result_read, result_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(job_write)
            os.close(result_read)
            _serve_forever(job_read, result_write)
        os.close(job_read)
        os.close(result_write)
        self._pid, self._to_child, self._from_child = pid, job_write, result_read

    def _send(self, payload: bytes) -> bool:
        try:
            assert self._to_child is not None
            _write_message(self._to_child, payload)
        except OSError:
            self.close()
            return False
        return True

    def _receive(self) -> bytes | None:
        assert self._from_child is not None
        payload = _read_message(self._from_child)
        if payload is None:  # the worker died: the next job starts another
            self.close()
        return payload


class _ResidentJob(Generic[T]):
    def __init__(self, resident: Resident) -> None:
        self._resident = resident
        self._job: tuple[Callable[[Any], T], Any] | None = None
        self._sent = False

    def submit(self, fn: Callable[[A], T], argument: A) -> None:
        self._job = (fn, argument)
        if self._resident._pid is None:
            return
        try:
            payload = pickle.dumps(self._job, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - any pickling failure: run it here instead
            return
        self._sent = self._resident._send(payload)

    def result(self) -> T:
        if self._job is None:
            raise RuntimeError("result() before submit()")
        if self._sent:
            self._sent = False
            reply = self._resident._receive()
            if reply is not None:
                status, payload = pickle.loads(reply)
                if status == "error":
                    raise payload
                return payload  # type: ignore[no-any-return]
        fn, argument = self._job
        return fn(argument)

    def cancel(self) -> None:
        if self._sent:  # a job in flight cannot be taken back: stop the worker
            self._sent = False
            self._resident.close()


def _write_message(descriptor: int, payload: bytes) -> None:
    data = memoryview(len(payload).to_bytes(8, "big") + payload)
    while data:
        written = os.write(descriptor, data)
        data = data[written:]


def _read_message(descriptor: int) -> bytes | None:
    header = _read_exactly(descriptor, 8)
    if header is None:
        return None
    return _read_exactly(descriptor, int.from_bytes(header, "big"))


def _read_exactly(descriptor: int, size: int) -> bytes | None:
    chunks, remaining = [], size
    while remaining:
        chunk = os.read(descriptor, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _serve_forever(job_read: int, result_write: int) -> None:
    try:
        while (payload := _read_message(job_read)) is not None:
            _write_message(result_write, _answer(payload))
    finally:
        os._exit(0)
