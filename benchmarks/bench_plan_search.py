"""Speed of the performance model's plan search at Colossus scale: the engine asks for a job's
best plan whenever it starts or resizes, so a 200,000-GPU search must stay in milliseconds cold
and microseconds once cached.

Usage: ``python benchmarks/bench_plan_search.py [--repeat 5]``. A 405B job at FP8 on GB200: the
shape table is built once (a 20,000-GPU search), then each repeat searches a GPU count not seen
before (200,000 less 72 per repeat: cold), and then the same count 100 times (warm). Medians are
printed; nothing is asserted (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
import statistics
import time

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import JobConfig
from colossim.model.parallelism import Span
from colossim.model.performance import estimate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    job = JobConfig(name="big", params_billion=405, tokens_billion=15000, max_gpus=200_000,
                    precision="fp8")
    gpu = BUILTIN_GPUS["GB200"]
    started = time.perf_counter()
    estimate(job, 20_000, gpu, Span(racks=278, pods=3))
    print(f"first search (builds the shape table): {(time.perf_counter() - started) * 1e3:.1f} ms")
    cold, warm = [], []
    for k in range(args.repeat):
        gpus = 200_000 - 72 * k
        span = Span(racks=-(-gpus // 72), pods=25)
        started = time.perf_counter()
        estimate(job, gpus, gpu, span)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(100):
            estimate(job, gpus, gpu, span)
        warm.append((time.perf_counter() - started) / 100)
    print(f"200,000-GPU search, median of {args.repeat}: cold {statistics.median(cold) * 1e3:.2f} "
          f"ms, warm {statistics.median(warm) * 1e6:.1f} µs")


if __name__ == "__main__":
    main()
