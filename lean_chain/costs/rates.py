"""Carrier tariffs: parcel rates per order, and piecewise (weight-break, LCL) lane costs.

Parcel (express, postal) rates price each parcel by its chargeable weight,
the larger of the actual weight and the volumetric weight (cm3 / divisor):
the first charge covers ``first_weight_kg``; each further ``step_weight_kg``
(rounded up) costs ``step_charge``. A parcel is one order (units per order x
the SKU's weight and volume); the cost per unit is the parcel's / units per
order. It depends only on the pair, so it is part of the landed cost.

Weight-break (air) and per-m3 (LCL) rates depend on what the whole plan puts
on the lane: per shipment of chargeable quantity w (lane quantity / shipments),

    f(w) = max(min_charge, min_b rate_b * max(w, break_b))

which charges each weight at its break's rate and at the next break when that
is cheaper (the next-break rule), never below the minimum charge. f is
continuous and piecewise linear; :func:`piecewise_pieces` lists its pieces for
the MIP (one binary per piece) and :func:`piecewise_cost` evaluates it.

Examples
--------
Air freight with breaks N: 30/kg, +45: 25/kg, +100: 20/kg and a 300 minimum:

>>> import numpy as np
>>> breaks, rates = np.array([0.0, 45.0, 100.0]), np.array([30.0, 25.0, 20.0])
>>> [float(piecewise_cost(w, breaks, rates, 300.0)) for w in (5.0, 40.0, 90.0, 95.0, 200.0)]
[300.0, 1125.0, 2000.0, 2000.0, 4000.0]
"""

from __future__ import annotations

import numpy as np

from lean_chain.index import LEG_PARCEL, Index
from lean_chain.model.instance import Instance

CM3_PER_M3 = 1e6
_STEP_TOLERANCE = 1e-9


