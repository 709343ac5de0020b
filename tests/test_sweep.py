"""Scenario sweeps (issue 14): overrides, engines, comparison, CLI."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import lean_chain
from lean_chain.cli import EXIT_BAD_INPUT, EXIT_OK, main
from lean_chain.io.tables import read_folder
from lean_chain.runstore import RunStore
from lean_chain.scenarios import (
    NotApplicable,
    Scenario,
    ScenarioError,
    apply_scenario,
    parse_override,
    parse_scenarios,
    read_scenarios,
)
from lean_chain.sweep import SweepOptions, read_raw, run_sweep, solve_scenario
from tests.conftest import TINY, set_cells


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("lanes.cost_per_kg ** 2", "expected 'table[column=value].column OP value'"),
        ("trucks.cost = 1", "no table 'trucks'"),
        ("lanes.speed *= 2", "table 'lanes' has no column 'speed'"),
        ("lanes[colour=red].cost_per_kg *= 2", "table 'lanes' has no column 'colour'"),
        ("lanes[mode sea].cost_per_kg *= 2", "filter 'mode sea' is not 'column=value'"),
        ("lanes.mode *= 2", "*= needs a numeric column; 'mode' is not"),
        ("lanes.cost_per_kg = cheap", "'cost_per_kg' takes a number, got 'cheap'"),
        ("lanes.cost_per_kg = nan", "not a number"),
    ],
)
def test_bad_overrides_are_rejected_with_what_was_expected(expression, message):
    with pytest.raises(ScenarioError) as err:
        parse_override(expression, "scenario 'x'")
    assert message in str(err.value)
    assert "scenario 'x'" in str(err.value)


def test_a_bad_scenario_is_kept_with_its_error_and_the_others_parse():
    scenarios = parse_scenarios(
        {
            "scenarios": [
                {"name": "ok", "overrides": ["demand.units *= 2"]},
                {"name": "typo", "overrides": ["demand.unit *= 2"]},
                {"name": "ok", "overrides": []},
                {"overrides": []},
                {"name": "date", "as_of": "2026-13-01"},
            ]
        }
    )
    assert [s.error is None for s in scenarios] == [True, False, False, False, False]
    assert "scenario 'typo'" in scenarios[1].error
    assert "a second scenario 'ok'" in scenarios[2].error
    assert "needs a 'name'" in scenarios[3].error
    assert "not a YYYY-MM-DD date" in scenarios[4].error
    with pytest.raises(ScenarioError, match="non-empty list"):
        parse_scenarios({"scenarios": []})


def test_overrides_change_only_the_matching_rows_and_never_the_input():
    tables, params = read_folder(TINY, [])
    before = {name: frame.copy() for name, frame in tables.items()}
    scenario = Scenario(
        "s",
        (
            parse_override("lanes[mode=sea].cost_per_kg *= 1.5"),
            parse_override("lanes[mode!=sea].lead_time_days += 1"),
            parse_override("demand[sku_id=B].units = 40"),
            parse_override("drop demand[sku_id=A,region_id=R1]"),
        ),
        {"holding_rate_per_year": 0.25},
        "2026-07-01",
    )
    new, new_params = apply_scenario(tables, params, scenario)
    lanes = new["lanes"].set_index("lane_id")
    assert lanes.loc["L1", "cost_per_kg"] == pytest.approx(3.0)  # sea: 2 x 1.5
    assert lanes.loc["L3", "cost_per_kg"] == pytest.approx(30.0)
    assert list(lanes["lead_time_days"]) == [10.0, 3.0, 9.0]
    assert new["demand"][["sku_id", "units"]].values.tolist() == [["B", 40.0]]
    assert new_params["holding_rate_per_year"] == 0.25 and new_params["as_of"] == "2026-07-01"
    for name, frame in before.items():
        pd.testing.assert_frame_equal(tables[name], frame)
    assert params["holding_rate_per_year"] == 0.0


def test_infinite_fixed_cost_closes_the_node_and_a_filter_on_nothing_is_not_applicable():
    tables, params = read_folder(TINY, [])
    closed, _ = apply_scenario(
        tables, params, Scenario("c", (parse_override("nodes[node_id=BZ].fixed_cost = inf"),))
    )
    assert set(closed["lanes"]["lane_id"]) == {"L3"}
    assert not math.isinf(closed["nodes"]["fixed_cost"].fillna(0).max())
    with pytest.raises(NotApplicable, match=r"lanes\[mode=air\] matches no row"):
        apply_scenario(
            tables, params, Scenario("n", (parse_override("lanes[mode=air].cost_per_kg *= 2"),))
        )


def test_a_scenario_solves_like_the_same_change_made_in_the_csv_files(make_variant):
    """Independent path: the edit made with pandas in the CSV files, loaded and solved."""
    scenario = parse_scenarios(
        [{"name": "sea", "overrides": ["lanes[mode=sea].cost_per_kg *= 1.5", "demand.units *= 2"]}]
    )[0]
    result = solve_scenario(read_raw(TINY), scenario, SweepOptions(gap=0.0))

    def double(frame):
        frame["units"] = (frame["units"].astype(float) * 2).astype(str)
        return frame

    edited = make_variant(
        tables={"lanes": set_cells("lane_id", "L1", cost_per_kg="3"), "demand": double}
    )
    direct = lean_chain.solve(lean_chain.load_instance(edited), gap=0.0)
    assert result.objective == pytest.approx(direct.objective, rel=1e-9)


SCENARIOS = [
    {"name": "demand +20%", "overrides": ["demand.units *= 1.2"]},
    {"name": "no bonded zone", "overrides": ["nodes[node_id=BZ].fixed_cost = inf"]},
    {"name": "broken", "overrides": ["demand.units *= 1.2"], "parameters": {"horizon_days": -1}},
    {"name": "typo", "overrides": ["demand.unit *= 2"]},
    {"name": "slow mail", "overrides": ["lanes[lane_id=L3].lead_time_days = 30"]},
]


def test_failing_scenarios_do_not_stop_the_others_and_the_table_compares_with_the_base():
    sweep = run_sweep(TINY, parse_scenarios(SCENARIOS), engine="serial")
    table = sweep.table.set_index("scenario")
    assert list(table.index) == ["base", *[s["name"] for s in SCENARIOS]]
    assert table.loc["broken", "status"] == "failed"
    assert "horizon_days: got -1" in table.loc["broken", "error"]
    assert table.loc["typo", "status"] == "failed"
    assert table.loc["base", "objective_change"] == 0
    closed = table.loc["no bonded zone"]
    assert closed["nodes_closed"] == "BZ"
    assert closed["share_9610"] == pytest.approx(1.0)
    assert closed["share_change_9610"] == pytest.approx(1.0 - table.loc["base", "share_9610"])
    assert closed["skus_changed_channel"] == 2  # both SKUs moved from 1210 to 9610
    components = [c for c in table.columns if c.startswith("change_")]
    total = sum(closed[c] for c in components)
    assert total == pytest.approx(closed["objective_change"], rel=1e-6)


def test_a_big_scenario_streams_its_alternatives_into_its_run(tmp_path, monkeypatch):
    """A plan over api.ALTERNATIVES_TABLE_MAX_ROWS writes plan/alternatives.csv a block
    at a time: a sweep's run folder has it too, the same as a solve's run folder."""
    from lean_chain import api
    from lean_chain.sweep import write_sweep

    monkeypatch.setattr(api, "ALTERNATIVES_TABLE_MAX_ROWS", 0)
    sweep = run_sweep(TINY, parse_scenarios(SCENARIOS[:1]), engine="serial")
    (_, scenario) = sweep.results
    assert "alternatives" not in scenario.tables and "alternatives" in scenario.streamed
    write_sweep(sweep, tmp_path / "sweep")
    written = pd.read_csv(sweep.written["demand +20%"] / "plan" / "alternatives.csv")
    monkeypatch.setattr(api, "ALTERNATIVES_TABLE_MAX_ROWS", 10**9)
    held = lean_chain.solve(lean_chain.load_instance(TINY)).tables["alternatives"]
    assert list(written.columns) == list(held.columns)
    assert set(written["status"]) >= {"chosen"}


def test_a_local_dask_cluster_gives_the_same_results_as_the_process_pool():
    scenarios = parse_scenarios(SCENARIOS)
    pool = run_sweep(TINY, scenarios, workers=2, engine="processes").table
    cluster = run_sweep(TINY, scenarios, workers=2, scheduler="local").table
    assert list(pool["scenario"]) == list(cluster["scenario"])
    assert list(pool["status"]) == list(cluster["status"])
    ok = pool["error"] == ""
    assert ok.sum() == 4
    assert cluster.loc[ok, "objective"].to_numpy() == pytest.approx(
        pool.loc[ok, "objective"].to_numpy(), rel=1e-9
    )


def test_cli_sweep_writes_runs_and_table_and_never_a_foreign_folder(tmp_path, capsys):
    scenarios = tmp_path / "s.yaml"
    scenarios.write_text(json.dumps({"scenarios": SCENARIOS[:2]}))
    out = tmp_path / "sweep"
    store = RunStore(tmp_path / "runs.sqlite")
    command = ["sweep", str(TINY), "--scenarios", str(scenarios), "--out", str(out)]
    code = main([*command, "--run-store", str(store.path)])
    assert code == EXIT_OK
    assert len(store.list()) == 3  # the base and both scenarios are recorded
    table = pd.read_csv(out / "sweep.csv")
    assert list(table["scenario"]) == ["base", "demand +20%", "no bonded zone"]
    for folder in table["run_folder"]:
        assert (out / folder / "summary.json").is_file()
    # a second sweep needs --force; a folder that is not a sweep is never touched
    assert main(["sweep", str(TINY), "--scenarios", str(scenarios), "--out", str(out)]) == (
        EXIT_BAD_INPUT
    )
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["sweep", str(TINY), "--scenarios", str(scenarios), "--out", str(mine)]) == (
        EXIT_BAD_INPUT
    )
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    capsys.readouterr()
    assert main(
        ["sweep", str(TINY), "--scenarios", "builtin:nope", "--out", str(tmp_path / "x")]
    ) == (EXIT_BAD_INPUT)
    assert "tariff-shocks" in capsys.readouterr().err


def test_builtin_tariff_shocks_apply_where_the_instance_has_the_rules():
    """tiny has China CBEC retail rules only: the 2016 CBEC limits apply, the others do not."""
    scenarios = read_scenarios("builtin:tariff-shocks")
    assert len(scenarios) >= 6 and all(s.error is None for s in scenarios)
    table = run_sweep(TINY, scenarios, engine="serial").table.set_index("scenario")
    assert table.loc["cn-cbec-2016-limits", "status"] == "optimal"
    assert table.loc["us-de-minimis-800", "status"] == "not applicable"


def test_closing_a_node_also_drops_the_carrier_services_on_its_lanes(tmp_path):
    """Regression (bench_sweep): closing a bonded zone left rates on its dropped lanes,
    which then failed validation as dangling references."""
    from lean_chain.generate import generate_tables, write_tables

    tables, params = generate_tables(60, 5, 6, 1, kind="mixed")
    folder = write_tables(tmp_path / "g", tables, params)
    raw = read_raw(folder)
    zone = raw.tables["nodes"].loc[raw.tables["nodes"]["kind"] == "bonded_zone", "node_id"].iloc[0]
    on_zone = raw.tables["lanes"]["from_node"].eq(zone) | raw.tables["lanes"]["to_node"].eq(zone)
    lanes_of_zone = set(raw.tables["lanes"].loc[on_zone, "lane_id"])
    assert raw.tables["rates"]["lane_id"].isin(lanes_of_zone).any()  # the case at hand
    scenario = parse_scenarios(
        [{"name": "close", "overrides": [f"nodes[node_id={zone}].fixed_cost = inf"]}]
    )[0]
    new, _ = apply_scenario(raw.tables, raw.params, scenario)
    assert not new["lanes"]["lane_id"].isin(lanes_of_zone).any()
    assert set(new["rates"]["lane_id"]) <= set(new["lanes"]["lane_id"])
    assert set(new["weight_breaks"]["rate_id"]) <= set(new["rates"]["rate_id"])
