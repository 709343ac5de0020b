"""Carrier rates, consolidation and stocking-node rules in the MIP, on variants of tiny.

Each test builds a small variant of tests/data/tiny, works its optimum out by hand,
solves it, and checks that the evaluation core prices the plan at the MIP objective
with no violation.

Unit costs of tiny (tests/test_api.py): supplier S1 (JP), bonded zone BZ (fixed
1,000, handling 1/unit), province R1 (CN); channel 1210 S1 -L1-> BZ -L2-> R1 (sea
2/kg, 10 d; truck 5/unit, 2 d), channel 9610 S1 -L3-> R1 (express 30/kg, 8 d); both
CBEC retail with the tax on w = retail price (units per order and freight do not
change it).

- A: 100 units, procurement 100, 1 kg, 0.01 m3, tax 18.2: 1210 126.2/unit, 9610 148.2.
- B: 10 units, procurement 50, 0.5 kg, 0.001 m3, tax 23.0588: 1210 80.0588, 9610 88.0588.
- Both 1210: 14,420.588 (the optimum); A 1210 + B 9610: 14,500.588; both 9610:
  15,700.588. One channel per SKU (max_channels_per_sku 1), so a SKU never splits
  between 1210 and 9610.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import chain, set_cells, solve_checked, units_by

import lean_chain
from lean_chain.costs.landed import landed_cost
from lean_chain.index import build_index

A_TAX = 0.7 * 0.13 * 200  # 18.2
B_TAX = 0.7 * 100 * 0.15 / 0.85 + 0.7 * (100 + 100 * 0.15 / 0.85) * 0.13  # 23.0588
A_1210 = 100 + 2 * 1.0 + 5 + 1 + A_TAX  # 126.2
A_9610 = 100 + 30 * 1.0 + A_TAX  # 148.2
B_1210 = 50 + 2 * 0.5 + 5 + 1 + B_TAX  # 80.0588
B_9610 = 50 + 30 * 0.5 + B_TAX  # 88.0588
BZ_FIXED = 1000.0
TINY_OPTIMUM = 100 * A_1210 + 10 * B_1210 + BZ_FIXED  # 14,420.588
A_1210_B_9610 = 100 * A_1210 + 10 * B_9610 + BZ_FIXED  # 14,500.588
ALL_9610 = 100 * A_9610 + 10 * B_9610  # 15,700.588

REL = 1e-9


# --------------------------------------------------------------------------- helpers


def table(*rows: dict[str, object]) -> pd.DataFrame:
    """A new table (rates.csv, weight_breaks.csv): missing cells are blank."""
    return pd.DataFrame([{k: str(v) for k, v in row.items()} for row in rows]).fillna("")


def path_of(plan, sku: str) -> set[str]:
    flows = plan.tables["flows"]
    return set(flows.loc[(flows["sku_id"] == sku) & (flows["units"] > 1e-9), "path_key"])


def pair_component(inst, sku: str, path_key: str, component: str) -> float:
    """Per-unit landed-cost ``component`` of the pair (sku, path_key)."""
    index = build_index(inst)
    landed = landed_cost(inst, index)
    pairs, paths = index.pairs, index.paths
    sku_pos = index.sku_pos[sku]
    found = np.flatnonzero((pairs.sku == sku_pos) & (paths.key[pairs.path] == path_key))
    assert len(found) == 1, f"no pair {sku} {path_key}: {sorted(set(paths.key))}"
    return float(landed.component(component)[found[0]])


#: BZ so expensive that 1210 is never worth it: both SKUs go 9610.
BZ_CLOSED = set_cells("node_id", "BZ", fixed_cost=1e6)


# --------------------------------------------------------------------------- parcel rates


# parcel on L3: first 0.5 kg 20, then 8 per started 0.5 kg
PARCEL = {
    "rate_id": "EXP",
    "lane_id": "L3",
    "service": "express parcel",
    "kind": "parcel",
    "first_weight_kg": 0.5,
    "first_charge": 20,
    "step_weight_kg": 0.5,
    "step_charge": 8,
}


@pytest.mark.parametrize(
    ("units_per_order", "divisor", "a_freight", "b_freight"),
    [
        # A: 1 kg = first + 1 step = 28; B: 0.5 kg = first only = 20
        (1, "", 28.0, 20.0),
        # A: 2 kg parcel = 20 + 3 x 8 = 44 / 2 = 22 a unit; B: 1 kg = 28 / 2 = 14 a unit
        (2, "", 22.0, 14.0),
        # divisor 5000: A 10,000 cm3 = 2 kg volumetric > 1 kg: 20 + 3 x 8 = 44;
        # B 1,000 cm3 = 0.2 kg < 0.5 kg actual: 20
        (1, 5000, 44.0, 20.0),
        # A: 2 units = 20,000 cm3 = 4 kg: 20 + 7 x 8 = 76 / 2 = 38; B: 1 kg (0.4 vol) = 28 / 2
        (2, 5000, 38.0, 14.0),
    ],
)
def test_parcel_rate_is_priced_per_order(
    make_variant, units_per_order, divisor, a_freight, b_freight
):
    """A parcel rate on L3 (9610), the lane's own 30/kg set to 0: the landed freight per
    unit is the parcel price of one order / units per order (see the parameters).

    BZ fixed 1e6 forces both SKUs to 9610: objective
    100 (100 + fA + 18.2) + 10 (50 + fB + 23.0588), no consolidated charges.
    """
    path = make_variant(
        tables={
            "lanes": set_cells("lane_id", "L3", cost_per_kg=0),
            "nodes": BZ_CLOSED,
            "demand": lambda d: d.assign(units_per_order=str(units_per_order)),
            "rates": table({**PARCEL, "volumetric_divisor": divisor}),
        }
    )
    inst, plan = solve_checked(path)
    assert pair_component(inst, "A", "9610|L3@EXP", "freight") == pytest.approx(a_freight)
    assert pair_component(inst, "B", "9610|L3@EXP", "freight") == pytest.approx(b_freight)
    expected = 100 * (100 + a_freight + A_TAX) + 10 * (50 + b_freight + B_TAX)
    assert plan.objective == pytest.approx(expected, rel=REL)
    assert path_of(plan, "A") == {"9610|L3@EXP"}
    assert path_of(plan, "B") == {"9610|L3@EXP"}
    assert plan.cost_breakdown["freight"] == pytest.approx(
        100 * a_freight + 10 * b_freight, rel=REL
    )
    assert plan.cost_breakdown["consolidated_freight"] == 0.0
    assert plan.cost_breakdown["shipment_fixed"] == 0.0


def test_parcel_rate_adds_to_the_lane_cost_columns(make_variant):
    """The lane's own 30/kg stays and the parcel is added: A 30 + 28 = 58 a unit,
    B 15 + 20 = 35. The 1210 path (no rates) keeps its linear freight: A 2 + 5 = 7,
    B 1 + 5 = 6. 9610 is now 58 - 7 = 51 dearer for A and 29 for B: the tiny optimum
    14,420.588 stands."""
    inst, plan = solve_checked(make_variant(tables={"rates": table(PARCEL)}))
    assert pair_component(inst, "A", "9610|L3@EXP", "freight") == pytest.approx(58.0)
    assert pair_component(inst, "B", "9610|L3@EXP", "freight") == pytest.approx(35.0)
    assert pair_component(inst, "A", "1210|L1>L2", "freight") == pytest.approx(7.0)
    assert pair_component(inst, "B", "1210|L1>L2", "freight") == pytest.approx(6.0)
    # a lane with rates has no plain leg: only the service's path exists
    assert "9610|L3" not in set(build_index(inst).paths.key)
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=REL)


# --------------------------------------------------------------------------- two services


SERVICES = (
    # economy: 12 days, flat 10 a parcel (the first charge covers any weight)
    {
        "rate_id": "ECO",
        "lane_id": "L3",
        "kind": "parcel",
        "lead_time_days": 12,
        "first_weight_kg": 1,
        "first_charge": 10,
    },
    # priority: 3 days, first 0.5 kg 20, then 10 per 0.5 kg: A (1 kg) 30, B (0.5 kg) 20
    {
        "rate_id": "PRI",
        "lane_id": "L3",
        "kind": "parcel",
        "lead_time_days": 3,
        "first_weight_kg": 0.5,
        "first_charge": 20,
        "step_weight_kg": 0.5,
        "step_charge": 10,
    },
    # standard: blank lead time = the lane's 8 days, flat 15: never the best
    {"rate_id": "STD", "lane_id": "L3", "kind": "parcel", "first_charge": 15},
)


def services_variant(make_variant, **r1_cells):
    tables = {
        "lanes": set_cells("lane_id", "L3", cost_per_kg=0),
        "nodes": chain(BZ_CLOSED, *([set_cells("node_id", "R1", **r1_cells)] if r1_cells else [])),
        "rates": table(*SERVICES),
    }
    return make_variant(tables=tables)


def test_two_services_on_one_lane_cheaper_one_wins(make_variant):
    """Three services on L3 (lane cost 0), BZ closed (1e6), no service target.
    Per unit: ECO 10, PRI A 30 / B 20, STD 15. All ECO:
    100 (100 + 10 + 18.2) + 10 (50 + 10 + 23.0588) = 12,820 + 830.588 = 13,650.588.
    Lead times: ECO 12, PRI 3, STD blank -> the lane's 8 (promise days = all lanes)."""
    inst, plan = solve_checked(services_variant(make_variant))
    assert plan.objective == pytest.approx(
        100 * (100 + 10 + A_TAX) + 10 * (50 + 10 + B_TAX), rel=REL
    )
    assert units_by(plan, "sku_id", "path_key") == {
        ("A", "9610|L3@ECO"): 100.0,
        ("B", "9610|L3@ECO"): 10.0,
    }
    assert set(plan.tables["flows"]["promise_days"]) == {12.0}
    legs = build_index(inst).legs
    lead = dict(zip(legs.key, legs.lead_days, strict=True))
    assert lead["L3@ECO"] == 12.0
    assert lead["L3@PRI"] == 3.0
    assert lead["L3@STD"] == 8.0


