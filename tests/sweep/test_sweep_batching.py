"""Runs per task follow the observed run time (hand-computed sizes), and every run goes out
exactly once, in plan order."""

from __future__ import annotations

from colossim.sweep.batching import MAX_BATCH, SEEN, TASK_S, Batcher
from colossim.sweep.task import Outcome


def _runs(n):
    return [f"run-{i}" for i in range(n)]  # the batcher only slices the list it is given


def _walls(*seconds):
    return [Outcome(f"r{i}", "{}", wall_s=s) for i, s in enumerate(seconds)]


def test_one_run_per_task_until_a_run_time_is_known():
    batcher = Batcher(_runs(40), slots=4)
    assert [batcher.take() for _ in range(4)] == [["run-0"], ["run-1"], ["run-2"], ["run-3"]]


def test_short_runs_fill_about_task_s_but_never_more_than_a_workers_share_of_the_rest():
    assert TASK_S == 0.05
    batcher = Batcher(_runs(40), slots=4)  # 2 workers
    for _ in range(4):
        batcher.take()
    batcher.observe(_walls(0.005, 0.005, 0.004, 0.006))  # median 5 ms: 10 runs fill 50 ms
    assert batcher.size() == 10  # 36 runs are left: a worker's share is 18
    sizes = [len(batcher.take()) for _ in range(4)]
    assert sizes == [10, 10, 8, 4]  # then the shares of 26, 16 and 8 left: 13, 8, 4 (guided)
    assert [len(batch) for batch in iter(batcher.take, None)] == [2, 1, 1]  # 4 left: 2, 1, 1
    big = Batcher(_runs(1000), slots=4)
    big.take()
    big.observe(_walls(0.005))
    assert big.size() == 10
    big.observe(_walls(0.001, 0.001))  # median of (5, 1, 1) ms = 1 ms: 50 runs, capped
    assert big.size() == MAX_BATCH == 16


def test_long_runs_go_one_per_task_and_a_fixed_size_is_kept():
    batcher = Batcher(_runs(100), slots=2)
    batcher.take()
    batcher.observe(_walls(45.0))  # a Colossus-2 run: written the moment it is done
    assert batcher.size() == 1
    assert Batcher(_runs(10), slots=2, fixed=3).take() == ["run-0", "run-1", "run-2"]


def test_only_the_latest_run_times_count():
    batcher = Batcher(_runs(10_000), slots=1)
    batcher.observe(_walls(*[60.0] * SEEN))
    batcher.observe(_walls(*[0.01] * SEEN))  # the parameters moved on to short runs
    assert batcher.size() == 5


def test_every_run_goes_out_once_in_order():
    runs = _runs(103)
    batcher = Batcher(runs, slots=3)
    taken = []
    while (batch := batcher.take()) is not None:
        taken.extend(batch)
        batcher.observe(_walls(0.002))
    assert taken == runs


def test_runs_of_a_dead_worker_carry_no_time_and_do_not_grow_the_batches():
    batcher = Batcher(_runs(1000), slots=2)
    batcher.observe(_walls(45.0))
    batcher.observe(_walls(0.0, 0.0, 0.0))  # failed as a whole: the worker died
    assert batcher.size() == 1
