"""Speed of ``colossim sweep``: a 40-run study of configs/small.yaml on 1 and 2 local workers,
with and without batching runs into tasks, and the per-run overhead of the ray backend.

Usage: ``python benchmarks/bench_sweep.py [--repeat 5] [--no-ray]``. Medians are printed; nothing
is asserted (speed is measured, not tested). Phases:

* ``execute``: start the executor, run the 40 runs, write each result (runs/*.json, runs.jsonl);
* ``sweep``: the whole study in-process: read and expand the study, ``execute``, write
  results.csv, results.parquet and summary.csv (no plots: matplotlib start-up would dominate);
* ``pool start``: creating and shutting down the local pool alone (fork, and the warm-up run in
  the parent: ``sweep.task.warm_up``; this process is warm by then, so it is cheap here);
* ``machine ceiling``: the in-process runs in one process, then in two processes at once: how
  much more work 2 processes get done than 1 on this machine, whatever the pool does;
* ``split ceiling``: the same 40 runs in-process in one forked process, then split between two
  (alternate runs each): the speedup of a pool of 2 that split the runs evenly and cost nothing
  (a pool that hands out runs as workers free up can beat it a little when runs differ). Each
  forked process pays its start-up once (its first run copies the pages it writes, ~10 ms), and
  on 20 runs that weighs twice what it does on 40, so this is below the machine ceiling;
* ``command``: ``python -m colossim sweep STUDY --no-plots --quiet`` in a fresh interpreter, what
  a user waits for: interpreter start, imports, the warm-up, the pool, the runs and the tables
  (with the modules' bytecode cached, as in a user's install, whatever
  ``PYTHONDONTWRITEBYTECODE`` says here).

Speedups are medians over pairs: the 1-worker and 2-worker versions run back to back, ``--repeat``
times, and each pair gives a ratio (the machine's other tenants change less within a pair).

``execute`` and ``sweep`` run in this process after the serial runs, so imports and per-process
caches are warm there; ``command`` shows what they cost a cold start.

Diagnostic (``--own-sessions``): ``execute`` again with each pool worker moved into a session of
its own (``os.setsid``). Linux with ``sched_autogroup_enabled`` shares the CPUs between sessions
first, so on a machine other sessions keep busy, all workers of one pool share one session's
slice and 2 workers cannot beat 1 however good the pool is; in sessions of their own they get a
slice each, as Ray's workers do (its daemon starts them). Not a way to run sweeps: a diagnostic
that tells the pool's cost from the scheduler's.

Per-run overhead of a backend = (its execute wall - serial execute wall / 2) / runs: the wall
time each run costs beyond a perfect split of the in-process work over 2 CPUs. CPU per run counts
this process and its joined children (the pool workers; Ray's workers are not children), so it
shows the pool's cost even when other work on the machine makes wall times noisy. "The parent's"
is this process alone: pool threads, pipes, logging runs; with 2 workers it takes CPU from them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import multiprocessing.synchronize
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import replace
from pathlib import Path

from colossim.sweep.executors import LocalExecutor, RayExecutor, SerialExecutor, _ready
from colossim.sweep.expand import Plan, Run, expand
from colossim.sweep.outputs import write_outputs
from colossim.sweep.runner import execute
from colossim.sweep.spec import load_study
from colossim.sweep.task import Task

REPO = Path(__file__).resolve().parents[1]
STUDY = f"""\
name: bench
base: {REPO / "configs" / "small.yaml"}
parameters:
  scheduler.policy.name: [fifo, priority]
  jobs.llm-70b.max_gpus: [72, 144]