def test_service_target_requires_the_faster_service(make_variant):
    """R1: 90 % of 110 units = 99 units within 5 days; only PRI (3 d) qualifies.
    Moving a unit from ECO to PRI costs A 30 - 10 = 20, B 20 - 10 = 10: all 10 B and
    89 A go PRI: 13,650.588 + 10 x 10 + 89 x 20 = 15,530.588.
    With 100 %: all PRI: 13,650.588 + 100 + 2,000 = 15,750.588."""
    base = 100 * (100 + 10 + A_TAX) + 10 * (50 + 10 + B_TAX)
    _, plan = solve_checked(services_variant(make_variant, service_days=5, service_share=0.9))
    assert plan.objective == pytest.approx(base + 10 * 10 + 89 * 20, rel=REL)
    assert units_by(plan, "sku_id", "path_key") == pytest.approx(
        {("A", "9610|L3@ECO"): 11.0, ("A", "9610|L3@PRI"): 89.0, ("B", "9610|L3@PRI"): 10.0}
    )

    _, plan = solve_checked(services_variant(make_variant, service_days=5, service_share=1))
    assert plan.objective == pytest.approx(base + 10 * 10 + 100 * 20, rel=REL)
    assert units_by(plan, "sku_id", "path_key") == {
        ("A", "9610|L3@PRI"): 100.0,
        ("B", "9610|L3@PRI"): 10.0,
    }


