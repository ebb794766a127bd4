"""Speed of a single run: median wall time and events per second on the built-in scenarios,
and the start-up time of ``colossim --help``.

Usage: ``python benchmarks/bench_run.py [--repeat 5]``. Figures go into the closing notes and
docs; nothing here is asserted (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
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


def bench_help(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "colossim", "--help"], check=True,
                       capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for name in ("small", "colossus2"):
        figures = bench_scenario(name, args.repeat)
        print(
            f"{name:10s} events={figures['events']:>8,d} "
            f"median wall={figures['median_wall_s'] * 1e3:9.1f} ms "
            f"engine events/s={figures['median_engine_events_per_s']:>12,.0f}"
        )
    print(f"colossim --help: median {bench_help(args.repeat) * 1e3:.0f} ms (python -m colossim)")


if __name__ == "__main__":
    main()
