"""The constraint families of :mod:`lean_chain.costs.constraints`: one rule, two forms.

Per family, a plan on a variant of tests/data/tiny that breaks the rule and the
sentence that names it (no solve: plans are written by hand). Pairs of tiny, in
order: A by 1210 (through BZ), A by 9610, B by 1210, B by 9610; A 100 units, 1 kg,
0.01 m3; B 10 units, 0.5 kg, 0.001 m3. Then the registry: it drives the MIP (the tiny
MIP row by row), the plan check and the diagnosis, and a family registered in a
test only both adds its rows and checks plans, touching nothing else.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

import lean_chain
from lean_chain.costs import constraints
from lean_chain.costs.constraints import (
    FAMILIES,
    ConstraintFamily,
    channel,
    containers,
    demand,
    fixed_charge,
    lane_capacity,
    limit_rows,
    listing,
    node_flow,
    order_band,
    piecewise,
    quota,
    service,
    stocking,
    storage,
)
from lean_chain.costs.constraints.findings import SlackFinding
from lean_chain.costs.evaluate import (
    Decisions,
    check_feasibility,
    decisions_from_shares,
    on_hand_stock,
)
from lean_chain.costs.model import CostModel, build_cost_model
from lean_chain.formulation.build import build_coupling_problem, build_problem
from tests.conftest import TINY, set_cells
from tests.formulation.test_tariffs_mip import bands, consolidation, table

A_1210, A_9610, B_1210, B_9610 = 0, 1, 2, 3
BY_1210 = np.array([1.0, 0.0, 1.0, 0.0])
BY_9610 = np.array([0.0, 1.0, 0.0, 1.0])


def model_of(folder: Path, objective: str = "cost") -> CostModel:
    return build_cost_model(lean_chain.load_instance(folder), objective=objective)


def plan(model: CostModel, share: np.ndarray, **changes) -> Decisions:
    """The cheapest decisions for ``share``, with ``changes`` (e.g. ``node_open=...``)."""
    decisions = decisions_from_shares(model, np.asarray(share, dtype=np.float64))
    return dataclasses.replace(decisions, **changes)


def broken(family: ConstraintFamily, model: CostModel, decisions: Decisions) -> list[str]:
    """What ``family`` finds; the plan check as a whole finds the same sentences."""
    on_hand = on_hand_stock(model, decisions)
    found = family.violations(model, decisions, on_hand)
    everything = check_feasibility(model, decisions, on_hand)
    assert all(sentence in everything for sentence in found)
    return found


@pytest.fixture(scope="module")
def tiny() -> CostModel:
    return model_of(TINY)


# --------------------------------------------------------------------------- per family


def test_tiny_optimum_breaks_nothing(tiny):
    assert (
        check_feasibility(tiny, plan(tiny, BY_1210), on_hand_stock(tiny, plan(tiny, BY_1210))) == []
    )


def test_demand(tiny):
    assert broken(demand.FAMILY, tiny, plan(tiny, np.zeros(4))) == [
        "demand of A in R1 served at 0 of 1",
        "demand of B in R1 served at 0 of 1",
    ]
    assert broken(demand.FAMILY, tiny, plan(tiny, [1.5, 0, 1, 0])) == [
        "demand of A in R1 served at 1.5 of 1",
        "a flow share lies outside [0, 1]",
    ]


def test_listing_minimum_fill(tmp_path):
    folder = tmp_path / "platforms"
    shutil.copytree(TINY, folder)
    (folder / "platforms.csv").write_text(
        "platform_id,kind,annual_fee,listing_fee,payment_fee_rate,fee_per_order,min_fill_rate\n"
        "MKT,marketplace,0,0,0,0,0.5\n"
    )
    (folder / "demand.csv").write_text(
        "sku_id,region_id,units,platform_id\nA,R1,100,MKT\nB,R1,10,MKT\n"
    )
    model = model_of(folder, "profit")
    assert broken(listing.FAMILY, model, plan(model, [0, 0, 1, 0])) == [
        "platform MKT: fill rate 0.0909 < its minimum 0.5"
    ]
    assert broken(listing.FAMILY, model, plan(model, [1, 0, 1, 0])) == []
    assert broken(listing.FAMILY, model, plan(model, np.zeros(4))) == []  # closed: no minimum


def test_channel(tiny):
    unmarked = plan(tiny, BY_1210, channel_used=np.zeros(4, dtype=bool))
    assert broken(channel.FAMILY, tiny, unmarked) == [
        "A ships through channel 1210 not marked used",
        "B ships through channel 1210 not marked used",
    ]
    both = plan(tiny, [0.5, 0.5, 1, 0])
    assert broken(channel.FAMILY, tiny, both) == ["A uses 2 channels, more than 1"]


def test_stocking(tiny):
    assert broken(stocking.FAMILY, tiny, plan(tiny, BY_1210, stocked=np.zeros(2, bool))) == [
        "A ships from BZ where it is not stocked",
        "B ships from BZ where it is not stocked",
    ]
    assert broken(stocking.FAMILY, tiny, plan(tiny, BY_1210, node_open=np.zeros(1, bool))) == [
        "A stocked at closed node BZ",
        "B stocked at closed node BZ",
    ]


def test_node_capacities(make_variant):
    """Review period 73 days: A keeps 10 units (0.1 m3) on hand at BZ, B 1 (0.001 m3)."""
    nodes = set_cells(
        "node_id",
        "BZ",
        storage_capacity_m3=0.05,
        throughput_capacity_units=60,
        orders_per_day_capacity=0.1,
    )
    model = model_of(make_variant(tables={"nodes": nodes}, params={"review_period_days": 73}))
    full = plan(model, BY_1210)
    assert broken(storage.FAMILY, model, full) == ["storage at BZ: 0.101 m3 > 0.05 m3"]
    assert broken(node_flow.THROUGHPUT, model, full) == ["throughput at BZ: 110 units > 60"]
    assert broken(node_flow.ORDERS, model, full) == ["orders at BZ: 0.30137 a day > 0.1"]
    assert all(
        broken(f, model, plan(model, BY_9610)) == [] for f in (storage.FAMILY, node_flow.ORDERS)
    )


def test_a_closed_node_has_no_capacity(tiny):
    closed = plan(tiny, BY_1210, node_open=np.zeros(1, bool))
    assert broken(node_flow.THROUGHPUT, tiny, closed) == ["throughput at BZ: 110 units > 0"]


def test_service(make_variant):
    """1210 delivers from stock at BZ in 2 days, 9610 from Japan in 8: a 5-day target of
    95 % needs 1210."""
    nodes = set_cells("node_id", "R1", service_days=5, service_share=0.95)
    model = model_of(make_variant(tables={"nodes": nodes}))
    assert broken(service.FAMILY, model, plan(model, BY_9610)) == [
        "service in R1: 0.0000 within 5 days < 0.95"
    ]
    assert broken(service.FAMILY, model, plan(model, BY_1210)) == []


def test_quota(make_variant):
    """Quota 1 x 36,000 x 182.5 / 365 = 18,000; transaction value 100 x 200 + 10 x 100."""
    nodes = set_cells("node_id", "R1", consumers=1)
    params = {"horizon_days": 182.5, "cbec_annual_limit_per_person": 36000}
    model = model_of(make_variant(tables={"nodes": nodes}, params=params))
    assert broken(quota.FAMILY, model, plan(model, BY_1210)) == [
        "CBEC quota in R1: 21000.00 > 18000.00"
    ]


def test_containers(make_variant):
    """L1 in containers of 0.5 m3: A and B put 1.01 m3 on it, three containers' worth."""
    lanes = set_cells("lane_id", "L1", container_m3=0.5, cost_per_container=100)
    model = model_of(make_variant(tables={"lanes": lanes}))
    assert broken(containers.FAMILY, model, plan(model, BY_1210)) == []
    short = plan(model, BY_1210, containers=np.array([2.0]))
    (sentence,) = broken(containers.FAMILY, model, short)
    assert sentence.startswith("lane L1") and "carries 1.01 m3" in sentence


