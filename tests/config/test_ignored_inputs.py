"""Load warnings for inputs the run ignores: maintenance windows that never happen, repeat a pod
or overlap, windows dropped while reliability is off, a reference_gpu a params_billion job
ignores (each passed validate in silence)."""

from __future__ import annotations

import warnings

import pytest
from typer.testing import CliRunner

from colossim.api import load_scenario
from colossim.errors import ColossimWarning
from tests.scenario_cases import BASE, TWO_GB200_RACKS, edit

MAINTENANCE = """\
reliability:
  maintenance:
    - {start_s: 100, duration_s: 100, pods: [0]}
    - {start_s: 150, duration_s: 100, pods: [0, 0, 1]}
    - {start_s: 1.0e12, duration_s: 10, pods: [1]}
    - {start_s: 250, duration_s: 10, pods: [0]}
"""


def said(tmp_path, text: str) -> list[str]:
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_scenario(tmp_path / "s.yaml")
    return [str(w.message) for w in seen if issubclass(w.category, ColossimWarning)]


def test_maintenance_windows_that_never_happen_repeat_a_pod_or_overlap(tmp_path):
    """Window 3 starts as window 1 ends (250 s): adjacent, not overlapping."""
    assert said(tmp_path, BASE + MAINTENANCE) == [
        "reliability.maintenance[1] lists pod 0 more than once: once is enough",
        "reliability.maintenance[2] starts at 1,000,000,000,000 s, after the horizon "
        "(3,646 days): it never happens",
        "reliability.maintenance[0] and [1] overlap on pod 0: out of service once, from 100 s "
        "to 250 s; one window says so plainly",
    ]


def test_maintenance_while_reliability_is_off_is_said_to_be_ignored(tmp_path):
    text = BASE + MAINTENANCE.replace("reliability:\n", "reliability:\n  enabled: false\n")
    assert said(tmp_path, text) == [
        "reliability.maintenance (4 windows) is ignored while reliability.enabled is false: no "
        "pod is taken out of service (enabled: true applies it, with the failure model)"]


def test_checkpoint_settings_while_reliability_is_off_are_said_to_be_ignored(tmp_path):
    """QA: a 60 s interval of 100 TB checkpoints ran exactly as none, with no word."""
    ckpt = edit(BASE, "    max_gpus: 72\n", "    max_gpus: 72\n    checkpoint: {interval_s: 60}\n")
    assert said(tmp_path, ckpt) == [
        "the checkpoint settings of a are ignored while reliability.enabled is false: no job "
        "checkpoints then (enabled: true applies them, with the failure model; a checkpoint's "
        "size and bandwidth still price a preemption)"]
    on = ckpt + "reliability:\n  enabled: true\n"
    assert not [m for m in said(tmp_path, on) if "checkpoint settings" in m]
    assert not [m for m in said(tmp_path, BASE) if "checkpoint settings" in m]  # none given
    # review: a preemption's save and restore read the size, failures on or off
    size = edit(BASE, "    max_gpus: 72\n", "    max_gpus: 72\n    checkpoint: {size_gb: 200}\n")
    assert not [m for m in said(tmp_path, size) if "checkpoint settings" in m]


def test_a_reference_gpu_on_a_job_sized_by_params_is_said_to_be_ignored(tmp_path):
    one = edit(BASE, "    max_gpus: 72\n", "    max_gpus: 72\n    reference_gpu: H100\n")
    message = ("is ignored: the job is sized by params_billion, and reference_gpu names the GPU "
               "type work_gpu_hours was measured on; remove it")
    assert said(tmp_path, one) == [f"jobs.a.reference_gpu (H100) {message}"]
    both = edit(one, "    max_gpus: 144\n", "    max_gpus: 144\n    reference_gpu: GB200\n")
    assert said(tmp_path, both) == [f"jobs.a.reference_gpu (H100) (and 1 more job) {message}"]
    by_work = edit(BASE, "    params_billion: 8\n    tokens_billion: 100\n",
                   "    work_gpu_hours: 100\n    reference_gpu: H100\n")
    assert said(tmp_path, by_work) == []


@pytest.mark.parametrize("name", ["small", "colossus2"])
def test_the_builtin_scenarios_say_nothing_new(name):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        load_scenario(name)
    assert [str(w.message) for w in seen if issubclass(w.category, ColossimWarning)] == []


