"""Shared test helpers: small scenarios built in Python, so each test states its own numbers;
``need`` for optional modules."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from colossim.config.schema import Scenario

# tests/regression/scenarios/failures_small.yaml checkpoints hourly by design (few events), far
# past Daly's optimum for its jobs' 0.1 s writes; loading it says so each time, as it should
FAILURES_SMALL_INTERVALS = (r"ignore:jobs\.(big|mid|small|tiny)-[a-d]\.checkpoint\.interval_s "
                            r"\(3,600 s\) is [0-9.,]+x Daly's optimum")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", FAILURES_SMALL_INTERVALS)


def make_scenario(
    jobs: list[dict[str, Any]],
    racks: int | dict[str, int] = 2,
    pod_size_racks: int = 1,
    policy: str = "fifo",
    params: dict[str, Any] | None = None,
    **extra: Any,
) -> Scenario:
    """A scenario of GB200 racks (or ``{gpu_type: racks}``) with the given jobs."""
    groups = racks if isinstance(racks, dict) else {"GB200": racks}
    data: dict[str, Any] = {
        "name": "test",
        "cluster": {
            "pod_size_racks": pod_size_racks,
            "rack_groups": [{"gpu_type": t, "racks": n} for t, n in groups.items()],
            "power": {"supply_mw": 10.0, "pue": 1.0},
        },
        "jobs": jobs,
        "scheduler": {"policy": {"name": policy, "params": params or {}}},
        "simulation": {"efficiency": 0.5, "speed_model": "linear"},
    }
    for key, value in extra.items():
        data[key] = {**data.get(key, {}), **value}
    return Scenario.model_validate(data)


@pytest.fixture
def scenario_factory():
    return make_scenario


def missing(message: str, in_ci: str = "") -> NoReturn:
    """Skip a test (or a whole module, at its top) for want of something not installed, except
    under ``CI=true``, where it fails (``message`` then ``in_ci``): CI installs everything the
    tests use, so a skip there would pass without the test having run (QA: 29 editor-schema
    tests would have skipped if ray had stopped pulling in jsonschema)."""
    __tracebackhide__ = True  # reported at the caller's line, as importorskip is
    if os.environ.get("CI") == "true":
        pytest.fail(message + in_ci, pytrace=False)
    pytest.skip(message, allow_module_level=True)


def need(module: str, reason: str | None = None) -> ModuleType:
    """``module``, imported; if it cannot be, as ``pytest.importorskip`` but failing under
    ``CI=true`` (``missing``)."""
    __tracebackhide__ = True
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        missing(f"{module} is not installed ({reason or exc})",
                "; CI installs it with the dev extra (pip install -e '.[dev]')")


SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"  # beside the repo, never committed
ITP_TRACES = SHARED / "traces" / "elasticflow-itp"


def itp_trace(name: str) -> Path:
    """A shared Microsoft ITP trace's path; missing, the test skips here and fails in CI."""
    __tracebackhide__ = True
    path = ITP_TRACES / name
    if not path.is_file():
        missing(f"the shared ITP trace {path} is not here", " (CI has ../shared beside the repo)")
    return path
