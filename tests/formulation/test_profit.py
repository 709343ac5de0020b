"""Profit mode (issue 18 item 5): hand-worked cases on variants of tests/data/tiny.

tiny: A (electronics, procurement 100, retail 200, 1 kg) and B (cosmetics, procurement
50, retail 100, 0.5 kg, CT 15 %) from S1 (JP) to region R1 (CN) through 1210 (bonded
zone BZ: fixed 1,000, handling 1; sea 2/kg, truck 5/unit) or 9610 (express 30/kg).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lean_chain
from lean_chain.costs.model import build_cost_model

TINY = Path(__file__).parents[1] / "data" / "tiny"

PLATFORMS = """platform_id,kind,annual_fee,listing_fee,payment_fee_rate,fee_per_order,min_fill_rate
OWN,own_store,0,0,0.01,0,0
MKT,marketplace,0,0,0,2,0
"""
FEES = """platform_id,category,min_price,commission_rate
MKT,*,0,0.30
"""


def make(tmp_path: Path, demand: str, platforms: str = PLATFORMS, fees: str = FEES) -> Path:
    folder = tmp_path / "inst"
    shutil.copytree(TINY, folder)
    (folder / "demand.csv").write_text(demand)
    (folder / "platforms.csv").write_text(platforms)
    if fees:
        (folder / "platform_fees.csv").write_text(fees)
    return folder


def sold_per_row(instance, plan) -> np.ndarray:
    model = build_cost_model(instance)
    units = model.demand_units * plan.decisions.share
    return np.bincount(model.index.pairs.demand_row, weights=units, minlength=len(instance.demand))


def unit_cost(instance, row: int) -> float:
    """Cheapest landed cost per unit of demand row ``row`` (variable part)."""
    model = build_cost_model(instance)
    on_row = model.index.pairs.demand_row == row
    return float(model.unit_cost[on_row].min())


def test_cost_mode_is_the_default_and_serves_everything(tmp_path):
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,10,MKT\n"
    inst = lean_chain.load_instance(make(tmp_path, demand))
    plan = lean_chain.solve(inst)
    assert plan.info["objective_mode"] == "cost"
    np.testing.assert_allclose(sold_per_row(inst, plan), [100.0, 10.0])
    assert plan.kpis["lost_units"] == pytest.approx(0.0)
    assert "revenue" not in plan.cost_breakdown


def test_commission_makes_the_marketplace_unprofitable_but_the_own_store_sells(tmp_path):
    """B costs about 80 a unit landed. On the own store it nets 100 - 1 % = 99; on the
    marketplace 100 - 30 % - 2 per order = 68 < 80: profit mode drops B there only."""
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,50,OWN\nB,R1,200,MKT\n"
    inst = lean_chain.load_instance(make(tmp_path, demand))
    cost_b = unit_cost(inst, 1)
    assert 68.0 < cost_b < 99.0
    plan = lean_chain.solve(inst, objective="profit")
    assert plan.info["objective_mode"] == "profit"
    np.testing.assert_allclose(sold_per_row(inst, plan), [100.0, 50.0, 0.0], atol=1e-6)
    assert plan.kpis["lost_units"] == pytest.approx(200.0)
    assert plan.kpis["fill_rate_per_platform"] == pytest.approx({"OWN": 1.0, "MKT": 0.0})
    # the objective is -profit, and the evaluation core agrees with the MIP
    assert plan.objective == pytest.approx(-plan.kpis["profit"], rel=1e-9)
    evaluated = lean_chain.evaluate(inst, plan)
    assert evaluated.objective == pytest.approx(plan.objective, rel=1e-6)
    # the cost-optimal plan sells B on the marketplace at a loss of about 12 a unit
    cost_plan = lean_chain.solve(inst)
    assert cost_plan.kpis["profit"] < plan.kpis["profit"] - 200 * (cost_b - 68.0) * 0.99


def test_listing_fee_decides_the_listing(tmp_path):
    """A on the marketplace nets 200 - 60 - 2 = 138 against a landed cost of about 124
    (about 14 a unit): 10 units earn about 140, less than a 500 listing fee; 100 units
    earn about 1,400, more."""
    platforms = PLATFORMS.replace("MKT,marketplace,0,0,", "MKT,marketplace,0,500,")
    for units, listed in ((10, False), (100, True)):
        demand = f"sku_id,region_id,units,platform_id\nA,R1,100,OWN\nA,R1,{units},MKT\n"
        folder = make(tmp_path / str(units), demand, platforms=platforms)
        inst = lean_chain.load_instance(folder)
        plan = lean_chain.solve(inst, objective="profit")
        sold = sold_per_row(inst, plan)
        margin = 138.0 - unit_cost(inst, 1)
        assert 5.0 < margin < 50.0
        assert (units * margin > 500.0) == listed
        assert bool(sold[1] > 0) == listed, sold
        assert plan.cost_breakdown["listing_fees"] == pytest.approx(500.0 if listed else 0.0)
        listing = plan.tables["listings"].set_index(["sku_id", "platform_id"]).loc[("A", "MKT")]
        assert listing["reason"].startswith("sold" if listed else "its unit margin does not pay")


def test_minimum_fill_rate_forces_the_loss_making_row_while_the_platform_is_open(tmp_path):
    """MKT demands 100 % fill: selling A there (profitable) means selling B there too."""
    platforms = PLATFORMS.replace("MKT,marketplace,0,0,0,2,0", "MKT,marketplace,0,0,0,2,1")
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,MKT\nB,R1,10,MKT\n"
    inst = lean_chain.load_instance(make(tmp_path, demand, platforms=platforms))
    plan = lean_chain.solve(inst, objective="profit")
    np.testing.assert_allclose(sold_per_row(inst, plan), [100.0, 10.0], atol=1e-6)


def test_annual_fee_above_the_margin_closes_the_platform(tmp_path):
    platforms = "platform_id,kind,annual_fee\nOWN,own_store,100000000\n"
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,10,OWN\n"
    inst = lean_chain.load_instance(make(tmp_path, demand, platforms=platforms, fees=""))
    plan = lean_chain.solve(inst, objective="profit")
    np.testing.assert_allclose(sold_per_row(inst, plan), [0.0, 0.0], atol=1e-9)
    assert plan.objective == pytest.approx(0.0, abs=1e-6)
    assert plan.kpis["profit"] == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize(
    "demand",
    [
        "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,10,MKT\n",
        "sku_id,region_id,units,platform_id,price\nA,R1,100,OWN,150\nB,R1,400,MKT,95\n",
        "sku_id,region_id,units,platform_id,price\nA,R1,5,MKT,130\nB,R1,30,OWN,85\n",
        "sku_id,region_id,units\nA,R1,100\nB,R1,10\n",
    ],
)
def test_profit_mode_never_earns_less_than_the_cost_optimal_plan(tmp_path, demand):
    """The cost-mode plan is feasible in profit mode, so the profit-optimal plan earns at
    least its profit, up to the reported gap."""
    inst = lean_chain.load_instance(make(tmp_path, demand))
    cost_plan = lean_chain.solve(inst)
    profit_plan = lean_chain.solve(inst, objective="profit")
    slack = (profit_plan.gap or 0.0) * abs(profit_plan.objective) + 1e-6
    assert profit_plan.kpis["profit"] >= cost_plan.kpis["profit"] - slack
    # the cost-mode plan priced in profit mode: its objective is minus its profit
    priced = lean_chain.evaluate(inst, cost_plan, objective="profit")
    assert priced.objective == pytest.approx(-cost_plan.kpis["profit"], rel=1e-9)
    assert not priced.violations


def test_decompose_runs_in_profit_mode_and_auto_chooses_exact_on_small_models(tmp_path):
    inst = lean_chain.load_instance(TINY)
    exact = lean_chain.solve(inst, method="auto", objective="profit")
    assert exact.info["method"] == "exact"
    decomposed = lean_chain.solve(inst, method="decompose", objective="profit", gap=1e-9)
    assert decomposed.info["method"] == "decompose"
    assert decomposed.kpis["profit"] <= exact.kpis["profit"] + 1e-6
    assert -decomposed.bound >= exact.kpis["profit"] - 1e-6


def test_non_positive_price_in_profit_mode_is_bad_input(tmp_path):
    folder = make(tmp_path, "sku_id,region_id,units,platform_id\nA,R1,100,OWN\n")
    skus = (
        (folder / "skus.csv")
        .read_text()
        .replace("A,electronics,S1,100,200", "A,electronics,S1,100,0")
    )
    (folder / "skus.csv").write_text(skus)
    inst = lean_chain.load_instance(folder)
    with pytest.raises(lean_chain.InstanceError) as caught:
        lean_chain.solve(inst, objective="profit")
    assert [(i.file, i.row, i.column) for i in caught.value.issues] == [
        ("skus.csv", 2, "retail_price")
    ]


def test_sales_and_listings_tables_and_evaluate_from_the_run_folder(tmp_path):
    """The commission case: plan/sales.csv has B on MKT unsold (a blank channel) and
    listings.csv says why; evaluate re-prices the written run in profit mode."""
    demand = (
        "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,50,OWN\nB,R1,200,MKT\nA,R1,5,\n"
    )
    inst = lean_chain.load_instance(make(tmp_path, demand))
    plan = lean_chain.solve(inst, objective="profit")
    sales = plan.tables["sales"]
    assert list(sales.columns) == [
        "sku_id",
        "region_id",
        "platform_id",
        "channel_id",
        "units_demanded",
        "units_served",
        "price",
        "revenue",
        "commission",
        "fees",
        "returns_cost",
        "landed_cost",
        "contribution",
    ]
    lost = sales[sales["channel_id"] == ""]
    assert lost[["sku_id", "platform_id"]].values.tolist() == [["B", "MKT"]]
    assert lost["units_demanded"].sum() == pytest.approx(200.0)
    assert sales["units_demanded"].sum() == pytest.approx(355.0)
    assert sales["units_served"].sum() == pytest.approx(155.0)
    own_b = sales[(sales["sku_id"] == "B") & (sales["platform_id"] == "OWN")]
    assert own_b["revenue"].sum() == pytest.approx(50 * 100.0)
    assert own_b["fees"].sum() == pytest.approx(50 * 1.0)  # 1 % payment fee
    # contributions add up to the profit before holding, consolidated and fixed costs
    fixed = sum(
        plan.cost_breakdown[k]
        for k in ("holding", "node_fixed", "channel_fixed", "slotting", "containers")
    )
    fixed += plan.cost_breakdown["consolidated_freight"] + plan.cost_breakdown["shipment_fixed"]
    fixed += plan.cost_breakdown["listing_fees"] + plan.cost_breakdown["platform_annual_fees"]
    assert sales["contribution"].sum() - fixed == pytest.approx(plan.kpis["profit"], rel=1e-9)
    listings = plan.tables["listings"].set_index(["sku_id", "platform_id"])
    assert not listings.loc[("B", "MKT"), "listed"]
    assert listings.loc[("B", "MKT"), "reason"].startswith("not profitable")
    assert listings.loc[("B", "OWN"), "listed"] and listings.loc[("A", ""), "listed"]
    assert "platform_id" in plan.tables["flows"].columns

    run = lean_chain.write_plan(plan, tmp_path / "run")
    assert (run / "plan" / "sales.csv").exists() and (run / "plan" / "listings.csv").exists()
    again = lean_chain.evaluate(inst, run)
    assert again.objective == pytest.approx(plan.objective, rel=1e-9)
    assert again.kpis["profit"] == pytest.approx(plan.kpis["profit"], rel=1e-9)


def test_cost_mode_tables_without_platforms(tmp_path):
    inst = lean_chain.load_instance(TINY)
    plan = lean_chain.solve(inst)
    assert "platform_id" not in plan.tables["flows"].columns
    sales = plan.tables["sales"]
    assert sales["units_served"].sum() == pytest.approx(110.0)
    assert (sales["platform_id"] == "").all()
    assert plan.tables["listings"]["listed"].all()
    assert plan.kpis["fill_rate_per_platform"] == {"direct": 1.0}
    assert plan.kpis["revenue"] == pytest.approx(100 * 200.0 + 10 * 100.0)
    assert plan.kpis["profit"] == pytest.approx(plan.kpis["revenue"] - plan.objective)


def test_returns_make_the_marketplace_unprofitable_but_the_own_store_sells(tmp_path):
    """B lands at about 80. On MKT at 10 % commission it nets 100 - 10 - 2 = 88 and sells;
    with 30 % returns costing 20 each and not resaleable it nets 88 - 0.3 x (100 - 10 + 20 +
    50) = 40 and profit mode stops selling it there (the own store, without returns, keeps
    selling)."""
    fees = "platform_id,category,min_price,commission_rate\nMKT,*,0,0.10\n"
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,50,OWN\nB,R1,200,MKT\n"
    returns = "platform_id,category,return_rate,cost_per_return\nMKT,*,0.3,20\n"
    sold = {}
    for with_returns in (False, True):
        folder = make(tmp_path / str(with_returns), demand, fees=fees)
        if with_returns:
            (folder / "platform_returns.csv").write_text(returns)
        inst = lean_chain.load_instance(folder)
        assert 40.0 < unit_cost(inst, 2) < 88.0
        plan = lean_chain.solve(inst, objective="profit")
        sold[with_returns] = sold_per_row(inst, plan)
        if with_returns:
            model = build_cost_model(inst)
            on_mkt = model.index.pairs.demand_row == 2
            np.testing.assert_allclose(model.pair_returns_per_unit[on_mkt], 48.0)
            np.testing.assert_allclose(model.pair_net_price[on_mkt], 40.0)
    np.testing.assert_allclose(sold[False], [100.0, 50.0, 200.0], atol=1e-6)
    np.testing.assert_allclose(sold[True], [100.0, 50.0, 0.0], atol=1e-6)


def test_cli_solve_objective_profit_writes_sales_and_listings(tmp_path, capsys):
    from lean_chain.cli import main

    demand = "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,50,OWN\nB,R1,200,MKT\n"
    folder = make(tmp_path, demand)
    run = tmp_path / "run"
    code = main(["solve", str(folder), "--out", str(run), "--objective", "profit", "--no-store"])
    assert code == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["objective_mode"] == "profit"
    assert summary["objective"] == pytest.approx(-summary["kpis"]["profit"], rel=1e-9)
    sales = pd.read_csv(run / "plan" / "sales.csv", keep_default_na=False)
    assert sales["units_demanded"].sum() == pytest.approx(350.0)
    listings = pd.read_csv(run / "plan" / "listings.csv", keep_default_na=False)
    assert listings.loc[listings["platform_id"] == "MKT", "listed"].tolist() == [False]
    # evaluate re-prices the run in the mode it was solved
    capsys.readouterr()
    assert main(["evaluate", str(folder), str(run)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["objective"] == pytest.approx(summary["objective"], rel=1e-9)
    code = main(
        [
            "solve",
            str(folder),
            "--out",
            str(tmp_path / "run2"),
            "--objective",
            "profit",
            "--method",
            "decompose",
            "--no-store",
        ]
    )
    assert code == 0  # the decomposition runs in profit mode (it used to be refused)
    decomposed = json.loads((tmp_path / "run2" / "summary.json").read_text())
    assert decomposed["method"] == "decompose"
    assert decomposed["kpis"]["profit"] <= summary["kpis"]["profit"] + 1e-6
    assert -decomposed["bound"] >= summary["kpis"]["profit"] - 1e-6  # an upper bound on profit
    assert (tmp_path / "run2" / "plan" / "sales.csv").exists()


@pytest.mark.parametrize("bz_fixed", [1000, 30000, 10_000_000])
def test_service_target_counts_the_units_sold(tmp_path, bz_fixed):
    """R1 must get half of what it is sold within 3 days: only 1210 via BZ (2 days) is fast,
    9610 (8 days) is slow. Whatever BZ's fixed cost, the plan keeps the share of the units
    it sells (selling nothing keeps it too), and the core and the MIP agree."""
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nB,R1,300,OWN\n"
    folder = make(tmp_path, demand)
    nodes = (folder / "nodes.csv").read_text().splitlines()
    nodes[0] += ",service_days,service_share"
    nodes = [
        line + (",3,0.5" if line.startswith("R1,") else ",," if i else "")
        for i, line in enumerate(nodes)
    ]
    nodes = [
        line.replace(
            "bonded_zone,Shanghai bonded zone,CN,31.35,121.6,1000",
            f"bonded_zone,Shanghai bonded zone,CN,31.35,121.6,{bz_fixed}",
        )
        for line in nodes
    ]
    (folder / "nodes.csv").write_text("\n".join(nodes) + "\n")
    inst = lean_chain.load_instance(folder)
    plan = lean_chain.solve(inst, objective="profit")
    flows = plan.tables["flows"]
    sold = flows["units"].sum()
    fast = flows.loc[flows["promise_days"] <= 3, "units"].sum()
    assert fast >= 0.5 * sold - 1e-6
    evaluated = lean_chain.evaluate(inst, plan)
    assert not evaluated.violations
    assert evaluated.objective == pytest.approx(plan.objective, rel=1e-6, abs=1e-6)
    if bz_fixed == 10_000_000:  # BZ never pays: nothing fast, so nothing sold at all
        assert sold == pytest.approx(0.0, abs=1e-6)
