"""Mean and 95% Student-t confidence interval of independent replicates (seeds).

mean ± t(0.975, n-1) · s / √n, with s the sample standard deviation. t comes from a table for
n-1 ≤ 30 (values of scipy.stats.t.ppf(0.975, df), equal to the printed tables, e.g.
NIST/SEMATECH e-Handbook 1.3.6.7.2, to their 3 decimals) and beyond that from the Cornish-Fisher
expansion (Abramowitz & Stegun 26.7.5), within 3e-8 of the exact quantile, so scipy is not
needed. One run gives a mean and no interval. Used by sweeps and by ``colossim compare``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z975 = 1.959963984540054
T975 = (
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157,
    2.228139, 2.200985, 2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922,
    2.093024, 2.085963, 2.079614, 2.073873, 2.068658, 2.063899, 2.059539, 2.055529, 2.051831,
    2.048407, 2.045230, 2.042272,
)  # df = 1 .. 30


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    if df <= len(T975):
        return T975[df - 1]
    z = Z975
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


@dataclass(frozen=True)
class Interval:
    n: int
    mean: float | None
    low: float | None
    high: float | None


def interval(values: Sequence[float]) -> Interval:
    """Mean and 95% t-interval of independent replicates."""
    n = len(values)
    if n == 0:
        return Interval(0, None, None, None)
    if all(v == values[0] for v in values):  # exactly, not fsum(v) / n one ulp away
        mean = float(values[0])
        return Interval(n, mean, mean if n > 1 else None, mean if n > 1 else None)
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    half = t975(n - 1) * sd / math.sqrt(n)
    return Interval(n, mean, mean - half, mean + half)
