"""Tax regimes: each one formula, written once, registered by name.

A regime is a plain function ``formula(rule, base)`` of the pair's tax rule
(a row of the rule table, read by :data:`RULE` column) and its
:class:`TaxBase`, returning ``(duty, vat, consumption_tax, parcel_tax,
capitalised)`` per unit, ``capitalised`` being true when duty and consumption
tax are paid at import and so enter the value of a unit held in duty-paid
stock. The same function prices both ways:

- the numpy path (:func:`lean_chain.costs.landed.landed_cost_numpy`) calls it
  once per regime with arrays, over the pairs under that regime;
- the fused kernel (:mod:`lean_chain.costs.kernels`) compiles it with numba
  and calls it with scalars, one pair at a time.

So a formula may use arithmetic, ``np.abs``/``np.maximum``, and
:func:`select`, :func:`above`, :func:`below` (never ``if`` on values nor
``np.where``): those read the same on arrays and on scalars. Every branch is
evaluated and :func:`select` keeps one, so both paths give the same bits.

Adding a regime is one function and one :data:`REGIMES` entry in this module:
``tax_rules.csv``'s ``regime`` column accepts the registered names
(``lean_chain.model.schema.TAX_REGIMES`` is read from here), its code is its
position in :data:`REGIMES`, and the fused kernel is generated from the registry
(see :func:`lean_chain.costs.kernels.fused_kernel`). The module sits in
``model/``, the first stage, so that the schema can read the names; it imports
nothing of lean_chain.

Formulas (w = transaction value per unit = price + shipping per order / units
per order, the price being the demand row's price on its platform; order value
= w x units per order; c = consumption-tax rate, 0 unless the rule applies it;
CIF = procurement + freight up to the border):

- ``general_trade``: CV = CIF, FOB or w (``customs_value_basis``); duty = d CV;
  CT = (CV + duty) c/(1-c); VAT = v w when import VAT is credited
  (``vat_basis=retail_sale``), else v (CV + duty + CT).
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

from collections import namedtuple
from collections.abc import Callable

import numpy as np

#: Money amounts within this relative distance of a threshold (order cap, de minimis,
#: postal exemption) count as equal to it: an order of exactly 5,000.00 is at a 5,000 cap
#: whatever the float rounding of units x price + shipping.
THRESHOLD_RTOL = 1e-9


def columns(name: str, fields: tuple[str, ...]):
    """A named tuple of column positions: ``columns("T", ("a", "b")).b == 1``.

    Formulas index table rows with it (``rule[RULE.duty_rate]``); numba reads
    a module-level one as a constant.
    """
    return namedtuple(name, fields)(*range(len(fields)))


#: Columns of the rule table (float64; flags 0/1, codes as numbers), one row per
#: ``tax_rules`` row. Most are the ``tax_rules.csv`` column of the same name.
RULE_FIELDS = (
    "regime",  # position in REGIMES
    "duty_rate",
    "vat_rate",
    "apply_consumption_tax",  # 0/1
    "customs_value_basis",  # BASIS_CODES; blank in tax_rules.csv: the destination's
    "vat_credited",  # 0/1: vat_basis retail_sale
    "cbec_tax_factor",
    "parcel_tax_rate",
    "parcel_tax_exemption",
    "duty_free_threshold",
    "vat_free_threshold",
    "taxable_value_share",
    "flat_duty_per_order",
    "flat_duty_below",
    # not a tax_rules.csv column: the duty rate of a single item above the order-value
    # cap (resolved per pair by the index); LandedInputs.build gives each (rule, rate)
    # in use a row of its own, so that the pair's rule index carries it
    "single_item_duty_rate",
)
RULE = columns("RuleColumns", RULE_FIELDS)

#: Customs valuation bases (``tax_rules.customs_value_basis``).
BASIS_CODES = {"cif": 0, "fob": 1, "transaction": 2}
_FOB = BASIS_CODES["fob"]
_TRANSACTION = BASIS_CODES["transaction"]


class TaxBase(
    namedtuple("TaxBase", "w order_value price units_per_order cif fob ct_rate single_item")
):
    """What a regime reads of its pair, per unit (scalars in the kernel, arrays in numpy).

    ``w`` transaction value; ``order_value`` = w x ``units_per_order``;
    ``price`` the row's price; ``cif`` and ``fob`` procurement plus freight up to
    the border / until the goods leave the origin's territory; ``ct_rate`` the
    consumption-tax rate (0 unless the rule applies it); ``single_item`` a single
    item above the order-value cap, whose duty rate is the rule's
    ``single_item_duty_rate``.
    """

    __slots__ = ()


def select(cond, a, b):
    """``a`` where ``cond``, else ``b``: ``np.where`` on arrays, ``a if cond else b`` compiled."""
    return np.where(cond, a, b)


def above(value, limit):
    """``value > limit``, with values within :data:`THRESHOLD_RTOL` of the limit counted equal."""
    return value > limit + THRESHOLD_RTOL * np.maximum(np.abs(limit), 1.0)


def below(value, limit):
    """``value < limit``, with values within :data:`THRESHOLD_RTOL` of the limit counted equal."""
    return value < limit - THRESHOLD_RTOL * np.maximum(np.abs(limit), 1.0)


def general_trade_taxes(customs_value, duty_rate, ct_rate, vat_rate):
    """Duty, consumption tax and import VAT under general trade."""
    duty = customs_value * duty_rate
    ct = (customs_value + duty) * ct_rate / (1.0 - ct_rate)
    vat = (customs_value + duty + ct) * vat_rate
    return duty, ct, vat


def cbec_retail_taxes(customs_value, factor, ct_rate, vat_rate):
    """Consumption tax and VAT under the CBEC retail import regime (within limits)."""
    ct_full = customs_value * ct_rate / (1.0 - ct_rate)
    return factor * ct_full, factor * (customs_value + ct_full) * vat_rate


def general_trade(rule, base: TaxBase):
    """Duty on the customs value, CT and VAT in full; VAT on the sale when credited."""
    basis = rule[RULE.customs_value_basis]
    cv = select(basis == _TRANSACTION, base.w, select(basis == _FOB, base.fob, base.cif))
    vat_rate = rule[RULE.vat_rate]
    duty, ct, vat = general_trade_taxes(cv, rule[RULE.duty_rate], base.ct_rate, vat_rate)
    vat = select(rule[RULE.vat_credited] != 0.0, vat_rate * base.w, vat)
    return duty, vat, ct, 0.0, True


def cbec_retail(rule, base: TaxBase):
    """CBEC rate on w; a single item above the cap pays general trade on w."""
    vat_rate = rule[RULE.vat_rate]
    g_duty, g_ct, g_vat = general_trade_taxes(
        base.w, rule[RULE.single_item_duty_rate], base.ct_rate, vat_rate
    )
    c_ct, c_vat = cbec_retail_taxes(base.w, rule[RULE.cbec_tax_factor], base.ct_rate, vat_rate)
    single = base.single_item
    return (
        select(single, g_duty, 0.0),
        select(single, g_vat, c_vat),
        select(single, g_ct, c_ct),
        0.0,
        single,
    )


def postal(rule, base: TaxBase):
    """Personal postal articles: per-parcel tax on the goods value, small amounts waived."""
    tax = rule[RULE.parcel_tax_rate] * base.price * base.units_per_order
    parcel = select(above(tax, rule[RULE.parcel_tax_exemption]), tax / base.units_per_order, 0.0)
    return 0.0, 0.0, 0.0, parcel, False


def low_value_parcel(rule, base: TaxBase):
    """Destination de-minimis rules: flat or ad valorem duty, VAT above a threshold."""
    share = rule[RULE.taxable_value_share]
    taxable_order = share * base.order_value
    taxable_unit = share * base.w
    ad_valorem = select(
        above(taxable_order, rule[RULE.duty_free_threshold]),
        rule[RULE.duty_rate] * taxable_unit,
        0.0,
    )
    duty = select(
        below(taxable_order, rule[RULE.flat_duty_below]),
        rule[RULE.flat_duty_per_order] / base.units_per_order,
        ad_valorem,
    )
    vat = select(
        above(taxable_order, rule[RULE.vat_free_threshold]),
        rule[RULE.vat_rate] * (taxable_unit + duty),
        0.0,
    )
    return duty, vat, 0.0, 0.0, False


def no_taxes(rule, base: TaxBase):
    """No destination taxes."""
    return 0.0, 0.0, 0.0, 0.0, False


#: The regimes by ``tax_rules.regime`` name; a regime's code is its position.
REGIMES: dict[str, Callable] = {
    "general_trade": general_trade,
    "cbec_retail": cbec_retail,
    "postal": postal,
    "low_value_parcel": low_value_parcel,
    "none": no_taxes,
}


def regime_codes() -> dict[str, int]:
    """``{name: code}`` of the registered regimes (code = position in :data:`REGIMES`)."""
    return {name: code for code, name in enumerate(REGIMES)}


#: The built-in codes (a regime registered later gets the next code).
REGIME_CODES = regime_codes()
