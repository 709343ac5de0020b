"""Carrier tariffs as carriers publish them (issue 12), on variants of tests/data/tiny.

Each test works its optimum out by hand, solves it, and checks that the evaluation core
prices the plan at the MIP objective with no violation (``solve_checked``). Unit costs
of tiny are in tests/formulation/test_rates_mip.py: A 100 units (1 kg, 0.01 m3),
B 10 units (0.5 kg, 0.001 m3); 1210 S1 -L1-> BZ -L2-> R1 (A 126.2, B 80.0588 a unit,
BZ fixed 1,000), 9610 S1 -L3-> R1 (A 148.2, B 88.0588); one channel per SKU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import chain, set_cells, solve_checked, units_by

import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.errors import InstanceError
from lean_chain.formulation.build import build_problem
from lean_chain.index import build_index

A_TAX = 0.7 * 0.13 * 200
B_TAX = 0.7 * 100 * 0.15 / 0.85 + 0.7 * (100 + 100 * 0.15 / 0.85) * 0.13
A_1210, A_9610 = 100 + 2 + 5 + 1 + A_TAX, 100 + 30 + A_TAX
B_1210, B_9610 = 50 + 1 + 5 + 1 + B_TAX, 50 + 15 + B_TAX
TINY_OPTIMUM = 100 * A_1210 + 10 * B_1210 + 1000.0  # 14,420.588
ALL_9610 = 100 * A_9610 + 10 * B_9610  # 15,700.588
REL = 1e-9
BZ_CLOSED = set_cells("node_id", "BZ", fixed_cost=1e6)


def table(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame([{k: str(v) for k, v in row.items()} for row in rows]).fillna("")


# --------------------------------------------------------------------------- 1. capacity


def test_lane_limit_per_day_splits_a_sku(make_variant):
    """L1 carries at most 0.2 kg a day = 73 kg a horizon (A alone needs 100 kg), two
    channels per SKU. Moving A to 9610 costs 22 a unit, B 8 a unit (4 a kg less of
    L1 than A's 22 a kg): B goes 9610 (+80) and A puts 73 units on 1210, 27 on 9610
    (+594): 14,420.588 + 674 = 15,094.588."""
    path = make_variant(
        tables={"lanes": set_cells("lane_id", "L1", max_kg=0.2, limit_per="day")},
        params={"max_channels_per_sku": 2},
    )
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(TINY_OPTIMUM + 674, rel=REL)
    assert units_by(plan, "sku_id", "channel_id") == pytest.approx(
        {("A", "1210"): 73.0, ("A", "9610"): 27.0, ("B", "9610"): 10.0}
    )


SERVICES = (
    # economy: flat 10 a parcel, at most 60 units a horizon
    {"rate_id": "ECO", "lane_id": "L3", "kind": "parcel", "first_charge": 10, "max_units": 60},
    # standard: flat 15 a parcel, no limit
    {"rate_id": "STD", "lane_id": "L3", "kind": "parcel", "first_charge": 15},
)


def test_service_at_its_limit_forces_a_second_carrier(make_variant):
    """L3 (lane cost 0) by ECO (10 a parcel, at most 60 units) or STD (15), BZ closed:
    60 units ECO and 50 STD: 100 (100 + 18.2) + 10 (50 + 23.0588) + 60 x 10 + 50 x 15
    = 13,900.588 (13,650.588 if ECO had no limit)."""
    path = make_variant(
        tables={
            "lanes": set_cells("lane_id", "L3", cost_per_kg=0),
            "nodes": BZ_CLOSED,
            "rates": table(*SERVICES),
        }
    )
    _, plan = solve_checked(path)
    goods = 100 * (100 + A_TAX) + 10 * (50 + B_TAX)
    assert plan.objective == pytest.approx(goods + 600 + 750, rel=REL)
    by_path = units_by(plan, "path_key")
    assert by_path["9610|L3@ECO"] == pytest.approx(60.0)
    assert by_path["9610|L3@STD"] == pytest.approx(50.0)


def test_lane_limit_that_cannot_hold_is_named_by_the_diagnosis(make_variant):
    """BZ serves only JP, so every unit goes 9610 over L3, which carries at most 50
    units: infeasible, and the diagnosis names the lane, its limit and the need."""
    from lean_chain.diagnosis import diagnose

    path = make_variant(
        tables={
            "nodes": set_cells("node_id", "BZ", serves="JP"),
            "lanes": set_cells("lane_id", "L3", max_units=50),
        }
    )
    model = build_cost_model(lean_chain.load_instance(path))
    found = diagnose(model, build_problem(model))
    assert [f.rule for f in found.findings] == ["lane_capacity"]
    finding = found.findings[0]
    assert finding.object_id == "L3"
    assert finding.message.startswith("lane L3: 50 units per horizon, the plan needs 110")


def test_core_reports_an_overloaded_lane(make_variant):
    """The tiny optimum re-priced against an L1 limit of 100 kg: 105 kg is a violation."""
    path = make_variant(tables={"lanes": set_cells("lane_id", "L1", max_kg=100)})
    inst = lean_chain.load_instance(path)
    free = lean_chain.solve(lean_chain.load_instance(make_variant()))
    evaluation = lean_chain.evaluate(inst, free)
    assert evaluation.violations == ["lane L1: 100 kg per horizon, the plan needs 105"]


# --------------------------------------------------------------------------- 2. order bands


ORDER_BANDS = table(
    {"rate_id": "OB", "min_weight_kg": 0, "rate_per_kg": 10, "min_charge": 20},
    {"rate_id": "OB", "min_weight_kg": 100, "rate_per_kg": 6, "min_charge": 8},
)


@pytest.mark.parametrize(
    ("shipments", "a_freight", "b_freight"),
    [
        # 105 kg a shipment: band +100; A max(8, 6 x 1) = 8, B max(8, 6 x 0.5) = 8
        (1, 8.0, 8.0),
        # 52.5 kg a shipment: band 0; A max(20, 10) = 20, B max(20, 5) = 20
        (2, 20.0, 20.0),
    ],
)
def test_order_band_set_by_the_lane_total_minimum_per_order(
    make_variant, shipments, a_freight, b_freight
):
    """L3 (9610, lane cost 0, BZ closed) by an order_weight_break service: the band is the
    one the lane's kg per shipment falls in, then each order (1 unit) pays the band's
    rate per kg, at least its minimum. B's 0.5 kg order pays the minimum: alone on the
    lane (5 kg) it would pay 20, with A's 100 kg the lane reaches +100 and it pays 8."""
    rate = {
        "rate_id": "OB",
        "lane_id": "L3",
        "kind": "order_weight_break",
        "shipments_per_horizon": shipments,
    }
    path = make_variant(
        tables={
            "lanes": set_cells("lane_id", "L3", cost_per_kg=0),
            "nodes": BZ_CLOSED,
            "rates": table(rate),
            "weight_breaks": ORDER_BANDS,
        }
    )
    _, plan = solve_checked(path)
    goods = 100 * (100 + A_TAX) + 10 * (50 + B_TAX)
    freight = 100 * a_freight + 10 * b_freight
    assert plan.objective == pytest.approx(goods + freight, rel=REL)
    assert plan.cost_breakdown["consolidated_freight"] == pytest.approx(freight, rel=REL)
    lane_costs = plan.tables["lane_costs"]
    row = lane_costs[lane_costs["charge"] == "order_band"].iloc[0]
    assert row["per_shipment"] == pytest.approx(105.0 / shipments)
    assert row["band_from"] == (100.0 if shipments == 1 else 0.0)


# --------------------------------------------------------------------------- 3. bands


# Consolidation instance (test_rates_mip): A 60 units (60 kg), B 100 units (50 kg), BZ and
# L2 free, L1 only by AIR, L3 (9610) at C3 per kg. Goods and taxes: 14,397.882.
GOODS = 60 * (100 + A_TAX) + 100 * (50 + B_TAX)


def consolidation(make_variant, c3: float, breaks: pd.DataFrame, **air):
    def demand(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[frame["sku_id"] == "A", "units"] = "60"
        frame.loc[frame["sku_id"] == "B", "units"] = "100"
        return frame

    return make_variant(
        tables={
            "demand": demand,
            "nodes": set_cells("node_id", "BZ", fixed_cost=0, handling_cost_per_unit=0),
            "lanes": chain(
                set_cells("lane_id", "L1", cost_per_kg=0),
                set_cells("lane_id", "L2", cost_per_unit=0),
                set_cells("lane_id", "L3", cost_per_kg=c3),
            ),
            "rates": table({"rate_id": "AIR", "lane_id": "L1", "kind": "weight_break", **air}),
            "weight_breaks": breaks,
        }
    )


def bands(*rows: tuple) -> pd.DataFrame:
    """(min kg, rate, max kg or '', minimum or '') per band of AIR."""
    return table(
        *(
            {
                "rate_id": "AIR",
                "min_weight_kg": lo,
                "rate_per_kg": r,
                "max_weight_kg": hi,
                "min_charge": m,
            }
            for lo, r, hi, m in rows
        )
    )


def test_gap_between_bands_is_not_serviceable(make_variant):
    """C3 = 8. Bands 0-40 kg at 10/kg and 120 kg up at 6/kg: 110 kg (both), 60 kg (A)
    and 50 kg (B) all fall in the gap, so AIR carries nothing: both 9610, 110 x 8 = 880.
    Without the gap (first band up to the next) both go AIR at 6 x 110 = 660."""
    gap = bands((0, 10, 40, ""), (120, 6, "", ""))
    _, plan = solve_checked(consolidation(make_variant, 8, gap))
    assert plan.objective == pytest.approx(GOODS + 880, rel=REL)
    assert set(plan.tables["flows"]["channel_id"]) == {"9610"}
    # 110 kg in the gap priced by the core: a violation, whatever it costs
    inst = lean_chain.load_instance(consolidation(make_variant, 8, gap))
    contiguous = lean_chain.load_instance(
        consolidation(make_variant, 8, bands((0, 10, "", ""), (100, 6, "", "")))
    )
    on_air = lean_chain.solve(contiguous)
    assert on_air.objective == pytest.approx(GOODS + 660, rel=REL)
    violations = lean_chain.evaluate(inst, on_air).violations
    assert violations == [
        "service L1@AIR: 110 per shipment falls in no weight band of its tariff "
        "(a gap, or above the last band)"
    ]


def test_top_band_limit_and_band_minimum(make_variant):
    """C3 = 12, AIR one band 0-100 kg at 10/kg with a band minimum of 550: both (110 kg)
    exceed the top band; A alone (60 kg): max(550, 600) = 600 + B 9610 600 = 1,200;
    B alone (50 kg): max(550, 500) = 550 + A 9610 720 = 1,270; both 9610 1,320.
    Without the limit both would fly for 1,100."""
    _, plan = solve_checked(consolidation(make_variant, 12, bands((0, 10, 100, 550))))
    assert plan.objective == pytest.approx(GOODS + 1200, rel=REL)
    assert units_by(plan, "sku_id", "channel_id") == {("A", "1210"): 60.0, ("B", "9610"): 100.0}
    _, free = solve_checked(consolidation(make_variant, 12, bands((0, 10, "", 550))))
    assert free.objective == pytest.approx(GOODS + 1100, rel=REL)


@pytest.mark.parametrize(
    ("rows", "bad"),
    [
        # the first band ends at 150 kg, after the second starts at 100
        (((0, 10, 150, ""), (100, 6, "", "")), [(2, "max_weight_kg", "row 3")]),
        # two bands start at 100 kg
        (((0, 10, "", ""), (100, 6, "", ""), (100, 5, "", "")), [(4, "min_weight_kg", "row 3")]),
        # a band ending below its start
        (((0, 10, "", ""), (100, 6, 50, "")), [(3, "max_weight_kg", "min_weight_kg (100)")]),
    ],
)
def test_overlapping_or_duplicate_bands_are_errors_naming_rows(make_variant, rows, bad):
    path = consolidation(make_variant, 8, bands(*rows))
    with pytest.raises(InstanceError) as caught:
        lean_chain.load_instance(path)
    issues = [i for i in caught.value.issues if i.file == "weight_breaks.csv"]
    found = [(i.row, i.column) for i in issues]
    for row, column, text in bad:
        assert (row, column) in found
        assert any(text in i.expected for i in issues if (i.row, i.column) == (row, column))


# --------------------------------------------------------------------------- 4. restrictions


def test_demand_row_restricted_to_a_channel(make_variant):
    """B in R1 accepts only 9610: A 1210 + B 9610 = 14,500.588; one pair dropped."""
    path = make_variant(tables={"demand": set_cells("sku_id", "B", allowed_channels="9610")})
    inst, plan = solve_checked(path)
    assert plan.objective == pytest.approx(100 * A_1210 + 10 * B_9610 + 1000, rel=REL)
    assert build_index(inst).pairs.dropped["service_not_allowed"] == 1


def test_region_restricted_to_a_service_level(make_variant):
    """R1 accepts door-to-door only; L3 offers ECO (10 a parcel, door to port) and STD
    (15, door to door), BZ closed: ECO is dropped, all STD: 13,320 + 880.588."""
    path = make_variant(
        tables={
            "lanes": set_cells("lane_id", "L3", cost_per_kg=0),
            "nodes": chain(
                BZ_CLOSED, set_cells("node_id", "R1", allowed_service_levels="door_to_door")
            ),
            "rates": table(
                {
                    "rate_id": "ECO",
                    "lane_id": "L3",
                    "kind": "parcel",
                    "first_charge": 10,
                    "service_level": "door_to_port",
                    "carrier": "YunExpress",
                },
                {
                    "rate_id": "STD",
                    "lane_id": "L3",
                    "kind": "parcel",
                    "first_charge": 15,
                    "service_level": "door_to_door",
                    "carrier": "SF",
                },
            ),
        }
    )
    inst, plan = solve_checked(path)
    assert plan.objective == pytest.approx(
        100 * (100 + 15 + A_TAX) + 10 * (50 + 15 + B_TAX), rel=REL
    )
    assert set(plan.tables["flows"]["path_key"]) == {"9610|L3@STD"}
    assert build_index(inst).pairs.dropped["service_not_allowed"] == 2


def test_restriction_to_an_unknown_channel_is_an_error(make_variant):
    path = make_variant(tables={"demand": set_cells("sku_id", "B", allowed_channels="9601")})
    with pytest.raises(InstanceError, match="allowed_channels"):
        lean_chain.load_instance(path)


# --------------------------------------------------------------------------- 5. loads per shipment


@pytest.mark.parametrize(("shipments", "extra"), [(52, 52 * 5.0), (1, 100.0)])
def test_lcl_beats_fcl_when_loads_are_counted_per_shipment(make_variant, shipments, extra):
    """L1 by LCL (100/m3, minimum 5 a shipment) or FCL (30 m3 at 100 a container), both
    ``shipments`` a horizon; 1210 carries 1.01 m3. 52 shipments of 0.0194 m3: LCL
    52 x 5 = 260 < FCL 52 x 100 = 5,200. One shipment: LCL 101 > FCL 100."""
    rates = table(
        {
            "rate_id": "LCL",
            "lane_id": "L1",
            "kind": "per_m3",
            "cost_per_m3": 100,
            "min_charge": 5,
            "shipments_per_horizon": shipments,
        },
        {
            "rate_id": "FCL",
            "lane_id": "L1",
            "kind": "container",
            "capacity_m3": 30,
            "cost_per_load": 100,
            "shipments_per_horizon": shipments,
        },
    )
    _, plan = solve_checked(make_variant(tables={"rates": rates}))
    assert plan.objective == pytest.approx(TINY_OPTIMUM + extra, rel=REL)
    expected = "1210|L1@LCL>L2" if shipments > 1 else "1210|L1@FCL>L2"
    assert set(plan.tables["flows"]["path_key"]) == {expected}


def test_containers_are_counted_per_shipment(make_variant):
    """FCL only, 1 m3 containers at 100, 4 shipments: 1.01 m3 a horizon is 0.2525 m3 a
    shipment, one container each: 4 x 100 = 400 (not 2 x 100)."""
    rates = table(
        {
            "rate_id": "FCL",
            "lane_id": "L1",
            "kind": "container",
            "capacity_m3": 1,
            "cost_per_load": 100,
            "shipments_per_horizon": 4,
        },
    )
    _, plan = solve_checked(make_variant(tables={"rates": rates}))
    assert plan.objective == pytest.approx(TINY_OPTIMUM + 400, rel=REL)
    row = plan.tables["containers"].iloc[0]
    assert (row["containers"], row["shipments"]) == (1, 4)


# --------------------------------------------------------------------------- 6. weightless


def test_weightless_item(make_variant):
    """B weighs 0 kg (a gift card): per-kg freight charges it nothing, so 1210 costs
    50 + 5 + 1 + 23.0588 = 79.0588 (L2's 5 a unit and BZ handling remain) and 9610
    (30/kg) 50 + 23.0588 = 73.0588: B goes 9610: 12,620 + 730.588 + 1,000 = 14,350.588."""
    path = make_variant(tables={"skus": set_cells("sku_id", "B", weight_kg=0)})
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(100 * A_1210 + 10 * (50 + B_TAX) + 1000, rel=REL)
    assert units_by(plan, "sku_id", "channel_id") == {("A", "1210"): 100.0, ("B", "9610"): 10.0}


# --------------------------------------------------------------------------- 7. tax rules


def test_missing_tax_rule_drops_the_path_not_the_instance(make_variant):
    """No 9610 rule for cosmetics (B): 9610 is closed to B, not an error; B stays on 1210
    and the optimum is tiny's."""
    rules = lambda f: pd.concat(  # noqa: E731
        [f[f["channel_id"] != "9610"], f[f["channel_id"] == "9610"].assign(category="electronics")]
    )
    inst, plan = solve_checked(make_variant(tables={"tax_rules": rules}))
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=REL)
    assert build_index(inst).pairs.dropped["no_tax_rule"] == 1


# --------------------------------------------------------------------------- 8. cleaning


def test_cleaning_drops_dust_under_a_minimum_charge(make_variant):
    """C3 = 5: both 9610 (550); AIR (minimum 300) unused. A solver vector that leaves
    3.5e-7 of A's demand on AIR without choosing a piece (within its tolerance) must not
    be charged AIR's minimum: the cleaned plan costs no more than the vector."""
    from lean_chain.costs.evaluate import evaluate_decisions
    from lean_chain.formulation.solution import decode, encode

    path = consolidation(make_variant, 5, bands((0, 10, "", ""), (100, 6, "", "")), min_charge=300)
    inst, plan = solve_checked(path)
    model = build_cost_model(inst)
    problem = build_problem(model)
    vector = encode(problem, model, plan.decisions)
    pairs, paths = model.index.pairs, model.index.paths
    key = paths.key[pairs.path]
    a = model.index.sku_pos["A"]
    on_air = np.flatnonzero((pairs.sku == a) & (key == "1210|L1@AIR>L2"))[0]
    direct = np.flatnonzero((pairs.sku == a) & (key == "9610|L3"))[0]
    x = problem.col_blocks["x"]
    vector[x.start + on_air] += 3.5e-7
    vector[x.start + direct] -= 3.5e-7
    decisions = decode(problem, model, vector)
    assert decisions.share[on_air] == 0.0
    priced = evaluate_decisions(model, decisions)
    assert priced.objective <= float(problem.objective @ vector + problem.offset) + 1e-9
    assert priced.cost_breakdown["consolidated_freight"] == 0.0
    assert priced.violations == []
