"""Where runs execute, behind one small ``concurrent.futures``-style seam.

An executor has ``submit(fn, *args) -> Future``, ``shutdown(cancel=...)``, ``slots`` (how many
tasks are worth keeping in flight), ``shared_disk`` (whether its workers write to this
machine's disk, so they can save their runs' files themselves) and ``holds(run_id)`` (whether
its workers already have that run, so a task may name it instead of carrying its scenario).
The runner never learns more than that, so ``local`` (a process pool), ``ray`` (a local or
existing Ray cluster) and ``serial`` (in this process, for debugging with breakpoints) are
interchangeable and give the same results.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Future, ProcessPoolExecutor
from typing import Any, Protocol

from colossim.errors import ClusterUnavailable, ColossimError, require
from colossim.sweep.build import builds
from colossim.sweep.expand import Run
from colossim.sweep.task import warm_up, worker_init

BACKENDS = ("local", "ray", "serial")
# What a run imports lazily (a fork server cannot run a warm-up, only import modules)
PRELOAD = ["simpy", "numpy.ma", "colossim.engine.simulation", "colossim.metrics.summary",
           "colossim.policy.registry"]
STOP_GRACE_S = 2.0  # how long a cancelled pool waits for busy workers before it terminates them


class Executor(Protocol):
    name: str
    slots: int
    shared_disk: bool

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future: ...

    def shutdown(self, *, cancel: bool = False) -> None: ...

    def holds(self, run_id: str) -> bool: ...


class _HoldsNothing:
    """Tasks carry their whole run (its scenario pickled, if the executor pickles)."""

    def holds(self, run_id: str) -> bool:
        return False


class SerialExecutor(_HoldsNothing):
    """Runs each task at submit time in this process; ``slots = 1`` keeps progress live."""

    name = "serial"
    slots = 1
    shared_disk = True

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        return None


def usable_cpus() -> int:
    """The CPUs this process may run on: ``taskset``, a container's cpuset or a batch
    scheduler's affinity limit them, and ``os.cpu_count()`` (the machine's) forked a worker
    per CPU it may not use."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counted is not None:
        return counted() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _ready() -> None:
    """A no-op task that makes the pool start its workers."""


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` where it is safe: Linux, and no other thread in this process (forking a process
    with threads can deadlock in the child). Else a fork server (started clean, colossim
    preloaded once), else the platform default."""
    methods = multiprocessing.get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        warm_up()  # the workers inherit a warm interpreter
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([*PRELOAD, "colossim.sweep.task", "colossim.api"])
        return context
    return multiprocessing.get_context()


class LocalExecutor:
    """A process pool on this machine.

    On Linux the workers are forked, so they start in milliseconds with colossim already imported
    and warmed up by one tiny run (``task.warm_up``; short runs would otherwise pay an
    interpreter start, imports and compilation per worker). They are all started in
    ``__init__``, before any progress-bar thread exists. On Ctrl-C a busy worker hands back the
    runs its batch finished and an idle one starts nothing more (``task.worker_init``).

    ``runs``: the study's runs. Forked workers inherit them, so a task sends a run's id instead
    of pickling its scenario in the parent (a quarter of the parent's CPU per run, which
    competes with the workers) and unpickling it in a worker. Other start methods would pickle
    them all for every worker, so there tasks carry their runs.
    """

    name = "local"
    shared_disk = True

    def __init__(self, workers: int | None = None, runs: Sequence[Run] = ()):
        self.workers = max(1, workers or usable_cpus())
        self.slots = 2 * self.workers
        self._runs = {run.run_id: run for run in runs}
        self._held: dict[str, Run] = {}
        builds(runs)  # each run's code read now, before the workers fork (``sweep/build.py``)
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        """A pool with its workers started. Forked only while no other thread runs (a restart
        happens with the progress bar's thread alive: a fork server then)."""
        context = _context()
        forked = context.get_start_method() == "fork"
        self._held = self._runs if forked else {}
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                   initializer=worker_init,
                                   initargs=(self._held, os.getpid() if forked else None))
        for future in [pool.submit(_ready) for _ in range(self.workers)]:
            future.result()
        return pool

    def restart(self) -> None:
        """A fresh pool after a worker died and broke this one (``runner.execute`` then runs
        the runs that were in flight again, one at a time, to find the one that killed it)."""
        self.shutdown(cancel=True)
        self._pool = self._start()

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        return self._pool.submit(fn, *args)

    def shutdown(self, *, cancel: bool = False, grace_s: float = STOP_GRACE_S) -> None:
        """Stop the pool; with ``cancel`` (after Ctrl-C or an error) queued tasks are dropped.

        A cancelled pool is not left winding down on its own: Python's exit hook for process
        pools would then race the pool's own thread closing its wake-up pipe, and print an
        ``OSError: Bad file descriptor`` traceback (CPython 3.11). So this waits up to
        ``grace_s`` for the workers to finish the task they hold (an interrupted one hands its
        runs back at once), then kills any still busy (a worker the signal did not reach; its
        runs run again on ``--resume``), and returns once the pool's thread has ended.
        """
        if not cancel:
            self._pool.shutdown()
            return
        manager = getattr(self._pool, "_executor_manager_thread", None)
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        if manager is None:
            return
        with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop waiting
            manager.join(grace_s)
        if manager.is_alive():
            for process in processes:  # SIGKILL: a worker takes SIGTERM as a Ctrl-C, which
                process.kill()  # one the signal did not stop would only note (``task``)
            manager.join(grace_s)

    def holds(self, run_id: str) -> bool:
        return run_id in self._held

    def interrupt(self) -> None:
        """Pass a Ctrl-C or SIGTERM on to the workers, which take SIGTERM as one (a busy worker
        hands back the runs its batch finished, an idle one starts nothing more): ``kill PID``
        or a scheduler's stop reaches the sweep alone, not its process group, and the workers
        went on starting queued runs after the sweep had stopped (QA). One that the signal
        reached already takes the second as nothing (``task._on_interrupt``)."""
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            with contextlib.suppress(OSError):  # gone already
                os.kill(process.pid, signal.SIGTERM)


CONNECT_S = 10.0  # how long to try a Ray address before saying it cannot be reached


# HTTP/2's client preface and an empty SETTINGS frame: a gRPC server (Ray's GCS, its client
# server) answers with a SETTINGS frame of its own (frame type 4, the fourth byte)
HTTP2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"


def _reachable(address: str) -> None:
    """Fail fast on a ``host:port`` (or ``ray://host:port``) nothing answers at, or where what
    answers is no gRPC server: Ray itself retries for minutes, printing its client's time-outs,
    and on a port some other server holds (a web server, Redis) it waited for ever, deaf to
    Ctrl-C (QA). Other forms (``auto``) go to Ray."""
    import socket

    scheme, sep, rest = address.partition("://")
    if sep and scheme != "ray":  # QA: http://HOST:6379 said "Name or service not known"
        raise ClusterUnavailable(f"{address} is not a Ray address: drop {scheme}:// (HOST:PORT, "
                                 "or ray://HOST:PORT for Ray's client)")
    if address not in ("auto", "local") and ":" not in (rest if sep else address):
        raise ClusterUnavailable(f"{address} has no port: give HOST:PORT (a head node's GCS "
                                 "listens on 6379 by default)")  # QA: answered with token advice
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if host and not port.isdigit():
        raise ClusterUnavailable(f"{address}: the port {port!r} is not a number (HOST:PORT)")
    if not host:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_S) as conn:
            conn.settimeout(CONNECT_S)
            conn.sendall(HTTP2_HELLO)
            answer = conn.recv(9)
    except OSError as exc:
        raise ClusterUnavailable(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc})"
                                 "; check --address or RAY_ADDRESS, and that the head node is up"
                                 ) from None
    if len(answer) < 4 or answer[3] != 4:
        raise ClusterUnavailable(
            f"something answers at {address}, but not a Ray cluster (it does not speak gRPC): "
            "check the port in --address or RAY_ADDRESS (a head node's GCS listens on 6379 by "
            "default, its client server, for ray://, on 10001)")


AUTH_HINT = ("the cluster asks for a token (Ray's token authentication, on by default for local "
             "clusters since Ray 2.59): run this with RAY_AUTH_MODE=token and the cluster's "
             "token in ~/.ray/auth_token, RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN (`ray "
             "get-auth-token` on the head node prints it; Ray 2.60 refuses the token without "
             "RAY_AUTH_MODE=token), or start the cluster with RAY_AUTH_MODE=disabled")


