"""Why this channel (lean_chain.explain): hand-built instances with known answers, a
break-even confirmed by re-solving on both sides, and honesty checks of every reason."""

from __future__ import annotations

import dataclasses
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.explain import COLUMNS, LIMIT_FAMILIES, alternatives
from lean_chain.formulation.build import build_problem
from lean_chain.formulation.solution import decode
from lean_chain.index import DROP_REASONS
from lean_chain.solvers import SolveOptions, get_backend

TINY = Path(__file__).parent / "data" / "tiny"
NODES_HEADER = "node_id,kind,name,country,lat,lon,fixed_cost,handling_cost_per_unit"


def _tiny(folder: Path, *, demand: str, params: dict | None = None, **files: str) -> Path:
    """tiny (S1 -> BZ -> R1 by 1210, S1 -> R1 by 9610) with some files replaced."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("channels", "fx", "lanes", "nodes", "skus", "tax_rules"):
        if name in files:
            (folder / f"{name}.csv").write_text(files[name])
        else:
            shutil.copy(TINY / f"{name}.csv", folder / f"{name}.csv")
    text = (TINY / "parameters.yaml").read_text()
    for key, value in (params or {}).items():
        if f"{key}:" in text:
            text = "\n".join(
                f"{key}: {value}" if line.startswith(f"{key}:") else line
                for line in text.splitlines()
            )
        else:
            text += f"\n{key}: {value}"
    (folder / "parameters.yaml").write_text(text + "\n")
    (folder / "demand.csv").write_text(demand)
    return folder


def _solve(folder: Path):
    instance = lean_chain.load_instance(folder)
    plan = lean_chain.solve(instance, sensitivity=False)
    return instance, plan


def _row(table: pd.DataFrame, sku: str, channel: str) -> pd.Series:
    [index] = np.flatnonzero((table["sku_id"] == sku) & (table["channel_id"] == channel))
    return table.iloc[index]


def check_honest(instance, plan) -> None:
    """Every reason is checkable against the plan (issue 19, 'Honest')."""
    table = plan.tables["alternatives"]
    key = ["sku_id", "region_id"]
    if instance.has_platforms:
        key.append("platform_id")
    assert sorted(table.columns) == sorted([*COLUMNS, *key[2:]])
    chosen = table[table["status"] == "chosen"]
    assert np.allclose(chosen.groupby(key)["share"].sum(), 1.0)
    dearest = chosen.groupby(key)["unit_cost"].max().rename("dearest_chosen")
    merged = table.join(dearest, on=key)
    # a dearer candidate really is dearer per unit than every chosen path of its row
    dearer = merged[merged["status"] == "dearer"]
    assert (dearer["unit_cost"] > dearer["dearest_chosen"]).all()
    assert (dearer["delta_per_unit"] > 0).all()
    cheaper = merged[merged["status"] == "cheaper"]
    assert (cheaper["unit_cost"] < cheaper["dearest_chosen"]).all()
    assert (cheaper["reason"] != "").all() and (cheaper["reason_kind"] != "").all()
    # a capacity reason names a limit row whose slack is zero in the solution
    limited = table[table["reason_kind"].isin(list(LIMIT_FAMILIES))]
    assert (limited["binding"] != "").all()
    assert np.allclose(limited["binding_slack"], 0.0, atol=1e-5)
    nodes = plan.tables["nodes"].set_index("node_id")
    for node in limited.loc[limited["reason_kind"] == "storage", "binding"].unique():
        assert nodes.at[node, "storage_m3"] == pytest.approx(
            nodes.at[node, "storage_capacity_m3"], rel=1e-6
        )
    # a fixed-cost reason: the fixed costs it adds exceed what it saves on this demand
    fixed = table[table["reason_kind"] == "fixed_cost"]
    assert (fixed["added_fixed_cost"] > -fixed["delta_per_unit"] * fixed["units"]).all()
    # a service reason: the path is slower than the region's service window
    days = instance.nodes.set_index("node_id")["service_days"]
    service = table[table["reason_kind"] == "service"]
    assert (service["promise_days"].to_numpy() > days[service["region_id"]].to_numpy()).all()
    # a rule reason names the rule that really excludes the path (the index's)
    model = build_cost_model(instance)
    # a max-channels reason: the SKU uses as many channels as it may
    capped = table.loc[table["reason_kind"] == "max_channels", "sku_id"].unique()
    used = plan.tables["sku_channels"].groupby("sku_id")["channel_id"].nunique()
    most = pd.Series(model.sku_max_channels, index=instance.skus["sku_id"])
    assert (used[capped] == most[capped]).all()
    pairs, paths = model.index.pairs, model.index.paths
    expected = pd.DataFrame(
        {
            "sku_id": instance.demand["sku_id"].to_numpy(object)[pairs.excluded_demand_row],
            "region_id": instance.demand["region_id"].to_numpy(object)[pairs.excluded_demand_row],
            "path_key": paths.key[pairs.excluded_path],
            "reason_kind": np.array(DROP_REASONS, dtype=object)[pairs.excluded_reason],
        }
    )
    excluded = table.loc[table["status"] == "excluded", list(expected.columns)]
    assert sorted(map(tuple, excluded.to_numpy())) == sorted(map(tuple, expected.to_numpy()))
    assert (table.loc[table["status"] == "excluded", "share"] == 0).all()
    # every usable pair is listed once
    assert (table["status"] != "excluded").sum() == model.n_pairs
    # components add up to the unit cost
    components = list(COLUMNS[COLUMNS.index("procurement") : COLUMNS.index("lane_charges") + 1])
    usable = table[table["status"] != "excluded"]
    assert np.allclose(usable[components].sum(axis=1), usable["unit_cost"])
    # one break-even per row with a rejected candidate, on the best rejected one
    best = table[table["best_rejected"]]
    assert not best.duplicated(key).any()
    assert (table.loc[~table["best_rejected"], "breakeven_kind"] == "").all()


def test_tiny_explains_every_candidate():
    instance = lean_chain.load_instance(TINY)
    plan = lean_chain.solve(instance, sensitivity=False)
    table = plan.explain(sku="A")
    assert table["status"].tolist() == ["chosen", "dearer"]
    dearer = _row(table, "A", "9610")
    # by hand: 9610 freight 30 CNY/kg x 1 kg against 1210's 2 x 1 + 5 + handling 1
    assert dearer["delta_per_unit"] == pytest.approx(30 - 8)
    assert dearer["delta_per_year"] == pytest.approx(22 * 100)
    assert "dearer by 22.00 CNY per unit" in dearer["reason"]
    assert plan.explain(region="R1")["sku_id"].tolist() == ["A", "A", "B", "B"]
    check_honest(instance, plan)


def test_cheaper_channel_excluded_by_a_full_bonded_zone(tmp_path):
    """B saves 8 CNY a unit on 0.001 m³, A 22 on 0.01 m³: B gets the bonded zone's
    0.1 m³ first (it needs 0.15), A's cheaper bonded path loses to the full zone."""
    folder = _tiny(
        tmp_path / "full",
        demand="sku_id,region_id,units\nA,R1,3650\nB,R1,3650\n",
        params={"review_period_days": 30, "max_channels_per_sku": 2},
        nodes=f"{NODES_HEADER},storage_capacity_m3\n"
        "S1,supplier,Tokyo supplier,JP,35.68,139.69,,,\n"
        "BZ,bonded_zone,Shanghai bonded zone,CN,31.35,121.6,1000,1,0.1\n"
        "R1,region,Shanghai,CN,31.23,121.47,,,\n",
    )
    instance, plan = _solve(folder)
    table = plan.tables["alternatives"]
    bonded = _row(table, "A", "1210")
    assert bonded["status"] == "cheaper"
    assert bonded["reason_kind"] == "storage"
    assert bonded["binding"] == "BZ"
    assert "node BZ's storage is full" in bonded["reason"]
    assert bonded["delta_per_unit"] == pytest.approx(-22.0)
    # what A's demand needs at BZ: 3650 x 15 / 365 units on hand x 0.01 m³
    assert bonded["breakeven_kind"] == "capacity"
    assert bonded["breakeven_value"] == pytest.approx(1.5)
    assert _row(table, "A", "9610")["status"] == "chosen"
    # A does not use 1210 at all: the LP with the plan's network fixed cannot use it
    assert np.isnan(bonded["lp_unit_fall"])
    check_honest(instance, plan)