def _bands(
    breaks: np.ndarray,
    rates: np.ndarray,
    min_charge: float,
    band_hi: np.ndarray | None,
    band_min: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per band: the largest quantity it serves and its minimum charge.

    Without any stated upper limit every band serves any quantity (the
    next-break rule over the whole tariff); once a tariff states one, a blank
    upper limit means "up to the next band" and the last band's "no limit".
    """
    n = len(breaks)
    hi = np.full(n, np.inf) if band_hi is None else np.asarray(band_hi, dtype=np.float64)
    if np.any(~np.isnan(hi) & np.isfinite(hi)):
        following = np.append(breaks[1:], np.inf)
        hi = np.where(np.isnan(hi), following, hi)
    else:
        hi = np.full(n, np.inf)
    low = np.zeros(n) if band_min is None else np.nan_to_num(np.asarray(band_min, np.float64))
    return hi, np.maximum(low, float(min_charge))


def serviceable(
    quantity: float | np.ndarray,
    breaks: np.ndarray,
    band_hi: np.ndarray | None = None,
    tolerance: float = 1e-6,
) -> np.ndarray:
    """True where a shipment of ``quantity`` falls in a band (or is 0).

    A weight in a gap between two bands, or above the last band's upper limit,
    is not serviceable; a weight below the first break is charged at it.

    >>> import numpy as np
    >>> serviceable(np.array([0.0, 50.0, 150.0, 250.0, 600.0]), np.array([0.0, 200.0]),
    ...             np.array([100.0, 500.0])).tolist()
    [True, True, False, True, False]
    """
    w = np.atleast_1d(np.asarray(quantity, dtype=np.float64))
    hi, _ = _bands(breaks, np.zeros(len(breaks)), 0.0, band_hi, None)
    slack = tolerance * np.maximum(1.0, np.abs(w))
    inside = (w[:, None] <= hi[None, :] + slack[:, None]) & (
        (w[:, None] >= breaks[None, :] - slack[:, None]) | (np.arange(len(breaks)) == 0)[None, :]
    )
    return (w <= 0) | inside.any(axis=1)


def piecewise_cost(
    quantity: float | np.ndarray,
    breaks: np.ndarray,
    rates: np.ndarray,
    min_charge: float,
    band_hi: np.ndarray | None = None,
    band_min: np.ndarray | None = None,
) -> np.ndarray:
    """Cost of one shipment of ``quantity`` (0 when there is no shipment).

    f(w) = min over bands b with w <= hi_b of max(m_b, rate_b max(w, break_b)),
    m_b the larger of ``min_charge`` and the band's own minimum. Above every
    band's limit (not serviceable) the last band prices it.
    """
    w = np.asarray(quantity, dtype=np.float64)
    flat = w.reshape(1, -1)
    hi, minimum = _bands(breaks, rates, min_charge, band_hi, band_min)
    lines = np.maximum(minimum[:, None], rates[:, None] * np.maximum(flat, breaks[:, None]))
    active = flat <= hi[:, None] * (1 + 1e-12) + 1e-12
    active[-1] |= ~active.any(axis=0)
    best = np.min(np.where(active, lines, np.inf), axis=0)
    cost = np.where(flat[0] > 0, best, 0.0)
    return cost.reshape(w.shape)


def piecewise_rate_floor(
    most: float,
    breaks: np.ndarray,
    rates: np.ndarray,
    min_charge: float,
    band_hi: np.ndarray | None = None,
    band_min: np.ndarray | None = None,
) -> float:
    """A rate r with f(w) >= r w for every w in (0, ``most``].

    Each band's charge per unit, max(m_b, rate_b max(w, break_b)) / w, never
    increases with w, so on its range up to ``most`` it is smallest at
    min(``most``, hi_b); f(w) / w is the smallest over the bands serving w.
    """
    if most <= 0:
        return 0.0
    hi, minimum = _bands(breaks, rates, min_charge, band_hi, band_min)
    top = np.minimum(hi, most)
    top = np.where(top > 0, top, most)
    per_unit = np.maximum(minimum, rates * np.maximum(top, breaks)) / top
    return float(per_unit.min())


def piecewise_pieces(
    breaks: np.ndarray,
    rates: np.ndarray,
    min_charge: float,
    upper: float,
    band_hi: np.ndarray | None = None,
    band_min: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pieces (lo, hi, slope, intercept) with f(w) = slope w + intercept on [lo, hi].

    They cover the serviceable part of [0, ``upper``]. Every kink or jump of f
    lies at a break or a band's upper limit, where one band's line meets
    another band's flat charge (a minimum or a next-break charge); between
    consecutive candidates f is linear, so two evaluations inside give each
    piece exactly (f may jump where a band ends; a piece takes its limit).
    """
    upper = max(float(upper), 1e-9)
    hi_band, minimum = _bands(breaks, rates, min_charge, band_hi, band_min)
    candidates = [0.0, upper, *breaks.tolist(), *hi_band[np.isfinite(hi_band)].tolist()]
    positive = rates[rates > 0]
    flat_charge = np.concatenate([rates * breaks, minimum])
    for rate in positive:
        candidates += (flat_charge / rate).tolist()
    points = np.unique(np.clip(np.asarray(candidates, dtype=np.float64), 0.0, upper))
    # candidates a rounding apart (0.01 / 0.01 = 1.0000000000000002 beside a break at 1)
    # are one point: an interval a few ulps wide has no room for two inner evaluations
    apart = np.diff(points) > 1e-12 * np.maximum(1.0, np.abs(points[1:]))
    points = np.concatenate([points[:1], points[1:][apart]])
    points[-1] = max(points[-1], upper) if len(points) > 1 else upper
    lo, hi = points[:-1].copy(), points[1:].copy()

    def f(w: np.ndarray) -> np.ndarray:
        return piecewise_cost(w, breaks, rates, min_charge, band_hi, band_min)

    a, b = lo + (hi - lo) / 3.0, lo + 2.0 * (hi - lo) / 3.0
    f_a, f_b = f(a), f(b)
    slope = (f_b - f_a) / (b - a)
    intercept = f_a - slope * a
    keep = serviceable((lo + hi) / 2.0, breaks, band_hi, tolerance=0.0)
    last = -1
    for i in range(len(lo)):
        if not keep[i]:
            continue
        same_line = (
            last >= 0
            and hi[last] == lo[i]
            and np.isclose(slope[i], slope[last], rtol=1e-12, atol=1e-12)
            and np.isclose(intercept[i], intercept[last], rtol=1e-12, atol=1e-9)
        )
        if same_line:
            hi[last] = hi[i]
            keep[i] = False
        else:
            last = i
    return lo[keep], hi[keep], slope[keep], intercept[keep]


def pair_steps(index: Index, step_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pair, step) for every step of every pair's path where ``step_mask`` holds."""
    pairs, paths = index.pairs, index.paths
    # only the pairs whose path has a step in the mask are expanded
    has = np.zeros(len(paths.lane_ptr) - 1, dtype=bool)
    if len(step_mask):
        path_of_step = np.repeat(np.arange(len(has)), np.diff(paths.lane_ptr))
        has[path_of_step[step_mask]] = True
    chosen = np.flatnonzero(has[pairs.path])
    lengths = np.diff(paths.lane_ptr)[pairs.path[chosen]]
    pair_rep = np.repeat(chosen, lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    step = paths.lane_ptr[pairs.path[pair_rep]] + offsets
    keep = step_mask[step] if len(step) else np.zeros(0, dtype=bool)
    return pair_rep[keep], step[keep]


def chargeable_kg(weight_kg: np.ndarray, volume_m3: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """max(actual weight, volume in cm3 / divisor); a blank (nan) divisor means actual only."""
    with np.errstate(invalid="ignore"):
        volumetric = np.where(np.isnan(divisor), 0.0, volume_m3 * CM3_PER_M3 / divisor)
    return np.maximum(weight_kg, volumetric)


def parcel_cost_per_order(
    weight_kg: np.ndarray,
    volume_m3: np.ndarray,
    first_weight_kg: np.ndarray,
    first_charge: np.ndarray,
    step_weight_kg: np.ndarray,
    step_charge: np.ndarray,
    volumetric_divisor: np.ndarray,
) -> np.ndarray:
    """Price of parcels of the given weights and volumes (arrays broadcast together).

    >>> import numpy as np
    >>> one = np.array([1.0])
    >>> float(parcel_cost_per_order(1.2 * one, 0.001 * one, 0.5 * one, 20 * one, 0.5 * one,
    ...                             8 * one, np.array([np.nan]))[0])  # first + 2 steps
    36.0
    """
    chargeable = chargeable_kg(weight_kg, volume_m3, volumetric_divisor)
    extra = np.maximum(chargeable - first_weight_kg, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        steps = np.ceil(extra / step_weight_kg - _STEP_TOLERANCE)
    steps = np.where(np.isnan(step_weight_kg) | (extra <= 0), 0.0, np.maximum(steps, 0.0))
    return first_charge + steps * step_charge


def parcel_freight(instance: Instance, index: Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per pair: parcel freight per unit in total, up to the border, and inbound to stock."""
    pairs, paths, legs = index.pairs, index.paths, index.legs
    n = len(pairs)
    total, border, inbound = np.zeros(n), np.zeros(n), np.zeros(n)
    is_parcel = legs.kind[paths.leg] == LEG_PARCEL
    if not is_parcel.any():
        return total, border, inbound
    pair, step = pair_steps(index, is_parcel)
    rates = instance.rates
    rate = legs.rate[paths.leg[step]]
    k = pairs.sku[pair]
    demand = instance.demand
    units_per_order = demand["units_per_order"].to_numpy(np.float64)[pairs.demand_row[pair]]

    def col(name: str) -> np.ndarray:
        return rates[name].to_numpy(np.float64)[rate]

    per_order = parcel_cost_per_order(
        units_per_order * instance.skus["weight_kg"].to_numpy(np.float64)[k],
        units_per_order * instance.skus["volume_m3"].to_numpy(np.float64)[k],
        col("first_weight_kg"),
        col("first_charge"),
        col("step_weight_kg"),
        col("step_charge"),
        col("volumetric_divisor"),
    )
    per_unit = per_order / units_per_order
    total += np.bincount(pair, weights=per_unit, minlength=n)
    border += np.bincount(pair, weights=per_unit * paths.step_to_border[step], minlength=n)
    inbound += np.bincount(pair, weights=per_unit * paths.step_inbound[step], minlength=n)
    return total, border, inbound
