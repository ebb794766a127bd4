"""Trace replay speed: the largest Microsoft ITP cluster trace (cluster 4, ~15,800 jobs) under
``fifo`` and ``las``, median wall time of N runs each (the target: under 10 s on the dev machine).

Usage: ``python benchmarks/bench_trace.py [--repeat 5] [--policies fifo,las] [--limit N]``.
Loading (reading the CSV, building the jobs) is timed once, apart from the runs. The trace lives in
``../shared/traces/elasticflow-itp/`` (never committed); the scenario is
``examples/traces/itp-cluster04.yaml``. Nothing is asserted here: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from colossim.api import load_scenario
from colossim.engine.simulation import Simulation
from colossim.policy.registry import make_policy

SCENARIO = Path(__file__).resolve().parents[1] / "examples" / "traces" / "itp-cluster04.yaml"


def bench(scenario, policy: str, repeat: int) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        out = Simulation(scenario, make_policy(policy, {"placement": "any"})).run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    done = sum(j.state.value == "completed" for j in out.state.jobs)
    return {"median_wall_s": statistics.median(walls), "median_cpu_s": statistics.median(cpus),
            "decisions": out.record.decide_calls, "events": out.events, "done": done,
            "jobs": len(out.state.jobs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--policies", default="fifo,las")
    parser.add_argument("--limit", type=int, default=None, help="replay only the first N jobs")
    args = parser.parse_args()
    overrides = [f"trace.limit={args.limit}"] if args.limit else []
    started = time.perf_counter()
    scenario = load_scenario(SCENARIO, overrides)
    print(f"load {len(scenario.jobs):,} jobs: {time.perf_counter() - started:.2f} s wall")
    for policy in args.policies.split(","):
        f = bench(scenario, policy, args.repeat)
        print(f"{policy:6s} median of {args.repeat}: wall {f['median_wall_s']:7.2f} s, "
              f"cpu {f['median_cpu_s']:7.2f} s; {f['decisions']:,} decisions, "
              f"{f['events']:,} events, {f['done']:,}/{f['jobs']:,} jobs done")


if __name__ == "__main__":
    main()
