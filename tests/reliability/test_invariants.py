"""Failed hardware is never allocated, and work only goes down through a logged loss."""

from __future__ import annotations

import pytest

from colossim.errors import InvariantViolation
from colossim.model.cluster import AllocationError, Ledger, build_layout
from tests.conftest import make_scenario
from tests.reliability.helpers import events, job, quiet, run, simulation


@pytest.mark.parametrize("policy", ["fifo", "priority"])
def test_a_failure_storm_never_breaks_the_books(policy):
    # every class at a high rate, standby trays, a spare rack, a maintenance window, and jobs
    # that take whole racks next to jobs that take single GPUs; check_invariants after every
    # event (the ledger never gives a failed GPU or a failed rack; work only lost when logged)
    fast = {"distribution": "exponential", "mean_s": 1800.0}
    rel = {
        "gpu": {"mtbf_gpu_hours": 150, "repair": fast},
        "tray": {"mtbf_gpu_hours": 600, "repair": fast},
        "rack": {"mtbf_gpu_hours": 2_000, "repair": fast},
        "network": {"mtbf_gpu_hours": 1_000},
        "software": {"mtbf_gpu_hours": 500},
        "spares": {"trays_per_rack": 1},
        "maintenance": [{"start_s": 20_000, "duration_s": 4_000, "pods": [1]}],
    }
    jobs = [
        job(checkpoint={"interval_s": 3000}, priority=1),
        job(name="b", min_gpus=72, max_gpus=144, tokens_billion=60,
            checkpoint={"interval_s": "auto", "mode": "async"}),
        job(name="small-1", params_billion=1, tokens_billion=20, min_gpus=4, max_gpus=16,
            placement="gpu", checkpoint={"in_memory": "local"}),
        job(name="small-2", params_billion=1, tokens_billion=20, min_gpus=8, max_gpus=8,
            placement="gpu", checkpoint={"in_memory": "peer", "mode": "async"}, submit_s=500),
    ]
    result = run(simulation(jobs, rel, racks=5, policy=policy, check=True,
                            cluster={"spare_racks": 1}))
    assert all(j.state == "completed" for j in result.jobs)
    faults = events(result, "fault")
    assert any(not f.data["jobs"] for f in faults)  # idle hardware failed too
    assert sum(j.interruptions for j in result.jobs) > 20
    assert result.reliability.min_gpus_available < 5 * 72


def test_the_ledger_never_hands_out_a_failed_gpu():
    book = Ledger(build_layout(make_scenario([job()], racks=2)))
    book.fail_gpus(0, 1)
    with pytest.raises(AllocationError, match="71 free GPUs, not 72"):
        book.allocate(0, {0: 72})
    book.allocate(0, {0: 70})  # single GPUs still fit around it
    book.check()
    book.release(0)
    book.repair_gpus(0, 1)
    book.allocate(0, {0: 72})
    book.check()


def test_holding_a_failed_rack_or_an_unlogged_loss_is_caught():
    def corrupt_rack(state):
        state.ledger.healthy[0] = False  # a fault no one handled

    def corrupt_work(state):
        a = state.by_name["a"]
        a.advance(state.now_s)
        a.work_done /= 2  # a rollback with no logged loss

    for corrupt in (corrupt_rack, corrupt_work):
        sim = simulation([job(checkpoint={"interval_s": None})], quiet(), racks=1)
        sim.call_at(900.0, lambda: None)  # an event (and a check) before the corruption
        sim.call_at(1000.0, lambda c=corrupt, s=sim.state: c(s))
        with pytest.raises(InvariantViolation):
            sim.run()
