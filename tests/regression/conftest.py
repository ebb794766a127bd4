"""The regression suite's scenarios and the shipped policies it holds to golden baselines."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
# name -> (source, overrides); baselines are tests/baselines/<name>-<policy>.json
SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "small": ("small", ()),
    # Failures off: with them, one Colossus-2 run is ~100,000 events and 30-60 s per policy;
    # failure handling is the failures-small case's job, at a scale the suite can afford, and
    # the scenario as shipped is held under its own policy only (test_the_default_run_...).
    "colossus2": ("colossus2", ("reliability.enabled=false",)),
    "stress-small": (str(HERE / "scenarios" / "stress_small.yaml"), ()),
    # the failure-heavy variant: stress-small with ~100x the default failure rates
    "failures-small": (str(HERE / "scenarios" / "failures_small.yaml"), ()),
}
# The engine's ledger check after every event costs O(racks) each time: on Colossus-2's 7,616
# racks it would dominate the suite, so there only the whole-run checks apply.
CHECK_EVERY_EVENT = {"small": True, "colossus2": False, "stress-small": True,
                     "failures-small": True}


def shipped_policies() -> list[str]:
    """Policies colossim itself ships (third-party entry points have their own suites)."""
    from colossim.policy.registry import available

    return [name for name, cls in available().items() if cls.__module__.startswith("colossim.")]
