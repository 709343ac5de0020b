"""Landed cost per (SKU, path) pair, vectorized over all pairs.

The seller's delivered-duty-paid view of ../shared/DOMAIN.md: per unit,
procurement + freight + handling + duty + VAT + consumption tax + parcel tax
- export rebate. Holding is not here: it depends on the stock a plan holds
(see :mod:`lean_chain.costs.model`).

The computation is split in two: :func:`landed_inputs` gathers small
per-entity tables (SKUs, demand rows, paths, tax rules) and the pair index
arrays; a kernel then prices every pair. :func:`landed_cost_numpy` is the
vectorized numpy kernel; :mod:`lean_chain.costs.kernels` has the fused,
compiled one (numba) that writes each output once. Both give identical
results; ``LEAN_CHAIN_KERNEL=numpy`` forces the numpy kernel.

Tax formulas per ``tax_rules.regime`` (w = transaction value per unit =
price + shipping per order / units per order, the price being the demand row's
``price`` on its platform, else the SKU's retail price; order value = w x units
per order; c = consumption-tax rate; CIF = procurement + freight up to the
border):

- ``general_trade``: CV = CIF (or w); duty = d CV; CT = (CV + duty) c/(1-c);
  VAT = v w when import VAT is credited (``vat_basis=retail_sale``), else
  v (CV + duty + CT).
- ``cbec_retail``: CV = w; duty 0; CT = k CV c/(1-c); VAT = k (CV + CV c/(1-c)) v
  with k = 0.7. A single-unit order above the cap (single-item rule) pays
  general-trade duty and taxes in full on CV = w.
- ``postal``: tax per parcel = rate x goods value of the parcel, waived when
  at or below the exemption (50 RMB).
- ``low_value_parcel``: taxable order value TV = share x order value; a flat
  duty per parcel when TV < flat_duty_below, ad valorem duty when TV exceeds
  the duty-free threshold; VAT v (taxable unit value + duty) when TV exceeds
  the VAT-free threshold.
- ``none``: no destination taxes (e.g. 9710 when the buyer imports).

Examples
--------
CBEC retail tax at v = 13 %, c = 15 % is 23.06 % of the transaction value:

>>> import numpy as np
>>> ct, vat = cbec_retail_taxes(np.array([100.0]), 0.7, np.array([0.15]), 0.13)
>>> round(float(ct[0] + vat[0]), 2)
23.06
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lean_chain.costs.rates import parcel_freight
from lean_chain.index import LEG_LOADS, Index
from lean_chain.model.instance import Instance
from lean_chain.model.schema import THRESHOLD_RTOL
from lean_chain.model.territories import default_valuation_basis, territories

#: Per-unit landed-cost components, in the order of :attr:`LandedCost.components`.
COMPONENTS = (
    "procurement",
    "freight",
    "handling",
    "duty",
    "vat",
    "consumption_tax",
    "parcel_tax",
    "export_rebate",
)


def above(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """``value > limit``, with values within :data:`THRESHOLD_RTOL` of the limit counted equal."""
    return value > limit + THRESHOLD_RTOL * np.maximum(np.abs(limit), 1.0)


def below(value: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """``value < limit``, with values within :data:`THRESHOLD_RTOL` of the limit counted equal."""
    return value < limit - THRESHOLD_RTOL * np.maximum(np.abs(limit), 1.0)


REGIME_CODES = {"general_trade": 0, "cbec_retail": 1, "postal": 2, "low_value_parcel": 3, "none": 4}
#: Customs valuation bases (``tax_rules.customs_value_basis``; blank = the destination's).
BASIS_CODES = {"cif": 0, "fob": 1, "transaction": 2}


@dataclass(frozen=True, eq=False)
class LandedCost:
    """Per-unit cost components of every pair (rows = components, columns = pairs).

    ``export_rebate`` is stored as a negative amount so that ``total`` is the
    plain column sum. ``held_value`` is the value of one unit while in stock at
    the pair's stocking node (procurement + inbound freight, plus duty and
    consumption tax when the node holds duty-paid goods).
    """

    components: np.ndarray  # shape (len(COMPONENTS), n_pairs)
    held_value: np.ndarray
    transaction_value: np.ndarray
    order_value: np.ndarray

    @property
    def total(self) -> np.ndarray:
        return self.components.sum(axis=0)

    def component(self, name: str) -> np.ndarray:
        return self.components[COMPONENTS.index(name)]


def cbec_retail_taxes(
    customs_value: np.ndarray,
    factor: np.ndarray | float,
    ct_rate: np.ndarray,
    vat_rate: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray]:
    """Consumption tax and VAT under the CBEC retail import regime (within limits)."""
    ct_full = customs_value * ct_rate / (1.0 - ct_rate)
    return factor * ct_full, factor * (customs_value + ct_full) * vat_rate


def general_trade_taxes(
    customs_value: np.ndarray,
    duty_rate: np.ndarray | float,
    ct_rate: np.ndarray,
    vat_rate: np.ndarray | float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duty, consumption tax and import VAT under general trade."""
    duty = customs_value * duty_rate
    ct = (customs_value + duty) * ct_rate / (1.0 - ct_rate)
    vat = (customs_value + duty + ct) * vat_rate
    return duty, ct, vat