def _attach(ray: Any, address: str, options: dict[str, Any]) -> None:
    """``ray.init`` on an existing cluster, its failure said in one line: a cluster that
    answers but refuses the connection (most often a missing auth token) raised a traceback
    after ~20 s of Ray's warnings."""
    _reachable(address)
    try:
        ray.init(address=address, **options)
    except Exception as exc:  # Ray raises ConnectionError, RuntimeError, its own types
        text = str(exc).strip().splitlines()
        first = text[0] if text else type(exc).__name__
        auth = "auth" in str(exc).lower() or "token" in str(exc).lower()
        # Ray 2.60 says only "Failed to connect" when the token is missing (the reason is in
        # its warnings above): unless the message names the cause, both are offered (QA)
        raise ClusterUnavailable(f"cannot attach to the Ray cluster at {address}: {first}; "
                                 + (AUTH_HINT if auth else "check --address or RAY_ADDRESS "
                                    "(the head node's GCS port, 6379 by default: another Ray "
                                    "service's port, a raylet's, answers but is no cluster), "
                                    "that the cluster runs a compatible Ray and Python, and, if "
                                    "Ray warned of InvalidAuthToken above, the token: "
                                    f"{AUTH_HINT}")) from None


def _python_handler(name: str) -> Any:
    """The Python handler of signal ``name`` now (None where it cannot be read)."""
    import signal

    return signal.getsignal(getattr(signal, name))


