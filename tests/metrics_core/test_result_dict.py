"""``RunResult.to_dict``: every field but the record, as plain data, without copying the record.

A long run's record holds ~100,000 events; ``dataclasses.asdict(result)`` deep-copied them all
before dropping them (5 s of a Colossus-2 run, a third of a small sweep run's CPU).
"""

from __future__ import annotations

import json
from dataclasses import asdict

from colossim.api import load_scenario, simulate


class _NoCopy:
    """A record entry that refuses to be copied: to_dict must never reach it."""

    def __deepcopy__(self, memo: dict) -> None:
        raise AssertionError("to_dict copied the record")


def test_every_field_but_the_record_as_plain_data():
    result = simulate(load_scenario("small", ["reliability.enabled=true"]))
    expected = asdict(result)  # the slow way, as an independent reference
    del expected["record"]
    expected["jobs"] = list(expected["jobs"])
    assert result.to_dict() == expected
    assert list(result.to_dict()) == list(expected)  # same key order: same JSON text
    json.dumps(result.to_dict(), allow_nan=False)


def test_the_record_is_not_copied_and_the_dict_is_independent():
    result = simulate(load_scenario("small"))
    result.record.events.append(_NoCopy())
    out = result.to_dict()
    assert "record" not in out
    out["jobs"][0]["plan"]["tp"] = -1  # a caller's edit stays in its dict
    assert result.jobs[0].plan["tp"] != -1
    out["cluster"]["gpus"] = -1
    assert result.cluster.gpus != -1


def test_a_run_whose_jobs_were_all_rejected_has_no_makespan():
    # QA: makespan_s was 0.0, so a policy that rejects everything "beat" the lower bound
    from colossim.api import load_scenario, simulate
    from colossim.policy.actions import Reject
    from colossim.policy.api import BasePolicy

    class RejectAll(BasePolicy):
        name = "reject-all"

        def decide(self, view):
            return [Reject(job.name) for job in view.pending]

    result = simulate(load_scenario("small"), policy=RejectAll())
    assert {job.state for job in result.jobs} == {"rejected"}
    assert result.makespan_s is None and result.to_dict()["makespan_s"] is None
