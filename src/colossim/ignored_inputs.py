"""Load warnings for inputs a valid scenario gives that the run ignores, or that cannot be what
was meant (``load_warnings.warn_about`` calls this): a maintenance window that never happens or
repeats another, windows and checkpoint settings kept while ``reliability.enabled: false`` drops
them, a job's ``reference_gpu`` where its size comes from ``params_billion`` (and sizing fields
of another kind of job), a repair time for software faults, failure and checkpoint settings
that other settings make moot (a Weibull shape under exponential gaps, in-memory settings without
in-memory copies, ...), a rail group size without rail-optimised fabric or beyond a pod. Each would
otherwise pass for a finding: the run looks the same with them as without."""

from __future__ import annotations

import itertools
import warnings

from colossim.config.messages import figure
from colossim.config.reliability import (
    MemoryCopy,
    ReliabilityConfig,
    RepairDistribution,
    Tbf,
)
from colossim.config.schema import Scenario
from colossim.config.wording import and_more
from colossim.errors import ColossimWarning
from colossim.metrics.labels import span_text


def warn_ignored_inputs(scenario: Scenario) -> None:
    """One ``ColossimWarning`` per finding: check by check, each check's in the file's order."""
    said = _maintenance(scenario.reliability, scenario.simulation.horizon_s)
    said += _checkpoints(scenario)
    said += _reference_gpus(scenario)
    said += _unused_sizing(scenario)
    said += _software_repair(scenario.reliability)
    said += _unused_failure_settings(scenario.reliability)
    said += _unused_checkpoint_settings(scenario)
    said += _rail_groups(scenario)
    said += _fabric_events(scenario)
    said += _ramp_without_a_limit(scenario)
    for text in said:
        warnings.warn(ColossimWarning(text), stacklevel=4)


def _ramp_without_a_limit(scenario: Scenario) -> list[str]:
    """Ramp settings only act while generation ramps, which it does only under
    ``limit_mw_per_min``: without one it follows the load at once (QA: ``initial_mw`` and
    ``cover: stagger`` without a limit ran exactly as without them, with no word)."""
    ramp = scenario.cluster.power.ramp
    given = sorted(ramp.model_fields_set & {"cover", "stage_s", "initial_mw"})
    if ramp.limit_mw_per_min is not None or not given:
        return []
    return [f"{_fields('cluster.power.ramp', given)} ignored without "
            "cluster.power.ramp.limit_mw_per_min: generation then follows the load at once, so "
            "nothing ramps; give the limit to model a slow ramp"]


def _fabric_events(scenario: Scenario) -> list[str]:
    """Fabric faults that cannot change the run, as the power events that cannot are warned of
    (QA: a fault after the horizon, or one leaving its tier whole, passed without a word)."""

    horizon_s, said = scenario.simulation.horizon_s, []
    for i, event in enumerate(scenario.cluster.fabric.events):
        where = f"cluster.fabric.events[{i}]"
        if event.time_s >= horizon_s:
            said.append(f"{where} starts at {figure(event.time_s)} s, after the horizon "
                        f"({span_text(horizon_s)}): it never happens")
        elif event.capacity_fraction >= 1.0:
            said.append(f"{where} leaves its tier its whole capacity (capacity_fraction 1): it "
                        "changes nothing; 0 cuts the tier off")
    return said


CHECKPOINT_TIMING = frozenset({"interval_s", "method", "min_interval_s", "mode", "in_memory",
                               "persist_every", "snapshot_gbytes_s", "peer_gbytes_s"})
# what only a job's checkpoints read; its size and storage bandwidth also price a preemption's
# save and restore (``engine.switch_costs``), failures on or off (review)


def _checkpoints(scenario: Scenario) -> list[str]:
    """When and how a job checkpoints, given while the failure model is off: no job checkpoints
    then, so they change nothing (QA: a 60 s interval ran exactly as none, with no word), as
    the maintenance windows the same switch drops are warned of."""
    if scenario.reliability.enabled:
        return []
    given = [job.name for job in scenario.jobs
             if job.checkpoint.model_fields_set & CHECKPOINT_TIMING]
    if not given:
        return []
    names = and_more(given, 3)
    return [f"the checkpoint settings of {names} are ignored while reliability.enabled is "
            "false: no job checkpoints then (enabled: true applies them, with the failure "
            "model; a checkpoint's size and bandwidth still price a preemption)"]


