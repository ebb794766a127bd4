"""The fabric model's cost does not grow with the cluster: Colossus 2 (548,352 GPUs) against a
1,000,008-GPU variant (13,889 NVL72 racks) running the same seven jobs.

Each job runs at its ``max_gpus`` in both (the same grants, so the same per-job work). Both
runs have contention on with 1:3 pod uplinks and flat collectives (so the shares bind and
every solve does real work) and a pod-uplink fault; failures are off (their event count grows
with the GPU count, which is the reliability model's cost, not the fabric's) and the power
supply is 5 GW (at 1 GW a million busy GPUs would be preempted and restarted by the power
model: more work, not a bigger cluster). Reported: median
wall time of the whole run and the median time spent in the fabric modifier (every ``factors``
call: reading the record, footprints, the max-min solve, factors), over ``--repeat`` runs each,
and their ratio. Process CPU time is printed too: on a shared machine it is the steadier measure.

Usage: ``python benchmarks/bench_fabric.py [--repeat 5]``. Nothing is asserted (speed is measured,
not tested); the figures go into docs/fabric.md.
"""

from __future__ import annotations

import argparse
import statistics
import time

from colossim.api import load_scenario, simulate
from colossim.engine import fabric as engine_fabric

COMMON = [
    "reliability.enabled=false",  # failures scale with the GPU count: not the fabric's cost
    "cluster.power.supply_mw=5000",  # room for a million GPUs: no power preemptions in either
    "cluster.fabric.tiers.pod.oversubscription=3",
    "cluster.fabric.collectives=flat",
    "cluster.fabric.events=[{time_s: 86400, duration_s: 86400, tier: pod, pod: 3, "
    "capacity_fraction: 0.5}]",
]
# Every job runs at its max_gpus on both clusters, so both do the same per-job work; only the
# cluster around them differs (on Colossus 2 some jobs wait for room).
def fixed_sizes() -> list[str]:
    """min_gpus = max_gpus for every job of the base scenario (by index: names may hold dots)."""
    jobs = load_scenario("colossus2").jobs
    return [f"jobs.{i}.min_gpus={job.max_gpus}" for i, job in enumerate(jobs)]

MILLION = [  # 8,000 GB200 + 5,889 GB300 racks = 13,889 x 72 = 1,000,008 GPUs, 125 pods of 112
    "cluster.rack_groups.GB200.racks=8000",
    "cluster.rack_groups.GB300.racks=5889",
]


def timed_fabric(original):
    """Wrap ``Fabric.factors`` to add its wall time to a list cell (reset per run)."""
    spent = [0.0]

    def factors(self, state):
        started = time.perf_counter()
        try:
            return original(self, state)
        finally:
            spent[0] += time.perf_counter() - started

    engine_fabric.Fabric.factors = factors
    return spent


def bench(overrides: list[str], repeat: int) -> dict[str, float]:
    scenario = load_scenario("colossus2", [*COMMON, *fixed_sizes(), *overrides])
    original = engine_fabric.Fabric.factors
    spent = timed_fabric(original)
    walls, cpus, fabric, events = [], [], [], 0
    try:
        for _ in range(repeat):
            spent[0] = 0.0
            started, cpu = time.perf_counter(), time.process_time()
            result = simulate(scenario)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            fabric.append(spent[0])
            events = result.events
    finally:
        engine_fabric.Fabric.factors = original
    return {
        "gpus": result.cluster.gpus,
        "pods": result.cluster.pods,
        "events": events,
        "wall_s": statistics.median(walls),
        "cpu_s": statistics.median(cpus),
        "fabric_s": statistics.median(fabric),
        "makespan_d": (result.makespan_s or float("nan")) / 86400,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = {}
    for name, overrides in (("colossus2", []), ("1M GPUs", MILLION)):
        rows[name] = r = bench(overrides, args.repeat)
        print(f"{name:10s} {r['gpus']:>9,d} GPUs {r['pods']:4d} pods {r['events']:5d} events  "
              f"median wall {r['wall_s'] * 1e3:7.1f} ms  cpu {r['cpu_s'] * 1e3:7.1f} ms  "
              f"fabric {r['fabric_s'] * 1e3:6.1f} ms  "
              f"makespan {r['makespan_d']:.2f} d")
    a, b = rows["colossus2"], rows["1M GPUs"]
    print(f"ratio 1M / colossus2: wall {b['wall_s'] / a['wall_s']:.2f}x, "
          f"cpu {b['cpu_s'] / a['cpu_s']:.2f}x, fabric {b['fabric_s'] / a['fabric_s']:.2f}x "
          f"(median of {args.repeat})")


if __name__ == "__main__":
    main()