# --------------------------------------------------------------------------- weight breaks


# Consolidation instance: A 60 units (60 kg), B 100 units (50 kg). BZ fixed 0, handling
# 0, L2 free, L1 has no linear cost but an air weight-break rate AIR: N 10/kg, +100
# 6/kg. L3 (9610) costs C3/kg. Taxes and procurement do not depend on the route:
# 60 (100 + 18.2) + 100 (50 + 23.0588) = 14,397.882; only the freight differs:
#   both 1210: f(110) = 660 | A alone on AIR: f(60) = 600 (+ B 9610 50 C3)
#   B alone on AIR: f(50) = 500 (+ A 9610 60 C3) | both 9610: 110 C3.
GOODS = 60 * (100 + A_TAX) + 100 * (50 + B_TAX)
AIR = {"rate_id": "AIR", "lane_id": "L1", "service": "air consolidator", "kind": "weight_break"}
AIR_BREAKS = table(
    {"rate_id": "AIR", "min_weight_kg": 0, "rate_per_kg": 10},
    {"rate_id": "AIR", "min_weight_kg": 100, "rate_per_kg": 6},
)


def _consolidation_tables(c3: float, **air_cells) -> dict:
    def demand(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame.loc[frame["sku_id"] == "A", "units"] = "60"
        frame.loc[frame["sku_id"] == "B", "units"] = "100"
        return frame

    return {
        "demand": demand,
        "nodes": set_cells("node_id", "BZ", fixed_cost=0, handling_cost_per_unit=0),
        "lanes": chain(
            set_cells("lane_id", "L1", cost_per_kg=0),
            set_cells("lane_id", "L2", cost_per_unit=0),
            set_cells("lane_id", "L3", cost_per_kg=c3),
        ),
        "rates": table({**AIR, **air_cells}),
        "weight_breaks": AIR_BREAKS,
    }


def consolidation_variant(make_variant, c3: float, **air_cells):
    return make_variant(tables=_consolidation_tables(c3, **air_cells))


def consolidated_row(plan) -> pd.Series:
    lane_costs = plan.tables["lane_costs"]
    rows = lane_costs[lane_costs["charge"] == "consolidated"]
    assert len(rows) == 1
    return rows.iloc[0]


def test_consolidation_reaches_the_cheaper_break(make_variant):
    """C3 = 8/kg. Alone, each SKU is cheaper by 9610: A 60 x 8 = 480 < f(60) = 600,
    B 50 x 8 = 400 < f(50) = 500 (50 kg pays 10/kg). Together on AIR: 110 kg at the
    +100 break: 6 x 110 = 660 < 880 (both 9610) < 980 (B alone on AIR) < 1,000 (A alone).
    Optimum 14,397.882 + 660, both on 1210|L1@AIR>L2; consolidated_freight =
    S f(Q / S) = 1 x f(110) = 660."""
    _, plan = solve_checked(consolidation_variant(make_variant, 8))
    assert plan.objective == pytest.approx(GOODS + 660.0, rel=REL)
    assert path_of(plan, "A") == {"1210|L1@AIR>L2"}
    assert path_of(plan, "B") == {"1210|L1@AIR>L2"}
    assert plan.cost_breakdown["consolidated_freight"] == pytest.approx(6 * 110, rel=REL)
    assert plan.cost_breakdown["freight"] == pytest.approx(0.0, abs=1e-9)
    row = consolidated_row(plan)
    assert row["lane_id"] == "L1"
    assert row["rate_id"] == "AIR"
    assert row["chargeable_quantity"] == pytest.approx(110.0)
    assert row["cost"] == pytest.approx(660.0)


def test_no_consolidation_when_the_direct_lane_is_cheap(make_variant):
    """C3 = 5/kg: both 9610 cost 550 < 660 on AIR: 14,397.882 + 550, AIR unused."""
    _, plan = solve_checked(consolidation_variant(make_variant, 5))
    assert plan.objective == pytest.approx(GOODS + 550.0, rel=REL)
    assert set(plan.tables["flows"]["channel_id"]) == {"9610"}
    assert plan.cost_breakdown["consolidated_freight"] == 0.0


def test_weight_break_lane_charges_volumetric_weight(make_variant):
    """AIR with divisor 5000 and C3 = 100 (AIR forced): A is bulky (0.01 m3 = 2 kg
    volumetric), B dense (0.2 kg volumetric). The lane's chargeable weight is
    max(actual 110, volumetric 60 x 2 + 100 x 0.2 = 140) = 140 kg: 6 x 140 = 840."""
    _, plan = solve_checked(consolidation_variant(make_variant, 100, volumetric_divisor=5000))
    assert plan.objective == pytest.approx(GOODS + 840.0, rel=REL)
    assert plan.cost_breakdown["consolidated_freight"] == pytest.approx(840.0, rel=REL)
    row = consolidated_row(plan)
    assert row["chargeable_quantity"] == pytest.approx(140.0)
    assert row["actual_quantity"] == pytest.approx(110.0)


@pytest.mark.parametrize(
    ("shipments", "freight"),
    [
        (1, 660.0),  # one shipment of 110 kg at 6/kg
        # two shipments of 55 kg: 55 x 10 = 550 < 100 x 6 = 600 each: 1,100
        (2, 2 * 550.0),
        # twelve shipments of 9.1667 kg: 91.67 each, below the 200 minimum: 12 x 200
        (12, 12 * 200.0),
    ],
)
def test_shipments_per_horizon_split_the_lane_weight(make_variant, shipments, freight):
    """AIR with a 200 minimum and C3 = 100 (AIR always used: both 9610 cost 11,000,
    A alone on AIR >= 5,000 + ...). The 110 kg of the horizon travel in S shipments of
    110 / S kg, each priced by f: consolidated_freight = S f(110 / S)."""
    path = consolidation_variant(make_variant, 100, min_charge=200, shipments_per_horizon=shipments)
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(GOODS + freight, rel=REL)
    assert plan.cost_breakdown["consolidated_freight"] == pytest.approx(freight, rel=REL)
    row = consolidated_row(plan)
    assert row["shipments"] == shipments
    assert row["per_shipment"] == pytest.approx(110.0 / shipments)
    assert path_of(plan, "A") == {"1210|L1@AIR>L2"}
    assert path_of(plan, "B") == {"1210|L1@AIR>L2"}


def test_more_shipments_flip_the_consolidation(make_variant):
    """C3 = 8 with S = 2 and a 200 minimum: AIR would cost 2 f(55) = 1,100 for both,
    2 f(30) + 50 x 8 = 600 + 400 for A alone, 2 f(25) + 60 x 8 = 500 + 480 for B
    alone; both 9610 cost 880: 14,397.882 + 880."""
    path = consolidation_variant(make_variant, 8, min_charge=200, shipments_per_horizon=2)
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(GOODS + 880.0, rel=REL)
    assert set(plan.tables["flows"]["channel_id"]) == {"9610"}
    assert plan.cost_breakdown["consolidated_freight"] == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_weight_break_choice_matches_brute_force(make_variant, seed):
    """Seeded random air tariffs (1-5 breaks with or without a break at 0, rates rising
    or falling, a minimum or none, 1 to 7 shipments, some fractional) on the
    consolidation instance with C3 drawn in 1..25/kg: the MIP optimum is
    14,397.882 + the cheapest of S f(110 / S) (both on AIR), S f(60 / S) + 50 C3
    (A alone), S f(50 / S) + 60 C3 (B alone) and 110 C3 (both 9610), with f from
    piecewise_cost."""
    from lean_chain.costs.rates import piecewise_cost

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    breaks = np.unique(np.round(rng.uniform(0.0, 200.0, n), int(rng.integers(0, 4))))
    if rng.random() < 0.6:
        breaks[0] = 0.0
    rates = np.round(rng.uniform(0.5, 30.0, len(breaks)), int(rng.integers(0, 4)))
    min_charge = float(rng.choice([0.0, round(float(rng.uniform(0.0, 800.0)), 2)]))
    shipments = float(rng.choice([1.0, 2.0, 2.5, 3.0, 7.0]))
    c3 = round(float(rng.uniform(1.0, 25.0)), 2)
    path = make_variant(
        tables={
            **{
                k: v
                for k, v in _consolidation_tables(c3).items()
                if k not in ("rates", "weight_breaks")
            },
            "rates": table({**AIR, "min_charge": min_charge, "shipments_per_horizon": shipments}),
            "weight_breaks": table(
                *(
                    {"rate_id": "AIR", "min_weight_kg": b, "rate_per_kg": r}
                    for b, r in zip(breaks, rates, strict=True)
                )
            ),
        }
    )

    def f(kg: float) -> float:
        return shipments * float(piecewise_cost(kg / shipments, breaks, rates, min_charge))

    options = [f(110.0), f(60.0) + 50 * c3, f(50.0) + 60 * c3, 110 * c3]
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(GOODS + min(options), rel=1e-8)


def test_parcel_on_an_inbound_lane_enters_the_held_value(make_variant):
    """A flat 3 a parcel on L1 (first 100 kg, S1 -> BZ, 10 days; the lane's 2/kg stays),
    holding 36.5 %/year over 365 days. Pipeline to BZ: D x 10 / 365 units, held at
    procurement + inbound freight: A 100 + 2 + 3 = 105, B 50 + 1 + 3 = 54.
    Holding A 0.365 x 105 x 1,000 / 365 = 105, B 0.365 x 54 x 100 / 365 = 5.4.
    Objective 14,420.588 + 3 x 110 + 110.4 = 14,860.988."""
    rate = {
        "rate_id": "SEA",
        "lane_id": "L1",
        "kind": "parcel",
        "first_weight_kg": 100,
        "first_charge": 3,
    }
    path = make_variant(tables={"rates": table(rate)}, params={"holding_rate_per_year": 0.365})
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(TINY_OPTIMUM + 330 + 110.4, rel=REL)
    assert plan.cost_breakdown["holding"] == pytest.approx(110.4, rel=REL)
    stock = plan.tables["stock"].set_index("sku_id")
    assert stock.loc["A", "held_value"] == pytest.approx(105.0)
    assert stock.loc["B", "held_value"] == pytest.approx(54.0)


# --------------------------------------------------------------------------- truckloads


def truck_variant(make_variant, capacity_kg: float):
    """L2 (BZ -> R1) by truckload: 100 a truck of capacity_kg and 10 m3; the lane's own
    5/unit stays."""
    rate = {
        "rate_id": "TRK",
        "lane_id": "L2",
        "kind": "truckload",
        "capacity_kg": capacity_kg,
        "capacity_m3": 10,
        "cost_per_load": 100,
    }
    return make_variant(tables={"rates": table(rate)})


def test_truckload_by_weight(make_variant):
    """Capacity 30 kg: both SKUs via BZ put 100 + 5 = 105 kg (1.01 m3) on L2:
    ceil(105 / 30) = 4 trucks (volume alone would need 1): 14,420.588 + 400.
    Sending B by 9610 saves no truck (100 / 30 -> 4) and costs 80 more."""
    _, plan = solve_checked(truck_variant(make_variant, 30))
    assert plan.objective == pytest.approx(TINY_OPTIMUM + 4 * 100, rel=REL)
    containers = plan.tables["containers"]
    assert len(containers) == 1
    row = containers.iloc[0]
    assert (row["lane_id"], row["rate_id"]) == ("L2", "TRK")
    assert row["containers"] == 4 == math.ceil(105 / 30)
    assert row["load_kg"] == pytest.approx(105.0)
    assert row["load_m3"] == pytest.approx(1.01)
    assert plan.cost_breakdown["containers"] == pytest.approx(400.0)
    assert path_of(plan, "A") == {"1210|L1>L2@TRK"}


def test_truckload_weight_moves_a_sku(make_variant):
    """Capacity 50 kg: both via BZ need ceil(105 / 50) = 3 trucks (14,720.588); A alone
    needs 2, and B by 9610 costs 10 x 8 = 80 < one truck (100):
    12,620 + 880.588 + 1,000 + 200 = 14,700.588."""
    _, plan = solve_checked(truck_variant(make_variant, 50))
    assert plan.objective == pytest.approx(100 * A_1210 + 10 * B_9610 + BZ_FIXED + 200, rel=REL)
    assert plan.tables["containers"]["containers"].tolist() == [2]
    assert path_of(plan, "B") == {"9610|L3"}


# --------------------------------------------------------------------------- fixed per shipment


def fixed_variant(make_variant, fixed: float):
    """L1 through a service SEA with no tariff of its own (the lane's 2/kg stays) and
    ``fixed`` per shipment, 2 shipments a horizon."""
    rate = {
        "rate_id": "SEA",
        "lane_id": "L1",
        "kind": "parcel",
        "fixed_per_shipment": fixed,
        "shipments_per_horizon": 2,
    }
    return make_variant(tables={"rates": table(rate)})


def test_fixed_per_shipment_is_paid_once(make_variant):
    """100 x 2 shipments = 200, once for the service however many SKUs use it:
    14,420.588 + 200 (not + 400)."""
    _, plan = solve_checked(fixed_variant(make_variant, 100))
    assert plan.objective == pytest.approx(TINY_OPTIMUM + 200, rel=REL)
    assert plan.cost_breakdown["shipment_fixed"] == pytest.approx(200.0)
    assert path_of(plan, "A") == {"1210|L1@SEA>L2"}
    assert path_of(plan, "B") == {"1210|L1@SEA>L2"}
    lane_costs = plan.tables["lane_costs"]
    fixed = lane_costs[lane_costs["charge"] == "fixed_per_shipment"]
    assert fixed["used"].tolist() == [True]
    assert fixed["cost"].tolist() == pytest.approx([200.0])


def test_fixed_per_shipment_flips_the_channel(make_variant):
    """700 x 2 = 1,400: 1210 for both costs 15,820.588, A 1210 + B 9610 15,900.588,
    both 9610 15,700.588 (no fixed charge): the optimum."""
    _, plan = solve_checked(fixed_variant(make_variant, 700))
    assert plan.objective == pytest.approx(ALL_9610, rel=REL)
    assert set(plan.tables["flows"]["channel_id"]) == {"9610"}
    assert plan.cost_breakdown["shipment_fixed"] == 0.0


# --------------------------------------------------------------------------- stocking-node rules


@pytest.mark.parametrize(
    ("capacity", "units_per_order", "expected", "a_channel", "b_channel"),
    [
        # 110 orders > 105: A (100 orders) via BZ, B 9610
        (1.05, 1, A_1210_B_9610, "1210", "9610"),
        # 2 units an order: 50 + 5 = 55 orders <= 105: the tiny optimum
        (1.05, 2, TINY_OPTIMUM, "1210", "1210"),
        # 60 orders: A (100) cannot use BZ, B alone does not pay for BZ: all 9610
        (0.6, 1, ALL_9610, "9610", "9610"),
        # 55 orders <= 60
        (0.6, 2, TINY_OPTIMUM, "1210", "1210"),
    ],
)
def test_orders_per_day_capacity(
    make_variant, capacity, units_per_order, expected, a_channel, b_channel
):
    """Horizon 100 days; BZ picks and packs ``capacity`` orders a day (105 or 60 orders
    a horizon); orders = units / units per order. Units per order change no cost here
    (tax on w = retail, no shipping fee, linear freight). B alone via BZ would cost
    10 x 80.0588 + 1,000 > 10 x 88.0588."""
    path = make_variant(
        tables={
            "nodes": set_cells("node_id", "BZ", orders_per_day_capacity=capacity),
            "demand": lambda d: d.assign(units_per_order=str(units_per_order)),
        },
        params={"horizon_days": 100},
    )
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(expected, rel=REL)
    assert units_by(plan, "sku_id", "channel_id") == {
        ("A", a_channel): 100.0,
        ("B", b_channel): 10.0,
    }


@pytest.mark.parametrize("allowed", ["electronics", "A", "electronics|toys"])
def test_allowed_categories_force_b_to_9610(make_variant, allowed):
    """BZ stocks only electronics (by category or by sku_id A): B (cosmetics) has no
    1210 path: A 1210 + B 9610 = 14,500.588."""
    path = make_variant(tables={"nodes": set_cells("node_id", "BZ", allowed_categories=allowed)})
    inst, plan = solve_checked(path)
    assert plan.objective == pytest.approx(A_1210_B_9610, rel=REL)
    assert path_of(plan, "A") == {"1210|L1>L2"}
    assert path_of(plan, "B") == {"9610|L3"}
    assert build_index(inst).pairs.dropped["node_not_allowed"] == 1


@pytest.mark.parametrize(("serves", "dropped"), [("JP", 2), ("R2|KR", 2), ("CN", 0), ("R1", 0)])
def test_serves_filters_1210_pairs(make_variant, serves, dropped):
    """BZ serves only the listed countries or demand nodes; R1 is a CN region. JP or
    R2|KR exclude R1: both 1210 pairs (A and B to R1) are dropped as node_not_allowed
    and only the 9610 pairs remain; CN (R1's country) or R1 (its id) keep them."""
    path = make_variant(tables={"nodes": set_cells("node_id", "BZ", serves=serves)})
    inst = lean_chain.load_instance(path)
    index = build_index(inst)
    assert index.pairs.dropped["node_not_allowed"] == dropped
    channels = set(inst.channels["channel_id"].to_numpy(object)[index.pairs.channel])
    assert channels == ({"9610"} if dropped else {"1210", "9610"})


@pytest.mark.parametrize("serves", ["CN", "R1"])
def test_serves_including_r1_keeps_the_optimum(make_variant, serves):
    """BZ serves CN (R1's country) or R1 itself: the tiny optimum 14,420.588."""
    path = make_variant(tables={"nodes": set_cells("node_id", "BZ", serves=serves)})
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=REL)
    assert set(plan.tables["flows"]["channel_id"]) == {"1210"}


