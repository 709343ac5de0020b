"""Fused, compiled kernels of the evaluation core (numba).

numpy evaluates a formula one operation at a time and re-reads its
temporaries after each; these kernels make one pass over the pairs, keep every
intermediate in registers and write each output exactly once. They implement
the same rules as :func:`lean_chain.costs.landed.landed_cost_numpy`, step for
step, so the two agree to the last bit on the same platform (tests check
1e-12 relative).

Compiled functions are cached on disk (``cache=True``) in the per-user folder
chosen by :mod:`lean_chain._numba_cache`, never inside the installed package;
the first call in a fresh environment pays the compile time once.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from lean_chain.costs.landed import (
    BASIS_CODES,
    COMPONENTS,
    REGIME_CODES,
    LandedCost,
    LandedInputs,
)
from lean_chain.model.schema import THRESHOLD_RTOL

_GENERAL = REGIME_CODES["general_trade"]
_CBEC = REGIME_CODES["cbec_retail"]
_POSTAL = REGIME_CODES["postal"]
_LOW_VALUE = REGIME_CODES["low_value_parcel"]
_BASIS_FOB = BASIS_CODES["fob"]
_BASIS_TRANSACTION = BASIS_CODES["transaction"]
_N_COMPONENTS = len(COMPONENTS)


@njit(inline="always")
def _above(value, limit):  # pragma: no cover - compiled
    return value > limit + THRESHOLD_RTOL * max(abs(limit), 1.0)


@njit(inline="always")
def _below(value, limit):  # pragma: no cover - compiled
    return value < limit - THRESHOLD_RTOL * max(abs(limit), 1.0)


@njit(parallel=True, cache=True, nogil=True, error_model="numpy")
def _landed_kernel(
    sku_procurement,
    sku_retail,
    sku_weight,
    sku_volume,
    sku_ct_rate,
    sku_rebate_rate,
    row_units_per_order,
    row_shipping,
    path_freight,
    path_border_freight,
    path_inbound_freight,
    path_fob_freight,
    path_handling,
    rule_regime,
    rule_duty,
    rule_vat,
    rule_apply_ct,
    rule_cv_basis,
    rule_vat_credited,
    rule_cbec_factor,
    rule_parcel_rate,
    rule_parcel_exemption,
    rule_duty_free,
    rule_vat_free,
    rule_taxable_share,
    rule_flat_duty,
    rule_flat_below,
    pair_sku,
    pair_path,
    pair_row,
    pair_rule,
    pair_rebate,
    pair_single_item,
    pair_over_cap_duty,
    pair_duty_paid_stock,
    pair_parcel_freight,
    pair_parcel_border,
    pair_parcel_inbound,
    row_price,
    components,
    held_value,
    transaction_value,
    order_value,
):  # pragma: no cover - compiled
    n = pair_sku.shape[0]
    for j in prange(n):
        k = pair_sku[j]
        p = pair_path[j]
        d = pair_row[j]
        u = pair_rule[j]
        procurement = sku_procurement[k]
        # the demand row's price on its platform (empty: the SKU's retail price)
        retail = row_price[d] if row_price.shape[0] > 0 else sku_retail[k]
        weight = sku_weight[k]
        volume = sku_volume[k]
        upo = row_units_per_order[d]
        w = retail + row_shipping[d] / upo
        ov = w * upo
        freight = (
            weight * path_freight[0, p] + volume * path_freight[1, p] + path_freight[2, p]
        ) + pair_parcel_freight[j]
        cif = procurement + (
            (
                weight * path_border_freight[0, p]
                + volume * path_border_freight[1, p]
                + path_border_freight[2, p]
            )
            + pair_parcel_border[j]
        )
        regime = rule_regime[u]
        duty_rate = rule_duty[u]
        vat_rate = rule_vat[u]
        c = sku_ct_rate[k] if rule_apply_ct[u] else 0.0
        duty = 0.0
        vat = 0.0
        ct = 0.0
        parcel = 0.0
        cbec = regime == _CBEC
        full = regime == _GENERAL or (cbec and pair_single_item[j])
        if full:
            basis = rule_cv_basis[u]
            if basis == _BASIS_TRANSACTION or cbec:
                cv = w
            elif basis == _BASIS_FOB:
                cv = procurement + (
                    weight * path_fob_freight[0, p]
                    + volume * path_fob_freight[1, p]
                    + path_fob_freight[2, p]
                )
            else:
                cv = cif
            duty = cv * (pair_over_cap_duty[j] if cbec else duty_rate)
            ct = (cv + duty) * c / (1.0 - c)
            if rule_vat_credited[u] and not cbec:
                vat = vat_rate * w
            else:
                vat = (cv + duty + ct) * vat_rate
        elif cbec:
            factor = rule_cbec_factor[u]
            ct_full = w * c / (1.0 - c)
            ct = factor * ct_full
            vat = factor * (w + ct_full) * vat_rate
        elif regime == _POSTAL:
            tax = rule_parcel_rate[u] * retail * upo
            if _above(tax, rule_parcel_exemption[u]):
                parcel = tax / upo
        elif regime == _LOW_VALUE:
            share = rule_taxable_share[u]
            taxable_order = share * ov
            taxable_unit = share * w
            flat = rule_flat_duty[u]
            if _below(taxable_order, rule_flat_below[u]):
                duty = flat / upo
            elif _above(taxable_order, rule_duty_free[u]):
                duty = duty_rate * taxable_unit
            if _above(taxable_order, rule_vat_free[u]):
                vat = vat_rate * (taxable_unit + duty)
        rebate = sku_rebate_rate[k] * procurement if pair_rebate[j] else 0.0
        components[0, j] = procurement
        components[1, j] = freight
        components[2, j] = path_handling[p]
        components[3, j] = duty
        components[4, j] = vat
        components[5, j] = ct
        components[6, j] = parcel
        components[7, j] = -rebate
        inbound = (
            weight * path_inbound_freight[0, p]
            + volume * path_inbound_freight[1, p]
            + path_inbound_freight[2, p]
        ) + pair_parcel_inbound[j]
        taxes_paid = duty + ct if (pair_duty_paid_stock[j] and full) else 0.0
        held_value[j] = procurement + inbound + taxes_paid
        transaction_value[j] = w
        order_value[j] = ov


def landed_cost_fused(inp: LandedInputs, out: LandedCost | None = None) -> LandedCost:
    """Price every pair of ``inp`` in one compiled, parallel pass.

    ``out`` (a :class:`LandedCost` of the right size) is written in place when
    given, to re-price without allocating (and page-faulting) new memory.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.index import build_index
    >>> from lean_chain.costs.landed import landed_inputs, landed_cost_numpy
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> inputs = landed_inputs(inst, build_index(inst))
    >>> fused, plain = landed_cost_fused(inputs), landed_cost_numpy(inputs)
    >>> bool(abs(fused.components - plain.components).max() < 1e-9)
    True
    """
    n = inp.n_pairs
    if out is None:
        out = LandedCost(np.empty((_N_COMPONENTS, n)), np.empty(n), np.empty(n), np.empty(n))
    components, held_value = out.components, out.held_value
    transaction_value, order_value = out.transaction_value, out.order_value
    if components.shape != (_N_COMPONENTS, n) or held_value.shape != (n,):
        raise ValueError(f"out must hold {n} pairs")
    _landed_kernel(
        inp.sku_procurement,
        inp.sku_retail,
        inp.sku_weight,
        inp.sku_volume,
        inp.sku_ct_rate,
        inp.sku_rebate_rate,
        inp.row_units_per_order,
        inp.row_shipping,
        np.ascontiguousarray(inp.path_freight),
        np.ascontiguousarray(inp.path_border_freight),
        np.ascontiguousarray(inp.path_inbound_freight),
        np.ascontiguousarray(inp.path_fob_freight),
        inp.path_handling,
        inp.rule_regime,
        inp.rule_duty,
        inp.rule_vat,
        inp.rule_apply_ct,
        inp.rule_cv_basis,
        inp.rule_vat_credited,
        inp.rule_cbec_factor,
        inp.rule_parcel_rate,
        inp.rule_parcel_exemption,
        inp.rule_duty_free,
        inp.rule_vat_free,
        inp.rule_taxable_share,
        inp.rule_flat_duty,
        inp.rule_flat_below,
        inp.pair_sku,
        inp.pair_path,
        inp.pair_row,
        inp.pair_rule,
        inp.pair_rebate,
        inp.pair_single_item,
        inp.pair_over_cap_duty,
        inp.pair_duty_paid_stock,
        inp.pair_parcel_freight,
        inp.pair_parcel_border,
        inp.pair_parcel_inbound,
        np.ascontiguousarray(inp.row_price, dtype=np.float64),
        components,
        held_value,
        transaction_value,
        order_value,
    )
    return out
