"""The bundled instances: what they must contain, and that they solve with evaluate agreeing."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

import lean_chain
from lean_chain.cli import main

INSTANCES = ROOT / "instances"
GAP = 0.005  # the bar: optimal, or within 0.5 % under a time limit
TIME_LIMIT_S = 600


@pytest.fixture(scope="module", params=["cn_import", "global_export"])
def solved(request, tmp_path_factory):
    name = request.param
    run = tmp_path_factory.mktemp(name) / "run"
    code = main(
        [
            "solve",
            str(INSTANCES / name),
            "--out",
            str(run),
            "--gap",
            str(GAP),
            "--time-limit",
            str(TIME_LIMIT_S),
            "--quiet",
        ]
    )
    assert code == 0
    summary = json.loads((run / "summary.json").read_text())
    return name, run, summary


def test_plan_is_optimal_within_half_a_percent(solved):
    _, _, summary = solved
    assert summary["status"] in ("optimal", "feasible")
    assert summary["gap"] <= GAP + 1e-12
    assert summary["bound"] <= summary["objective"] * (1 + 1e-9)
    assert sum(summary["cost_breakdown"].values()) == pytest.approx(summary["objective"], rel=1e-9)
    assert summary["violations"] == []


def test_every_channel_carries_demand(solved):
    """An instance where a channel carries nothing tests nothing about that channel."""
    name, _, summary = solved
    instance = lean_chain.load_instance(INSTANCES / name)
    shares = summary["kpis"]["channel_share"]
    assert set(shares) == set(instance.channels["channel_id"])
    assert all(share > 0 for share in shares.values()), shares
    assert sum(shares.values()) == pytest.approx(1.0)


def test_evaluate_from_csv_agrees_with_solve(solved, capsys):
    name, run, summary = solved
    capsys.readouterr()
    assert main(["evaluate", str(INSTANCES / name), str(run)]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert evaluated["objective"] == pytest.approx(summary["objective"], rel=1e-6)
    for key, value in summary["cost_breakdown"].items():
        assert evaluated["cost_breakdown"][key] == pytest.approx(value, rel=1e-6, abs=1e-6)
    assert evaluated["violations"] == []


def test_every_row_sells_on_a_platform_the_rules_allow(solved):
    """Sales platforms (issue 18): department-store counters in mainland China sell
    general-trade stock only (Shang Cai Fa [2021] No. 39), the cross-border marketplaces
    bonded or direct-mail goods, the fulfilment-centre marketplace from its own centres
    (9810), business buyers 9710 only; the cost-optimal plan serves every unit."""
    import pandas as pd

    name, run, summary = solved
    sales = pd.read_csv(
        run / "plan" / "sales.csv", keep_default_na=False, dtype={"channel_id": str}
    )
    instance = lean_chain.load_instance(INSTANCES / name)
    assert set(sales["platform_id"]) == set(instance.platforms["platform_id"])
    assert summary["kpis"]["lost_units"] == pytest.approx(0.0, abs=1e-6)
    served = sales[sales["units_served"] > 1e-6]
    channels = served.groupby("platform_id")["channel_id"].agg(set).to_dict()
    if name == "cn_import":
        assert channels["STORE"] == {"0110"}
        assert channels["TMG"] <= {"1210", "9610"} and channels["JDW"] <= {"1210", "9610"}
        assert "1210" in channels["MINI"] | channels["DYL"]
    else:
        assert channels["AMZ_US"] == channels["AMZ_EU"] == channels["AMZ_JP"] == {"9810"}
        assert channels["B2B"] == {"9710"}
        assert len(channels["OWN"]) >= 3


def test_cn_import_looks_like_a_china_import_platform():
    inst = lean_chain.load_instance(INSTANCES / "cn_import")
    nodes = inst.nodes
    suppliers = nodes[nodes["kind"] == "supplier"]
    assert {"JP", "KR", "US", "DE", "AU"} <= set(suppliers["country"])
    assert (nodes["kind"] == "bonded_zone").sum() >= 4
    provinces = nodes[(nodes["kind"] == "region") & (nodes["country"] == "CN")]
    assert len(provinces) == 31
    assert len(inst.skus) >= 200
    assert (inst.skus["consumption_tax_rate"] > 0).any()
    assert (inst.skus["retail_price"] > 5000).any()
    assert set(inst.channels["channel_id"]) >= {"1210", "9610", "postal", "0110"}
    kinds = set(inst.platforms["kind"])
    assert kinds == {"marketplace", "live_commerce", "own_store", "physical_store"}
    stores = inst.platforms.loc[inst.platforms["kind"] == "physical_store", "platform_id"]
    on_store = inst.demand[inst.demand["platform_id"].isin(set(stores))]
    assert len(on_store) > 0 and (inst.demand["price"] > 0).all()


def test_global_export_looks_like_a_chinese_seller():
    inst = lean_chain.load_instance(INSTANCES / "global_export")
    nodes = inst.nodes
    factories = nodes[(nodes["kind"] == "supplier") & (nodes["country"] == "CN")]
    assert len(factories) >= 2
    warehouses = set(nodes.loc[nodes["kind"] == "overseas_warehouse", "country"])
    assert {"US", "GB", "JP", "AU"} <= warehouses
    assert warehouses & {"DE", "NL", "PL", "FR", "IT", "ES", "BE", "CZ"}
    assert (nodes["kind"] == "region").sum() >= 40
    assert (nodes["kind"] == "business_buyer").sum() >= 1
    assert set(inst.channels["channel_id"]) >= {"9610", "9810", "1210", "9710"}
    destinations = set(inst.tax_rules["destination_country"])
    assert {"US", "GB", "JP", "AU", "CA"} <= destinations
    # a marketplace that fulfils from its own centres in the US, the EU and Japan
    platforms = inst.platforms.set_index("platform_id")
    centres = {platforms.loc[p, "stock_nodes"] for p in ("AMZ_US", "AMZ_EU", "AMZ_JP")}
    countries = set(nodes.set_index("node_id").loc[sorted(centres), "country"])
    assert countries == {"US", "DE", "JP"}
    assert {"own_store", "marketplace", "b2b"} == set(platforms["kind"])
    buyers = set(nodes.loc[nodes["kind"] == "business_buyer", "node_id"])
    assert set(inst.demand.loc[inst.demand["platform_id"] == "B2B", "region_id"]) <= buyers


def test_generator_is_deterministic(tmp_path):
    """The bundled folders are exactly what the seeded generator writes."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(INSTANCES / "generate.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    for name in ("cn_import", "global_export"):
        for path in sorted((INSTANCES / name).iterdir()):
            generated = tmp_path / name / path.name
            assert generated.read_bytes() == path.read_bytes(), f"{name}/{path.name} differs"
