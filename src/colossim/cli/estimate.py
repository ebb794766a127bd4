"""``colossim estimate``: the performance model's view of each job, without simulating."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from colossim.cli.options import JsonOpt, ScenarioArg, SetOpt, check_names


def estimate(
    scenario: ScenarioArg = None,
    job: Annotated[
        list[str] | None, typer.Option("--job", "-j", help="Only this job (repeatable).")
    ] = None,
    gpus: Annotated[
        int | None, typer.Option("--gpus", "-g", min=1, help="GPUs to estimate on (default: max).")
    ] = None,
    gpu_type: Annotated[
        list[str] | None,
        typer.Option("--gpu-type", "-t", help="GPU type (repeatable; default: the cluster's)."),
    ] = None,
    set_: SetOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Minimum GPUs, parallel plan, step-time breakdown, MFU and days to train for each job."""
    from colossim.api import STANDIN_POLICY, load_scenario, own_policy_unused
    from colossim.cli.render_estimate import estimate_table
    from colossim.metrics.estimates import job_estimates

    # estimates ask the performance model only: the scenario's policy need not be installed
    # here, nor its params fit (QA: a file naming its own plugin policy was refused)
    loaded = load_scenario(scenario, own_policy_unused(set_ or []), policy=STANDIN_POLICY)
    check_names("--job", "job", job or [], [j.name for j in loaded.jobs])
    check_names("--gpu-type", "GPU type", gpu_type or [], sorted(loaded.gpu_catalog()))
    if gpus is not None:
        _warn_beyond_cluster(loaded, gpus, gpu_type)
        _warn_beyond_max_gpus(loaded, gpus, job)
    rows = job_estimates(loaded, job, gpus, gpu_type)
    _warn_oversubscription_unpriced(loaded)
    if json_:
        typer.echo(json.dumps(rows, indent=2))
    else:
        estimate_table(loaded.name, rows)


def _warn_oversubscription_unpriced(scenario) -> None:
    """Estimates price the fabric the contention model leaves to the run: non-blocking. An
    engineer sizing a spine ratio read 1:1 and 1:4 as the same days to train (QA)."""
    from colossim.cli.render import print_warning

    fabric = scenario.cluster.fabric
    ratio = fabric.oversubscription
    if not fabric.contention or ratio <= 1.0:
        return
    print_warning(
        f"estimates price a non-blocking scale-out fabric: with cluster.fabric.contention on, "
        f"the tiers' 1:{ratio:g} oversubscription slows a job only in a run, where it depends "
        "on the jobs sharing the uplinks (docs/fabric.md); --set "
        f"cluster.fabric.contention=false prices the static worst case here (cross-pod "
        f"bandwidth / {ratio:g} for a job spanning pods)")


def _warn_beyond_max_gpus(scenario, gpus: int, names: list[str] | None) -> None:
    """``--gpus`` above a job's ``max_gpus``: a size no policy can give it, fine as a what-if,
    but said (QA: 400,000 GPUs for the 10T job, whose max is 221,184, passed without a word)."""
    import warnings

    from colossim.config.wording import and_more
    from colossim.errors import ColossimWarning

    over = [f"{j.name} ({j.max_gpus:,})" for j in scenario.jobs
            if (not names or j.name in names) and gpus > j.max_gpus]
    if over:
        warnings.warn(ColossimWarning(
            f"--gpus {gpus:,} is more than the max_gpus of {and_more(over, 3)}: a size no "
            "policy can give it in a run (raise max_gpus to let one)"), stacklevel=2)


def _warn_beyond_cluster(scenario, gpus: int, gpu_types: list[str] | None) -> None:
    """``--gpus`` beyond what the cluster has of a type it has: a what-if of a bigger
    cluster, which is fine, but said (QA: 5,000,000 GPUs on a 548,352-GPU cluster went by
    without a word, at 1.4% MFU). Types the cluster lacks are a what-if anyway."""
    import warnings

    from colossim.config.crosscheck import usable_of
    from colossim.errors import ColossimWarning

    usable = usable_of(scenario)
    for gpu_type in dict.fromkeys(gpu_types or list(usable)):
        have = usable.get(gpu_type)
        if have is not None and gpus > have:
            warnings.warn(ColossimWarning(
                f"--gpus {gpus:,} is more than the {have:,} {gpu_type} GPUs the cluster can "
                "allocate: the estimate is for a bigger cluster"), stacklevel=2)
