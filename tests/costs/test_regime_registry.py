"""A new tax regime is one function plus one registry entry in one module.

The dummy regime below (a flat 10 % duty on the transaction value) exists in
this test only: it is registered in ``lean_chain.model.regimes.REGIMES`` and
nothing else changes, yet both kernels price it, to the same bits and to the
value worked by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from lean_chain.costs.kernels import fused_kernel, landed_cost_fused
from lean_chain.costs.landed import landed_cost_numpy
from lean_chain.costs.pricing import (
    COMPONENTS,
    PAIR_FIELDS,
    PATH_FIELDS,
    ROW,
    ROW_FIELDS,
    SKU,
    SKU_FIELDS,
    LandedInputs,
    pack,
    pair_arrays,
)
from lean_chain.model import regimes
from lean_chain.model.regimes import RULE, RULE_FIELDS, select


def flat_duty_10(rule, base):
    """10 % duty on w, no VAT; paid at import (so it enters duty-paid stock)."""
    return 0.1 * base.w, 0.0, 0.0, 0.0, True


def table(fields, n=1, **values):
    return pack(fields, **{f: values.get(f, np.zeros(n)) for f in fields})


def one_pair(regime: int, **pair) -> LandedInputs:
    """One SKU (procurement 100, 1 kg), one row (price 200, 2 units, shipping 20 per order),
    one path (freight 5 per kg, handling 1), one rule (the given regime)."""
    defaults = {f: np.zeros(1) for f in PAIR_FIELDS}
    defaults.update({k: np.asarray([v]) for k, v in pair.items()})
    return LandedInputs.build(
        sku=table(SKU_FIELDS, procurement_cost=[100.0], weight_kg=[1.0]),
        row=table(ROW_FIELDS, price=[200.0], units_per_order=[2.0], shipping_per_order=[20.0]),
        path=table(PATH_FIELDS, freight_per_kg=[5.0], handling_per_unit=[1.0]),
        rule=table(RULE_FIELDS, regime=[regime], duty_rate=[0.3], vat_rate=[0.2]),
        pair=pair_arrays(**defaults),
    )


@pytest.fixture
def registered(monkeypatch):
    monkeypatch.setitem(regimes.REGIMES, "flat_duty_10", flat_duty_10)
    return regimes.regime_codes()["flat_duty_10"]


def test_new_regime_gets_the_next_code(registered):
    assert registered == len(regimes.REGIME_CODES)


def test_both_kernels_price_a_new_regime_by_hand(registered):
    """w = 200 + 20 / 2 = 210; duty = 21; held value (duty-paid stock) = 100 + 21."""
    inputs = one_pair(registered, duty_paid_stock=True)
    fused, plain = landed_cost_fused(inputs), landed_cost_numpy(inputs)
    for cost in (fused, plain):
        got = dict(zip(COMPONENTS, cost.components[:, 0], strict=True))
        assert got["duty"] == pytest.approx(21.0, rel=1e-15)
        assert got["vat"] == got["consumption_tax"] == got["parcel_tax"] == 0.0
        assert got["procurement"] == 100.0 and got["freight"] == 5.0 and got["handling"] == 1.0
        assert cost.transaction_value[0] == 210.0
        assert cost.held_value[0] == pytest.approx(121.0, rel=1e-15)
    assert np.array_equal(fused.components, plain.components)
    assert np.array_equal(fused.held_value, plain.held_value)


def test_a_new_regime_runs_beside_the_builtin_ones(registered):
    """Many pairs under every regime, the new one among them: same bits both ways."""
    rng = np.random.default_rng(3)
    n, n_rules = 2_000, 2 * len(regimes.REGIMES)
    base = one_pair(0)
    rule = np.repeat(base.rule, n_rules, axis=0)
    rule[:, RULE.regime] = np.arange(n_rules) % len(regimes.REGIMES)
    rule[:, RULE.cbec_tax_factor] = 0.7
    rule[:, RULE.parcel_tax_rate] = 0.13
    rule[:, RULE.parcel_tax_exemption] = 50.0
    rule[:, RULE.duty_free_threshold] = rng.uniform(0, 400, n_rules)
    rule[:, RULE.taxable_value_share] = 1.0
    rule[:, RULE.apply_consumption_tax] = 1.0
    sku = np.repeat(base.sku, 3, axis=0)
    sku[:, SKU.consumption_tax_rate] = (0.0, 0.15, 0.3)
    row = np.repeat(base.row, 50, axis=0)
    row[:, ROW.price] = rng.uniform(10, 900, 50)
    pairs = {f: np.zeros(n) for f in PAIR_FIELDS}
    pairs.update(
        sku=rng.integers(0, 3, n),
        row=rng.integers(0, 50, n),
        rule=rng.integers(0, n_rules, n),
        single_item_over_cap=rng.random(n) < 0.3,
        duty_paid_stock=rng.random(n) < 0.5,
        earns_rebate=rng.random(n) < 0.5,
        over_cap_duty_rate=np.full(n, 0.1),
    )
    inputs = LandedInputs.build(sku, row, base.path, rule, pair_arrays(**pairs))
    fused, plain = landed_cost_fused(inputs), landed_cost_numpy(inputs)
    assert np.array_equal(fused.components, plain.components)
    assert np.array_equal(fused.held_value, plain.held_value)
    new = inputs.rule[inputs.pair.rule, RULE.regime] == registered
    assert new.any()
    np.testing.assert_array_equal(fused.component("duty")[new], 0.1 * fused.transaction_value[new])


def test_registry_change_builds_its_own_kernel(monkeypatch):
    builtin = fused_kernel()
    monkeypatch.setitem(regimes.REGIMES, "flat_duty_10", flat_duty_10)
    assert fused_kernel() is not builtin
    monkeypatch.undo()
    assert fused_kernel() is builtin


def test_select_reads_the_same_on_arrays():
    assert select(np.array([True, False]), 1.0, 2.0).tolist() == [1.0, 2.0]
