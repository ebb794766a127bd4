"""Mean and 95% Student-t confidence interval of independent replicates (seeds).

mean ± t(0.975, n-1) · s / √n, with s the sample standard deviation. t comes from a table for
n-1 ≤ 30: scipy.stats.t.ppf(0.975, df) to full double precision (the printed tables, e.g.
NIST/SEMATECH e-Handbook 1.3.6.7.2, agree to their 3 decimals), so the common case does not
import scipy.stats (a quarter of a second); beyond 30, scipy itself. One run gives a mean and no
interval. Used by sweeps and by ``colossim compare``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

T975 = (
    12.706204736174694, 4.302652729749462, 3.1824463052837078, 2.7764451051977934,
    2.5705818356363146, 2.4469118511449786, 2.364624251592784, 2.306004135204166,
    2.262157162798205, 2.228138851986274, 2.200985160091639, 2.1788128296672284,
    2.1603686564627913, 2.144786687917804, 2.131449545559776, 2.1199052992212546,
    2.1098155778333156, 2.1009220402410382, 2.0930240544083087, 2.085963447265864,
    2.0796138447276795, 2.0738730679040254, 2.0686576104190486, 2.0638985616280245,
    2.0595385527532972, 2.0555294386428735, 2.0518305164802846, 2.0484071417952454,
    2.045229642132703, 2.0422724563012378,
)  # df = 1 .. 30


def t975(df: int) -> float:
    """The 0.975 quantile of Student's t with ``df`` degrees of freedom."""
    if df < 1:
        raise ValueError("a t quantile needs at least one degree of freedom")
    if df <= len(T975):
        return T975[df - 1]
    from scipy.stats import t

    return float(t.ppf(0.975, df))


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
