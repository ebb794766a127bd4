"""``summarize`` sets each job's reliability, power and fabric fields with one ``replace``.

It applied ``with_reliability``, ``with_power`` and ``with_fabric`` in turn, each rebuilding
every 34-field ``JobResult``: ~30% of a small run's summary, which a sweep pays per run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import colossim.metrics.summary as summary
from colossim.api import load_scenario, run_scenario
from colossim.metrics.fabric import fabric_fields, fabric_on
from colossim.metrics.power import power_fields
from colossim.metrics.reliability import reliability_fields
from colossim.metrics.result import JobResult, with_fields

SCENARIO = """\
include: small
cluster:
  fabric:
    events:
    - time_s: 20000
      tier: pod
      pod: 0
      capacity_fraction: 0.5
      duration_s: 20000
reliability:
  enabled: true
"""


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory):
    path = Path(tmp_path_factory.mktemp("models")) / "models.yaml"
    path.write_text(SCENARIO)
    return run_scenario(load_scenario(path))


def test_the_jobs_are_those_of_the_three_passes(out):
    assert fabric_on(out.record)
    result = summary.summarize(out, "fifo")
    perf = summary.job_performance(out.record, out.end_s)
    base = tuple(summary.job_result(j, perf.get(j.name)) for j in out.state.jobs)
    modelled = [j.config.params_billion is not None for j in out.state.jobs]
    record, end = out.record, out.end_s
    by_passes = with_fields(base, reliability_fields(base, record, end))
    by_passes = with_fields(by_passes, power_fields(by_passes, record, end))
    sent = [j.cross_pod_bytes for j in out.state.jobs]
    by_passes = with_fields(by_passes, fabric_fields(by_passes, record, end, modelled, sent))
    assert result.jobs == by_passes
    assert any(j.interruptions for j in result.jobs) or any(j.checkpoints for j in result.jobs)
    assert all(j.contention_slowdown is not None and j.energy_mwh > 0 for j in result.jobs)


def test_each_job_result_is_built_twice_not_four_times(out, monkeypatch):
    """Built once from the job, then once more with every model's fields."""
    built = []
    init = JobResult.__init__

    def counting(self, *args, **kwargs):
        built.append(kwargs.get("name", args[0] if args else None))
        init(self, *args, **kwargs)

    monkeypatch.setattr(JobResult, "__init__", counting)
    result = summary.summarize(out, "fifo")
    assert sorted(built) == sorted(2 * [j.name for j in result.jobs])
