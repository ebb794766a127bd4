"""Load warnings about whole racks under faults: more standby trays than a rack holds, and jobs
of whole racks that rarely find enough of them healthy at the failure rates and repair times."""

from __future__ import annotations

import math
import warnings

from colossim.config.schema import Scenario
from colossim.errors import ColossimWarning
from colossim.metrics.labels import plural


def racks_by_type(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """(racks, GPUs per rack) of each GPU type the cluster has racks of, spares included: the
    rack sizes the reliability warnings reason about (a 0-rack group counts for nothing)."""
    catalog = scenario.gpu_catalog()
    found: dict[str, tuple[int, int]] = {}
    for group in scenario.cluster.rack_groups:
        if group.racks:
            had = found.get(group.gpu_type, (0, 0))[0]
            found[group.gpu_type] = (had + group.racks, catalog[group.gpu_type].gpus_per_rack)
    return found


def warn_standby_trays(scenario: Scenario) -> None:
    """Warn of more standby trays per rack than a rack holds compute trays (QA: 100 passed as
    ok): the model keeps standby trays outside the rack's GPUs (docs/reliability.md), so any
    count runs, but no rack has room for more standbys than trays."""
    reliability = scenario.reliability
    standby = reliability.spares.trays_per_rack
    if not reliability.enabled or not standby:
        return
    sizes = {size for _, size in racks_by_type(scenario).values()}
    if not sizes:
        return
    tray = reliability.gpus_per_tray
    largest = max(sizes)
    trays = -(-largest // tray)  # as the engine counts them: a last, smaller tray is one
    if standby > trays:  # more than even the largest rack holds (review: the smallest's)
        warnings.warn(ColossimWarning(
            f"reliability.spares.trays_per_rack ({standby:,}) is more standby trays than a rack "
            f"holds compute trays ({trays:,} of up to {tray} GPUs in a {largest}-GPU rack, the "
            "largest): the model adds standbys beside the rack's GPUs, so it runs, but no rack "
            "has room for them"), stacklevel=3)


HEALTHY_ENOUGH = 0.5  # below this share of the time a whole-rack job's racks are not all there


def warn_racks_under_repair(scenario: Scenario) -> None:
    """Warn of a job of whole racks that can rarely have them all healthy (``rarely_whole``)."""
    text = rarely_whole(scenario)
    if text is not None:
        warnings.warn(ColossimWarning(text), stacklevel=3)


def rarely_whole(scenario: Scenario) -> str | None:
    """Why a job of whole racks (each one NVLink domain, as an NVL72) can rarely start, or
    None: on every type it fits, it has the racks it needs healthy less than half the time.
    Each rack is whole a share exp(-x_gpu) / (1 + x_rack) of the time, x its faults per
    second times the mean repair, over the classes that take a rack from such a job: GPU and
    tray faults (unless standby trays stand in) keep coming while one is repaired, so their
    repairs under way are Poisson with mean x_gpu (M/G/inf: QA, x / (1 + x) said 67% down
    where the runs measured 87%); a rack fault strikes only a rack that is up and stops the
    GPU faults while it is down (review), so the rack is up 1 / (1 + x_rack) of the time; a pod
    fault strikes at its whole pod's rate whether the rack is up or not, so up from both
    1 / ((1 + x_rack)(1 + x_pod)) (taken as independent: an approximation, as pod faults take
    racks down together).
    The racks down at once are binomial. Such a job
    can rarely start or restart and may wait until the horizon (QA: 10T on 3,072 of 3,136
    racks at twice the default rates, about 90 down, simulated ten years in 9 minutes with no
    word). At the default rates about 45 are down and 64 may be: healthy enough 99.7% of the
    time, no word; ``examples/hot_spares.yaml`` with 8 spares (ETTR 0.23) is warned of, with
    12 (0.51) not. A warning as the scenario loads, and the cause a stalled run names instead
    of its policy (QA: a whole-cluster job with racks healthy 0% of the time was stopped as
    fifo's fault)."""
    from colossim.config.crosscheck import usable_of

    rel = scenario.reliability
    if not rel.enabled:
        return None
    catalog = scenario.gpu_catalog()
    racks = racks_by_type(scenario)
    usable = usable_of(scenario)
    processes = rel.processes()
    overlapping = () if rel.spares.trays_per_rack else ("gpu", "tray")

    def down(name: str) -> float:
        """The share of the time a rack of ``name`` is down for a whole-rack job."""
        size = racks[name][1]

        def x(classes: tuple[str, ...]) -> float:  # repairs under way, on average
            return sum(size * rel.rate_per_gpu_s(c) * processes[c].repair.mean_s
                       for c in classes if processes[c].repair is not None)

        # a pod fault takes the rack too: its pod's GPUs x the rate x the repair
        pod = processes["pod"]
        x_pod = 0.0 if pod.repair is None else (size * scenario.cluster.pod_size_racks
                                                * rel.rate_per_gpu_s("pod") * pod.repair.mean_s)
        return 1.0 - math.exp(-x(overlapping)) / ((1.0 + x(("rack",))) * (1.0 + x_pod))

    for job in scenario.jobs:
        short = []
        for name, (count, size) in racks.items():
            need = -(-job.min_gpus // size)
            if need * size > usable.get(name, 0):
                continue  # it never fits this type: the fit check says so
            if catalog[name].gpus_per_domain != size or job.allocation_unit(size) < size:
                short = []  # part of a rack will do (an H100 rack's 8-GPU domains, or a job
                break  # of GPUs): one fault need not stop it (review)
            healthy = binomial_cdf(count - need, count, down(name))  # P(at most that many down)
            if healthy >= HEALTHY_ENOUGH:
                short = []
                break
            short.append((name, need, count, healthy))
        if short:
            name, need, count, healthy = short[0]
            return (f"job {job.name} needs {plural(need, 'whole rack')}, but at the failure "
                    f"rates and repair times about {count * down(name):,.1f} of the {count:,} "
                    f"{name} racks (spares included) are down at any time, and "
                    f"{'one is' if need == 1 else f'{need:,} are'} healthy only {healthy:.0%} "
                    "of the time: it can rarely start or restart, and may wait until the "
                    "horizon; hold more spares, lower min_gpus, or shorten repairs")
    return None


def binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X <= k) for X binomial(n, p), summed in logs (thousands of racks underflow a plain
    product); 1 far above the mean. scipy.stats would cost every load its import."""
    if k < 0:
        return 0.0
    mean, spread = n * p, math.sqrt(n * p * (1.0 - p))
    if k >= n or p <= 0.0 or k > mean + 12 * spread + 12:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                         + i * log_p + (n - i) * log_q) for i in range(k + 1))
    return min(1.0, total)
