"""Landed cost per (SKU, path) pair, vectorized over all pairs.

The seller's delivered-duty-paid view of ../shared/DOMAIN.md: per unit,
procurement + freight + handling + duty + VAT + consumption tax + parcel tax
- export rebate. Holding is not here: it depends on the stock a plan holds
(see :mod:`lean_chain.costs.model`).

The computation is split in two: :func:`landed_inputs` packs per-entity
tables (SKUs, demand rows, paths, tax rules; columns named in
:mod:`lean_chain.costs.pricing`) and the pair arrays; a kernel then prices
every pair. :func:`landed_cost_numpy` is the numpy kernel;
:mod:`lean_chain.costs.kernels` has the fused, compiled one (numba) that
writes each output once. Both run the same formulas (the tax regimes are in
:mod:`lean_chain.model.regimes`, one function each) and give the same bits;
``LEAN_CHAIN_KERNEL=numpy`` forces the numpy kernel.

Modules, each importing only those before it: ``lean_chain.model.regimes`` (tax
formulas and their registry, in the first stage so that the schema reads the
regime names from it) -> ``pricing`` (table fields, the steps around the regime) ->
``kernels`` (the fused kernel) -> ``landed`` (inputs from an instance, the
numpy kernel, the API).

Examples
--------
Unit landed cost of tiny's four (SKU, path) pairs: SKU A through 1210 and 9610,
then SKU B through the same two:

>>> import lean_chain
>>> from lean_chain.index import build_index
>>> inst = lean_chain.load_instance("tests/data/tiny")
>>> landed_cost(inst, build_index(inst)).total.round(2).tolist()
[126.2, 148.2, 80.06, 88.06]
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lean_chain.costs.pricing import (
    COMPONENTS,
    PATH_FIELDS,
    ROW_FIELDS,
    SKU_FIELDS,
    LandedCost,
    LandedInputs,
    pack,
    pair_arrays,
    tax_base,
    unit_costs,
)
from lean_chain.costs.rates import parcel_freight
from lean_chain.index import LEG_LOADS, Index
from lean_chain.model.instance import Instance
from lean_chain.model.regimes import (
    BASIS_CODES,
    REGIME_CODES,
    REGIMES,
    RULE,
    RULE_FIELDS,
    TaxBase,
    above,
    below,
    cbec_retail_taxes,
    general_trade_taxes,
    regime_codes,
)
from lean_chain.model.territories import default_valuation_basis, territories

__all__ = [
    "BASIS_CODES",
    "COMPONENTS",
    "REGIME_CODES",
    "LandedCost",
    "LandedInputs",
    "above",
    "below",
    "cbec_retail_taxes",
    "default_kernel",
    "general_trade_taxes",
    "landed_cost",
    "landed_cost_numpy",
    "landed_inputs",
    "price_pairs",
]

#: ``tax_rules.csv`` columns read as-is into the rule table.
_PLAIN_RULE_COLUMNS = tuple(
    f
    for f in RULE_FIELDS
    if f not in ("regime", "customs_value_basis", "vat_credited", "single_item_duty_rate")
)


def landed_inputs(instance: Instance, index: Index) -> LandedInputs:
    """Pack the kernel inputs of every pair of ``index``.

    Parameters
    ----------
    instance
        The loaded instance (money already in the instance currency).
    index
        Its pair index (:func:`lean_chain.index.build_index`).

    Returns
    -------
    LandedInputs
        The SKU, demand-row, path and rule tables and the pair arrays.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.index import build_index
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> index = build_index(inst)
    >>> inputs = landed_inputs(inst, index)
    >>> inputs.n_pairs == len(index.pairs), inputs.rule.shape[1]
    (True, 15)
    """
    pairs, paths = index.pairs, index.paths
    skus, demand, rules = instance.skus, instance.demand, instance.tax_rules
    nodes = instance.nodes

    stock = pairs.stock_node
    safe_stock = np.maximum(stock, 0)
    node_kind = nodes["kind"].to_numpy(object)
    node_country = nodes["country"].to_numpy(object)
    parcel, parcel_border, parcel_inbound = parcel_freight(instance, index)
    node_territory = territories(node_country)
    duty_paid_stock = (
        (stock >= 0)
        & (node_kind[safe_stock] != "bonded_zone")
        & (node_territory[safe_stock] == node_territory[pairs.region])
    )
    step_tables = _step_freight_tables(instance, index)
    freight = {
        "freight": np.vstack([paths.freight_per_kg, paths.freight_per_m3, paths.freight_per_unit]),
        "border_freight": step_tables["border"],
        "inbound_freight": step_tables["inbound"],
        "fob_freight": step_tables["fob"],
    }
    path_columns = {
        f"{part}_per_{unit}": table[i]
        for part, table in freight.items()
        for i, unit in enumerate(("kg", "m3", "unit"))
    }
    basis = rules["customs_value_basis"].to_numpy(object).copy()
    blank = basis == ""
    basis[blank] = [
        default_valuation_basis(c) for c in rules["destination_country"].to_numpy(object)[blank]
    ]
    over_cap_duty = np.asarray(pairs.over_cap_duty_rate, dtype=np.float64).reshape(-1)
    if len(over_cap_duty) != len(pairs):  # a PairIndex built without the field
        over_cap_duty = np.zeros(len(pairs))
    codes = regime_codes()
    return LandedInputs.build(
        sku=pack(SKU_FIELDS, **{f: skus[f].to_numpy(np.float64) for f in SKU_FIELDS}),
        row=pack(
            ROW_FIELDS,
            price=instance.row_prices(),
            units_per_order=demand["units_per_order"].to_numpy(np.float64),
            shipping_per_order=demand["shipping_per_order"].to_numpy(np.float64),
        ),
        path=pack(PATH_FIELDS, handling_per_unit=paths.handling_per_unit, **path_columns),
        rule=pack(
            RULE_FIELDS,
            regime=rules["regime"].map(codes).to_numpy(np.float64),
            customs_value_basis=np.array([BASIS_CODES[b] for b in basis], dtype=np.float64),
            vat_credited=(rules["vat_basis"] == "retail_sale").to_numpy(np.float64),
            single_item_duty_rate=np.zeros(len(rules)),  # set per pair by LandedInputs.build
            **{f: rules[f].to_numpy(np.float64) for f in _PLAIN_RULE_COLUMNS},
        ),
        pair=pair_arrays(
            sku=pairs.sku,
            path=pairs.path,
            row=pairs.demand_row,
            rule=pairs.rule,
            earns_rebate=instance.channels["earns_export_rebate"].to_numpy(bool)[pairs.channel],
            single_item_over_cap=pairs.single_item_over_cap,
            duty_paid_stock=duty_paid_stock,
            over_cap_duty_rate=np.nan_to_num(over_cap_duty, nan=0.0),
            parcel_freight=parcel,
            parcel_border=parcel_border,
            parcel_inbound=parcel_inbound,
        ),
    )


def _step_freight_tables(instance: Instance, index: Index) -> dict[str, np.ndarray]:
    """Per path, per kg / m3 / unit of the SKU: the freight in the customs value
    (``border``: up to the first entry into the destination's customs territory;
    ``fob``: until the goods leave the origin's territory) and in the held value
    (``inbound``: up to the stocking node). Shape (3, n_paths) each.

    Besides the lanes' linear cost columns, consolidated charges are allocated to
    units for valuation at their full-load rate: containers and trucks by volume
    (cost per load / capacity_m3; by weight when only capacity_kg is given), weight
    breaks by actual weight at the lowest (largest-break) rate per kg, per-m3 (LCL)
    services at cost_per_m3. Fixed charges per shipment are not allocated, nor
    parcel-rate freight to the FOB value (a parcel service leaves the origin).
    """
    paths, legs, lanes = index.paths, index.legs, instance.lanes
    n_paths = len(paths)
    path_of_step = np.repeat(np.arange(n_paths), np.diff(paths.lane_ptr))
    lane = paths.lane
    per_kg = lanes["cost_per_kg"].to_numpy(np.float64)[lane]
    per_m3 = lanes["cost_per_m3"].to_numpy(np.float64)[lane]
    per_unit = lanes["cost_per_unit"].to_numpy(np.float64)[lane]

    # consolidated charges per kg and per m3, per leg, at the full-load rate
    alloc_kg, alloc_m3 = np.zeros(len(legs)), np.zeros(len(legs))
    loads = legs.kind == LEG_LOADS
    plain = loads & (legs.rate < 0)
    container_m3 = lanes["container_m3"].to_numpy(np.float64)[legs.lane]
    per_container = lanes["cost_per_container"].to_numpy(np.float64)[legs.lane]
    alloc_m3[plain] = per_container[plain] / container_m3[plain]
    rates = instance.rates
    if len(rates):
        r = np.maximum(legs.rate, 0)
        rated = legs.rate >= 0

        def col(name: str) -> np.ndarray:
            return rates[name].to_numpy(np.float64)[r]

        cap_m3, cap_kg, per_load = col("capacity_m3"), col("capacity_kg"), col("cost_per_load")
        by_m3 = rated & loads & ~np.isnan(cap_m3)
        by_kg = rated & loads & np.isnan(cap_m3) & ~np.isnan(cap_kg)
        alloc_m3[by_m3] = per_load[by_m3] / cap_m3[by_m3]
        alloc_kg[by_kg] = per_load[by_kg] / cap_kg[by_kg]
        kind = rates["kind"].to_numpy(object)[r]
        lcl = rated & (kind == "per_m3")
        alloc_m3[lcl] = col("cost_per_m3")[lcl]
        breaks = instance.weight_breaks
        wb = rated & (kind == "weight_break")
        if wb.any() and len(breaks):
            lowest = breaks.groupby("rate_id")["rate_per_kg"].min()
            rate_ids = rates["rate_id"].to_numpy(object)[r[wb]]
            alloc_kg[wb] = pd.Series(rate_ids).map(lowest).fillna(0.0).to_numpy(np.float64)
    step_kg = per_kg + alloc_kg[paths.leg]
    step_m3 = per_m3 + alloc_m3[paths.leg]

    territory = territories(instance.nodes["country"].to_numpy(object))
    lane_to = lanes["to_node"].map(index.node_pos).to_numpy(np.int64)[lane]
    left = territory[lane_to] != territory[paths.origin[path_of_step]]
    before_export = np.zeros(len(lane), dtype=bool)
    if len(lane):
        cum = np.cumsum(left)
        ptr = paths.lane_ptr[:-1]
        start = np.where(ptr > 0, cum[np.maximum(ptr - 1, 0)], 0)
        before_export = (cum - start[path_of_step]) == 0

    def table(mask: np.ndarray) -> np.ndarray:
        return np.vstack(
            [
                np.bincount(path_of_step, weights=values * mask, minlength=n_paths)
                for values in (step_kg, step_m3, per_unit)
            ]
        )

    return {
        "border": table(paths.step_to_border),
        "inbound": table(paths.step_inbound),
        "fob": table(before_export),
    }


def regime_taxes(rule: np.ndarray, base: TaxBase) -> tuple[np.ndarray, ...]:
    """``(duty, vat, consumption_tax, parcel_tax, capitalised)`` of every pair, numpy.

    ``rule`` holds the pairs' rule columns (shape ``(len(RULE_FIELDS), n)``);
    each registered formula runs once, on the pairs under its regime. Pairs
    under an unregistered code pay no taxes, as in the fused kernel.
    """
    n = len(base.w)
    taxes = (np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, dtype=bool))
    code = rule[RULE.regime]
    for c, formula in enumerate(REGIMES.values()):
        on = np.flatnonzero(code == c)
        if len(on):
            result = formula(rule[:, on], TaxBase(*(value[on] for value in base)))
            for target, value in zip(taxes, result, strict=True):
                target[on] = value
    return taxes


def landed_cost_numpy(inp: LandedInputs, out: LandedCost | None = None) -> LandedCost:
    """The numpy kernel: one array operation per formula step, over every pair.

    Parameters
    ----------
    inp
        The kernel inputs (:func:`landed_inputs`).
    out
        Outputs of the right size (:meth:`LandedCost.empty`), written in place.

    Returns
    -------
    LandedCost
        ``out`` when given.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.index import build_index
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> cost = landed_cost_numpy(landed_inputs(inst, build_index(inst)))
    >>> bool((cost.component("procurement") > 0).all())
    True
    """
    pair = inp.pair
    every = slice(None)
    # the pairs' rows, one column per pair, so that the formulas read them as on one pair
    sku, row = inp.sku[pair.sku].T, inp.row[pair.row].T
    path, rule = inp.path[pair.path].T, inp.rule[pair.rule].T
    parcel = inp.parcel[pair.parcel].T
    base = tax_base(sku, row, path, rule, parcel, pair, every)
    values = unit_costs(sku, path, parcel, pair, every, base, regime_taxes(rule, base))
    if out is None:
        out = LandedCost.empty(inp.n_pairs)
    out.check(inp.n_pairs)
    targets = (*out.components, out.held_value, out.transaction_value, out.order_value)
    for target, value in zip(targets, values, strict=True):
        target[...] = value
    return out


def default_kernel() -> str:
    """``"numba"`` when numba is installed, unless ``LEAN_CHAIN_KERNEL=numpy``."""
    choice = os.environ.get("LEAN_CHAIN_KERNEL", "").strip().lower()
    if choice in ("numpy", "numba"):
        return choice
    try:
        import numba  # noqa: F401
    except ImportError:  # pragma: no cover - numba is a dependency
        return "numpy"
    return "numba"


def price_pairs(
    inputs: LandedInputs, kernel: str | None = None, out: LandedCost | None = None
) -> LandedCost:
    """Run the chosen kernel (``"numba"`` or ``"numpy"``) on ``inputs``.

    Parameters
    ----------
    inputs
        The kernel inputs (:func:`landed_inputs`).
    kernel
        ``"numba"`` (the fused kernel) or ``"numpy"``; default :func:`default_kernel`.
    out
        Outputs of the right size (:meth:`LandedCost.empty`), written in place
        instead of allocating new ones.

    Returns
    -------
    LandedCost
        ``out`` when given.

    Raises
    ------
    ValueError
        For an unknown kernel, or an ``out`` of the wrong size.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.index import build_index
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> inputs = landed_inputs(inst, build_index(inst))
    >>> out = LandedCost.empty(inputs.n_pairs)
    >>> price_pairs(inputs, "numba", out=out) is out
    True
    >>> bool((price_pairs(inputs, "numpy").components == out.components).all())
    True
    """
    kernel = kernel or default_kernel()
    if kernel == "numba":
        from lean_chain.costs.kernels import landed_cost_fused

        return landed_cost_fused(inputs, out)
    if kernel == "numpy":
        return landed_cost_numpy(inputs, out)
    raise ValueError(f"unknown kernel {kernel!r}; expected 'numba' or 'numpy'")


def landed_cost(instance: Instance, index: Index, kernel: str | None = None) -> LandedCost:
    """Per-unit landed-cost components of every pair of ``index``.

    Cached on the instance (per kernel). No Python loop over SKUs or paths.

    Parameters
    ----------
    instance
        The loaded instance.
    index
        Its pair index.
    kernel
        ``"numba"`` or ``"numpy"``; default :func:`default_kernel`.

    Returns
    -------
    LandedCost
        Rows :data:`COMPONENTS` (plus held, transaction and order value), one column per pair.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.index import build_index
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> landed_cost(inst, build_index(inst)) is landed_cost(inst, build_index(inst))  # cached
    True
    >>> cost = landed_cost(inst, build_index(inst))
    >>> cost.components.shape[0] == len(COMPONENTS), cost.held_value.shape == (cost.components.shape[1],)
    (True, True)
    """
    key = ("landed_cost", kernel or default_kernel())
    cached = instance._cache.get(key)
    if cached is not None:
        return cached
    result = price_pairs(landed_inputs(instance, index), kernel)
    instance._cache[key] = result
    return result