def test_piecewise_gap(make_variant):
    """Weight bands 0-40 kg and 120 kg up on L1: its 110 kg fall in the gap."""
    model = model_of(consolidation(make_variant, 8, bands((0, 10, 40, ""), (120, 6, "", ""))))
    assert broken(piecewise.FAMILY, model, plan(model, BY_1210)) == [
        "service L1@AIR: 110 per shipment falls in no weight band of its tariff "
        "(a gap, or above the last band)"
    ]


def test_order_band_gap(make_variant):
    """Order bands 0-40 kg and 100 kg up on L3, two shipments: 52.5 kg each, in the gap."""
    rate = {"rate_id": "OB", "lane_id": "L3", "kind": "order_weight_break"}
    breaks = table(
        {"rate_id": "OB", "min_weight_kg": 0, "rate_per_kg": 10, "max_weight_kg": 40},
        {"rate_id": "OB", "min_weight_kg": 100, "rate_per_kg": 6, "max_weight_kg": ""},
    )
    folder = make_variant(
        tables={
            "lanes": set_cells("lane_id", "L3", cost_per_kg=0),
            "rates": table({**rate, "shipments_per_horizon": 2}),
            "weight_breaks": breaks,
        }
    )
    model = model_of(folder)
    assert broken(order_band.FAMILY, model, plan(model, BY_9610)) == [
        "service L3@OB: 52.5 kg per shipment falls in no weight band of its tariff "
        "(a gap, or above the last band)"
    ]