def test_validate_prints_the_warning_and_exits_0(tmp_path):
    from colossim.cli.app import app

    (tmp_path / "s.yaml").write_text(
        BASE + MAINTENANCE.replace("reliability:\n", "reliability:\n  enabled: false\n"),
        encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 0
    assert " ".join(result.stderr.split()) == (  # however the terminal wraps it
        "warning: reliability.maintenance (4 windows) is ignored while reliability.enabled is "
        "false: no pod is taken out of service (enabled: true applies it, with the failure "
        "model)")


def test_a_repair_time_for_software_faults_is_said_to_be_ignored(tmp_path):
    text = BASE + "reliability:\n  software: {repair: {mean_s: 3600}}\n"
    assert said(tmp_path, text) == [
        "reliability.software.repair is ignored: a software fault takes no hardware out of "
        "service (the job restarts in place after detection_s and restart_s), so nothing is "
        "repaired; remove it"]
    assert said(tmp_path, BASE + "reliability:\n  gpu: {repair: {mean_s: 3600}}\n") == []


def test_a_rail_group_size_the_fabric_cannot_use_is_said(tmp_path):
    # QA: ignored without rail_optimized, and clamped to the pod (2 racks here), in silence
    def with_fabric(fabric: str) -> str:
        return edit(BASE, "  power:\n", f"  fabric: {fabric}\n  power:\n")

    assert said(tmp_path, with_fabric("{rail_group_racks: 1}")) == [
        "cluster.fabric.rail_group_racks is ignored: rail groups exist only on a rail-optimised "
        "fabric (add cluster.fabric.rail_optimized: true)"]
    assert said(tmp_path, with_fabric("{rail_optimized: true, rail_group_racks: 56}")) == [
        "cluster.fabric.rail_group_racks (56) is more than a pod (cluster.pod_size_racks: 2): a "
        "rail group never spans pods, so each is its pod"]
    assert said(tmp_path, with_fabric("{rail_optimized: true, rail_group_racks: 1}")) == []
    assert said(tmp_path, with_fabric("{rail_optimized: true, rail_group_racks: 2}")) == []
    # QA: groups of 3 in pods of 4 made groups of 3 and 1 in silence
    four = edit(with_fabric("{rail_optimized: true, rail_group_racks: 3}"), "pod_size_racks: 2",
                "pod_size_racks: 4")
    assert said(tmp_path, four) == [
        "cluster.fabric.rail_group_racks (3) does not divide a pod (cluster.pod_size_racks: 4): "
        "each pod's last rail group holds 1 rack, and a job's traffic inside a pod loads the "
        "rack tier or not depending on the racks it gets"]


def test_fabric_faults_that_cannot_change_the_run_are_said(tmp_path):
    """QA: a fault after the horizon, or one leaving its tier whole, passed in silence, where
    the power events that cannot change the run are warned of."""
    events = ("{contention: true, events: [{time_s: 1.0e12, tier: pod, pod: 1, kind: switch}, "
              "{time_s: 100, tier: pod, pod: 0, capacity_fraction: 1.0}, "
              "{time_s: 100, tier: pod, pod: 0, capacity_fraction: 0.99}]}")
    text = edit(BASE, "  power:\n", f"  fabric: {events}\n  power:\n")
    assert [line for line in said(tmp_path, text) if "fabric.events" in line] == [
        "cluster.fabric.events[0] starts at 1,000,000,000,000 s, after the horizon (3,646 "
        "days): it never happens",
        "cluster.fabric.events[1] leaves its tier its whole capacity (capacity_fraction 1): it "
        "changes nothing; 0 cuts the tier off"]


SIZED_TWICE = "name: sized-twice\n" + TWO_GB200_RACKS + """\
jobs:
  - {name: a, kind: image, params_billion: 2, samples_million: 10, tokens_per_sample: 1024,
     tokens_billion: 100, max_gpus: 72}
  - {name: b, work_gpu_hours: 100, reference_gpu: GB200, max_gpus: 8,
     active_params_billion: 1, training: {seq_len_tokens: 4096, plan: {tp: 4}}}
  - {name: c, params_billion: 1, tokens_billion: 1, samples_million: 3, max_gpus: 8}
  - {name: d, params_billion: 1, tokens_billion: 1, max_gpus: 8}
"""


def test_sizing_fields_of_another_kind_of_job_are_warned_of(tmp_path):
    """QA: each was accepted and changed nothing (an image job's work is samples x patches; a
    GPU-hours job has no model). A GPU-hours job's pinned tp still shapes its placement."""
    assert said(tmp_path, SIZED_TWICE) == [
        "jobs.a.tokens_billion is ignored: an image job's work is samples_million x "
        "tokens_per_sample; remove it",
        "jobs.b.active_params_billion, jobs.b.training.seq_len_tokens are ignored: it is given "
        "as work_gpu_hours, with no model: its work and speed come from work_gpu_hours on "
        "reference_gpu; remove them",
        "jobs.c.samples_million is ignored: samples_million and tokens_per_sample size image "
        "jobs (kind: image); an LLM's work is tokens_billion; remove it"]
    # and they are ignored indeed: the image job's work is the same without tokens_billion
    from colossim.model.workload import total_flops

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ColossimWarning)  # said above
        jobs = load_scenario(tmp_path / "s.yaml").jobs
    assert total_flops(jobs[0]) == total_flops(jobs[0].model_copy(update={"tokens_billion": 1}))


