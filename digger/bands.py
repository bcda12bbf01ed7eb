"""Fair-price bands: P25/P50/P75 of landed prices per (release, media grade, currency). Pure numpy.

Where a group has enough history over enough time (MIN_REGRESSION points over MIN_SPAN_DAYS), prices
drift, so each quantile is a linear quantile regression on time (iteratively reweighted least squares)
read at today's date; elsewhere plain quantiles of the points. Fewer than MIN_COUNT points give no band:
a quartile of four prices means nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_COUNT = 5
MIN_REGRESSION = 50
MIN_SPAN_DAYS = 60.0
QUANTILES = (0.25, 0.5, 0.75)


@dataclass(frozen=True)
class Band:
    release_id: int
    grade: str
    currency: str
    p25: float
    p50: float
    p75: float
    count: int
    method: str  # "quantiles" or "regression"


def quantile_regression(days: np.ndarray, prices: np.ndarray, tau: float, *, at: float, iterations: int = 40) -> float:
    """The tau-quantile of price at day `at` under a linear trend in time (IRLS on the check loss)."""
    scale = max(float(days.max() - days.min()), 1.0)
    t = (days - days.max()) / scale
    x = np.column_stack([np.ones_like(t), t])
    beta = np.linalg.lstsq(x, prices, rcond=None)[0]
    for _ in range(iterations):
        residual = prices - x @ beta
        weights = np.where(residual >= 0, tau, 1 - tau) / np.maximum(np.abs(residual), 1e-4)
        xw = x * weights[:, None]
        try:
            new = np.linalg.solve(x.T @ xw, xw.T @ prices)
        except np.linalg.LinAlgError:
            break
        if np.allclose(new, beta, atol=1e-5):
            beta = new
            break
        beta = new
    value = float(beta[0] + beta[1] * ((at - days.max()) / scale))
    return float(np.clip(value, prices.min(), prices.max()))  # never outside what was seen


def _codes(values: list[str]) -> tuple[list[str], np.ndarray]:
    """Small integer codes for a column of a few distinct strings (much faster than np.unique on objects)."""
    index: dict[str, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64, count=len(values))
    return list(index), codes


def compute_bands(*, release_ids: np.ndarray, grades: list[str], currencies: list[str], prices: np.ndarray,
                  days: np.ndarray, today: float) -> list[Band]:
    """Bands for every (release, grade, currency) group with at least MIN_COUNT points.

    `grades` and `currencies` are per point; `days` is each point's date in days (any origin, same as
    `today`). Points are grouped by sorting once, so a million points take a few seconds.
    """
    if len(prices) == 0:
        return []
    grade_names, grade_codes = _codes(grades)
    currency_names, currency_codes = _codes(currencies)
    # Sorted by group, then by price within the group: quantiles become index arithmetic for all groups at once.
    order = np.lexsort((prices, currency_codes, grade_codes, release_ids))
    r, g, c = release_ids[order], grade_codes[order], currency_codes[order]
    p, d = prices[order].astype(float), days[order].astype(float)
    change = np.flatnonzero((np.diff(r) != 0) | (np.diff(g) != 0) | (np.diff(c) != 0)) + 1
    starts = np.r_[0, change]
    sizes = np.r_[change, len(p)] - starts
    keep = sizes >= MIN_COUNT
    starts, sizes = starts[keep], sizes[keep]
    quantiles = []
    for tau in QUANTILES:  # numpy's default (linear) interpolation, as np.quantile per group
        position = tau * (sizes - 1)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, sizes - 1)
        quantiles.append(p[starts + low] + (p[starts + high] - p[starts + low]) * (position - low))
    bands: list[Band] = []
    for index, (start, size) in enumerate(zip(starts.tolist(), sizes.tolist(), strict=True)):
        end = start + size
        values = [float(quantiles[0][index]), float(quantiles[1][index]), float(quantiles[2][index])]
        method = "quantiles"
        if size >= MIN_REGRESSION:
            group_d = d[start:end]
            if float(group_d.max() - group_d.min()) >= MIN_SPAN_DAYS:
                group_p = p[start:end]
                values = sorted(quantile_regression(group_d, group_p, tau, at=today) for tau in QUANTILES)
                method = "regression"
        bands.append(Band(release_id=int(r[start]), grade=str(grade_names[g[start]]),
                          currency=str(currency_names[c[start]]), p25=values[0], p50=values[1], p75=values[2],
                          count=int(size), method=method))
    return bands


def tag_for(landed: float, band: Band | None) -> str:
    """'steal' under P25, 'high' over P75, '' otherwise or without a band."""
    if band is None:
        return ""
    if landed < band.p25:
        return "steal"
    if landed > band.p75:
        return "high"
    return ""