seeds: 10
"""  # 2 x 2 points x 10 seeds = 40 runs


def _cpu() -> float:
    """CPU seconds of this process and of its finished (joined) children, such as pool workers."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _own_cpu() -> float:
    """CPU seconds of this process alone: with a pool, the parent's share of a sweep."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


CPU: dict[str, float] = {}


def timed(fn: Callable[[], object], repeat: int, label: str = "") -> float:
    """Median wall time; the median CPU time (all processes of this one) goes to ``CPU``."""
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), _cpu()
        fn()
        walls.append(time.perf_counter() - started)
        cpus.append(_cpu() - cpu)
    CPU[label] = statistics.median(cpus)
    return statistics.median(walls)


def paired(fn: Callable[[int], object], repeat: int, label: str
           ) -> tuple[dict[int, float], list[float]]:
    """``fn(1)`` and ``fn(2)`` (workers) back to back, ``repeat`` times (1 first, then 2 first,
    in turn): median walls, and the speedup of each pair. A pair shares the machine's state of
    the moment (other tenants of a shared host come and go), so the median of the pairs' ratios
    is steadier than the ratio of two medians taken minutes apart."""
    walls: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    own: dict[int, list[float]] = {1: [], 2: []}
    for k in range(repeat):
        for workers in ((1, 2) if k % 2 == 0 else (2, 1)):  # alternate which goes first, so a
            # machine that warms up (or slows down) within a pair favours neither
            started, cpu, mine = time.perf_counter(), _cpu(), _own_cpu()
            fn(workers)
            walls[workers].append(time.perf_counter() - started)
            cpus[workers].append(_cpu() - cpu)
            own[workers].append(_own_cpu() - mine)
    for workers in (1, 2):
        CPU[f"{label} {workers}"] = statistics.median(cpus[workers])
        CPU[f"{label} {workers} parent"] = statistics.median(own[workers])
    ratios = [one / two for one, two in zip(walls[1], walls[2], strict=True)]
    return {w: statistics.median(v) for w, v in walls.items()}, ratios


def _echo(tasks: list[Task]) -> list:
    """A task that carries runs (their scenarios) but simulates nothing: pure overhead."""
    return [task.run_id for task in tasks]


def task_overhead(plan: Plan, executor: object, repeat: int) -> tuple[float, float]:
    """Wall time per task of ``len(plan.runs)`` one-run tasks that do nothing, 2 in flight per
    CPU as ``execute`` keeps them: submission, pickling a scenario, scheduling, the result back."""
    tasks = [[Task(run)] for run in plan.runs]

    def go() -> None:
        wait([executor.submit(_echo, batch) for batch in tasks])

    go()  # warm
    wall = timed(go, repeat, "overhead") / len(tasks)
    return wall, CPU["overhead"] / len(tasks)


Make = Callable[[tuple[Run, ...]], object]  # an executor, from the study's runs (as the command
# passes them to a local pool, ``make_executor``; other executors ignore them)


def serial_executor(_runs: tuple[Run, ...]) -> SerialExecutor:
    return SerialExecutor()


def ray_executor(_runs: tuple[Run, ...]) -> RayExecutor:
    return RayExecutor()


def run_execute(plan: Plan, make: Make, batch: int | None) -> None:
    with tempfile.TemporaryDirectory() as out:
        report = execute(plan, Path(out), make(plan.runs), batch=batch)
        assert report.ran == len(plan.runs) and report.failed == 0


def run_sweep(study: Path, make: Make, batch: int | None) -> None:
    plan = expand(load_study(study))
    with tempfile.TemporaryDirectory() as out:
        report = execute(plan, Path(out), make(plan.runs), batch=batch)
        write_outputs(plan, report.records, Path(out), plots=False)


def bench_local(study: Path, plan: Plan, repeat: int) -> float:
    runs = len(plan.runs)
    serial = timed(lambda: run_execute(plan, serial_executor, 1), repeat, "serial")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work on the "
          "machine competes; see docs/studies.md)")
    print(f"serial execute (in-process, no pool): {serial * 1e3:7.1f} ms = "
          f"{serial / runs * 1e3:.2f} ms per run, CPU {CPU['serial'] / runs * 1e3:.2f} ms per run")
    for batch, label in ((1, "1 run per task"), (None, "automatic batches")):
        for phase, fn in (("execute", run_execute), ("sweep", run_sweep)):
            arg = plan if phase == "execute" else study
            walls, ratios = paired(
                lambda w, a=arg, f=fn, b=batch: f(a, lambda runs: LocalExecutor(w, runs), b),
                repeat, f"{label} {phase}",
            )
            cpu = CPU[f"{label} {phase} 2"] / runs * 1e3
            parent = CPU[f"{label} {phase} 2 parent"] / runs * 1e3
            print(f"local {label:17s} {phase:7s}: 1 worker {walls[1] * 1e3:7.1f} ms, 2 workers "
                  f"{walls[2] * 1e3:7.1f} ms, speedup {statistics.median(ratios):.2f}x "
                  f"(pairs {min(ratios):.2f}-{max(ratios):.2f}x); "
                  f"CPU with 2 workers {cpu:.2f} ms per run, the parent's {parent:.2f} ms")
            if phase == "execute":
                overhead = (walls[2] - serial / 2) / runs
                print(f"  per-run overhead (2 workers, wall): {overhead * 1e3:.2f} ms")
    executor = LocalExecutor(2)
    try:
        wall, _ = task_overhead(plan, executor, repeat)
    finally:
        executor.shutdown()
    print(f"local per-task overhead (2 workers, tasks that simulate nothing): {wall * 1e3:.2f} ms"
          f" wall, parent CPU {CPU['overhead'] / runs * 1e3:.2f} ms")
    return serial


class OwnSessionExecutor(LocalExecutor):
    """The local pool with every worker in a session of its own (the diagnostic above)."""

    def __init__(self, workers: int):
        super().__init__(workers)
        self._pool.shutdown()
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=os.setsid,
                                         mp_context=multiprocessing.get_context("fork"))
        wait([self._pool.submit(_ready) for _ in range(workers)])


def bench_own_sessions(plan: Plan, repeat: int) -> None:
    walls = {w: timed(lambda w=w: run_execute(plan, lambda _runs: OwnSessionExecutor(w), 1), repeat)
             for w in (1, 2)}
    print(f"diagnostic, workers in sessions of their own, execute 1 run per task: 1 worker "
          f"{walls[1] * 1e3:7.1f} ms, 2 workers {walls[2] * 1e3:7.1f} ms, speedup "
          f"{walls[1] / walls[2]:.2f}x")


def bench_start_and_command(study: Path, repeat: int) -> None:
    """Pool start-up alone, and the whole command in a fresh interpreter, 1 and 2 workers."""
    for workers in (1, 2):
        wall = timed(lambda w=workers: LocalExecutor(w).shutdown(), repeat, "start")
        print(f"pool start + shutdown, {workers} worker(s): {wall * 1e3:.1f} ms")
    # as in a user's install, Python may cache the modules' bytecode (a machine that sets
    # PYTHONDONTWRITEBYTECODE compiles every colossim module at every start: ~0.5 s more);
    # the pairs' first command writes the cache
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)

    def command(workers: int) -> None:
        with tempfile.TemporaryDirectory() as out:
            subprocess.run([sys.executable, "-m", "colossim", "sweep", str(study), "--workers",
                            str(workers), "--out", out, "--no-plots", "--quiet"], env=env,
                           check=True, stdout=subprocess.DEVNULL)

    command(1)  # writes the bytecode cache, so every timed start finds it
    walls, ratios = paired(command, repeat, "command")
    for workers in (1, 2):
        print(f"command, {workers} worker(s): {walls[workers] * 1e3:7.1f} ms wall, CPU "
              f"{CPU[f'command {workers}'] * 1e3:.0f} ms (all processes)")
    print(f"command speedup with 2 workers: {statistics.median(ratios):.2f}x (pairs "
          f"{min(ratios):.2f}-{max(ratios):.2f}x)")


def bench_ray(plan: Plan, serial: float, repeat: int) -> None:
    try:
        import ray
    except ImportError:
        print("ray: not installed (pip install 'colossim[ray]'); skipped")
        return
    started = time.perf_counter()
    # "local": an instance of its own, as the sweep starts one, beside any cluster running here
    # (QA: ray.init joined one, then refused num_cpus with a ValueError)
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level="WARNING",
             log_to_driver=False)
    print(f"ray.init (local, 2 CPUs): {time.perf_counter() - started:.1f} s (once per sweep)")
    try:
        run_execute(plan, ray_executor, 1)  # warm: workers start and import colossim
        wall, cpu = task_overhead(plan, RayExecutor(), repeat)
        print(f"ray per-task overhead (2 CPUs, tasks that simulate nothing): {wall * 1e3:.2f} ms"
              f" wall, driver CPU {cpu * 1e3:.2f} ms")
        for batch in (1, None):
            wall = timed(lambda b=batch: run_execute(plan, ray_executor, b), repeat)
            overhead = (wall - serial / 2) / len(plan.runs)
            label = "1 run per task" if batch == 1 else "automatic batches"
            print(f"ray {label:17s} execute: {wall * 1e3:7.1f} ms, per-run overhead "
                  f"{overhead * 1e3:.2f} ms")
    finally:
        ray.shutdown()


def _serial_in_child(plan: Plan, start: multiprocessing.synchronize.Event) -> None:
    start.wait()
    run_execute(plan, serial_executor, 1)


def _forked_together(plans: list[Plan]) -> None:
    """Each plan in-process in a forked process of its own, all started at once."""
    context = multiprocessing.get_context("fork")
    start = context.Event()
    children = [context.Process(target=_serial_in_child, args=(plan, start)) for plan in plans]
    for child in children:
        child.start()
    start.set()
    for child in children:
        child.join()


def bench_ceiling(plan: Plan, repeat: int) -> None:
    """What 2 processes can gain on this machine at all: the 40 runs in-process (no pool, no
    pickling, no parent) in one forked process, then in two at the same time. Two CPUs that
    did not slow each other down would finish both in the time of one (ceiling 2.0x). Then the
    same 40 runs split between two forked processes: a pool of 2 on this study is bounded by
    that, which also counts each process's start-up (its first run's page copies) on half the
    runs."""
    def together(n: int) -> None:
        _forked_together([plan] * n)

    walls, ratios = paired(together, repeat, "ceiling")
    print(f"machine ceiling: the 40 runs in-process in 1 process {walls[1] * 1e3:7.1f} ms, "
          f"twice in 2 processes at once {walls[2] * 1e3:7.1f} ms: 2 processes do "
          f"{2 * statistics.median(ratios):.2f}x the work of 1 in the same time (pairs "
          f"{2 * min(ratios):.2f}-{2 * max(ratios):.2f}x)")

    def split(n: int) -> None:
        _forked_together([replace(plan, runs=plan.runs[k::n]) for k in range(n)])

    walls, ratios = paired(split, repeat, "split")
    print(f"split ceiling: the 40 runs in-process in 1 forked process {walls[1] * 1e3:7.1f} ms, "
          f"split between 2 {walls[2] * 1e3:7.1f} ms: speedup {statistics.median(ratios):.2f}x "
          f"(pairs {min(ratios):.2f}-{max(ratios):.2f}x), a pool of 2 splitting the runs evenly")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--own-sessions", action="store_true",
                        help="also the diagnostic with pool workers in sessions of their own")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        study = Path(folder) / "bench.yaml"
        study.write_text(STUDY)
        plan = expand(load_study(study))
        print(f"{len(plan.runs)} runs of configs/small.yaml, median of {args.repeat}")
        bench_ceiling(plan, args.repeat)
        serial = bench_local(study, plan, args.repeat)
        bench_start_and_command(study, args.repeat)
        if args.own_sessions:
            bench_own_sessions(plan, args.repeat)
        if not args.no_ray:
            bench_ray(plan, serial, max(3, args.repeat // 2))


if __name__ == "__main__":
    main()