@dataclass(frozen=True, eq=False)
class LandedInputs:
    """Everything a landed-cost kernel reads: small per-entity tables and pair indices.

    Per SKU ``k``: procurement, retail, weight, volume, consumption-tax rate,
    rebate rate. Per demand row ``d``: units per order, shipping per order. Per
    path ``p``: freight coefficients (total, up to the border, inbound to the
    stock node) per kg, m3 and unit, and handling per unit. Per tax rule ``u``:
    regime code and parameters. Per pair ``j``: the indices into those tables,
    whether the channel earns the rebate, whether the single-item rule applies
    and whether the stock node holds duty-paid goods.
    """

    sku_procurement: np.ndarray
    sku_retail: np.ndarray
    sku_weight: np.ndarray
    sku_volume: np.ndarray
    sku_ct_rate: np.ndarray
    sku_rebate_rate: np.ndarray
    row_units_per_order: np.ndarray
    row_shipping: np.ndarray
    path_freight: np.ndarray  # shape (3, n_paths): per kg, per m3, per unit
    path_border_freight: np.ndarray
    path_inbound_freight: np.ndarray
    path_fob_freight: np.ndarray  # freight until the goods leave the origin territory
    path_handling: np.ndarray
    rule_regime: np.ndarray  # int64, REGIME_CODES
    # pair indices are int32: 4 bytes less to read per index and pair
    rule_duty: np.ndarray
    rule_vat: np.ndarray
    rule_apply_ct: np.ndarray  # bool
    rule_cv_basis: np.ndarray  # int64, BASIS_CODES: customs value of general trade
    rule_vat_credited: np.ndarray  # bool: vat_basis retail_sale
    rule_cbec_factor: np.ndarray
    rule_parcel_rate: np.ndarray
    rule_parcel_exemption: np.ndarray
    rule_duty_free: np.ndarray
    rule_vat_free: np.ndarray
    rule_taxable_share: np.ndarray
    rule_flat_duty: np.ndarray
    rule_flat_below: np.ndarray
    pair_sku: np.ndarray
    pair_path: np.ndarray
    pair_row: np.ndarray
    pair_rule: np.ndarray
    pair_rebate: np.ndarray  # bool: the channel earns the export rebate
    pair_single_item: np.ndarray  # bool: single item above the cap
    pair_over_cap_duty: np.ndarray  # duty rate of a single item above the cap (else 0)
    pair_duty_paid_stock: np.ndarray  # bool: stock node holds duty-paid goods
    pair_parcel_freight: np.ndarray  # parcel-rate freight per unit (lean_chain.costs.rates)
    pair_parcel_border: np.ndarray  # ... of which up to the border
    pair_parcel_inbound: np.ndarray  # ... of which inbound to the stock node
    #: price per unit of each demand row (``Instance.row_prices``); empty: the SKU's retail
    row_price: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_pairs(self) -> int:
        return len(self.pair_sku)


