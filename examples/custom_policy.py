"""Smallest job first, with ageing: a complete third-party colossim policy.

Jobs asking for fewer GPUs start first (they fit gaps and keep utilisation up), but a job's claim
grows with its wait, so a large job is never passed over forever: the policy serves jobs by
``max_gpus / (1 + wait / ageing_s)``, lowest first. Everything else (admission, placement, the
``strict`` switch) comes from colossim's ``StagedPolicy``.

It ships as its own tiny package, ``examples/custom_policy/`` (a ``pyproject.toml`` that builds
this one file into a wheel and declares it in the ``colossim.policies`` entry-point group):
``pip install ./examples/custom_policy``, then ``colossim policies`` lists ``smallest-aged``.
Without installing it: ``PYTHONPATH=examples colossim run small --policy
custom_policy:SmallestAged``.
"""

from __future__ import annotations

from pydantic import Field

from colossim.policy.staged import StagedParams, StagedPolicy


class SmallestAgedParams(StagedParams):
    strict: bool = Field(False, description="Stop at the first job that does not fit")
    ageing_s: float = Field(3600.0, gt=0, description="Waiting this long halves a job's size key")


class SmallestAged(StagedPolicy):
    """Smallest job first (by max_gpus), with ageing so that large jobs are not starved.

    ``colossim policies`` shows the first line of a policy class's own docstring as its summary.
    """

    name = "smallest-aged"
    Params = SmallestAgedParams

    def rank_key(self, job, view):
        waited = view.now_s - job.submit_s
        return (job.max_gpus / (1.0 + waited / self.params.ageing_s), job.submit_s, job.index)


POLICY = SmallestAged