def _restore_handler(name: str, handler: Any) -> None:
    """Put ``handler`` back on signal ``name``: ``ray.init`` installs Ray's own, which turned
    the command line's SIGTERM-as-Ctrl-C (``cli.entry``) into a crash dump and exit 134 (QA).
    Only the main thread may set one; elsewhere nothing is changed."""
    import signal

    if callable(handler):
        with contextlib.suppress(ValueError):  # not the main thread
            signal.signal(getattr(signal, name), handler)


def import_ray() -> Any:
    return require("ray", "ray", "the ray backend needs Ray")


class ClusterLost(BrokenExecutor):
    """The Ray cluster went away under the sweep (its head or this node's raylet stopped): the
    tasks in flight did not fail, the cluster did. The runner stops the study, keeping what
    finished, rather than record every run left as failed (QA: a head stopped mid-sweep
    recorded 16 runs, 12 never started, as failed, and exit 3 said "some runs raised")."""


# Ray's errors that say the cluster, not the task, is gone (a worker that crashed alone, a
# WorkerCrashedError, fails only its own runs)
CLUSTER_GONE = ("NodeDiedError", "LocalRayletDiedError", "RaySystemError")


def _lost(exc: BaseException) -> ClusterLost | None:
    """Ray's error as a lost cluster, with its first line, if it says the cluster is gone."""
    name = type(exc).__name__
    if name not in CLUSTER_GONE:
        return None
    text = str(exc).strip()
    return ClusterLost(f"{name}: {text.splitlines()[0]}" if text else name)


def _relay(source: Future, target: Future) -> None:
    """Pass a Ray task's outcome on, a lost cluster as ``ClusterLost``."""
    if source.cancelled():
        target.cancel()
        target.set_running_or_notify_cancel()
        return
    exc = source.exception()
    if exc is None:
        target.set_result(source.result())
    else:
        target.set_exception(_lost(exc) or exc)