def test_lp_break_even_of_a_storage_bound_row(tmp_path):
    """A sells in R1 and R2 (R2's bonded leg 5 CNY a unit dearer); the bonded zone's
    0.9 m³ go to B (0.15 m³), then half of A in R1 (0.75 of 1.5 m³): A in R2 stays on
    direct mail although bonded is cheaper there. With the network fixed, the LP moves it
    once it saves as much per m³ as A in R1 does: 5 CNY a unit more."""
    lanes = (TINY / "lanes.csv").read_text().rstrip("\n") + (
        "\nL2b,BZ,R2,truck,1210,0,10,2\nL3b,S1,R2,express,9610,30,0,8\n"
    )
    folder = _tiny(
        tmp_path / "lp",
        demand="sku_id,region_id,units\nA,R1,3650\nA,R2,3650\nB,R1,3650\n",
        params={"review_period_days": 30, "max_channels_per_sku": 2},
        lanes=lanes,
        nodes=f"{NODES_HEADER},storage_capacity_m3\n"
        "S1,supplier,Tokyo supplier,JP,35.68,139.69,,,\n"
        "BZ,bonded_zone,Shanghai bonded zone,CN,31.35,121.6,1000,1,0.9\n"
        "R1,region,Shanghai,CN,31.23,121.47,,,\n"
        "R2,region,Suzhou,CN,31.3,120.6,,,\n",
    )
    instance, plan = _solve(folder)
    table = plan.explain(sku="A", region="R2")
    bonded = _row(table, "A", "1210")
    assert bonded["status"] == "cheaper" and bonded["reason_kind"] == "storage"
    assert bonded["delta_per_unit"] == pytest.approx(-17.0)
    assert bonded["lp_unit_fall"] == pytest.approx(5.0)
    assert "the LP with the plan's network fixed starts to use it" in bonded["breakeven"]
    check_honest(instance, plan)
    _confirm_lp_fall(instance, plan, "A", "R2", "1210", 5.0)


