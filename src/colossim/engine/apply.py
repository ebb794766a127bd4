"""Actions → state changes, each with a verdict and a reason.

Every action is validated against the contract (known job, right state, grant within bounds and
on the job's allocation grain), then reserved in the ledger atomically; on failure nothing
changes and the verdict says why. This is how "why is job X pending?" gets an answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from numbers import Integral
from operator import gt

from colossim.engine.record import Decision
from colossim.engine.refusals import number_refusal
from colossim.engine.state import RunState
from colossim.engine.switch_costs import remember, storage_path
from colossim.model.cluster import AllocationError, Grant, gpus_of, plain_pairs, rack_of
from colossim.model.jobs import Job, JobState
from colossim.policy.actions import (
    Action,
    Preempt,
    Reject,
    Resize,
    SetPowerCap,
    Start,
    Verdict,
    WakeAt,
    action_type,
    describe,
    plain,
    shown,
)


class Refused(Exception):
    def __init__(self, verdict: Verdict, reason: str):
        super().__init__(reason)
        self.verdict = verdict
        self.reason = reason


def _job(state: RunState, name: str, *allowed: JobState) -> Job:
    if not isinstance(name, str):  # a list or dict is not even hashable: no raw TypeError
        raise Refused(Verdict.INVALID, f"job name {shown(name)} is not a string")
    job = state.by_name.get(name)
    if job is None:
        raise Refused(Verdict.INVALID, f"no job named {name!r}")
    if job.state not in allowed:
        want = " or ".join(s.value for s in allowed)
        raise Refused(Verdict.INVALID, f"job {name!r} is {job.state.value}, not {want}"
                      + _changed_earlier(state, name))
    return job


STATE_CHANGES = frozenset({"start", "preempt", "reject"})  # actions that move a job's state


def _changed_earlier(state: RunState, name: str) -> str:
    """Why a job is no longer in the state the policy's view showed: an earlier action of the
    same policy call moved it (QA: a second Start of one job in a decision read only "is
    running, not pending", where the view had shown it pending). Not an action that moved
    nothing (a cap), nor one of an earlier call, whose result the view already showed
    (review)."""
    decisions = state.record.decisions
    for decision in reversed(decisions[state.call_decisions:]):
        if decision.time_s != state.now_s:
            break
        if decision.verdict == Verdict.APPLIED.value and decision.action.get("job") == name \
                and decision.action.get("action") in STATE_CHANGES:
            return (f": an earlier {decision.action['action']} of it in this decision "
                    "changed it (the view showed it before that)")
    return ""


def _integer(value: object) -> int:
    """An integer the policy gave (Python's or numpy's); anything else, a float included, is a
    slip a silent ``int()`` would hide by truncating it."""
    if isinstance(value, Integral) and not isinstance(value, bool):
        return int(value)
    raise TypeError(value)


def _pairs(grant: object) -> Grant:
    """The grant as sorted (rack, GPUs) integer pairs, or refused as invalid: a placer that finds
    no room returns None, and ``Start(job, None)`` is the likeliest slip of a policy author."""
    if plain_pairs(grant):  # the placers' grants: nothing to convert
        return tuple(sorted(grant))  # type: ignore[call-overload]
    try:
        pairs = [(r if type(r) is int else _integer(r), n if type(n) is int else _integer(n))
                 for r, n in grant]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise Refused(Verdict.INVALID, "the grant must be (rack index, GPUs) pairs of "
                                       f"integers, not {shown(grant)}") from None
    return tuple(sorted(pairs))


def _check_grant(state: RunState, job: Job, grant: Grant) -> Grant:
    grant = _pairs(grant)
    racks, ns = list(map(rack_of, grant)), list(map(gpus_of, grant))
    if len(set(racks)) != len(racks):  # sorted: a repeat is next to its first (QA: unnamed)
        twice = next(r for r, after in zip(racks, racks[1:], strict=False) if r == after)
        raise Refused(Verdict.INVALID, f"rack {twice} appears twice in the grant: give each "
                                       "rack once, with all the job's GPUs there")
    gpus = sum(ns)
    cfg = job.config
    if not cfg.min_gpus <= gpus <= cfg.max_gpus:
        raise Refused(
            Verdict.INVALID, f"{gpus} GPUs is outside [{cfg.min_gpus}, {cfg.max_gpus}]"
        )
    # the pairs are sorted by rack: the first and the last say whether every rack exists
    if grant and not (grant[0][0] >= 0 and grant[-1][0] < state.layout.racks):
        rack = next(r for r, _n in grant if not 0 <= r < state.layout.racks)
        raise Refused(Verdict.INVALID, f"rack {rack} does not exist")
    if not state.scenario.cluster.mixed_gpu_types and len(state.gpus_by_type(grant)) > 1:
        raise Refused(Verdict.INVALID, "the grant spans GPU types; the cluster forbids mixing")
    if not _whole_units(state, job, racks, ns):  # the usual grant passes at C speed; this
        _explain_units(state, job, grant)  # finds the first rack at fault, in rack order
    if state.rate_for(job, grant) <= 0:
        raise Refused(Verdict.INVALID, f"the job does not fit in memory on these {gpus} GPUs")
    return grant


def _whole_units(state: RunState, job: Job, racks: list[int], ns: list[int]) -> bool:
    """Does every rack get a positive whole number of the job's units, within its capacity?
    True only when that is sure: racks of one domain size (else the caller looks rack by rack)."""
    domains = set(map(state.rack_domain.__getitem__, racks))
    if len(domains) != 1 or min(ns, default=0) <= 0:
        return False
    unit = state.unit_on_rack(job, racks[0])
    return not any(map(unit.__rmod__, ns)) and not any(
        map(gt, ns, map(state.rack_capacity.__getitem__, racks)))


def _explain_units(state: RunState, job: Job, grant: Grant) -> None:
    """Refuse the grant naming its first rack whose GPUs are not positive, not a multiple of
    the job's unit there, or more than the rack has."""
    units: dict[int, int] = {}  # by a rack's domain size: one lookup per GPU type, not per rack
    for rack, n in grant:  # (a 3,072-rack restart took 2,500 calls of unit_on_rack: QA)
        if n <= 0:
            raise Refused(Verdict.INVALID, f"{n} GPUs on rack {rack}: a grant gives each of its "
                                           "racks a positive number of GPUs")
        unit = units.get(state.rack_domain[rack])
        if unit is None:
            unit = units[state.rack_domain[rack]] = state.unit_on_rack(job, rack)
        if n % unit:
            raise Refused(Verdict.INVALID, f"{n} GPUs on rack {rack} is not a multiple of {unit}")
    capacity = state.rack_capacity
    for rack, n in grant:
        if n > capacity[rack]:  # never possible, unlike GPUs that are busy now (infeasible)
            raise Refused(Verdict.INVALID, f"{n} GPUs on rack {rack}, which has "
                                           f"{capacity[rack]}")


def _allocate(state: RunState, job: Job, grant: Grant) -> Grant:
    try:
        return state.ledger.allocate(job.index, grant)
    except AllocationError as exc:
        raise Refused(Verdict.INFEASIBLE, str(exc) + _taken_just_now(state, grant)) from None


def _taken_just_now(state: RunState, grant: Grant) -> str:
    """Whose start or resize at this instant took the GPUs a refused grant asked for, said
    after the refusal: "rack 0 has 0 free GPUs, not 72" of a rack the policy's view showed free
    did not tell a policy that gave the same GPUs twice in one decision from a busy rack (QA)."""
    ledger = state.ledger
    short = next((rack for rack, n in grant if 0 <= rack < state.layout.racks
                  and ledger.healthy[rack] and not ledger.spare[rack]
                  and n > ledger.free[rack]), None)
    if short is None:
        return ""
    now = state.now_s
    moved: list[str] = []  # jobs started or resized at this instant, in order
    for decision in reversed(state.record.decisions):
        if decision.time_s != now:
            break
        if decision.verdict == Verdict.APPLIED and decision.action.get("action") in (
                "start", "resize"):
            moved.insert(0, decision.action.get("job"))
    holders = {state.jobs[i].name for i, items in ledger.holdings.items()
               if any(rack == short for rack, _n in items)}
    took = [name for name in dict.fromkeys(moved) if name in holders]
    if not took:
        return ""
    who = " and ".join(repr(name) for name in took[:3]) + (" and more" if len(took) > 3 else "")
    return (f"; {who}, started or resized at this instant, took GPUs of rack {short} (a grant "
            "given twice in one decision? claim each one from your copy of free, as "
            "colossim.policy.placement.claim does)")


def _power_admits(state: RunState, job: Job, grant: Grant) -> Grant:
    """Refuse a grant the facility could not power even at the lowest clocks (engine.power)."""
    from colossim.engine.power import refuse_grant

    reason = refuse_grant(state, job, state.gpus_by_type(grant))
    if reason is not None:
        raise Refused(Verdict.INFEASIBLE, reason)
    return grant


def _start(state: RunState, action: Start) -> None:
    job = _job(state, action.job, JobState.PENDING)
    grant = _check_grant(state, job, action.grant)
    grant = _allocate(state, job, _power_admits(state, job, grant))
    state.run_on(job, grant)
    if job.first_start_s is None:
        job.first_start_s = state.now_s
    job.starts += 1
    state.log("start", job, gpus=job.gpus, racks=len(grant))


def _crosses_no_cut(state: RunState, job: Job, grant: Grant) -> Grant:
    """Refuse a resize across a fabric cut: the job would be taken off at once
    (``engine.fabric_cut``), and a policy could grow it again at its next call."""
    from colossim.engine.fabric_cut import refuse_cut

    reason = refuse_cut(state, job, grant)
    if reason is not None:
        raise Refused(Verdict.INVALID, reason)
    return grant


def _new_grant(state: RunState, job: Job, grant: Grant) -> Grant:
    """Refuse a resize to the grant the job holds: it would change nothing but be billed a
    whole checkpoint-restart. Moving to other GPUs, of any number, is a resize."""
    grant = _check_grant(state, job, grant)
    if grant == job.grant:
        raise Refused(Verdict.INVALID, "the job already holds that grant")
    return grant


def _resize(state: RunState, action: Resize) -> None:
    job = _job(state, action.job, JobState.RUNNING)
    grant = _power_admits(state, job, _crosses_no_cut(state, job,
                                                      _new_grant(state, job, action.grant)))
    written = storage_path(state.scenario, state.layout, job)  # saved from the GPUs it holds
    old = state.ledger.release(job.index)
    try:
        new = _allocate(state, job, grant)
    except Refused:
        state.ledger.allocate(job.index, old)  # roll back: the old grant was just free
        raise
    before = job.gpus
    state.run_on(job, new)
    # charged at once, as a pause (engine.switch_costs)
    remember(state.scenario, job, job.gpus, state.layout, written)
    state.log("resize", job, gpus_before=before, gpus=job.gpus)


def _preempt(state: RunState, action: Preempt) -> None:
    job = _job(state, action.job, JobState.RUNNING)
    remember(state.scenario, job, job.gpus, state.layout)  # charged when the job next starts
    state.stop(job, JobState.PENDING)
    state.log("preempt", job)


def _reject(state: RunState, action: Reject) -> None:
    job = _job(state, action.job, JobState.PENDING)
    if not isinstance(action.reason, str):  # refused like a job name that is not a string
        raise Refused(Verdict.INVALID, f"reject reason {shown(action.reason)} is not a string")
    job.state = JobState.REJECTED
    job.reason = str(action.reason)  # a str subclass (numpy's) becomes plain
    job.touch()
    state.log("reject", job, reason=job.reason)


def _set_power_cap(state: RunState, action: SetPowerCap) -> None:
    """A policy's cap on every GPU of a job; DVFS turns it into a slowdown (``model.power``)."""
    from colossim.engine.power import cap_floor_w
    from colossim.model.power import CAP_KEY

    job = _job(state, action.job, JobState.PENDING, JobState.RUNNING)
    watts = action.watts_per_gpu
    if watts is not None:
        reason = number_refusal(watts, "power cap")
        if reason is not None:
            raise Refused(Verdict.INVALID, reason)
        floor = cap_floor_w(state, job)
        if not watts >= floor:
            raise Refused(Verdict.INVALID, f"{watts} W is below the lowest cap ({floor:.0f} W) "
                                           "the job's GPUs can honour")
    state.power_model.set_setting(job, CAP_KEY, None if watts is None else float(watts))
    state.log("power_cap", job, watts_per_gpu=plain(watts))


HANDLERS = {Start: _start, Resize: _resize, Preempt: _preempt, Reject: _reject,
            SetPowerCap: _set_power_cap}


def _grant_read(action: Action) -> Action:
    """The action with a grant that is an iterator (a generator) read once into a tuple, so
    the checks and the record see the same pairs (QA: a generator grant was applied, and
    recorded as 0 GPUs and "<generator ...>", which the checks had used up)."""
    grant = getattr(action, "grant", None)
    if not isinstance(grant, Iterator):
        return action
    kind = action_type(action)  # the action itself: a subclass's own __init__ may take other
    # arguments than its fields (review: ``replace`` called it with them, a TypeError)
    return kind(**{f.name: tuple(grant) if f.name == "grant" else getattr(action, f.name)
                   for f in fields(kind)})  # type: ignore[misc]


def apply_action(state: RunState, action: Action) -> Decision:
    """Apply one non-wake action and return its recorded decision."""
    handler = HANDLERS.get(action_type(action))  # type: ignore[arg-type]
    if handler is None:
        verdict, reason = Verdict.INVALID, f"not an action: {type(action).__name__}"
    else:
        action = _grant_read(action)
        try:
            handler(state, action)
            verdict, reason = Verdict.APPLIED, ""
        except Refused as exc:
            verdict, reason = exc.verdict, exc.reason
    # what is not an action is recorded as its text (QA: it was recorded as {}, lost)
    said = describe(action) if handler else {"value": plain(action)}
    decision = Decision(state.now_s, said, verdict.value, reason)
    state.record.decisions.append(decision)
    return decision


def is_wake(action: Action) -> bool:
    return isinstance(action, WakeAt)
