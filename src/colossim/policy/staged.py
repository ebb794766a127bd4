"""A policy built from stages: admit → order → size → place.

Most research policies differ only in the order in which they serve jobs; this helper keeps each
of them to a few lines. ``strict`` policies stop at the first job that does not fit (no job
overtakes the head of the queue); others skip it and try the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from colossim.policy.actions import Action, Start
from colossim.policy.api import BasePolicy
from colossim.policy.placement import PLACERS, claim
from colossim.policy.view import ClusterView, JobView


class StagedParams(BaseModel):
    """Parameters every staged policy accepts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    placement: Literal["pack"] = Field("pack", description="Placer that picks racks")
    strict: bool = Field(True, description="Stop at the first job that does not fit")


class StagedPolicy(BasePolicy):
    """Serve pending jobs in ``order``, each at ``size`` GPUs, placed by the chosen placer."""

    Params: ClassVar[type[BaseModel]] = StagedParams

    def admit(self, view: ClusterView) -> Iterable[JobView]:
        """Jobs that may be started now."""
        return view.pending

    def sort_key(self, job: JobView) -> Any:
        """Order of service; lower first. Ties broken by job index (submission order)."""
        return job.index

    def order(self, jobs: Iterable[JobView], view: ClusterView) -> list[JobView]:
        return sorted(jobs, key=lambda j: (self.sort_key(j), j.index))

    def size(self, job: JobView, view: ClusterView) -> int:
        """GPUs to ask for: as many as the job can use."""
        return job.max_gpus

    def decide(self, view: ClusterView) -> Sequence[Action]:
        placer = PLACERS[self.params.placement]
        free = view.racks.free.copy()
        actions: list[Action] = []
        for job in self.order(self.admit(view), view):
            grant = placer(view.racks, free, job, self.size(job, view))
            if grant is None:
                if self.params.strict:
                    break
                continue
            claim(free, grant)
            actions.append(Start(job.name, grant))
        return actions