def test_ramp_settings_without_a_ramp_limit_are_warned_of(tmp_path):
    """QA: without limit_mw_per_min generation follows the load at once, so initial_mw and cover
    ran exactly as without them."""
    ramp = "  power: {supply_mw: 1.0, pue: 1.1, ramp: {initial_mw: 0.1, cover: stagger}}\n"
    text = SIZED_TWICE.replace("  power: {supply_mw: 1.0}\n", ramp).split("jobs:")[0] + \
        "jobs:\n  - {name: d, params_billion: 1, tokens_billion: 1, max_gpus: 8}\n"
    assert said(tmp_path, text) == [
        "cluster.power.ramp.cover, cluster.power.ramp.initial_mw are ignored without "
        "cluster.power.ramp.limit_mw_per_min: generation then follows the load at once, so "
        "nothing ramps; give the limit to model a slow ramp"]
    limited = text.replace("cover: stagger}", "cover: stagger, limit_mw_per_min: 0.1}")
    assert said(tmp_path, limited) == []


def test_failure_settings_other_settings_make_moot_are_said_to_be_ignored(tmp_path):
    """QA: weibull_shape under exponential gaps ran exponential failures, and node_gpus
    without per_1000_node_days, or a rate on a class switched off, changed nothing: in
    silence (shapes 0.3 and 1.0 gave the same 275 interruptions)."""
    text = BASE + (
        "reliability:\n  enabled: true\n"
        "  software: {mtbf_gpu_hours: 8, weibull_shape: 0.5, node_gpus: 4}\n"
        "  gpu: {enabled: false, mtbf_gpu_hours: 1000, tbf: weibull}\n"
        "  rack: {repair: {distribution: fixed, mean_s: 600, cv: 2}}\n")
    assert said(tmp_path, text) == [
        "reliability.gpu.mtbf_gpu_hours, reliability.gpu.tbf are ignored: the class is off "
        "(reliability.gpu.enabled: false), so it never fails",
        "reliability.rack.repair.cv is ignored: only a lognormal repair time has a spread to "
        "set (reliability.rack.repair.distribution is fixed)",
        "reliability.software.weibull_shape is ignored: the gaps between failures are "
        "exponential (reliability.software.tbf); set tbf: weibull to use it",
        "reliability.software.node_gpus is ignored: it converts per_1000_node_days, which "
        "reliability.software does not give (its rate is mtbf_gpu_hours)"]
    used = BASE + ("reliability:\n  enabled: true\n"
                   "  software: {per_1000_node_days: 2, node_gpus: 4, tbf: weibull, "
                   "weibull_shape: 0.5}\n"
                   "  rack: {repair: {distribution: lognormal, mean_s: 600, cv: 2}}\n")
    assert said(tmp_path, used) == []


def test_checkpoint_settings_other_settings_make_moot_are_said_to_be_ignored(tmp_path):
    said_of = {}
    for settings in ("persist_every: 3, peer_gbytes_s: 10", "in_memory: local, peer_gbytes_s: 10",
                     "interval_s: 600, method: young, min_interval_s: 30"):
        text = edit(BASE, "    max_gpus: 72\n",
                    f"    max_gpus: 72\n    checkpoint: {{{settings}}}\n")
        said_of[settings] = said(tmp_path, text + "reliability:\n  enabled: true\n")
    assert said_of == {
        "persist_every: 3, peer_gbytes_s: 10": [
            "jobs.a.checkpoint.persist_every is ignored without in-memory copies (in_memory: "
            "none)",
            "jobs.a.checkpoint.peer_gbytes_s is ignored without in-memory copies (in_memory: "
            "none)"],
        "in_memory: local, peer_gbytes_s: 10": [
            "jobs.a.checkpoint.peer_gbytes_s is ignored for a copy in the job's own host memory "
            "(in_memory: local; peer sends one to another rack)"],
        "interval_s: 600, method: young, min_interval_s: 30": [
            "jobs.a.checkpoint.method is ignored under a fixed interval_s (it shapes only "
            "interval_s: auto)",
            "jobs.a.checkpoint.min_interval_s is ignored under a fixed interval_s (it shapes "
            "only interval_s: auto)"]}
    peer = edit(BASE, "    max_gpus: 72\n",
                "    max_gpus: 72\n    checkpoint: {in_memory: peer, peer_gbytes_s: 10, "
                "persist_every: 3, method: young}\n")
    assert said(tmp_path, peer + "reliability:\n  enabled: true\n") == []