def test_lane_capacity(make_variant):
    model = model_of(make_variant(tables={"lanes": set_cells("lane_id", "L1", max_kg=100)}))
    assert broken(lane_capacity.FAMILY, model, plan(model, BY_1210)) == [
        "lane L1: 100 kg per horizon, the plan needs 105"
    ]


def test_fixed_charge_cannot_be_broken(make_variant):
    """The evaluation pays every fixed charge a plan's flow needs: nothing to check."""
    rate = {"rate_id": "FX", "lane_id": "L3", "kind": "parcel", "fixed_per_shipment": 50}
    folder = make_variant(tables={"rates": table(rate)})
    model = model_of(folder)
    assert "fixed_charge" in build_problem(model).row_blocks
    assert broken(fixed_charge.FAMILY, model, plan(model, BY_9610)) == []


# --------------------------------------------------------------------------- the registry


def test_tiny_mip_row_by_row(tiny):
    """The registry builds tiny's MIP exactly as the steps did before it (x: the four
    pairs, y: the four (SKU, channel) uses, s: A and B stocked at BZ, z: BZ open)."""
    problem = build_problem(tiny)
    assert {k: (v.start, v.stop) for k, v in problem.row_blocks.items()} == {
        "demand": (0, 2),
        "channel_link": (2, 6),
        "max_channels": (6, 8),
        "stock_link": (8, 10),
        "open_link": (10, 12),
    }
    rows = [
        ({0: 1, 1: 1}, 1, 1),
        ({2: 1, 3: 1}, 1, 1),
        ({0: 1, 4: -1}, -np.inf, 0),
        ({1: 1, 5: -1}, -np.inf, 0),
        ({2: 1, 6: -1}, -np.inf, 0),
        ({3: 1, 7: -1}, -np.inf, 0),
        ({4: 1, 5: 1}, -np.inf, 1),
        ({6: 1, 7: 1}, -np.inf, 1),
        ({0: 1, 8: -1}, -np.inf, 0),
        ({2: 1, 9: -1}, -np.inf, 0),
        ({8: 1, 10: -1}, -np.inf, 0),
        ({9: 1, 10: -1}, -np.inf, 0),
    ]
    expected = np.zeros((len(rows), problem.n_cols))
    for i, (coefficients, _, _) in enumerate(rows):
        for j, value in coefficients.items():
            expected[i, j] = value
    np.testing.assert_array_equal(problem.matrix.toarray(), expected)
    np.testing.assert_array_equal(problem.row_lower, [r[1] for r in rows])
    np.testing.assert_array_equal(problem.row_upper, [r[2] for r in rows])
    assert problem.row_objects["max_channels"][0] == "sku"


