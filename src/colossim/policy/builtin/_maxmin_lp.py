"""Gavel's heterogeneity-aware max-min fairness as a linear program (scipy's HiGHS).

Narayanan et al., "Heterogeneity-Aware Cluster Scheduling Policies for Deep Learning
Workloads", OSDI'20, section 4.1. Variables ``X[j, k]``: the fraction of time job ``j`` runs on
GPU type ``k`` with its ``scale[j, k]`` GPUs (a job's maximum, or as much of it as the type
holds; one value per job when every type gets the same). With ``T[j, k]`` the job's throughput
there:

    maximise   t
    subject to sum_k T[j, k] X[j, k] / R[j] >= w[j] t      for every job j
               sum_k X[j, k] <= 1                          (a job runs on one type at a time)
               sum_j scale[j, k] X[j, k] <= capacity[k]    (GPUs of each type)
               0 <= X <= 1, X[j, k] = 0 where scale[j, k] > capacity[k]

``R[j]`` normalises by the throughput the job would get from an equal share of every type
(Gavel's X^equal): ``X_eq[j, k] = capacity[k] / (n scale[j, k])``, scaled down so a row sums to at
most 1. A second LP keeps t at its optimum and maximises the sum of normalised throughputs, so
GPUs the bottleneck job cannot use are not left idle.
"""

from __future__ import annotations

import numpy as np

SLACK = 1e-9  # the second stage may give up this fraction of t for numerical room


def per_type(scale: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """``scale`` as an (n, K) matrix: a vector means the same GPUs on every type."""
    scale = np.asarray(scale, dtype=float)
    return np.broadcast_to(scale[:, None] if scale.ndim == 1 else scale, shape)


def equal_share_throughput(throughput: np.ndarray, scale: np.ndarray,
                           capacity: np.ndarray) -> np.ndarray:
    """R[j]: throughput under an equal 1/n share of every GPU type."""
    n = throughput.shape[0]
    scale = per_type(scale, throughput.shape)
    fits = scale <= capacity[None, :]
    x_eq = np.where(fits, capacity[None, :] / (n * scale), 0.0)
    rows = x_eq.sum(axis=1)
    x_eq = x_eq / np.maximum(rows, 1.0)[:, None]
    return (throughput * x_eq).sum(axis=1)


def max_min_allocation(throughput: np.ndarray, scale: np.ndarray, capacity: np.ndarray,
                       weights: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The time fractions X (n x K) and the max-min normalised throughput t."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_array, vstack

    throughput = np.asarray(throughput, dtype=float)
    capacity = np.asarray(capacity, dtype=float)
    n, k = throughput.shape
    scale = per_type(scale, (n, k))
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    norm = equal_share_throughput(throughput, scale, capacity)
    live = norm > 0  # a job that fits no type gets nothing and does not bound t
    if not live.any():  # nothing can run on a single GPU type: t would be unbounded
        return np.zeros((n, k)), 0.0
    coef = np.where(live[:, None], throughput / np.where(norm > 0, norm, 1.0)[:, None], 0.0)
    jj, kk = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    var = (jj * k + kk).ravel()  # X[j, k] is variable j*k + k; t is the last one
    t_col = n * k
    rows_fair = coo_array(
        (np.concatenate([-coef.ravel(), w[live]]),
         (np.concatenate([jj.ravel(), np.flatnonzero(live)]),
          np.concatenate([var, np.full(int(live.sum()), t_col)]))),
        shape=(n, t_col + 1))
    rows_job = coo_array((np.ones(n * k), (jj.ravel(), var)), shape=(n, t_col + 1))
    rows_type = coo_array((scale.ravel(), (kk.ravel(), var)), shape=(k, t_col + 1))
    a_ub = vstack([rows_fair, rows_job, rows_type]).tocsr()
    b_ub = np.concatenate([np.zeros(n), np.ones(n), capacity])
    fits = (scale <= capacity[None, :]).ravel()
    bounds = [(0.0, 1.0 if f else 0.0) for f in fits] + [(0.0, None)]
    c = np.zeros(t_col + 1)
    c[t_col] = -1.0
    first = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if first.status != 0:
        raise RuntimeError(f"max-min LP failed: {first.message}")
    t_best = float(first.x[t_col])
    bounds[t_col] = (t_best * (1 - SLACK), None)
    c2 = np.concatenate([-coef.ravel(), [0.0]])
    second = linprog(c2, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    x = (second if second.status == 0 else first).x
    return np.clip(x[:t_col].reshape(n, k), 0.0, 1.0), t_best