def _start_local_ray(ray: Any, workers: int | None, options: dict[str, Any]) -> None:
    """Start a Ray instance of this process's own. Ray installs a SIGTERM handler that exits
    with code 15 as it starts, before ours is put back: a SIGTERM then is taken as the Ctrl-C
    it is everywhere else (QA: exit 15, nothing said), the half-started instance stopped."""
    try:
        # "local": a new instance, as the docs say, even where a cluster started with `ray
        # start` runs on this machine (ray.init joined it, and then refused num_cpus)
        ray.init(address="local", num_cpus=workers, include_dashboard=False, **options)
    except SystemExit as exc:
        if exc.code != signal.SIGTERM:
            raise
        with contextlib.suppress(Exception):
            ray.shutdown()
        raise KeyboardInterrupt from None


class RayExecutor(_HoldsNothing):
    """Ray tasks, one CPU each. Attaches to ``address`` (or ``RAY_ADDRESS``) when given, else
    starts a local Ray instance (``workers`` CPUs, default all) that ``shutdown`` stops again.
    An already initialised Ray (a notebook, a test) is used as it is and left running.
    """

    name = "ray"
    shared_disk = False  # workers may be on other machines: the driver writes every run

    def __init__(self, address: str | None = None, workers: int | None = None):
        import logging

        self._ray = ray = import_ray()
        self._owned = False
        if not ray.is_initialized():
            terminate = _python_handler("SIGTERM")
            address = address or os.environ.get("RAY_ADDRESS") or None
            options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
            if address:
                _attach(ray, address, options)
                if workers:  # QA: ignored without a word on a shared cluster
                    import warnings

                    from colossim.errors import ColossimWarning
                    warnings.warn(ColossimWarning(
                        f"--workers {workers} is ignored on an existing Ray cluster: the study "
                        "runs on all its CPUs (Ray schedules its tasks, one CPU each)"),
                        stacklevel=2)
            else:
                _start_local_ray(ray, workers, options)
            self._owned = True
            _restore_handler("SIGTERM", terminate)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = cpus
        self.slots = 2 * cpus
        self._remote: dict[Callable[..., Any], Any] = {}
        self._refs: set[Any] = set()  # tasks in flight, to cancel on Ctrl-C

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future:
        if fn not in self._remote:  # no retries: a task whose worker died fails its runs at
            # once, as on the local pool (Ray's default ran it 3 more times, 4x the cost of an
            # OOM-killed Colossus-scale run before it was recorded: QA)
            self._remote[fn] = self._ray.remote(num_cpus=1, max_retries=0)(fn)
        try:
            ref = self._remote[fn].remote(*args)
        except Exception as exc:  # the cluster is gone before the task is even sent
            lost = _lost(exc)
            if lost is None:
                raise
            raise lost from exc
        self._refs.add(ref)
        future: Future = Future()
        ray_future = ref.future()
        ray_future.add_done_callback(lambda _done, ref=ref: self._refs.discard(ref))
        ray_future.add_done_callback(lambda done: _relay(done, future))
        return future

    def shutdown(self, *, cancel: bool = False) -> None:
        refs = list(self._refs)
        if cancel and refs:
            _, pending = self._ray.wait(refs, num_returns=len(refs), timeout=0)
            for ref in pending:
                self._ray.cancel(ref)
        self._refs.clear()
        if self._owned:
            self._ray.shutdown()


def make_executor(backend: str, workers: int | None = None, address: str | None = None,
                  runs: Sequence[Run] = ()) -> Executor:
    """The executor for a ``--backend`` name; ``runs``, the study's, for workers to hold."""
    if backend == "local":
        return LocalExecutor(workers, runs)
    if backend == "serial":
        return SerialExecutor()
    if backend == "ray":
        return RayExecutor(address, workers)
    raise ColossimError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