def landed_inputs(instance: Instance, index: Index) -> LandedInputs:
    """Gather the kernel inputs of every pair of ``index``."""
    pairs, paths = index.pairs, index.paths
    skus, demand, rules = instance.skus, instance.demand, instance.tax_rules
    nodes = instance.nodes

    def col(frame, name, dtype=np.float64):
        return np.ascontiguousarray(frame[name].to_numpy(dtype))

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
    basis = rules["customs_value_basis"].to_numpy(object).copy()
    blank = basis == ""
    basis[blank] = [
        default_valuation_basis(c) for c in rules["destination_country"].to_numpy(object)[blank]
    ]
    over_cap_duty = np.asarray(pairs.over_cap_duty_rate, dtype=np.float64).reshape(-1)
    if len(over_cap_duty) != len(pairs):  # a PairIndex built without the field
        over_cap_duty = np.zeros(len(pairs))
    return LandedInputs(
        sku_procurement=col(skus, "procurement_cost"),
        sku_retail=col(skus, "retail_price"),
        sku_weight=col(skus, "weight_kg"),
        sku_volume=col(skus, "volume_m3"),
        sku_ct_rate=col(skus, "consumption_tax_rate"),
        sku_rebate_rate=col(skus, "export_rebate_rate"),
        row_units_per_order=col(demand, "units_per_order"),
        row_shipping=col(demand, "shipping_per_order"),
        path_freight=np.vstack(
            [paths.freight_per_kg, paths.freight_per_m3, paths.freight_per_unit]
        ),
        path_border_freight=step_tables["border"],
        path_inbound_freight=step_tables["inbound"],
        path_fob_freight=step_tables["fob"],
        path_handling=np.ascontiguousarray(paths.handling_per_unit, dtype=np.float64),
        rule_regime=rules["regime"].map(REGIME_CODES).to_numpy(np.int64),
        rule_duty=col(rules, "duty_rate"),
        rule_vat=col(rules, "vat_rate"),
        rule_apply_ct=col(rules, "apply_consumption_tax", bool),
        rule_cv_basis=np.array([BASIS_CODES[b] for b in basis], dtype=np.int64),
        rule_vat_credited=(rules["vat_basis"] == "retail_sale").to_numpy(bool),
        rule_cbec_factor=col(rules, "cbec_tax_factor"),
        rule_parcel_rate=col(rules, "parcel_tax_rate"),
        rule_parcel_exemption=col(rules, "parcel_tax_exemption"),
        rule_duty_free=col(rules, "duty_free_threshold"),
        rule_vat_free=col(rules, "vat_free_threshold"),
        rule_taxable_share=col(rules, "taxable_value_share"),
        rule_flat_duty=col(rules, "flat_duty_per_order"),
        rule_flat_below=col(rules, "flat_duty_below"),
        pair_sku=np.ascontiguousarray(pairs.sku, dtype=np.int32),
        pair_path=np.ascontiguousarray(pairs.path, dtype=np.int32),
        pair_row=np.ascontiguousarray(pairs.demand_row, dtype=np.int32),
        pair_rule=np.ascontiguousarray(pairs.rule, dtype=np.int32),
        pair_rebate=instance.channels["earns_export_rebate"].to_numpy(bool)[pairs.channel],
        pair_single_item=np.ascontiguousarray(pairs.single_item_over_cap, dtype=bool),
        pair_over_cap_duty=np.nan_to_num(over_cap_duty, nan=0.0),
        pair_duty_paid_stock=duty_paid_stock,
        pair_parcel_freight=parcel,
        pair_parcel_border=parcel_border,
        pair_parcel_inbound=parcel_inbound,
        row_price=np.ascontiguousarray(instance.row_prices(), dtype=np.float64),
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


def landed_cost_numpy(inp: LandedInputs) -> LandedCost:
    """The numpy kernel: one array operation per formula step."""
    k, p, r_row, rule = inp.pair_sku, inp.pair_path, inp.pair_row, inp.pair_rule
    procurement = inp.sku_procurement[k]
    # the price on the row's platform, where the tax engine once used the SKU's retail price
    retail = inp.row_price[r_row] if len(inp.row_price) else inp.sku_retail[k]
    weight = inp.sku_weight[k]
    volume = inp.sku_volume[k]
    units_per_order = inp.row_units_per_order[r_row]
    w = retail + inp.row_shipping[r_row] / units_per_order
    order_value = w * units_per_order

    def lane_cost(table: np.ndarray) -> np.ndarray:
        return weight * table[0, p] + volume * table[1, p] + table[2, p]

    freight = lane_cost(inp.path_freight) + inp.pair_parcel_freight
    cif = procurement + lane_cost(inp.path_border_freight) + inp.pair_parcel_border
    fob = procurement + lane_cost(inp.path_fob_freight)
    handling = inp.path_handling[p]

    regime = inp.rule_regime[rule]
    duty_rate = inp.rule_duty[rule]
    vat_rate = inp.rule_vat[rule]
    ct_rate = np.where(inp.rule_apply_ct[rule], inp.sku_ct_rate[k], 0.0)

    zero = np.zeros(len(k))
    duty, vat, ct, parcel = zero.copy(), zero.copy(), zero.copy(), zero.copy()

    # general trade, and CBEC single items above the cap (full taxes on CV = w)
    cbec = regime == REGIME_CODES["cbec_retail"]
    full = (regime == REGIME_CODES["general_trade"]) | (cbec & inp.pair_single_item)
    basis = inp.rule_cv_basis[rule]
    cv = np.where(
        (basis == BASIS_CODES["transaction"]) | cbec,
        w,
        np.where(basis == BASIS_CODES["fob"], fob, cif),
    )
    full_duty_rate = np.where(cbec, inp.pair_over_cap_duty, duty_rate)
    g_duty, g_ct, g_vat = general_trade_taxes(cv, full_duty_rate, ct_rate, vat_rate)
    g_vat = np.where(inp.rule_vat_credited[rule] & ~cbec, vat_rate * w, g_vat)
    duty = np.where(full, g_duty, duty)
    ct = np.where(full, g_ct, ct)
    vat = np.where(full, g_vat, vat)

    within = cbec & ~inp.pair_single_item
    c_ct, c_vat = cbec_retail_taxes(w, inp.rule_cbec_factor[rule], ct_rate, vat_rate)
    ct = np.where(within, c_ct, ct)
    vat = np.where(within, c_vat, vat)

    # personal postal articles: per-parcel tax on the goods value, small amounts waived
    postal = regime == REGIME_CODES["postal"]
    parcel_tax = inp.rule_parcel_rate[rule] * retail * units_per_order
    waived = ~above(parcel_tax, inp.rule_parcel_exemption[rule])
    parcel = np.where(postal & ~waived, parcel_tax / units_per_order, parcel)

    # destination low-value parcel rules
    low = regime == REGIME_CODES["low_value_parcel"]
    share = inp.rule_taxable_share[rule]
    taxable_order = share * order_value
    taxable_unit = share * w
    flat = inp.rule_flat_duty[rule]
    flat_applies = below(taxable_order, inp.rule_flat_below[rule])
    ad_valorem = above(taxable_order, inp.rule_duty_free[rule])
    l_duty = np.where(
        flat_applies, flat / units_per_order, np.where(ad_valorem, duty_rate * taxable_unit, 0.0)
    )
    l_vat = np.where(
        above(taxable_order, inp.rule_vat_free[rule]), vat_rate * (taxable_unit + l_duty), 0.0
    )
    duty = np.where(low, l_duty, duty)
    vat = np.where(low, l_vat, vat)

    rebate = np.where(inp.pair_rebate, inp.sku_rebate_rate[k] * procurement, 0.0)
    components = np.vstack([procurement, freight, handling, duty, vat, ct, parcel, -rebate])

    # value of a unit in stock: duty-paid unless held in a bonded zone or before the border
    held_value = (
        procurement
        + (lane_cost(inp.path_inbound_freight) + inp.pair_parcel_inbound)
        + np.where(inp.pair_duty_paid_stock & full, duty + ct, 0.0)
    )
    return LandedCost(components, held_value, w, order_value)


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


def price_pairs(inputs: LandedInputs, kernel: str | None = None) -> LandedCost:
    """Run the chosen kernel (``"numba"`` or ``"numpy"``) on ``inputs``."""
    kernel = kernel or default_kernel()
    if kernel == "numba":
        from lean_chain.costs.kernels import landed_cost_fused

        return landed_cost_fused(inputs)
    if kernel == "numpy":
        return landed_cost_numpy(inputs)
    raise ValueError(f"unknown kernel {kernel!r}; expected 'numba' or 'numpy'")


def landed_cost(instance: Instance, index: Index, kernel: str | None = None) -> LandedCost:
    """Per-unit landed-cost components of every pair of ``index``.

    Cached on the instance (per kernel). No Python loop over SKUs or paths.
    """
    key = ("landed_cost", kernel or default_kernel())
    cached = instance._cache.get(key)
    if cached is not None:
        return cached
    result = price_pairs(landed_inputs(instance, index), kernel)
    instance._cache[key] = result
    return result