def _confirm_lp_fall(instance, plan, sku: str, region: str, channel: str, fall: float) -> None:
    """Re-solve the fixed-integer LP with the pair's cost lowered by ``fall`` -+ 1 CNY
    a unit: it stays out just below, and enters just above."""
    from lean_chain.formulation.solution import encode
    from lean_chain.sensitivity import fix_integers

    model = build_cost_model(instance)
    pairs = model.index.pairs
    sku_pos = instance.skus["sku_id"].tolist().index(sku)
    channel_pos = instance.channels["channel_id"].astype(str).tolist().index(channel)
    region_pos = instance.nodes["node_id"].tolist().index(region)
    [j] = np.flatnonzero(
        (pairs.sku == sku_pos) & (pairs.channel == channel_pos) & (pairs.region == region_pos)
    )
    problem = build_problem(model)
    lp = fix_integers(problem, encode(problem, model, plan.decisions))
    x = problem.col_blocks["x"].start + j
    for change, enters in ((fall - 1.0, False), (fall + 1.0, True)):
        objective = lp.objective.copy()
        objective[x] -= change * model.demand_units[j]
        result = get_backend("highs").solve(
            dataclasses.replace(lp, objective=objective), SolveOptions()
        )
        assert (result.solution[x] > 1e-6) == enters, change


