"""Speed of failure-heavy runs: the built-in Colossus-2 scenario with failures, repairs and
checkpoints on, run to the completion of all seven jobs.

Usage: ``python benchmarks/bench_failures.py [--repeat 5] [--only-reliability]``. Reports events,
the median engine events per second over the repeats, the median wall time, and the peak memory
of each run (tracemalloc's peak of Python allocations, and the process's peak resident set).
Each repeat runs in a fresh process, so one run's memory never hides another's.

``--only-reliability`` installs only the reliability subsystem (no fabric contention, no power
subsystem), to separate its cost from the other models'. Nothing is asserted: speed is measured,
not tested.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, tracemalloc
only = sys.argv[1] == "1"
from colossim.engine import subsystems
if only:
    subsystems.SUBSYSTEMS[:] = ["colossim.engine.failures:install"]
from colossim.api import load_scenario, simulate
scenario = load_scenario("colossus2")
assert scenario.reliability.enabled
tracemalloc.start()
started = time.perf_counter()
result = simulate(scenario)
wall = time.perf_counter() - started
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({
    "events": result.events, "engine_s": result.wall_s, "wall_s": wall,
    "events_per_s": result.events / result.wall_s, "tracemalloc_peak_mb": peak / 2**20,
    "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "makespan_days": (result.makespan_s or float("nan")) / 86400,
    "faults": result.reliability.faults, "interruptions": result.reliability.interruptions,
    "unfinished": [j.name for j in result.unfinished],
}))
"""
UNTRACED = CHILD.replace("tracemalloc.start()", "").replace(
    "_, peak = tracemalloc.get_traced_memory()", "peak = 0").replace("tracemalloc.stop()", "")


def one_run(only: bool, traced: bool) -> dict:
    code = CHILD if traced else UNTRACED
    out = subprocess.run([sys.executable, "-c", code, "1" if only else "0"], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only-reliability", action="store_true")
    args = parser.parse_args()
    # speed from untraced runs (tracemalloc slows Python down); memory from one traced run
    runs = [one_run(args.only_reliability, traced=False) for _ in range(args.repeat)]
    mem = one_run(args.only_reliability, traced=True)
    first = runs[0]
    models = "reliability only" if args.only_reliability else "all models"
    print(f"colossus2 with failures ({models})")
    print(f"  events {first['events']:,}  faults {first['faults']:,}  interruptions "
          f"{first['interruptions']:,}  makespan {first['makespan_days']:.2f} days"
          f"  unfinished {first['unfinished'] or 'none'}")
    rates = ", ".join(f"{r['events_per_s']:,.0f}" for r in runs)
    print(f"  engine events/s: median {statistics.median(r['events_per_s'] for r in runs):,.0f} "
          f"(runs: {rates})")
    print(f"  wall: median {statistics.median(r['wall_s'] for r in runs):.1f} s")
    print(f"  peak memory: {mem['tracemalloc_peak_mb']:.0f} MB traced Python allocations, "
          f"{mem['max_rss_mb']:.0f} MB resident (whole process)")


if __name__ == "__main__":
    main()
