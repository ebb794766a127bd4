"""The performance model seen through the engine and the result: pinned efficiency end to end,
per-job efficiency figures from the record, and ``colossim estimate``'s rows."""

from __future__ import annotations

import pytest

from colossim.config.schema import Scenario
from colossim.engine.record import Event, Record
from colossim.engine.simulation import Simulation
from colossim.metrics.estimates import job_estimates
from colossim.metrics.performance import job_performance
from colossim.metrics.summary import summarize
from colossim.policy.builtin.fifo import Fifo
from tests.conftest import make_scenario


def perf_scenario(jobs, racks=2) -> Scenario:
    scenario = make_scenario(jobs, racks=racks, pod_size_racks=2)
    sim = scenario.simulation.model_copy(update={"speed_model": "performance"})
    return scenario.model_copy(update={"simulation": sim})


def pinned_job(name="p", gpus=144, mfu=0.35, **kw):
    # dense 7B, 20B tokens, GPT-style shape given so the work is exact: 6N + 12·l·h·s per token
    return {
        "name": name,
        "params_billion": 7,
        "tokens_billion": 20,
        "precision": "bf16",
        "min_gpus": gpus,
        "max_gpus": gpus,
        "training": {"mfu": mfu, "layers": 32, "hidden_size": 4096, "seq_len_tokens": 4096},
        **kw,
    }


def test_pinned_mfu_job_runs_exactly_work_over_pinned_rate():
    scenario = perf_scenario([pinned_job()])
    result = summarize(Simulation(scenario, Fifo(), check_invariants=True).run(), "fifo")
    job = result.job("p")
    # work in model FLOPs per token: 6 x 7e9 + 12 x 32 x 4096 x 4096 (attention term)
    per_token = 6 * 7e9 + 12 * 32 * 4096 * 4096
    work = per_token * 20e9
    assert job.work_flops == pytest.approx(work, rel=1e-9)
    rate = 144 * 0.35 * 2500e12  # GPUs x pinned MFU x BF16 peak of GB200
    assert job.end_s == pytest.approx(work / rate, rel=1e-3)
    assert job.mfu == pytest.approx(0.35, rel=1e-9)
    assert job.plan["tp"] * job.plan["pp"] * job.plan["dp"] <= 144


def test_job_performance_is_time_weighted_over_allocations():
    plan = {"tp": 1, "pp": 1, "dp": 8, "ep": 1}
    step = {"total": 1.0}
    record = Record(
        events=[
            Event(0.0, "submit", "a"),
            Event(
                0.0,
                "perf",
                "a",
                {
                    "mfu": 0.2,
                    "achieved_tflops_per_gpu": 500.0,
                    "tokens_per_s": 1e5,
                    "plan": plan,
                    "step_s": step,
                },
            ),
            Event(100.0, "preempt", "a"),
            Event(
                200.0,
                "perf",
                "a",
                {
                    "mfu": 0.5,
                    "achieved_tflops_per_gpu": 1250.0,
                    "tokens_per_s": 4e5,
                    "plan": {**plan, "dp": 16},
                    "step_s": step,
                },
            ),
            Event(500.0, "complete", "a"),
        ]
    )
    figures = job_performance(record, end_s=600.0)["a"]
    # 100 s at 0.2 and 300 s at 0.5: (20 + 150) / 400
    assert figures["mfu"] == pytest.approx(170 / 400)
    assert figures["tokens_per_s"] == pytest.approx((100 * 1e5 + 300 * 4e5) / 400)
    assert figures["plan"]["dp"] == 16  # the allocation held longest


@pytest.mark.parametrize(("stopped", "weights"), [(True, (100, 300)), (False, (200, 300))])
def test_a_failure_that_sends_the_job_to_the_queue_ends_its_allocation(stopped, weights):
    """As above, a failure at 100 s in place of the preemption: one that stopped the job (it
    waited in the queue until 200 s) ends its first allocation there, as a preemption does (QA:
    its 100 s in the queue were credited to the allocation it had had, 5.6% off a job's
    tokens/s); one it restarted from in place does not (it held its GPUs until the next perf)."""
    def perf(t: float, mfu: float, dp: int) -> Event:
        return Event(t, "perf", "a", {"mfu": mfu, "achieved_tflops_per_gpu": 2500 * mfu,
                                      "tokens_per_s": 2e6 * mfu,
                                      "plan": {"tp": 1, "pp": 1, "dp": dp, "ep": 1},
                                      "step_s": {"total": 1.0}})

    record = Record(events=[
        Event(0.0, "submit", "a"), perf(0.0, 0.2, 8),
        Event(100.0, "failure", "a", {"component": "rack", "stopped": stopped, "gpus": 0}),
        perf(200.0, 0.5, 16), Event(500.0, "complete", "a")])
    figures = job_performance(record, end_s=600.0)["a"]
    first, second = weights
    assert figures["mfu"] == pytest.approx((first * 0.2 + second * 0.5) / (first + second))
    assert figures["tokens_per_s"] == pytest.approx(2e6 * figures["mfu"])


def test_estimate_rows_give_fit_plan_and_days():
    scenario = perf_scenario([pinned_job(gpus=72, mfu=0.5)], racks=1)
    (row,) = job_estimates(scenario)
    per_token = 6 * 7e9 + 12 * 32 * 4096 * 4096
    assert row["days_to_train"] == pytest.approx(
        per_token * 20e9 / (72 * 0.5 * 2500e12) / 86400, rel=1e-9
    )
    # weights + grads + Adam = 16 B/param x 7e9 = 112 GB, plus one 4,096-token micro-batch of
    # activations (a few GB with recomputation) < 0.9 x 186 GB usable: one GPU holds it.
    assert row["min_gpus_to_fit"] == 1
    assert row["mfu"] == pytest.approx(0.5)


def test_a_job_on_one_allocation_reports_its_perf_event_to_the_last_bit():
    """QA: the time-weighted mean over one period (d x v / d) moved the last bit of MFU and
    TFLOP/s off the job's single ``perf`` event, so joining events.jsonl to result.json on
    equality failed. Two periods of one value are that value too; two values are weighted."""
    mfu = 0.22809959321167836  # a value whose d x v / d rounds away from it for some d
    one = [Event(0.0, "perf", "j", {"mfu": mfu, "achieved_tflops_per_gpu": 1641.4745759788498,
                                    "tokens_per_s": 3.0, "plan": {}, "step_s": {}})]
    for end_s in (1.0, 3.0, 7.0, 1234.5678, 86_400.0 * 19.07):
        figures = job_performance(Record(one, [], {}), end_s)["j"]
        assert figures["mfu"] == mfu and figures["achieved_tflops_per_gpu"] == 1641.4745759788498
    two = [*one, Event(10.0, "perf", "j", {**one[0].data, "mfu": 0.5})]
    assert job_performance(Record(two, [], {}), 30.0)["j"]["mfu"] == pytest.approx(
        (10 * mfu + 20 * 0.5) / 30)
