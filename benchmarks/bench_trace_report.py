"""Speed of the run outputs: median time to build the timeline trace and report.html for a run,
and the cost pytest pays to load the colossim plugin.

Usage: ``python benchmarks/bench_trace_report.py [--repeat 5] [--policy fifo]``. Figures go
into the closing notes; nothing here is asserted (speed is measured, not tested).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from colossim.api import load_scenario, simulate
from colossim.metrics.report import render
from colossim.metrics.trace import trace_document


def median_s(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench(name: str, policy: str, repeat: int) -> dict[str, float]:
    result = simulate(load_scenario(name, policy=policy))
    trace_bytes = len(json.dumps(trace_document(result), separators=(",", ":")))
    return {
        "events": result.events,
        "trace_s": median_s(lambda: trace_document(result), repeat),
        "trace_mb": trace_bytes / 1e6,
        "report_s": median_s(lambda: render(result), repeat),
    }


def plugin_import_s(repeat: int) -> float:
    """Median time of ``import colossim.testing.plugin`` in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); import colossim.testing.plugin; " \
           "print(time.perf_counter() - t)"
    runs = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                 text=True).stdout) for _ in range(repeat)]
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--policy", default="fifo")
    args = parser.parse_args()
    for name in ("small", "colossus2"):
        print(name, args.policy, bench(name, args.policy, args.repeat))
    print("plugin import s", plugin_import_s(args.repeat))


if __name__ == "__main__":
    main()