@pytest.mark.parametrize("serves", ["JP", "R2|KR"])
def test_serves_excluding_r1_makes_1210_unusable(make_variant, serves):
    """BZ does not serve R1 (by country or id): every 1210 pair is dropped, so no pair is
    stocked anywhere; both SKUs go 9610: 15,700.588 (no node opened). (Before the fix
    in build.py substituted_stock / define_flow_columns this raised IndexError: the
    empty per-(SKU, node) arrays were indexed with np.maximum(kh_of_pair, 0).)"""
    path = make_variant(tables={"nodes": set_cells("node_id", "BZ", serves=serves)})
    _, plan = solve_checked(path)
    assert plan.objective == pytest.approx(ALL_9610, rel=REL)
    assert set(plan.tables["flows"]["channel_id"]) == {"9610"}
    assert plan.cost_breakdown["node_fixed"] == 0.0


def second_region_tables(serves: str) -> dict:
    """Tiny plus province R2 (CN) with 100 units of A, reached only from BZ (L4, truck
    5/unit, 2 d, 1210); BZ serves ``serves``."""
    return {
        "nodes": chain(
            set_cells("node_id", "BZ", serves=serves),
            lambda frame: pd.concat(
                [
                    frame,
                    table(
                        {
                            "node_id": "R2",
                            "kind": "region",
                            "name": "Hangzhou",
                            "country": "CN",
                            "lat": 30.27,
                            "lon": 120.15,
                        }
                    ),
                ],
                ignore_index=True,
            ).fillna(""),
        ),
        "lanes": lambda frame: pd.concat(
            [
                frame,
                table(
                    {
                        "lane_id": "L4",
                        "from_node": "BZ",
                        "to_node": "R2",
                        "mode": "truck",
                        "channels": "1210",
                        "cost_per_kg": 0,
                        "cost_per_unit": 5,
                        "lead_time_days": 2,
                    }
                ),
            ],
            ignore_index=True,
        ).fillna(""),
        "demand": lambda frame: pd.concat(
            [frame, table({"sku_id": "A", "region_id": "R2", "units": 100})], ignore_index=True
        ).fillna(""),
    }


