"""The kernel order: a schedule of the pairs by regime within blocks, never a change of result."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lean_chain.costs.kernels import landed_cost_fused
from lean_chain.costs.landed import landed_cost_numpy
from lean_chain.costs.pricing import (
    KERNEL_BLOCK,
    PAIR_FIELDS,
    PATH_FIELDS,
    ROW_FIELDS,
    SKU_FIELDS,
    LandedInputs,
    kernel_order,
    pack,
    pair_arrays,
)
from lean_chain.model import regimes
from lean_chain.model.regimes import RULE, RULE_FIELDS

OUTPUTS = ("components", "held_value", "transaction_value", "order_value")


def random_inputs(n: int, seed: int = 0) -> LandedInputs:
    """``n`` pairs over every regime (and one code not registered), drawn at random."""
    rng = np.random.default_rng(seed)
    n_rules = 3 * (len(regimes.REGIMES) + 1)

    def table(fields, rows, **values):
        return pack(fields, **{f: values.get(f, rng.uniform(0, 1, rows)) for f in fields})

    rule = table(
        RULE_FIELDS,
        n_rules,
        regime=np.arange(n_rules) % (len(regimes.REGIMES) + 1),  # the last: not registered
        customs_value_basis=rng.integers(0, 3, n_rules),
        vat_credited=rng.random(n_rules) < 0.5,
        apply_consumption_tax=rng.random(n_rules) < 0.5,
        duty_free_threshold=rng.uniform(0, 400, n_rules),
        vat_free_threshold=rng.uniform(0, 400, n_rules),
        flat_duty_below=rng.uniform(0, 400, n_rules),
    )
    pairs = {f: np.zeros(n) for f in PAIR_FIELDS}
    pairs.update(
        sku=rng.integers(0, 7, n),
        row=rng.integers(0, 11, n),
        path=rng.integers(0, 5, n),
        rule=rng.integers(0, n_rules, n),
        single_item_over_cap=rng.random(n) < 0.2,
        duty_paid_stock=rng.random(n) < 0.5,
        earns_rebate=rng.random(n) < 0.5,
        over_cap_duty_rate=rng.choice([0.1, 0.2], n),
        parcel_freight=np.where(rng.random(n) < 0.3, rng.uniform(1, 9, n), 0.0),
    )
    row = table(ROW_FIELDS, 11, units_per_order=rng.integers(1, 4, 11).astype(float))
    sku = table(SKU_FIELDS, 7, consumption_tax_rate=rng.choice([0.0, 0.15], 7))
    return LandedInputs.build(sku, row, table(PATH_FIELDS, 5), rule, pair_arrays(**pairs))


def regime_of(inputs: LandedInputs) -> np.ndarray:
    code = inputs.rule[inputs.pair.rule, RULE.regime]
    return np.where(code < len(regimes.REGIMES), code, len(regimes.REGIMES))


@pytest.mark.parametrize("n", [1, KERNEL_BLOCK, 3 * KERNEL_BLOCK + 17])
def test_each_block_is_its_pairs_grouped_by_regime_in_their_order(n):
    inputs = random_inputs(n)
    order, regime = inputs.pair.order.astype(np.int64), regime_of(inputs)
    for lo in range(0, n, KERNEL_BLOCK):
        block = order[lo : lo + KERNEL_BLOCK]
        assert sorted(block.tolist()) == list(range(len(block)))  # each pair once
        expected = np.argsort(regime[lo : lo + KERNEL_BLOCK], kind="stable")
        np.testing.assert_array_equal(block, expected)


def test_the_order_changes_no_bit():
    """Priced in the kernel order, in the pairs' own order, and by numpy: the same bits."""
    inputs = random_inputs(5 * KERNEL_BLOCK + 3, seed=1)
    own = np.tile(np.arange(KERNEL_BLOCK, dtype=np.uint8), 6)[: inputs.n_pairs]
    in_order = dataclasses.replace(inputs, pair=inputs.pair._replace(order=own))
    fused, plain, unordered = (
        landed_cost_fused(inputs),
        landed_cost_numpy(inputs),
        landed_cost_fused(in_order),
    )
    for name in OUTPUTS:
        np.testing.assert_array_equal(getattr(fused, name), getattr(plain, name))
        np.testing.assert_array_equal(getattr(fused, name), getattr(unordered, name))


def test_kernel_order_into_out():
    rule = np.zeros((2, len(RULE_FIELDS)))
    rule[0, RULE.regime] = 2.0
    out = np.empty(4, dtype=np.uint8)
    assert kernel_order(rule, np.array([0, 1, 0, 1]), out=out) is out
    assert out.tolist() == [1, 3, 0, 2]  # regime 0 (rule 1) first


def test_negative_index_is_refused():
    inputs = dict.fromkeys(PAIR_FIELDS, np.zeros(2)) | {"sku": np.array([0, -1])}
    tables = [np.zeros((1, len(f))) for f in (SKU_FIELDS, ROW_FIELDS, PATH_FIELDS, RULE_FIELDS)]
    with pytest.raises(ValueError, match="sku"):
        LandedInputs.build(*tables, pair_arrays(**inputs))
