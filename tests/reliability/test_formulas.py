"""The pure parts: Young and Daly, the ETTR closed form, sizes, shares, rates, sampling."""

from __future__ import annotations

import math

import numpy as np
import pytest

from colossim.api import load_scenario
from colossim.config.reliability import (
    LLAMA3_GPU_HOURS,
    AutoMethod,
    FailureProcess,
    ReliabilityConfig,
    Tbf,
)
from colossim.config.schema import JobConfig
from colossim.errors import ConfigError
from colossim.model.reliability import (
    auto_interval,
    checkpoint_bytes,
    daly_interval,
    expected_ettr,
    failure_rate_per_gpu_s,
    first_order_ettr,
    max_min_rates,
    sample_gaps,
    young_interval,
)


def test_young_and_daly_match_hand_arithmetic():
    # the 10T job on 221,184 GPUs at Llama 3's rate: M = 50,677 / 221,184 h = 825 s; a 140 TB
    # checkpoint at 2 TB/s: delta = 70 s.
    # Young: sqrt(2 x 70 x 825) = sqrt(115,500) = 339.853 s
    assert young_interval(70, 825) == pytest.approx(339.8529, abs=1e-4)
    # Daly: x = 70 / 1,650 = 0.0424242; 339.853 x (1 + 0.0686571 + 0.0047138) - 70 = 294.788 s
    assert daly_interval(70, 825) == pytest.approx(294.7882, abs=1e-4)
    # delta >= 2M: Daly says checkpoint every M
    assert daly_interval(2000, 825) == 825
    assert auto_interval(AutoMethod.YOUNG, 70, 825, floor_s=60) == young_interval(70, 825)
    assert auto_interval(AutoMethod.DALY, 0.01, 825, floor_s=60) == 60  # the floor
    assert auto_interval(AutoMethod.DALY, 70, math.inf, floor_s=60) == math.inf


def test_expected_ettr_is_daly_complete_model_and_agrees_to_first_order():
    tau, delta, restart, mttf = 300.0, 70.0, 290.0, 825.0
    # M e^(R/M) (e^((tau+delta)/M) - 1) = 825 x 1.42122 x 0.565938 = 663.57 s per 300 s of work
    assert expected_ettr(tau, delta, restart, mttf) == pytest.approx(300 / 663.57, rel=1e-4)
    # a rare-failure case, where first order is good: 1 - 10/1010 - (505 + 100)/1e6
    assert first_order_ettr(1000, 10, 100, 1e6) == pytest.approx(1 - 10 / 1010 - 605 / 1e6)
    assert expected_ettr(1000, 10, 100, 1e6) == pytest.approx(
        first_order_ettr(1000, 10, 100, 1e6), abs=1e-5)
    assert expected_ettr(1000, 10, 100, math.inf) == pytest.approx(1000 / 1010)
    # a restart of 1,000 MTTFs: e^1000 overflows a float, and the job never completes a segment
    # (review: the load's warning of a long interval crashed on it)
    assert expected_ettr(1200, 70, 600_000, 600) == 0.0


def test_checkpoint_size_is_weights_plus_optimizer_state():
    job = JobConfig(name="x", params_billion=10_000, tokens_billion=1, max_gpus=72)
    assert checkpoint_bytes(job, 72) == pytest.approx(10_000e9 * (2 + 12))  # 140 TB
    own = job.model_copy(update={"checkpoint": job.checkpoint.model_copy(
        update={"bytes_per_param": 16.0})})
    assert checkpoint_bytes(own, 72) == pytest.approx(160e12)


def test_storage_is_shared_max_min_fairly():
    assert max_min_rates([math.inf, math.inf], 2.0) == [1.0, 1.0]
    assert max_min_rates([0.5, math.inf, math.inf], 2.0) == [0.5, 0.75, 0.75]
    assert max_min_rates([3.0], 2.0) == [2.0]


def test_rates_from_node_days_and_the_llama3_defaults():
    meta = FailureProcess(per_1000_node_days=6.5)
    # 6.5 failures per 1,000 8-GPU node-days: per GPU-hour 6.5 / (1000 x 8 x 24)
    assert meta.rate_per_gpu_s() * 3600 == pytest.approx(6.5 / 192_000)
    defaults = ReliabilityConfig()
    # Llama 3: 419 unexpected interruptions in 16,384 x 54 x 24 GPU-hours (one per 50,677)
    llama = 419 / LLAMA3_GPU_HOURS
    rack = 1 / (72 * 2 * 8760)  # the assumed rack-level class
    assert failure_rate_per_gpu_s(defaults) * 3600 == pytest.approx(llama + rack, rel=1e-5)
    assert 1 / llama == pytest.approx(50_677, abs=1)
    with pytest.raises(ValueError):
        FailureProcess(per_1000_node_days=6.5, mtbf_gpu_hours=1000)


@pytest.mark.parametrize("tbf", [Tbf.EXPONENTIAL, Tbf.WEIBULL])
def test_time_between_failures_keeps_the_configured_mean(tbf):
    gaps = sample_gaps(np.random.default_rng(1), tbf, 0.75, 1 / 300.0, 200_000)
    assert gaps.mean() == pytest.approx(300.0, rel=0.02)
    cv = gaps.std() / gaps.mean()
    # exponential: CV 1; Weibull k = 0.75: sqrt(G(1 + 2/k) / G(1 + 1/k)^2 - 1) = 1.3556
    want = 1.0 if tbf is Tbf.EXPONENTIAL else math.sqrt(
        math.gamma(1 + 2 / 0.75) / math.gamma(1 + 1 / 0.75) ** 2 - 1)
    assert cv == pytest.approx(want, rel=0.05)


