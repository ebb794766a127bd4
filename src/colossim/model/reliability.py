"""Failure sampling, checkpoint costs and the closed forms they are judged against (no SimPy).

Failures are sampled by superposition: one stream per component class over the whole
population (the class's events arrive at ``population x rate``), the victim drawn uniformly.
A draw that lands on hardware already out of service is discarded, which thins the stream to
exactly ``rate x hardware in service``. Each class has its own named RNG stream, so turning a
class on or off never moves another class's sample path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from colossim.config.reliability import (
    AutoMethod,
    FailureProcess,
    ReliabilityConfig,
    RepairConfig,
    RepairDistribution,
    Tbf,
)
from colossim.config.schema import GpuSpec, JobConfig

BATCH = 512  # draws per refill: vectorised sampling, same path whatever the batch boundary
FALLBACK_GB_PER_GPU = 1.0  # jobs given as GPU-hours have no parameters (assumption)


# -- closed forms ------------------------------------------------------------------------------


def young_interval(write_s: float, mttf_s: float) -> float:
    """Young (1974): tau = sqrt(2 delta M)."""
    return math.sqrt(2.0 * write_s * mttf_s)


def daly_interval(write_s: float, mttf_s: float) -> float:
    """Daly (2006): sqrt(2dM) [1 + sqrt(d/2M)/3 + (d/2M)/9] - d for d < 2M, else M."""
    if write_s >= 2.0 * mttf_s:
        return mttf_s
    x = write_s / (2.0 * mttf_s)
    return math.sqrt(2.0 * write_s * mttf_s) * (1.0 + math.sqrt(x) / 3.0 + x / 9.0) - write_s


def auto_interval(method: AutoMethod, write_s: float, mttf_s: float, floor_s: float) -> float:
    """The optimum interval by ``method``, never below ``floor_s`` (inf without failures)."""
    if not math.isfinite(mttf_s):
        return math.inf
    fn = young_interval if method == AutoMethod.YOUNG else daly_interval
    return max(floor_s, fn(write_s, mttf_s))


def expected_ettr(interval_s: float, write_s: float, restart_s: float, mttf_s: float) -> float:
    """Expected ETTR of a synchronously checkpointing job under exponential failures.

    Daly's complete model: each segment of ``interval_s`` compute plus ``write_s`` checkpoint
    takes ``M e^(R/M) (e^((tau+delta)/M) - 1)`` wall time in expectation, failures striking
    during restarts and writes too. ETTR = tau / that.
    """
    if not math.isfinite(mttf_s):
        return interval_s / (interval_s + write_s) if math.isfinite(interval_s) else 1.0
    try:
        segment = mttf_s * math.exp(restart_s / mttf_s) * math.expm1(
            (interval_s + write_s) / mttf_s)
    except OverflowError:  # a restart or a segment hundreds of MTTFs long: it never completes
        return 0.0
    return interval_s / segment


def first_order_ettr(interval_s: float, write_s: float, restart_s: float, mttf_s: float) -> float:
    """1 - (checkpoint overhead + expected lost work + restart over MTTF), to first order."""
    lost = (interval_s + write_s) / 2 + restart_s
    return 1.0 - write_s / (interval_s + write_s) - lost / mttf_s


# -- rates -------------------------------------------------------------------------------------


def failure_rate_per_gpu_s(config: ReliabilityConfig) -> float:
    """Rate at which any class interrupts a job, per GPU it holds."""
    if not config.enabled:
        return 0.0
    return sum(config.rate_per_gpu_s(name) for name in config.processes())


def job_failure_rate_s(config: ReliabilityConfig, gpus: int, rack_gpus: int | None = None,
                       tray_gpus: int | None = None, per_gpu_s: float | None = None,
                       pod_gpus: int | None = None) -> float:
    """Rate at which any class interrupts a job holding ``gpus`` GPUs.

    GPU and software faults strike one GPU, so they count the job's own GPUs; a tray fault
    takes its whole tray and a rack or network fault its whole rack, so those count every GPU
    of the trays (``tray_gpus``) and racks (``rack_gpus``) the job touches. A job of whole racks
    touches only its own GPUs (the default), and its rate is the per-GPU sum times ``gpus``,
    the same sum as before exposures were counted. An 8-GPU job on one NVL72 rack is struck by
    rack faults 72 / 8 = 9 times as often as its GPU count says (QA: 156 interruptions where
    8 x rate expected 19). A pod fault takes its whole pod: those count every GPU of the pods
    the job touches (``pod_gpus``, at least its racks'). ``per_gpu_s``:
    ``failure_rate_per_gpu_s(config)`` if the caller keeps it (the engine asks at every
    checkpoint)."""
    if not config.enabled:
        return 0.0
    racks = gpus if rack_gpus is None else rack_gpus
    trays = gpus if tray_gpus is None else tray_gpus
    pods = racks if pod_gpus is None else pod_gpus
    if racks == gpus and trays == gpus and (pods == gpus or config.rate_per_gpu_s("pod") == 0):
        return (failure_rate_per_gpu_s(config) if per_gpu_s is None else per_gpu_s) * gpus
    exposure = {"gpu": gpus, "tray": trays, "rack": racks, "network": racks, "software": gpus,
                "pod": pods}
    return sum(config.rate_per_gpu_s(name) * exposure[name] for name in config.processes())


def job_mttf_s(config: ReliabilityConfig, gpus: int, rack_gpus: int | None = None,
               tray_gpus: int | None = None, per_gpu_s: float | None = None,
               pod_gpus: int | None = None) -> float:
    """Expected time between interruptions of a job (``job_failure_rate_s``)."""
    rate = job_failure_rate_s(config, gpus, rack_gpus, tray_gpus, per_gpu_s, pod_gpus)
    return 1.0 / rate if rate > 0 else math.inf


def exposure_of(racks: np.ndarray, gpus: np.ndarray, rack_capacity: np.ndarray,
                gpus_per_tray: int, rack_pod: np.ndarray | None = None,
                pod_capacity: np.ndarray | None = None) -> tuple[int, int, int]:
    """(GPUs of the racks, GPUs of the trays, GPUs of the pods) a grant touches, from its racks
    and the GPUs it holds on each: a rack's GPUs, at least its held GPUs rounded up to whole
    trays (the slots a job holds on a shared rack may straddle a tray boundary, so the tray
    figure is a lower bound there; exact for whole racks), and its pods' GPUs (its racks'
    without ``rack_pod`` and ``pod_capacity``). Vectorised: a grant has thousands of racks."""
    capacity = rack_capacity[racks]
    trays = np.minimum(capacity, -(-gpus // gpus_per_tray) * gpus_per_tray)
    rack_gpus = int(capacity.sum())
    if rack_pod is None or pod_capacity is None:
        return rack_gpus, int(trays.sum()), rack_gpus
    return rack_gpus, int(trays.sum()), int(pod_capacity[np.unique(rack_pod[racks])].sum())


# -- checkpoint sizes and bandwidth -------------------------------------------------------------


def checkpoint_bytes(job: JobConfig, gpus: int) -> float:
    """Bytes in one checkpoint: total parameters x (weights + optimizer state) bytes each.

    Gradients are not saved. Mixed-precision Adam gives 2 + 12 = 14 B/param (facts: 14-16).
    """
    cp = job.checkpoint
    if cp.size_gb is not None:
        return cp.size_gb * 1e9
    if job.params_billion is None:
        return FALLBACK_GB_PER_GPU * 1e9 * gpus
    per_param = cp.bytes_per_param
    if per_param is None:
        per_param = job.training.weight_bytes_per_param + job.training.optimizer_bytes_per_param
    return job.params_billion * 1e9 * per_param


def storage_paths(specs: Sequence[GpuSpec], gpus: int,
                  snapshot_gbytes_s: float) -> tuple[float, float]:
    """A job's own path to storage, B/s, on ``gpus`` GPUs of these types: (from its GPUs, from
    host memory). Each GPU sends its shard through its NIC, and from the device first through
    the copy to host memory (``snapshot_gbytes_s``), pipelined; the GPU with the slowest path
    sets the pace (all hold equal shards). Reads come back the same way. An **assumption**
    beyond the NIC's published rate: storage traffic gets the whole NIC."""
    if not specs:
        return math.inf, math.inf
    nic = min(spec.nic_gbit_s for spec in specs) / 8 * 1e9
    gpus = max(gpus, 1)
    return gpus * min(nic, snapshot_gbytes_s * 1e9), gpus * nic


