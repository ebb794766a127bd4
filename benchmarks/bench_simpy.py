"""The floor under the engine's speed: SimPy alone, stepping timeouts that each do nothing but
schedule the next, the way ``Simulation.run`` steps its environment.

Usage: ``python benchmarks/bench_simpy.py [--repeat 5] [--events 200000]``. Prints the median
events per second (and per CPU-second). Any engine event costs at least this much; the rest of
an engine event is colossim's own work (``benchmarks/bench_failures.py``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import simpy


def one_run(events: int) -> tuple[float, float]:
    """(events per wall second, events per CPU second) of a bare loop of ``events`` timeouts."""
    env = simpy.Environment()
    left = [events]

    def again(_event: simpy.Event) -> None:
        left[0] -= 1
        if left[0] > 0:
            env.timeout(1.0).callbacks.append(again)

    env.timeout(1.0).callbacks.append(again)
    wall, cpu = time.perf_counter(), time.process_time()
    steps = 0
    while env.peek() < float("inf"):
        env.step()
        steps += 1
    return steps / (time.perf_counter() - wall), steps / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events", type=int, default=200_000)
    args = parser.parse_args()
    runs = [one_run(args.events) for _ in range(args.repeat)]
    print(f"bare SimPy timeouts: median {statistics.median(r[0] for r in runs):,.0f} events/s "
          f"({statistics.median(r[1] for r in runs):,.0f} per CPU-second; runs: "
          + ", ".join(f"{r[0]:,.0f}" for r in runs) + ")")


if __name__ == "__main__":
    main()
