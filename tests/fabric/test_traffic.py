"""Bytes per tier from the performance model's plan, and speed under contended bandwidth."""

from __future__ import annotations

import pytest

from colossim.config.catalog import BUILTIN_GPUS
from colossim.config.schema import JobConfig
from colossim.model.parallelism import Span, TierBandwidth, step_breakdown
from colossim.model.traffic import job_comm
from colossim.model.workload import workload
from tests.fabric.helpers import job

GB200 = BUILTIN_GPUS["GB200"]
S, H, TP, PP = 8192, 12288, 8, 9
MICRO = 32768 / S / 2  # 4 sequences per step over dp = 2: 2 micro-batches of 1 per replica


def comm_of(cfg: dict, racks: int = 2, pods: int = 2):
    return job_comm(JobConfig.model_validate(cfg), ((GB200, 72 * racks),), Span(racks, pods),
                    50.0)


def test_bytes_per_step_by_collective_and_tier():
    c = comm_of(job("a"))
    assert c.plan.tp == TP and c.plan.pp == PP and c.plan.dp == 2 and c.plan.pipeline_in_domain
    t = c.traffic
    # DP: ZeRO-1 reduce-scatter + all-gather of 2 B/param over a ring of 2: 2 x 1/2 x 2 B x 1e9
    assert t.dp_nic == pytest.approx(2e9)
    assert t.dp_nvlink == 0.0  # one DP rank per domain: nothing to reduce inside it
    # TP: 4 all-reduces per layer per micro-batch, 2(t-1)/t x 2 B x b s h, 4 layers per stage
    assert t.tp_nvlink == pytest.approx(MICRO * 4 * 4 * 2 * (TP - 1) / TP * 2 * S * H)
    # pipeline: activations forward and gradients back per micro-batch, 2 B x s h / t, on NVLink
    assert t.pp_nvlink == pytest.approx(2 * MICRO * 2 * S * H / TP) and t.pp_nic == 0.0
    assert t.ep_nvlink == 0.0 and t.nic == t.dp_nic


def test_unaligned_pipeline_sends_go_over_the_nics_and_match_the_step_time():
    cfg = job("p", racks=4)
    cfg["training"]["plan"] = {"tp": 8, "pp": 18, "dp": 2, "interleave": 1}
    cfg["training"]["pp_overlap_fraction"] = 0.0
    cfg["training"]["layers"] = 36
    c = comm_of(cfg, racks=4, pods=1)
    assert not c.plan.pipeline_in_domain
    w = workload(JobConfig.model_validate(cfg))
    # the performance model's p2p seconds at x GB/s are exactly bytes / x: of the GPUs whose
    # sends leave their domain, which pace the step
    br = step_breakdown(w, GB200, c.plan, TierBandwidth(900, 25, 25), Span(4, 1))
    t = c.traffic
    assert t.nic_peak - t.dp_nic == pytest.approx(br.pp_p2p_s * 25e9)
    # the two replicas of a stage sit in different domains (each pipeline fills two): DP's ring
    # of 2 crosses the NICs: 2 x 1/2 x 2 B x 0.5e9 parameters a GPU (72B over tp 8 x pp 18)
    assert t.dp_nic == pytest.approx(1e9)
    # rank order [TP, EP, PP, DP]: 9 stages a domain, 2 pipelines of 18 stages one after the
    # other; of their 2 x 17 stage boundaries, one in each pipeline (after its 9th stage) leaves
    # a domain (the domain boundary after stage 18 is where the second pipeline begins): 1/17
    # of the pipeline's bytes on the NICs, the rest on NVLink
    assert t.pp_senders == pytest.approx(1 / 17)
    assert t.pp_nic == pytest.approx(br.pp_p2p_s * 25e9 / 17)
    assert t.pp_nvlink == pytest.approx(br.pp_p2p_s * 25e9 * 16 / 17)


@pytest.mark.parametrize("tp, pp, dp, senders", [
    (8, 36, 1, 3 / 35),  # QA's pure pipeline on 4 racks: 3 of its 35 boundaries leave a rack
    (8, 4, 9, 3 / 27),  # pipelines of 4 straddle the domains: 3 of 27 boundaries leave one
    (4, 8, 9, 3 / 63),  # 18 stages a domain: boundaries after stages 18, 36, 54 (none a start)
    (8, 99, 93, None),  # Colossus-2's 1.5t-a plan: counted rank by rank below (~1 in 10)
    (64, 6, 4, 1.0),  # one stage a domain: every send leaves it
])
def test_the_pipelines_nic_share_follows_the_rank_order(tp, pp, dp, senders):
    from colossim.config.training import Recompute
    from colossim.model.parallelism import ParallelPlan
    from colossim.model.traffic import pipeline_nic_share

    plan = ParallelPlan(tp=tp, pp=pp, dp=dp, ep=1, micro_batch_size=1, microbatches=8,
                        interleave=1, recompute=Recompute.NONE, pipeline_in_domain=False)
    share = pipeline_nic_share(plan, 72)
    assert share == pytest.approx(senders if senders is not None else 0.102, abs=0.001)
    assert share == pytest.approx(_counted_share(tp, pp, dp, 72))
    inside = ParallelPlan(tp=8, pp=9, dp=4, ep=1, micro_batch_size=1, microbatches=8,
                          interleave=1, recompute=Recompute.NONE, pipeline_in_domain=True)
    assert pipeline_nic_share(inside, 72) == 0.0


def _counted_share(tp: int, pp: int, dp: int, domain: int) -> float:
    """The share by brute force: lay the ranks out [TP, PP, DP] in blocks of ``domain // tp``
    stages per domain, and ask of each rank's send to the next stage of its pipeline whether it
    lands in another domain."""
    per_domain = domain // tp
    sends = crossing = 0
    for replica in range(dp):
        for stage in range(pp - 1):
            at = replica * pp + stage  # the stage's block among all the job's blocks
            for _rank in range(tp):
                sends += 1
                crossing += at // per_domain != (at + 1) // per_domain
    return crossing / sends


def test_speed_is_one_at_line_rate_and_falls_with_bandwidth():
    c = comm_of(job("a"))
    factor, share, step = c.speed(50.0)
    assert factor == 1.0 and step == pytest.approx(c.reference.total_s)
    assert share == pytest.approx(0.04 / step)  # DP alone waits on the fabric
    previous = 1.0
    for x in (40, 25, 10, 1, 0.1):
        f, s, _ = c.speed(x)
        assert f < previous and 0 < s < 1
        previous = f
    assert c.speed(0.0)[0] > 0  # cut off: crawls, never stops dead (factors stay in (0, 1])


def test_a_trace_job_has_no_traffic_model():
    cfg = {"name": "t", "work_gpu_hours": 10, "reference_gpu": "GB200", "max_gpus": 8}
    assert job_comm(JobConfig.model_validate(cfg), ((GB200, 8),), Span(), 50.0) is None
