"""Power scenarios small enough to solve by hand.

GPU type ``P1``: 1,000 GPUs per rack (one NVLink domain), TDP 1,000 W, idle 0 W, no rack overhead,
so a busy rack draws exactly 1 MW and an idle facility 0 MW (PUE 1). With the default DVFS
settings (lowest clock 0.5, voltage knee 0.6) a computing GPU at clock x draws
``1000 x^3`` W for x >= 0.6 and ``1000 x 0.36`` W below. A job of ``hours`` x 1,000 GPU-hours on
one rack takes ``hours`` hours at full speed (the linear speed model).
"""

from __future__ import annotations

import json
from typing import Any

from colossim.engine.simulation import Simulation
from colossim.metrics.result import RunResult
from colossim.metrics.summary import summarize
from colossim.policy.registry import make_policy
from tests.conftest import make_scenario

GPUS = 1000
TDP = 1000.0
HOUR = 3600.0

P1 = {
    "bf16_tflops": 1000.0, "fp8_tflops": 2000.0, "hbm_gb": 80.0, "hbm_usable_gb": 80.0,
    "hbm_tbytes_s": 3.0, "nvlink_gbytes_s": 450.0, "nic_gbit_s": 400.0, "tdp_w": TDP,
    "idle_w": 0.0, "gpus_per_domain": GPUS, "gpus_per_rack": GPUS, "rack_overhead_w": 0.0,
    "source": "test GPU: hand-computable power",
}


def catalog_yaml(**fields: Any) -> str:
    """The ``P1`` type as a scenario file's ``catalog:`` block (``fields`` override its own),
    for tests that load a file as a user would. JSON is YAML's flow style."""
    return f"catalog:\n  P1: {json.dumps({**P1, **fields})}\n"


def job(name: str, hours: float = 10.0, racks: int = 1, **extra: Any) -> dict[str, Any]:
    gpus = GPUS * racks
    return {"name": name, "work_gpu_hours": hours * gpus, "reference_gpu": "P1",
            "min_gpus": gpus, "max_gpus": gpus, **extra}


def scenario(job_list: list[dict[str, Any]], racks: int = 1, policy: str = "fifo",
             params: dict[str, Any] | None = None, gpu: dict[str, Any] | None = None,
             simulation: dict[str, Any] | None = None, **power: Any):
    """A ``P1`` cluster (``gpu`` overrides catalog fields) with ``power`` settings, PUE 1."""
    return make_scenario(
        job_list, racks={"P1": racks}, policy=policy, params=params,
        catalog={"P1": {**P1, **(gpu or {})}}, simulation=simulation or {},
        cluster={"power": {"supply_mw": 10.0, "pue": 1.0, **power},
                 "fabric": {"contention": False}},
    )


def run(sc, policy=None, check: bool = True) -> tuple[RunResult, Simulation]:
    spec = sc.scheduler.policy
    sim = Simulation(sc, policy or make_policy(spec.name, spec.params), check_invariants=check)
    return summarize(sim.run(), spec.name), sim


def level_at(result: RunResult, name: str, time_s: float) -> float:
    """The value a level series holds at ``time_s`` (its last point at or before it)."""
    series = result.record.series[name]
    value = 0.0
    for t, v in zip(series.times, series.values, strict=True):
        if t <= time_s * (1 + 1e-12):
            value = v
    return value


def events(result: RunResult, kind: str) -> list:
    return [e for e in result.record.events if e.kind == kind]


def two_gb200_racks(tmp_path, rest: str, check_invariants: bool | None = None) -> RunResult:
    """Run a scenario of 2 GB200 racks in one pod (fabric contention off, the linear speed
    model) with ``rest``: its power block and jobs, indented as under ``cluster:``."""
    from colossim.api import load_scenario, simulate

    source = tmp_path / "two_racks.yaml"
    source.write_text("name: two-racks\nsimulation: {speed_model: linear}\ncluster:\n"
                      "  pod_size_racks: 2\n  rack_groups: [{gpu_type: GB200, racks: 2}]\n"
                      "  fabric: {contention: false}" + rest)
    return simulate(load_scenario(str(source)), check_invariants=check_invariants)


def scenario_file(tmp_path: Any, template: str, supply: float = 1.0,
                  policy: str = "fifo") -> str:
    """``template``, a scenario with ``{supply}`` and ``{policy}`` to fill, written in
    ``tmp_path``: its path, as a user's file is given."""
    path = tmp_path / "scenario.yaml"
    path.write_text(template.format(supply=supply, policy=policy))
    return str(path)
