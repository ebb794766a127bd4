"""Speed of a single run: median wall time and events per second on the built-in scenarios,
and what a user waits for at the command line: ``colossim --help`` and ``colossim run small``
(a 4 ms simulation, so nearly all start-up: interpreter, imports, the scenario's validation and
the tables), each in a fresh interpreter.

Usage: ``python benchmarks/bench_run.py [--repeat 5] [--startup-only]``. Start-up figures are
medians of wall time and of CPU time (user + system, the command's process alone), with the load
average: on a shared machine CPU time is the steadier of the two. Whether Python may write
bytecode (``PYTHONDONTWRITEBYTECODE`` unset, as in a user's install) or must compile every module
whose ``.pyc`` is missing or stale on each start changes them; the script says which.
Figures go into the closing notes and docs; nothing here is asserted (speed is measured, not
tested).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

from colossim.api import load_scenario, simulate


def bench_scenario(name: str, repeat: int) -> dict[str, float]:
    scenario = load_scenario(name)
    walls, rates = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        result = simulate(scenario)
        wall = time.perf_counter() - started
        walls.append(wall)
        rates.append(result.events / result.wall_s if result.wall_s else float("nan"))
    return {
        "events": result.events,
        "median_wall_s": statistics.median(walls),
        "median_engine_events_per_s": statistics.median(rates),
    }


def bench_command(args: list[str], repeat: int) -> tuple[float, float, float]:
    """Median wall, median CPU and least wall seconds of ``python -m colossim ARGS`` in a fresh
    interpreter (the least is the steadiest when other work shares the machine)."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "colossim", *args], check=True,
                       capture_output=True)
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus), min(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--startup-only", action="store_true",
                        help="skip the in-process runs of the built-in scenarios")
    args = parser.parse_args()
    if not args.startup_only:
        for name in ("small", "colossus2"):
            figures = bench_scenario(name, args.repeat)
            print(
                f"{name:10s} events={figures['events']:>8,d} "
                f"median wall={figures['median_wall_s'] * 1e3:9.1f} ms "
                f"engine events/s={figures['median_engine_events_per_s']:>12,.0f}"
            )
    written = "not written" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "cached"
    for command in (["--help"], ["run", "small"]):
        wall, cpu, least = bench_command(command, args.repeat)
        print(f"colossim {' '.join(command):9s}: median {wall * 1e3:5.0f} ms wall (least "
              f"{least * 1e3:4.0f}), {cpu * 1e3:5.0f} ms CPU (python -m colossim, fresh "
              f"interpreter, bytecode {written}, load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