def _maintenance(reliability: ReliabilityConfig, horizon_s: float) -> list[str]:
    """Windows dropped with the model off, starting after the horizon, naming a pod twice, or
    overlapping another on a pod (the pod is out for their union: one window says so)."""

    windows = reliability.maintenance
    if windows and not reliability.enabled:
        count = f"{len(windows)} window{'s' * (len(windows) != 1)}"
        return [f"reliability.maintenance ({count}) is ignored while reliability.enabled is "
                "false: no pod is taken out of service (enabled: true applies it, with the "
                "failure model)"]
    said = []
    for i, window in enumerate(windows):
        where = f"reliability.maintenance[{i}]"
        if window.start_s >= horizon_s:
            said.append(f"{where} starts at {figure(window.start_s)} s, after the horizon "
                        f"({span_text(horizon_s)}): it never happens")
        twice = sorted({p for p in window.pods if window.pods.count(p) > 1})
        if twice:
            said.append(f"{where} lists pod{'s' * (len(twice) > 1)} "
                        f"{', '.join(map(str, twice))} more than once: once is enough")
    for (i, a), (j, b) in itertools.combinations(enumerate(windows), 2):
        shared = sorted(set(a.pods) & set(b.pods))
        ends = (a.start_s + a.duration_s, b.start_s + b.duration_s)
        if shared and a.start_s < ends[1] and b.start_s < ends[0]:
            pods = f"pod{'s' * (len(shared) > 1)} {', '.join(map(str, shared))}"
            said.append(f"reliability.maintenance[{i}] and [{j}] overlap on {pods}: out of "
                        f"service once, from {min(a.start_s, b.start_s):,.0f} s to "
                        f"{max(ends):,.0f} s; one window says so plainly")
    return said


def _software_repair(reliability: ReliabilityConfig) -> list[str]:
    """A software fault needs a restart, not a repair: no hardware leaves service, so a repair
    time given for the class is never drawn (QA: accepted without a word)."""
    if "repair" not in reliability.software.model_fields_set:
        return []
    return ["reliability.software.repair is ignored: a software fault takes no hardware out of "
            "service (the job restarts in place after detection_s and restart_s), so nothing "
            "is repaired; remove it"]


PROCESS_SETTINGS = ("mtbf_gpu_hours", "per_1000_node_days", "node_gpus", "tbf",
                    "weibull_shape", "repair")


def _unused_failure_settings(reliability: ReliabilityConfig) -> list[str]:
    """Settings of a failure class that its other settings make moot: a Weibull shape under
    exponential gaps, a node size without a per-node rate, a lognormal spread on another
    repair law, anything on a class switched off. Each ran exactly as without it (QA: a user
    who set weibull_shape: 0.5 got exponential failures, in silence)."""
    if not reliability.enabled:
        return []
    said = []
    for name, process in reliability.processes().items():
        given = process.model_fields_set
        where = f"reliability.{name}"
        if not process.enabled:
            moot = [f for f in PROCESS_SETTINGS if f in given]
            if moot:
                said.append(f"{_fields(where, moot)} ignored: the class is off ({where}.enabled: "
                            "false), so it never fails")
            continue
        if "weibull_shape" in given and process.tbf is not Tbf.WEIBULL:
            said.append(f"{where}.weibull_shape is ignored: the gaps between failures are "
                        f"{process.tbf.value} ({where}.tbf); set tbf: weibull to use it")
        if "node_gpus" in given and process.per_1000_node_days is None:
            said.append(f"{where}.node_gpus is ignored: it converts per_1000_node_days, which "
                        f"{where} does not give (its rate is mtbf_gpu_hours)")
        repair = process.repair
        if repair is not None and "cv" in repair.model_fields_set \
                and repair.distribution is not RepairDistribution.LOGNORMAL:
            said.append(f"{where}.repair.cv is ignored: only a lognormal repair time has a "
                        f"spread to set ({where}.repair.distribution is "
                        f"{repair.distribution.value})")
    return said


def _unused_checkpoint_settings(scenario: Scenario) -> list[str]:
    """A job's checkpoint settings that its other settings make moot, with failures on (off,
    ``_checkpoints`` says they all are): in-memory settings without in-memory copies, a peer's
    bandwidth for a local copy, the auto interval's formula and floor under a fixed one."""
    if not scenario.reliability.enabled:
        return []
    moot: dict[tuple[str, str], list[str]] = {}
    for job in scenario.jobs:
        ck, given = job.checkpoint, job.checkpoint.model_fields_set
        if ck.in_memory is MemoryCopy.NONE:
            why = "without in-memory copies (in_memory: none)"
            for field in ("persist_every", "peer_gbytes_s"):
                if field in given:
                    moot.setdefault((field, why), []).append(job.name)
        elif ck.in_memory is MemoryCopy.LOCAL and "peer_gbytes_s" in given:
            moot.setdefault(("peer_gbytes_s", "for a copy in the job's own host memory "
                             "(in_memory: local; peer sends one to another rack)"),
                            []).append(job.name)
        if ck.interval_s != "auto":
            why = "under a fixed interval_s (it shapes only interval_s: auto)"
            for field in ("method", "min_interval_s"):
                if field in given:
                    moot.setdefault((field, why), []).append(job.name)
    return [(f"jobs.{names[0]}.checkpoint.{field}" if len(names) == 1 else
             f"checkpoint.{field} of {and_more(names, 3)}") + f" is ignored {why}"
            for (field, why), names in moot.items()]