def test_serves_excluding_r1_with_another_region_served(make_variant):
    """BZ serves only R2 (by id): R1's demand must go 9610 while A in R2 (no 9610 lane)
    goes 1210 (2 channels allowed for A): 100 x 148.2 + 10 x 88.0588 + 100 x 126.2 +
    1,000 = 29,320.588. Serving all (*), both R1 flows go back to 1210:
    2 x 12,620 + 800.588 + 1,000 = 27,040.588."""
    params = {"max_channels_per_sku": 2}
    path = make_variant(tables=second_region_tables("R2"), params=params)
    inst, plan = solve_checked(path)
    assert build_index(inst).pairs.dropped["node_not_allowed"] == 2
    assert plan.objective == pytest.approx(
        100 * A_9610 + 10 * B_9610 + 100 * A_1210 + BZ_FIXED, rel=REL
    )
    assert units_by(plan, "sku_id", "region_id", "channel_id") == {
        ("A", "R1", "9610"): 100.0,
        ("A", "R2", "1210"): 100.0,
        ("B", "R1", "9610"): 10.0,
    }
    _, free = solve_checked(make_variant(tables=second_region_tables("*"), params=params))
    assert free.objective == pytest.approx(200 * A_1210 + 10 * B_1210 + BZ_FIXED, rel=REL)


