"""Simulated ETTR against the closed form, for several job sizes (docs/reliability.md).

One job alone on its racks, checkpointing synchronously every Daly interval, hit by faults at a
known rate. Daly's complete model gives the expected ETTR for exponential failures:
tau / (M e^(R/M) (e^((tau + delta)/M) - 1)). Run: ``python examples/reliability_validation.py``
(a few seconds for the table with the default 3 seeds, about a minute with 30:
``python examples/reliability_validation.py 30``); prints a Markdown table.
"""

from __future__ import annotations

import statistics
import sys

from colossim.api import simulate
from colossim.config.schema import Scenario
from colossim.model.reliability import daly_interval, expected_ettr, first_order_ettr

GPU_MTBF_H = 576.0  # GPU-hours per fault: M = 576 h / GPUs (8 h for one NVL72 rack)
SIZE_GB = 100_000  # 100 TB: 50 s to write at 2 TB/s, 14.3 s to read at 7 TB/s
DETECT, RESTART, SWAP = 150.0, 120.0, 60.0
FAILURES = 300  # expected faults per run: the run lasts about this many MTTFs


def scenario(racks: int, hardware: bool, seed: int) -> tuple[Scenario, dict[str, float]]:
    gpus = 72 * racks
    mttf = GPU_MTBF_H * 3600 / gpus
    delta, load = SIZE_GB * 1e9 / 2e12, SIZE_GB * 1e9 / 7e12
    restart = DETECT + (max(SWAP, RESTART) if hardware else RESTART) + load  # swap beside relaunch
    tau = daly_interval(delta, mttf)
    expected = expected_ettr(tau, delta, restart, mttf)
    compute_s = FAILURES * mttf * expected
    off = {"enabled": False}
    fault = {"mtbf_gpu_hours": GPU_MTBF_H}
    if hardware:  # GPU faults; a spare rack always ready (repairs take a minute)
        fault["repair"] = {"distribution": "fixed", "mean_s": 60.0}
    reliability = {"gpu": fault if hardware else off, "software": off if hardware else fault,
                   "tray": off, "rack": off, "network": off}
    data = {
        "name": f"ettr-{racks}",
        "cluster": {"pod_size_racks": racks + 2, "spare_racks": 2 if hardware else 0,
                    "rack_groups": [{"gpu_type": "GB200", "racks": racks + (2 if hardware else 0)}],
                    "power": {"supply_mw": 1000.0}, "fabric": {"contention": False}},
        "jobs": [{"name": "job", "work_gpu_hours": gpus * compute_s / 3600,
                  "reference_gpu": "GB200", "min_gpus": gpus, "max_gpus": gpus,
                  "checkpoint": {"interval_s": tau, "size_gb": SIZE_GB}}],
        "simulation": {"seed": seed, "speed_model": "linear", "efficiency": 0.5},
        "reliability": reliability,
    }
    numbers = {"gpus": gpus, "mttf": mttf, "tau": tau, "delta": delta, "restart": restart,
               "expected": expected, "first": first_order_ettr(tau, delta, restart, mttf)}
    return Scenario.model_validate(data), numbers


def main(seeds: int = 3) -> None:
    print("| job | faults | GPUs | MTTF | R | Daly tau | ETTR closed form | first order "
          "| simulated (mean ± sd) | interruptions |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for racks, hardware in ((1, False), (4, False), (16, False), (64, False), (4, True)):
        runs = []
        for seed in range(seeds):
            sc, n = scenario(racks, hardware, seed)
            job = simulate(sc).job("job")
            runs.append((job.ettr, job.interruptions))
        ettr = [r[0] for r in runs]
        print(f"| {racks} rack{'s' * (racks > 1)} | {'GPU + spare' if hardware else 'software'} "
              f"| {n['gpus']:,} | {n['mttf']:,.0f} s | {n['restart']:.0f} s | {n['tau']:.0f} s "
              f"| {n['expected']:.3f} | {n['first']:.3f} | {statistics.mean(ettr):.3f} ± "
              f"{statistics.pstdev(ettr):.3f} | {statistics.mean(r[1] for r in runs):.0f} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