def test_every_row_block_belongs_to_one_family_in_registry_order():
    model = model_of(Path("instances/cn_import"))
    problem = build_problem(model)
    owner = {row: f.name for f in FAMILIES for row in f.rows}
    assert len(owner) == sum(len(f.rows) for f in FAMILIES)  # no block in two families
    order = [f.name for f in FAMILIES]
    seen = [owner[name] for name in problem.row_blocks]
    assert seen == sorted(seen, key=order.index)
    assert set(limit_rows()) <= set(owner)
    coupling = {f.name for f in FAMILIES if f.coupling}
    assert list(build_coupling_problem(model).row_blocks) == [
        name for name in problem.row_blocks if owner[name] in coupling
    ]


def _dummy_family(channel_id: str) -> ConstraintFamily:
    """A rule no instance has: at most 50 units through channel ``channel_id``."""

    def on_channel(model):
        ids = model.instance.channels["channel_id"].astype(str).to_numpy()
        return ids[model.index.pairs.channel] == channel_id

    def define_dummy_rows(b, model):
        """Units through the channel <= 50."""
        pairs = np.flatnonzero(on_channel(model))
        b.add_rows(
            "dummy",
            1,
            np.zeros(len(pairs), dtype=np.int64),
            b.col_blocks["x"].start + pairs,
            model.demand_units[pairs],
            -np.inf,
            50.0,
        )

    def dummy_violations(model, decisions, on_hand):
        units = float(model.demand_units @ (decisions.share * on_channel(model)))
        return [f"{channel_id} carries {units:g} units > 50"] if units > 50 else []

    def explain_dummy_slack(namer, gave):
        needed = gave.upper + gave.slack
        message = f"{channel_id} may carry 50 units, {needed:g} must go that way"
        return SlackFinding(gave.upper, needed, gave.unit, message)

    return ConstraintFamily(
        "dummy",
        define_dummy_rows,
        dummy_violations,
        rows=("dummy",),
        limits={"dummy": "units"},
        coupling=True,
        explain_slack=explain_dummy_slack,
    )


def test_a_family_registered_in_a_test_builds_checks_and_binds(tiny, monkeypatch):
    """At most 50 units by 1210, one channel per SKU: A (100 units) and then B by 9610."""
    monkeypatch.setattr(constraints, "FAMILIES", (*FAMILIES, _dummy_family("1210")))
    problem = build_problem(tiny)
    assert problem.row_blocks["dummy"] == slice(12, 13)
    assert problem.matrix[12, problem.col_blocks["x"]].toarray().ravel().tolist() == [
        100.0,
        0.0,
        10.0,
        0.0,
    ]
    assert "dummy" in build_coupling_problem(tiny).row_blocks
    assert limit_rows()["dummy"] == "units"
    optimum = plan(tiny, BY_1210)
    assert check_feasibility(tiny, optimum, on_hand_stock(tiny, optimum)) == [
        "1210 carries 110 units > 50"
    ]
    inst = lean_chain.load_instance(TINY)
    solved = lean_chain.solve(inst)
    # both by 9610 (tests/formulation/test_constraints.py: ALL_9610) instead of 14,420.588
    assert solved.objective == pytest.approx(15700.588235294117, rel=1e-9)
    assert set(solved.tables["flows"]["channel_id"]) == {"9610"}
    assert lean_chain.evaluate(inst, solved).violations == []


def test_the_diagnosis_reads_limits_from_the_registry(make_variant, monkeypatch):
    """BZ serves only JP, so A and B must take 9610, where the dummy rule allows 50 units:
    that rule has to give, by the 60 units it lacks, and says so in its own words."""
    from lean_chain.diagnosis import diagnose

    monkeypatch.setattr(constraints, "FAMILIES", (*FAMILIES, _dummy_family("9610")))
    folder = make_variant(tables={"nodes": set_cells("node_id", "BZ", serves="JP")})
    model = model_of(folder)
    found = diagnose(model, build_problem(model))
    assert [(f.rule, f.unit, f.needed) for f in found.findings] == [
        ("dummy", "units", pytest.approx(110.0))
    ]
    assert found.findings[0].message == "9610 may carry 50 units, 110 must go that way"


def test_families_have_distinct_names_and_documented_modules():
    names = [f.name for f in FAMILIES]
    assert len(names) == len(set(names))
    for family in FAMILIES:
        assert family.define.__doc__ and family.define.__name__.startswith("define_")