def max_min_rates(caps: Sequence[float], total: float) -> list[float]:
    """Max-min fair shares of ``total`` among flows capped at ``caps`` (water-filling)."""
    rates = [0.0] * len(caps)
    order = sorted(range(len(caps)), key=lambda i: caps[i])
    left, n = total, len(caps)
    for k, i in enumerate(order):
        share = left / (n - k)
        rates[i] = min(caps[i], share)
        left -= rates[i]
    return rates


# -- sampling ----------------------------------------------------------------------------------


def sample_gaps(
    rng: np.random.Generator, tbf: Tbf, shape: float, rate_s: float, n: int
) -> np.ndarray:
    """``n`` times between failures with mean ``1 / rate_s``."""
    mean = 1.0 / rate_s
    if tbf is Tbf.WEIBULL:
        return rng.weibull(shape, n) * (mean / math.gamma(1.0 + 1.0 / shape))
    return rng.exponential(mean, n)


def sample_repairs(rng: np.random.Generator, repair: RepairConfig, n: int) -> np.ndarray:
    """``n`` repair times with the configured mean (lognormal: mean and CV as given)."""
    if repair.distribution is RepairDistribution.FIXED or repair.mean_s == 0:
        return np.full(n, repair.mean_s)
    if repair.distribution is RepairDistribution.EXPONENTIAL:
        return rng.exponential(repair.mean_s, n)
    sigma2 = math.log1p(repair.cv**2)
    mu = math.log(repair.mean_s) - sigma2 / 2.0
    return rng.lognormal(mu, math.sqrt(sigma2), n)