def _fixed_cost_instance(folder: Path, units: float, freight_9610: float = 30.0) -> Path:
    """One SKU (A) whose bonded path saves 22 CNY a unit but adds the channel's per-SKU
    fixed cost (1,500) and the bonded zone's opening (1,000)."""
    return _tiny(
        folder,
        demand=f"sku_id,region_id,units\nA,R1,{units}\n",
        channels=(TINY / "channels.csv")
        .read_text()
        .replace("counts_toward_cbec_quota", "counts_toward_cbec_quota,fixed_cost_per_sku")
        .replace("true,true\n9610", "true,true,1500\n9610")
        .rstrip("\n")
        + ",0\n",
        lanes=(TINY / "lanes.csv")
        .read_text()
        .replace("L3,S1,R1,express,9610,30,", f"L3,S1,R1,express,9610,{freight_9610},"),
    )


def test_dearer_channel_chosen_because_the_cheaper_ones_fixed_cost_exceeds_its_saving(tmp_path):
    instance, plan = _solve(_fixed_cost_instance(tmp_path / "fixed", 100))
    table = plan.tables["alternatives"]
    assert _row(table, "A", "9610")["status"] == "chosen"
    bonded = _row(table, "A", "1210")
    assert bonded["status"] == "cheaper"
    assert bonded["reason_kind"] == "fixed_cost"
    assert bonded["added_fixed_cost"] == pytest.approx(2500.0)
    # by hand: 2,500 CNY of fixed cost / 22 CNY saved a unit = 113.6 units a year
    assert bonded["breakeven_kind"] == "volume"
    assert bonded["breakeven_value"] == pytest.approx(2500 / 22)
    assert "113.6" in f"{bonded['breakeven_value']:.1f}"
    check_honest(instance, plan)
    # and the switch happens there: 113 units stay on direct mail, 114 go bonded
    for units, channel in ((113, "9610"), (114, "1210")):
        _, plan = _solve(_fixed_cost_instance(tmp_path / f"u{units}", units))
        assert set(plan.tables["flows"]["channel_id"]) == {channel}


def test_unit_cost_break_even_confirmed_by_resolving(tmp_path):
    """A alone: bonded (126.2 CNY a unit, BZ opens at 1,000) beats direct mail (148.2)
    at 100 units; switching frees the bonded zone, so direct mail wins once its unit
    cost falls by more than 22 - 1,000 / 100 = 12 CNY (freight 30 -> 18 CNY/kg)."""
    folder = _tiny(tmp_path / "base", demand="sku_id,region_id,units\nA,R1,100\n")
    instance, plan = _solve(folder)
    mail = _row(plan.tables["alternatives"], "A", "9610")
    assert mail["status"] == "dearer" and mail["best_rejected"]
    assert mail["breakeven_kind"] == "unit_cost"
    assert mail["breakeven_value"] == pytest.approx(-12.0)
    assert mail["breakeven_local"]
    check_honest(instance, plan)
    step = 0.5
    for freight, channel in ((18 + step, "1210"), (18 - step, "9610")):
        lanes = (
            (TINY / "lanes.csv")
            .read_text()
            .replace("L3,S1,R1,express,9610,30,", f"L3,S1,R1,express,9610,{freight},")
        )
        _, moved = _solve(
            _tiny(
                tmp_path / f"f{freight}",
                demand="sku_id,region_id,units\nA,R1,100\n",
                lanes=lanes,
            )
        )
        assert set(moved.tables["flows"]["channel_id"]) == {channel}


def test_channel_excluded_by_the_per_order_cap(tmp_path):
    """30 units of A per order (6,000 CNY) break 1210's 5,000 CNY cap; 9610 has none."""
    rules = (
        (TINY / "tax_rules.csv")
        .read_text()
        .replace(
            "9610,CN,cbec_retail,0.13,true,0.7,5000,true", "9610,CN,cbec_retail,0.13,true,0.7,,true"
        )
    )
    folder = _tiny(
        tmp_path / "cap",
        demand="sku_id,region_id,units,units_per_order\nA,R1,300,30\n",
        tax_rules=rules,
    )
    instance, plan = _solve(folder)
    table = plan.explain(sku="A")
    bonded = _row(table, "A", "1210")
    assert bonded["status"] == "excluded"
    assert bonded["reason_kind"] == "order_value_cap"
    assert "per-order value cap" in bonded["reason"]
    assert np.isnan(bonded["unit_cost"])
    assert _row(table, "A", "9610")["status"] == "chosen"
    check_honest(instance, plan)