def test_the_weibull_shape_and_repair_spread_bounds_are_sampled_and_refused_past():
    """The bounds keep sampling finite: at k = 0.1 the scale factor Gamma(1 + 10) = 3,628,800
    and gaps are drawn; Gamma(1 + 1/k) overflows a float near k = 0.0058 and cv**2 near 1e154
    (QA: tracebacks). Past the bounds the loader refuses the field, exit code 2."""
    gaps = sample_gaps(np.random.default_rng(1), Tbf.WEIBULL, 0.1, 1 / 300.0, 1_000)
    assert np.isfinite(gaps).all() and (gaps >= 0).all()
    assert math.gamma(1 + 1 / 0.1) == pytest.approx(3_628_800)
    for field, value in (("weibull_shape", 0.005), ("repair.cv", 1e200)):
        with pytest.raises(ConfigError) as info:
            load_scenario("small", [f"reliability.gpu.{field}={value}"])
        assert f"reliability.gpu.{field}: must be" in str(info.value.problems[0])
        assert info.value.exit_code == 2


def test_rate_scale_multiplies_every_class_rate_and_keeps_each_sample_path():
    """QA: "failures twice as frequent" took five --set with hand-computed rates. With
    ``rate_scale: 2`` each class's rate doubles, so the job's MTTF halves exactly, and each
    stream draws the same uniforms: every gap is exactly half (exponential and Weibull gaps
    are the rate's inverse times a draw), the victims and repairs unchanged."""
    from colossim.config.reliability import ReliabilityConfig, Tbf
    from colossim.model.reliability import (
        FailureStream,
        failure_rate_per_gpu_s,
        job_failure_rate_s,
    )

    base, twice = ReliabilityConfig(), ReliabilityConfig(rate_scale=2)
    assert failure_rate_per_gpu_s(twice) == 2 * failure_rate_per_gpu_s(base)
    assert job_failure_rate_s(twice, 72, 144, 72) == 2 * job_failure_rate_s(base, 72, 144, 72)
    for process in (base.gpu, base.gpu.model_copy(update={"tbf": Tbf.WEIBULL})):
        draws = []
        for scale in (1.0, 2.0):
            stream = FailureStream(process, 1000, np.random.default_rng(7),
                                   np.random.default_rng(8), scale)
            draws.append([stream.next() for _ in range(5)])
        for (gap, victim, repair), (half, victim2, repair2) in zip(*draws, strict=True):
            assert half == pytest.approx(gap / 2, rel=1e-12)
            assert (victim2, repair2) == (victim, repair)


def test_the_engine_applies_rate_scale_to_its_streams():
    """Review: only FailureStream was tested; the engine passing the scale went unchecked. Only
    GPU faults on: the first comes from the stream's first gap, so at scale 2 exactly halfway."""
    from colossim.api import run_scenario

    firsts = []
    for scale in (1, 2):
        scenario = load_scenario("small", [
            "reliability.enabled=true", f"reliability.rate_scale={scale}",
            "reliability.gpu.mtbf_gpu_hours=2000", "reliability.tray.enabled=false",
            "reliability.rack.enabled=false", "reliability.network.enabled=false",
            "reliability.software.enabled=false"])
        record = run_scenario(scenario).state.record
        firsts.append(next(e.time_s for e in record.events if e.kind == "fault"))
    assert firsts[1] == pytest.approx(firsts[0] / 2, rel=1e-12)


def test_rate_scale_zero_is_no_failures_with_checkpoints_still_written():
    """QA: ``rate_scale: 0`` was refused, so a study of the failure rate could not include "no
    failures" beside its checkpoint cost (``enabled: false`` turns checkpoints off too). At 0
    the run is the one with every failure class off: the same result to the bit, no fault, and
    the fixed 1-hour checkpoints of llm-70b still written."""
    from colossim.api import simulate

    common = ["reliability.enabled=true", "jobs.llm-70b.checkpoint.interval_s=3600"]
    zero = simulate(load_scenario("small", [*common, "reliability.rate_scale=0"])).to_dict()
    off = simulate(load_scenario("small", [*common, *(
        f"reliability.{name}.enabled=false"
        for name in ("gpu", "tray", "rack", "network", "software"))])).to_dict()
    for result in (zero, off):
        result.pop("wall_s", None)
        result.pop("scenario", None)
    assert zero == off
    job = next(j for j in zero["jobs"] if j["name"] == "llm-70b")
    assert job["interruptions"] == 0 and job["lost_gpu_hours"] == 0 and job["mttf_s"] is None
    # it runs alone from 0 s on 144 GPUs: its wall time is compute plus the checkpoints' pauses,
    # and one checkpoint falls due per full hour of compute
    paused_s = job["checkpoint_gpu_hours"] * 3600 / 144
    compute_s = job["end_s"] - paused_s
    assert job["checkpoints"] == int(compute_s // 3600) == 17
    assert job["ettr"] == pytest.approx(compute_s / job["end_s"], rel=1e-9)