def _fields(where: str, fields: list[str]) -> str:
    """``a.b`` is / ``a.b, a.c`` are: the subject of a sentence naming settings."""
    return ", ".join(f"{where}.{f}" for f in fields) + (" is" if len(fields) == 1 else " are")


def _rail_groups(scenario: Scenario) -> list[str]:
    """``rail_group_racks`` splits a pod into rail groups only on a rail-optimised fabric, and
    a group never spans pods (QA: both went by without a word)."""
    fabric, pod = scenario.cluster.fabric, scenario.cluster.pod_size_racks
    size = fabric.rail_group_racks
    if size is None:
        return []
    if not fabric.rail_optimized:
        return ["cluster.fabric.rail_group_racks is ignored: rail groups exist only on a "
                "rail-optimised fabric (add cluster.fabric.rail_optimized: true)"]
    if size > pod:
        return [f"cluster.fabric.rail_group_racks ({size:,}) is more than a pod "
                f"(cluster.pod_size_racks: {pod:,}): a rail group never spans pods, so each is "
                "its pod"]
    if pod % size:  # QA: 3 in pods of 4 made groups of 3 and 1 without a word
        return [f"cluster.fabric.rail_group_racks ({size:,}) does not divide a pod "
                f"(cluster.pod_size_racks: {pod:,}): each pod's last rail group holds "
                f"{pod % size:,} rack{'s' * (pod % size != 1)}, and a job's traffic inside a "
                "pod loads the rack tier or not depending on the racks it gets"]
    return []


UNUSED_SHOWN = 5  # jobs named one by one; the rest are counted


def _unused_sizing(scenario: Scenario) -> list[str]:
    """Fields that size a job in another way than the one it uses (QA: ``tokens_billion`` on
    an image job, ``active_params_billion`` or ``training`` on a ``work_gpu_hours`` job, were
    accepted and changed nothing): an image job's work is ``samples_million`` x
    ``tokens_per_sample``, an LLM's ``tokens_billion``, and a job given as GPU-hours has no
    model at all."""
    from colossim.config.schema import JobKind

    said = []
    for job in scenario.jobs:
        given = job.model_fields_set
        if job.params_billion is None:  # a pinned plan's tp still shapes its placement
            unused = given & {"active_params_billion", "tokens_billion", "samples_million",
                              "tokens_per_sample"}
            unused |= {f"training.{name}" for name in job.training.model_fields_set - {"plan"}}
            why = ("it is given as work_gpu_hours, with no model: its work and speed come from "
                   "work_gpu_hours on reference_gpu")
        elif job.kind is JobKind.IMAGE:
            unused = given & {"tokens_billion"}
            why = "an image job's work is samples_million x tokens_per_sample"
        else:
            unused = given & {"samples_million", "tokens_per_sample"}
            why = ("samples_million and tokens_per_sample size image jobs (kind: image); an "
                   "LLM's work is tokens_billion")
        if unused:
            said.append(f"{_fields(f'jobs.{job.name}', sorted(unused))} ignored: {why}; "
                        "remove " + ("it" if len(unused) == 1 else "them"))
    if len(said) > UNUSED_SHOWN:
        said[UNUSED_SHOWN:] = [f"and {len(said) - UNUSED_SHOWN:,} more jobs with fields they "
                               "ignore likewise"]
    return said


def _reference_gpus(scenario: Scenario) -> list[str]:
    """``reference_gpu`` only says what ``work_gpu_hours`` was measured on; a job sized by
    ``params_billion`` ignores it (its speed comes from the GPUs it is given)."""
    jobs = [job for job in scenario.jobs
            if job.reference_gpu is not None and job.params_billion is not None]
    if not jobs:
        return []
    where = f"jobs.{jobs[0].name}.reference_gpu ({jobs[0].reference_gpu})"
    if len(jobs) > 1:
        where += f" (and {len(jobs) - 1:,} more job{'s' * (len(jobs) > 2)})"
    return [f"{where} is ignored: the job is sized by params_billion, and reference_gpu names "
            "the GPU type work_gpu_hours was measured on; remove it"]