def test_binding_cbec_quota(tmp_path):
    """Direct mail does not count toward R1's quota of 15,000 CNY. A saves 0.11 CNY per
    CNY of quota, B 0.08: A takes the quota (20,000 wanted), B's cheaper 1210 loses."""
    channels = (
        (TINY / "channels.csv")
        .read_text()
        .replace(
            "9610,direct mail import,import,supplier>region,,true,true",
            "9610,direct mail import,import,supplier>region,,true,false",
        )
    )
    folder = _tiny(
        tmp_path / "quota",
        demand="sku_id,region_id,units\nA,R1,100\nB,R1,10\n",
        params={"cbec_annual_limit_per_person": 30000, "max_channels_per_sku": 2},
        channels=channels,
        nodes=f"{NODES_HEADER},consumers\n"
        "S1,supplier,Tokyo supplier,JP,35.68,139.69,,,\n"
        "BZ,bonded_zone,Shanghai bonded zone,CN,31.35,121.6,1000,1,\n"
        "R1,region,Shanghai,CN,31.23,121.47,,,0.5\n",
    )
    instance, plan = _solve(folder)
    table = plan.tables["alternatives"]
    bonded = _row(table, "B", "1210")
    assert bonded["status"] == "cheaper"
    assert bonded["reason_kind"] == "cbec_quota"
    assert bonded["binding"] == "R1"
    assert "region R1's CBEC quota is exhausted" in bonded["reason"]
    # the quota is really used up: A's 1210 flow x 200 CNY = 15,000
    flows = plan.tables["flows"]
    quota_use = (flows.loc[flows["channel_id"] == "1210", "units"] * 200.0).sum()
    assert quota_use == pytest.approx(15000.0)
    # B needs 10 x 100 CNY of quota to switch
    assert bonded["breakeven_kind"] == "capacity"
    assert bonded["breakeven_value"] == pytest.approx(1000.0)
    check_honest(instance, plan)


