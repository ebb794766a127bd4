"""``colossim compare``: every policy on the same scenario and seeds, side by side.

The scenario's ``scheduler.policy.params`` go to every compared policy that accepts them (so
``placement: any`` in a trace scenario applies to all). Runs go to a process pool
(``colossim.sweep.executors``; ``--workers 1`` runs them here) and come back in submission order,
so the table is the same whatever the number of workers. Each worker returns only the small
``RunMetrics`` row, never the record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated

import typer

from colossim.cli.options import (
    JsonOpt,
    NoStallGuardOpt,
    ScenarioArg,
    SetOpt,
    WorkersOpt,
    check_names,
)
from colossim.errors import ConfigError

PoliciesOpt = Annotated[
    list[str] | None,
    typer.Option("--policies", "-p", help="Comma-separated policy names, or the option "
                 "repeated (default: all installed)."),
]
SeedsOpt = Annotated[
    int, typer.Option("--seeds", min=1, help="Seeds per policy: the scenario's seed and on.")
]


def shared_params(scenario, policy: str) -> dict:
    """The scenario's own policy params that ``policy`` accepts (e.g. ``placement: any``)."""
    from colossim.policy.registry import policy_class

    fields = policy_class(policy).Params.model_fields
    return {k: v for k, v in scenario.scheduler.policy.params.items() if k in fields}


def run_one(scenario, policy: str, seed: int, stall_guard: bool = True):
    """One run in a worker: simulate, then reduce to the compare metrics. A run that stops
    making progress fails as its policy's (``--no-stall-guard`` lets it run on): one policy
    under development that never starts its jobs held up the whole table (QA)."""
    from colossim.engine.simulation import Simulation
    from colossim.errors import PolicyFailure
    from colossim.metrics.compare import ideal_times_s, run_metrics
    from colossim.metrics.summary import summarize
    from colossim.policy.registry import make_policy
    from colossim.testing.starvation import failing_as, guard_for

    scenario = scenario.model_copy(
        update={"simulation": scenario.simulation.model_copy(update={"seed": seed})}
    )
    guard = guard_for(scenario) if stall_guard else None
    with failing_as(PolicyFailure, policy, scenario, "compare with --no-stall-guard"):
        out = Simulation(scenario, make_policy(policy, shared_params(scenario, policy)),
                         progress=guard, label=policy).run()
    return run_metrics(summarize(out, policy=policy), ideal_times_s(out.state))


def compare_policies(scenario, policies: Sequence[str], seeds: Sequence[int],
                     workers: int | None = None, stall_guard: bool = True
                     ) -> tuple[list, dict[str, str]]:
    """``RunMetrics`` for every (policy, seed), in that order, less the runs of policies that
    failed; and why each of those failed (its first failure). One policy raising (a bug in a
    plugin) does not take the others' results with it."""
    from colossim.errors import PolicyFailure
    from colossim.sweep.executors import LocalExecutor, SerialExecutor

    tasks = [(policy, seed) for policy in policies for seed in seeds]
    executor = SerialExecutor() if workers == 1 or len(tasks) == 1 else LocalExecutor(
        min(workers or len(tasks), len(tasks)))
    runs, failed = [], {}
    try:
        futures = [executor.submit(run_one, scenario, p, s, stall_guard) for p, s in tasks]
        for (policy, seed), future in zip(tasks, futures, strict=True):
            try:
                runs.append(future.result())
            except PolicyFailure as exc:
                failed.setdefault(policy, f"{exc} (seed {seed})")
    finally:
        executor.shutdown()
    return [r for r in runs if r.policy not in failed], failed


def _params_hint(exc: ConfigError) -> ConfigError:
    """``exc``, with a way out where a ``--set`` of the policy's params failed: the scenario is
    validated under its own policy, whose params a compared policy's need not be (QA:
    ``--policies edf --set scheduler.policy.params.reject_late=true`` on a fifo scenario was
    told fifo knows no such field, and not what to do)."""
    hint = ("; compare reads the params under the scenario's own policy and gives each compared "
            "policy those it accepts: add --set scheduler.policy.name=<a policy that has it> "
            "(the others ignore it), or run that policy alone (colossim run --policy)")
    problems = [replace(p, message=p.message + hint)
                if p.file.startswith("--set scheduler.policy.params")
                and p.message.startswith("unknown field") else p
                for p in exc.problems]
    return ConfigError(problems)


def compare(
    scenario: ScenarioArg = None,
    policies: PoliciesOpt = None,
    seeds: SeedsOpt = 1,
    set_: SetOpt = None,
    workers: WorkersOpt = None,
    json_: JsonOpt = False,
    no_stall_guard: NoStallGuardOpt = False,
) -> None:
    """Run several policies on one scenario and seeds and compare them in one table."""
    from colossim.api import load_scenario
    from colossim.errors import PolicyError, Problem
    from colossim.metrics.compare import summarize_policy
    from colossim.policy.registry import available, policy_class

    try:
        loaded = load_scenario(scenario, list(set_ or []))
    except ConfigError as exc:
        raise _params_hint(exc) from None
    if policies is None:
        names = list(available())
    else:
        # -p fifo -p sjf as -p fifo,sjf: repeated, only the last was compared (QA)
        names = [p.strip() for given in policies for p in given.split(",") if p.strip()]
        if not names:  # "," or "" (an empty variable in a script): it compared nothing, exit 0
            raise ConfigError(Problem("--policies", None, "", "no policy named: give a "
                                      "comma-separated list such as fifo,sjf, or leave the "
                                      "option out to compare every installed policy"))
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # its runs were pooled into one row, with an interval over identical seeds
            raise ConfigError(Problem("--policies", None, "", (
                f"{', '.join(twice)} listed twice: name each policy once (--seeds N runs a "
                "policy on more seeds)")))
    # unknown names fail before anything runs, with a suggestion (``module:Class`` paths too),
    # or with why a plugin that claims the name did not load (as `run --policy` says it)
    installed = list(available())
    for name in names:
        if ":" not in name and name not in installed:
            try:
                policy_class(name)
            except PolicyError as exc:
                if not str(exc).startswith("unknown policy"):
                    raise ConfigError(Problem("--policies", None, "", str(exc))) from None
    check_names("--policies", "policy", [n for n in names if ":" not in n], installed,
                "installed")
    for name in names:
        if ":" in name:  # an import path: it must import before anything runs
            policy_class(name)
    first = loaded.simulation.seed
    seed_list = list(range(first, first + seeds))
    runs, failed = compare_policies(loaded, names, seed_list, workers, not no_stall_guard)
    shown = [n for n in names if n not in failed]
    by_policy = {n: [r for r in runs if r.policy == n] for n in shown}
    stats = {n: summarize_policy(rs) for n, rs in by_policy.items()}
    if json_:
        rows = [
            {"policy": n, "seeds": seed_list,
             "metrics": {m: {"mean": s.mean, "ci95": s.ci95} for m, s in stats[n].items()},
             "runs": [r.to_dict() for r in by_policy[n]]} if n in stats
            else {"policy": n, "seeds": seed_list, "error": failed[n]}
            for n in names
        ]
        typer.echo(json.dumps({"scenario": loaded.name, "policies": rows}, indent=2))
    elif shown:
        from colossim.cli.render_compare import compare_table

        compare_table(loaded.name, stats, seed_list, by_policy, loaded.reliability.enabled)
    if failed:
        from colossim.errors import PolicyFailure

        others = f"; the table compares the other {len(shown)}" if shown else ""
        raise PolicyFailure("; ".join(failed.values()) + others)
