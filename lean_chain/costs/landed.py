"""Landed cost per (SKU, path) pair, vectorized over all pairs.

The seller's delivered-duty-paid view of ../shared/DOMAIN.md: per unit,
procurement + freight + handling + duty + VAT + consumption tax + parcel tax
- export rebate. Holding is not here: it depends on the stock a plan holds
(see :mod:`lean_chain.costs.stock`).

Tax formulas per ``tax_rules.regime`` (w = transaction value per unit =
retail price + shipping per order / units per order; order value = w x units
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

from dataclasses import dataclass

import numpy as np

from lean_chain.index import Index
from lean_chain.model.instance import Instance

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
REGIME_CODES = {"general_trade": 0, "cbec_retail": 1, "postal": 2, "low_value_parcel": 3, "none": 4}


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


def landed_cost(instance: Instance, index: Index) -> LandedCost:
    """Per-unit landed-cost components of every pair of ``index``.

    Cached on the instance. No Python loop over SKUs or paths.
    """
    cached = instance._cache.get("landed_cost")
    if cached is not None:
        return cached
    pairs, paths = index.pairs, index.paths
    skus, demand, rules, channels = (
        instance.skus,
        instance.demand,
        instance.tax_rules,
        instance.channels,
    )
    k, p, r_row, rule = pairs.sku, pairs.path, pairs.demand_row, pairs.rule

    procurement = skus["procurement_cost"].to_numpy(np.float64)[k]
    retail = skus["retail_price"].to_numpy(np.float64)[k]
    weight = skus["weight_kg"].to_numpy(np.float64)[k]
    volume = skus["volume_m3"].to_numpy(np.float64)[k]
    units_per_order = demand["units_per_order"].to_numpy(np.float64)[r_row]
    shipping = demand["shipping_per_order"].to_numpy(np.float64)[r_row]
    w = retail + shipping / units_per_order
    order_value = w * units_per_order

    freight = (
        weight * paths.freight_per_kg[p]
        + volume * paths.freight_per_m3[p]
        + paths.freight_per_unit[p]
    )
    cif = procurement + (
        weight * paths.border_freight_per_kg[p]
        + volume * paths.border_freight_per_m3[p]
        + paths.border_freight_per_unit[p]
    )
    handling = paths.handling_per_unit[p]

    regime = rules["regime"].map(REGIME_CODES).to_numpy(np.int64)[rule]
    duty_rate = rules["duty_rate"].to_numpy(np.float64)[rule]
    vat_rate = rules["vat_rate"].to_numpy(np.float64)[rule]
    ct_rate = np.where(
        rules["apply_consumption_tax"].to_numpy(bool)[rule],
        skus["consumption_tax_rate"].to_numpy(np.float64)[k],
        0.0,
    )

    zero = np.zeros(len(k))
    duty, vat, ct, parcel = zero.copy(), zero.copy(), zero.copy(), zero.copy()

    # general trade, and CBEC single items above the cap (full taxes on CV = w)
    cbec = regime == REGIME_CODES["cbec_retail"]
    full = (regime == REGIME_CODES["general_trade"]) | (cbec & pairs.single_item_over_cap)
    cv = np.where(
        (rules["customs_value_basis"].to_numpy(object)[rule] == "transaction") | cbec, w, cif
    )
    g_duty, g_ct, g_vat = general_trade_taxes(cv, duty_rate, ct_rate, vat_rate)
    credited = (rules["vat_basis"].to_numpy(object)[rule] == "retail_sale") & ~cbec
    g_vat = np.where(credited, vat_rate * w, g_vat)
    duty = np.where(full, g_duty, duty)
    ct = np.where(full, g_ct, ct)
    vat = np.where(full, g_vat, vat)

    within = cbec & ~pairs.single_item_over_cap
    c_ct, c_vat = cbec_retail_taxes(
        w, rules["cbec_tax_factor"].to_numpy(np.float64)[rule], ct_rate, vat_rate
    )
    ct = np.where(within, c_ct, ct)
    vat = np.where(within, c_vat, vat)

    # personal postal articles: per-parcel tax on the goods value, small amounts waived
    postal = regime == REGIME_CODES["postal"]
    parcel_tax = rules["parcel_tax_rate"].to_numpy(np.float64)[rule] * retail * units_per_order
    waived = parcel_tax <= rules["parcel_tax_exemption"].to_numpy(np.float64)[rule]
    parcel = np.where(postal & ~waived, parcel_tax / units_per_order, parcel)

    # destination low-value parcel rules
    low = regime == REGIME_CODES["low_value_parcel"]
    share = rules["taxable_value_share"].to_numpy(np.float64)[rule]
    taxable_order = share * order_value
    taxable_unit = share * w
    flat = rules["flat_duty_per_order"].to_numpy(np.float64)[rule]
    flat_applies = (flat > 0) & (
        taxable_order < rules["flat_duty_below"].to_numpy(np.float64)[rule]
    )
    ad_valorem = taxable_order > rules["duty_free_threshold"].to_numpy(np.float64)[rule]
    l_duty = np.where(
        flat_applies, flat / units_per_order, np.where(ad_valorem, duty_rate * taxable_unit, 0.0)
    )
    l_vat = np.where(
        taxable_order > rules["vat_free_threshold"].to_numpy(np.float64)[rule],
        vat_rate * (taxable_unit + l_duty),
        0.0,
    )
    duty = np.where(low, l_duty, duty)
    vat = np.where(low, l_vat, vat)

    rebate = np.where(
        channels["earns_export_rebate"].to_numpy(bool)[pairs.channel],
        skus["export_rebate_rate"].to_numpy(np.float64)[k] * procurement,
        0.0,
    )

    components = np.vstack([procurement, freight, handling, duty, vat, ct, parcel, -rebate])

    # value of a unit in stock: duty-paid unless held in a bonded zone or before the border
    stock = pairs.stock_node
    node_kind = instance.nodes["kind"].to_numpy(object)
    node_country = instance.nodes["country"].to_numpy(object)
    safe_stock = np.maximum(stock, 0)
    duty_paid = (
        (stock >= 0)
        & (node_kind[safe_stock] != "bonded_zone")
        & (node_country[safe_stock] == node_country[pairs.region])
        & full
    )
    inbound_freight = (
        weight * paths.inbound_freight_per_kg[p]
        + volume * paths.inbound_freight_per_m3[p]
        + paths.inbound_freight_per_unit[p]
    )
    held_value = procurement + inbound_freight + np.where(duty_paid, duty + ct, 0.0)

    result = LandedCost(components, held_value, w, order_value)
    instance._cache["landed_cost"] = result
    return result