def test_gap_wording_for_a_plan_not_proven_optimal():
    instance = lean_chain.load_instance(TINY)
    plan = lean_chain.solve(instance, sensitivity=False)
    model = build_cost_model(instance)
    table = alternatives(model, plan.decisions, status="feasible", gap=0.02)
    assert len(table) == 4
    # forcing a dearer plan makes the cheaper path lose "within the plan's gap"
    share = plan.decisions.share.copy()
    pairs = model.index.pairs
    a_rows = pairs.sku == 0
    share[a_rows] = np.where(model.index.pairs.channel[a_rows] == 1, 1.0, 0.0)
    from lean_chain.costs.evaluate import decisions_from_shares

    worse = decisions_from_shares(model, share)
    table = alternatives(model, worse, status="feasible", gap=0.02)
    bonded = _row(table, "A", "1210")
    assert bonded["status"] == "cheaper"
    assert "within the plan's gap of 2.00 %" in bonded["reason"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_break_even_switches_on_the_right_side_in_generated_instances(tmp_path, seed):
    """Lower the best rejected candidate's cost by its break-even plus a step in the MIP:
    a proven-optimal plan must then use it (the switch side of a local break-even)."""
    from lean_chain.generate import generate

    instance = generate(4, regions=3, nodes=2, seed=seed, out=tmp_path / f"g{seed}", kind="import")
    plan = lean_chain.solve(instance, sensitivity=False, gap=1e-9)
    table = plan.tables["alternatives"]
    candidates = table[table["breakeven_kind"] == "unit_cost"]
    if candidates.empty:
        pytest.skip("no dearer best rejected candidate")
    pick = candidates.iloc[0]
    model = build_cost_model(instance)
    pairs, paths = model.index.pairs, model.index.paths
    sku_pos = instance.skus["sku_id"].tolist().index(pick["sku_id"])
    [j] = np.flatnonzero(
        (pairs.sku == sku_pos)
        & (instance.nodes["node_id"].to_numpy(object)[pairs.region] == pick["region_id"])
        & (paths.key[pairs.path] == pick["path_key"])
    )
    problem = build_problem(model)
    x0 = problem.col_blocks["x"].start
    fall = -pick["breakeven_value"]
    objective = problem.objective.copy()
    objective[x0 + j] -= (fall + 0.01 * max(abs(fall), 1.0)) * model.demand_units[j]
    result = get_backend("highs").solve(
        dataclasses.replace(problem, objective=objective), SolveOptions(relative_gap=1e-9)
    )
    assert decode(problem, model, result.solution).share[j] > 0


def test_cn_import_reasons_are_honest(tmp_path):
    instance = lean_chain.load_instance("instances/cn_import")
    plan = lean_chain.solve(instance, gap=0.005, sensitivity=False)
    check_honest(instance, plan)
    table = plan.tables["alternatives"]
    assert {"chosen", "dearer", "cheaper", "excluded"} <= set(table["status"])
    assert "within the plan's gap" in " ".join(table.loc[table["status"] == "cheaper", "reason"])


def test_cli_explain_formats_and_an_edited_plan(tmp_path, capsys):
    from lean_chain.cli import main

    run = tmp_path / "run"
    assert main(["solve", str(TINY), "--out", str(run), "--quiet", "--no-store"]) == 0
    capsys.readouterr()
    assert main(["explain", str(run), "--sku", "A", "--format", "csv"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"channel_id": str})
    assert frame["status"].tolist() == ["chosen", "dearer"]
    assert main(["explain", str(run), "--region", "R1", "--format", "json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["sku_id"] for r in records] == ["A", "A", "B", "B"]
    assert main(["explain", str(run), "--sku", "A"]) == 0
    out = capsys.readouterr().out
    assert "A in R1" in out and "dearer by 22.00 CNY per unit" in out
    # an edited plan: A moved to direct mail; --recompute re-derives the reasons
    flows = (run / "plan" / "flows.csv").read_text()
    (run / "plan" / "flows.csv").write_text(
        flows.replace("A,R1,1210,1210|L1>L2", "A,R1,9610,9610|L3")
    )
    channels = run / "plan" / "sku_channels.csv"
    channels.write_text(channels.read_text().replace("A,1210", "A,9610"))
    assert main(["explain", str(run), "--sku", "A", "--format", "csv", "--recompute"]) == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out), dtype={"channel_id": str})
    assert frame.set_index("channel_id")["status"].to_dict() == {
        "9610": "chosen",
        "1210": "cheaper",
    }
    assert main(["explain", str(tmp_path / "nothing")]) == 2


def test_rows_per_sales_platform_are_named(tmp_path):
    folder = _tiny(
        tmp_path / "platforms",
        demand="sku_id,region_id,units,platform_id,price\nA,R1,100,OWN,\nA,R1,50,MKT,140\n",
    )
    (folder / "platforms.csv").write_text("platform_id,kind\nOWN,own_store\nMKT,marketplace\n")
    instance, plan = _solve(folder)
    table = plan.explain(sku="A")
    assert table["platform_id"].tolist() == ["OWN", "OWN", "MKT", "MKT"]
    check_honest(instance, plan)


def test_report_has_a_per_sku_drill_down(tmp_path):
    from lean_chain.report import build_report

    run = tmp_path / "run"
    lean_chain.write_plan(lean_chain.solve(lean_chain.load_instance(TINY)), run)
    html = build_report(run)
    assert "Why this channel" in html
    assert "<details><summary>A: 1 chosen, 1 dearer</summary>" in html
    assert "dearer by 22.00 CNY per unit" in html


def test_decomposition_plans_use_slack_reasons_and_say_within_the_gap(tmp_path):
    from lean_chain.generate import generate

    instance = generate(60, regions=5, nodes=3, seed=4, out=tmp_path / "g", kind="import")
    plan = lean_chain.solve(instance, method="decompose", gap=0.05, sensitivity=False)
    check_honest(instance, plan)
    table = plan.tables["alternatives"]
    assert table["lp_unit_fall"].isna().all()  # no LP duals for the decomposition
    optimality = table["reason_kind"].isin(["fixed_cost", "max_channels", "lane_charges", "gap"])
    if plan.gap is not None and plan.gap > 1e-6:
        assert table.loc[optimality, "reason"].str.contains("within the plan's gap").all()


def test_first_per_group_kernel_agrees_with_the_sort():
    """Per demand row, the first valid candidate with the least keys (ties broken by the
    next key, then by position): the segment kernel for rows in order equals the sorting
    path on the same elements shuffled, with infinite keys and invalid elements; a NaN
    key among a row's candidates leaves the row without one (as numpy's minimum)."""
    from lean_chain.explain import _first_per_group

    rng = np.random.default_rng(23)
    n = 5_000
    group = np.sort(rng.integers(0, 900, n))
    unit = rng.integers(0, 4, n).astype(float)
    unit[rng.random(n) < 0.05] = np.inf
    share = rng.integers(0, 3, n).astype(float)
    valid = rng.random(n) < 0.7
    shuffled = rng.permutation(n)
    position = np.arange(n, dtype=float)  # the kernel's last tie-break, made a key here
    for keys, kw in (((unit,), {}), ((unit, -share), {}), ((unit,), {"valid": valid})):
        fast = _first_per_group(group, *keys, **kw)
        slow_kw = {"valid": kw["valid"][shuffled]} if kw else {}
        slow_keys = (position[shuffled], *(k[shuffled] for k in keys))
        slow = _first_per_group(group[shuffled], *slow_keys, **slow_kw)
        assert fast.tolist() == np.where(slow >= 0, shuffled[np.maximum(slow, 0)], -1).tolist()
    tied = _first_per_group(np.zeros(4, dtype=int), np.array([2.0, 1.0, 1.0, 0.0]), -np.ones(4))
    assert tied.tolist() == [3]
    ties = _first_per_group(np.zeros(3, dtype=int), np.array([1.0, 0.0, 0.0]))
    assert ties.tolist() == [1]
    with_nan = unit.copy()
    with_nan[0] = np.nan
    assert _first_per_group(group, with_nan)[group[0]] == -1


def test_segment_kernels_agree_with_sorting_and_hashing():
    """The table's order and each SKU's best saving per (channel, node), computed by
    segment in kernels, equal numpy's lexsort and the hashing fallback, also with NaN
    and infinite keys and with segments longer than the insertion sort takes."""
    from lean_chain.explain import _sku_saving, _table_order

    rng = np.random.default_rng(19)
    n = 20_000
    sku = np.sort(rng.integers(0, 300, n))
    row = np.sort(sku * 40 + rng.integers(0, 3, n))  # a few demand rows per SKU
    unit = np.round(rng.random(n) * 5, 1)
    unit[rng.random(n) < 0.02] = np.inf
    unit[rng.random(n) < 0.01] = np.nan
    row_status = row * 5 + rng.integers(0, 5, n)
    row_status[:500] = 3  # one long segment
    row_status[-300:] = rng.integers(0, row_status.max(), 300)  # excluded paths, unsorted
    assert _table_order(row_status, unit).tolist() == np.lexsort((unit, row_status)).tolist()
    option = sku * 10 + rng.integers(0, 6, n)
    saving = np.maximum(rng.normal(1, 2, n), 0.0)
    fast = _sku_saving(sku, row, option, saving)
    shuffled = rng.permutation(n)  # not ordered: the hashing path
    slow = _sku_saving(sku[shuffled], row[shuffled], option[shuffled], saving[shuffled])
    np.testing.assert_allclose(fast[shuffled], slow, rtol=1e-12)
    by_hand = {}
    for r, o, v in zip(row, option, saving, strict=True):
        by_hand[(r, o)] = max(by_hand.get((r, o), 0.0), v)
    per_option = {}
    for (_, o), v in by_hand.items():
        per_option[o] = per_option.get(o, 0.0) + v
    np.testing.assert_allclose(fast, [per_option[o] for o in option], rtol=1e-12)