# --------------------------------------------------------------------------- LCL in another currency


def test_per_m3_rate_in_another_currency(make_variant):
    """L1 by LCL in USD (fx 7): 100 USD/m3 = 700 CNY/m3, minimum 50 USD = 350, plus a
    fixed 10 USD = 70 per shipment; the lane's 2/kg stays. Both via BZ ship
    100 x 0.01 + 10 x 0.001 = 1.01 m3: 707 (above the 350 minimum) + 70:
    14,420.588 + 777 = 15,197.588 < 15,700.588 (both 9610)."""
    rate = {
        "rate_id": "LCL",
        "lane_id": "L1",
        "kind": "per_m3",
        "currency": "USD",
        "cost_per_m3": 100,
        "min_charge": 50,
        "fixed_per_shipment": 10,
    }
    fx = table(
        {"currency": "CNY", "rate_to_instance": 1}, {"currency": "USD", "rate_to_instance": 7}
    )
    _, plan = solve_checked(make_variant(tables={"rates": table(rate), "fx": fx}))
    assert plan.objective == pytest.approx(TINY_OPTIMUM + 707 + 70, rel=REL)
    assert plan.cost_breakdown["consolidated_freight"] == pytest.approx(707.0, rel=REL)
    assert plan.cost_breakdown["shipment_fixed"] == pytest.approx(70.0, rel=REL)
    assert path_of(plan, "A") == {"1210|L1@LCL>L2"}
