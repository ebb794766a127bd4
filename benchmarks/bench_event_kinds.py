"""Where an engine event's time goes, by kind: the built-in Colossus-2 scenario with failures on,
run once to completion, each event's wall time charged to what fired it.

Usage: ``python benchmarks/bench_event_kinds.py``. Prints, per kind (the function a
``Simulation.call_at`` action, a decision or a completion timer runs), the events, their total
time and the median time of one event; then the median cost of the engine's settle after an
event that changed nothing (no job touched, nothing logged: a stale timer, a repair that nothing
was waiting for). That settle (re-asking the fabric, power and reliability models, recording the
levels) is the floor of any event in this design, whatever the event does. The timing wrappers
add a few microseconds per event; the run's total is printed beside the untimed figure of
``bench_failures.py`` for comparison. Nothing is asserted: speed is measured, not tested.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from colossim.api import load_scenario, simulate
from colossim.engine import simulation as engine


def kind_of(callback: Callable) -> str:
    """A readable kind for what an event runs: ``Checkpoints._arm.<locals>.<lambda>`` ->
    ``Checkpoints._arm``."""
    name = getattr(callback, "kind", None) or getattr(callback, "__qualname__", "?")
    return name.replace(".<locals>.<lambda>", "").replace(".<locals>.", ".")


def main() -> None:
    times: dict[str, list[float]] = defaultdict(list)
    idle_settles: list[float] = []
    real_call_at, real_after, real_run = (engine.Simulation.call_at,
                                          engine.Simulation._after_change, engine.Simulation.run)

    def call_at(self, time_s: float, action: Callable[[], None]) -> None:
        def tagged() -> None:
            state = self.state
            logged, watcher = len(state.record.events), self._bench_watch
            watcher.clear()
            action()
            self._bench_idle = not watcher and len(state.record.events) == logged

        tagged.kind = kind_of(action)
        real_call_at(self, time_s, tagged)

    def after_change(self) -> None:
        started = time.perf_counter()
        real_after(self)
        if getattr(self, "_bench_idle", False):
            idle_settles.append(time.perf_counter() - started)
        self._bench_idle = False

    def run(self):
        self._bench_watch = self.state.watch()
        env, step = self.env, self.env.step

        def timed_step() -> None:
            event = env._queue[0][3]
            first = (event.callbacks or [None])[0]
            closure = getattr(first, "__closure__", None) or ()
            tagged = [c.cell_contents for c in closure if hasattr(c.cell_contents, "kind")]
            kind = tagged[0].kind if tagged else kind_of(first) if first else "process"
            started = time.perf_counter()
            step()
            times[kind].append(time.perf_counter() - started)

        env.step = timed_step
        return real_run(self)

    engine.Simulation.call_at, engine.Simulation._after_change = call_at, after_change
    engine.Simulation.run = run
    try:
        result = simulate(load_scenario("colossus2"))
    finally:
        engine.Simulation.call_at, engine.Simulation._after_change = real_call_at, real_after
        engine.Simulation.run = real_run
    total = sum(sum(v) for v in times.values())
    print(f"colossus2 with failures: {result.events:,} events in {total:.1f} s of timed steps "
          f"({result.events / total:,.0f} events/s with the timing wrappers)")
    print(f"{'kind':40s} {'events':>8s} {'total s':>8s} {'share':>6s} {'median us':>10s}")
    for kind, spent in sorted(times.items(), key=lambda kv: -sum(kv[1])):
        print(f"{kind:40s} {len(spent):8,d} {sum(spent):8.2f} {sum(spent) / total:6.1%} "
              f"{statistics.median(spent) * 1e6:10.0f}")
    if idle_settles:
        print(f"settle after an event that changed nothing: {len(idle_settles):,} of them, median "
              f"{statistics.median(idle_settles) * 1e6:.0f} us (so at most "
              f"{1 / statistics.median(idle_settles):,.0f} such events per second)")


if __name__ == "__main__":
    main()