class FailureStream:
    """Times and victims of one class's failures, drawn in batches from its own generator.

    Each batch draws ``BATCH`` gaps, then ``BATCH`` victim uniforms, then ``BATCH`` repair
    times (from a second generator), so the sample path never depends on how it is consumed.
    """

    def __init__(
        self,
        process: FailureProcess,
        population: int,
        rng: np.random.Generator,
        repair_rng: np.random.Generator,
        scale: float = 1.0,
    ):
        self.process = process
        self.rate_s = process.rate_per_gpu_s() * scale * population  # scale: rate_scale
        self._rng, self._repair_rng = rng, repair_rng
        self._gaps: list[float] = []
        self._victims: list[float] = []
        self._repairs: list[float] = []
        self._i = BATCH

    def _refill(self) -> None:
        p = self.process
        self._gaps = sample_gaps(self._rng, p.tbf, p.weibull_shape, self.rate_s, BATCH).tolist()
        self._victims = self._rng.random(BATCH).tolist()
        if p.repair is not None:
            self._repairs = sample_repairs(self._repair_rng, p.repair, BATCH).tolist()
        else:
            self._repairs = [0.0] * BATCH
        self._i = 0

    def next(self) -> tuple[float, float, float]:
        """(gap to the next failure s, victim uniform in [0, 1), repair time s)."""
        if self._i >= BATCH:
            self._refill()
        i = self._i
        self._i += 1
        return self._gaps[i], self._victims[i], self._repairs[i]
