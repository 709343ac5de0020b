"""The instance generator: deterministic, valid, long-tailed, capacities that bind, solvable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lean_chain
from lean_chain.cli import main
from lean_chain.generate import DESIGN_UTILISATION, generate_tables, write_tables


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> lean_chain.Instance:
    """50 SKUs, 8 regions, 4 stocking nodes, both directions."""
    out = tmp_path_factory.mktemp("gen") / "small"
    return lean_chain.generate(50, regions=8, nodes=4, seed=3, out=out)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        tables, params = generate_tables(120, 10, 5, seed, kind="mixed")
        write_tables(tmp_path / name, tables, params)
    a, b, c = (snapshot(tmp_path / name) for name in "abc")
    assert a == b
    assert set(a) == {"parameters.yaml"} | {f"{t}.csv" for t in tables}
    assert a["demand.csv"] != c["demand.csv"]
    assert a["skus.csv"] != c["skus.csv"]


@pytest.mark.parametrize("kind", ["import", "export", "mixed"])
def test_each_kind_loads_without_issues(kind, tmp_path):
    # load_instance raises InstanceError on any issue (tables, references, reachability)
    inst = lean_chain.generate(40, regions=6, nodes=3, seed=1, out=tmp_path / kind, kind=kind)
    assert len(inst.skus) == 40
    assert set(inst.demand["sku_id"]) == set(inst.skus["sku_id"])
    channels = set(inst.channels["channel_id"])
    expected = {
        "import": {"1210", "9610", "postal", "0110"},
        "export": {"9610", "1210", "9810", "9710"},
        "mixed": {"1210", "9610", "postal", "0110", "9610-export", "1210-export", "9810", "9710"},
    }[kind]
    assert channels == expected


def test_realism_of_skus_and_demand():
    tables, _ = generate_tables(3000, 30, 10, 0, kind="mixed")
    skus, demand = tables["skus"], tables["demand"]
    units = demand.groupby("sku_id")["units"].sum().sort_values(ascending=False).to_numpy()
    assert units[: len(units) // 5].sum() >= 0.6 * units.sum()  # long tail
    assert 5 <= len(demand) / len(skus) <= 15
    assert (skus["retail_price"] > 5000).any()  # luxury above the CBEC single-order cap
    assert (skus["consumption_tax_rate"] > 0).any()
    assert (skus["positive_list"] == "false").any()
    corr = np.corrcoef(np.log(skus["weight_kg"]), np.log(skus["volume_m3"]))[0, 1]
    assert corr > 0.6
    nodes = tables["nodes"]
    regions = nodes[nodes["kind"] == "region"]
    assert len(regions) == 30
    assert (regions["service_share"] > 0).any() and (regions["consumers"] > 0).any()


def test_capacity_is_sized_to_bind():
    from lean_chain.generate import _stock_need

    tables, _ = generate_tables(2000, 20, 8, 2, kind="import")
    nodes, demand = tables["nodes"], tables["demand"]
    stock = nodes[nodes["storage_capacity_m3"].notna()]
    assert len(stock) == 8
    units, m3 = _stock_need(tables["skus"], demand)
    lo, hi = DESIGN_UTILISATION
    # every node reaches every province: total need is 60-90 % of total capacity ...
    for need, capacity in (
        (units.sum(), stock["throughput_capacity_units"].sum()),
        (m3.sum(), stock["storage_capacity_m3"].sum()),
    ):
        assert lo - 0.02 <= need / capacity <= hi + 0.02
    # ... and no single node, the cheapest included, can hold it all
    assert stock["throughput_capacity_units"].max() < units.sum()
    assert stock["storage_capacity_m3"].max() < m3.sum()


def test_small_instance_solves_and_evaluation_agrees(small):
    plan = lean_chain.solve(small, gap=0.01, time_limit=60)
    assert plan.status in ("optimal", "feasible")
    evaluation = lean_chain.evaluate(small, plan)
    assert plan.objective == pytest.approx(evaluation.objective, rel=1e-6)
    used = plan.tables["nodes"]
    used = used[used["open"]]
    full = (used["throughput_units"] >= used["throughput_capacity_units"] * (1 - 1e-6)) | (
        used["storage_m3"] >= used["storage_capacity_m3"] * (1 - 1e-6)
    )
    assert full.any()  # some capacity binds in the optimum


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="kind"):
        generate_tables(10, kind="domestic")
    with pytest.raises(ValueError, match="nodes"):
        generate_tables(10, 4, 1, kind="mixed")


def test_cli_writes_and_refuses_a_non_empty_out(tmp_path, capsys):
    out = tmp_path / "inst"
    args = ["generate", "--skus", "20", "--regions", "4", "--nodes", "2", "--out", str(out)]
    assert main([*args, "--kind", "export"]) == 0
    before = snapshot(out)
    assert "skus.csv" in before
    capsys.readouterr()
    assert main(args) == 2
    assert "not an empty directory" in capsys.readouterr().err
    assert snapshot(out) == before  # nothing overwritten or deleted
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("x")
    assert main(["generate", "--skus", "5", "--out", str(tmp_path / "other")]) == 2
    assert (tmp_path / "other" / "keep.txt").read_text() == "x"


def test_tiny_export_without_business_buyers_generates_and_solves():
    # 5 SKUs, 1 region: no SKU may be drawn for a business buyer (once a crash in _spread)
    instance = lean_chain.generate(skus=5, regions=1, nodes=2, seed=15, kind="export")
    plan = lean_chain.solve(instance, gap=0.01, time_limit=60)
    assert lean_chain.evaluate(instance, plan).objective == pytest.approx(plan.objective, rel=1e-6)


@pytest.mark.parametrize("kind", ["import", "export", "mixed"])
def test_platforms_load_and_respect_their_rules(kind, tmp_path):
    """platforms=True: every demand row on a platform the row may use, the tables valid
    (load_instance checks platforms, fees, returns and the fulfilment centres named)."""
    tables, params = generate_tables(60, 12, 5, 4, kind=kind, platforms=True)
    inst = lean_chain.load_instance(write_tables(tmp_path / kind, tables, params))
    demand = inst.demand.merge(inst.skus[["sku_id", "positive_list"]], on="sku_id")
    assert set(demand["platform_id"]) == set(inst.platforms["platform_id"])
    assert (demand["price"] > 0).all()
    cbec_only = demand["platform_id"].isin({"TMG", "JDW"})
    assert demand.loc[cbec_only, "positive_list"].astype(bool).all()
    buyers = set(inst.nodes.loc[inst.nodes["kind"] == "business_buyer", "node_id"])
    assert (demand["platform_id"] == "B2B").eq(demand["region_id"].isin(buyers)).all()
    centres = inst.platforms.loc[inst.platforms["stock_nodes"] != "*", "stock_nodes"]
    assert set(centres) <= set(inst.nodes["node_id"])
    plan = lean_chain.solve(inst, gap=0.01, time_limit=60)
    assert plan.status in ("optimal", "feasible")


def test_presets_are_the_bundled_instances_and_deterministic():
    from lean_chain.generate import PRESETS, preset_tables

    for name, preset in PRESETS.items():
        a, params = preset_tables(name)
        b, _ = preset_tables(name)
        assert params["name"] == name and len(a["skus"]) == preset.size[0]
        assert all(a[t].equals(b[t]) for t in a)
        assert {"platforms", "platform_fees", "platform_returns"} <= set(a)
