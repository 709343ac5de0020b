"""Run folders: written atomically, read back by ``evaluate`` against the instance.

The tiny optimum ships SKU A (100 units) and B (10 units) to R1 through
channel 1210, path key ``1210|L1>L2`` (route S1>BZ>R1), total
14420.588235294117 CNY.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lean_chain
from lean_chain.api import write_plan
from lean_chain.costs.model import build_cost_model
from lean_chain.costs.read_plan import read_decisions
from lean_chain.errors import Issue, OutputPathError, PlanError
from lean_chain.io import plan_io
from lean_chain.io.plan_io import RUN_MARKER, is_run_folder, write_run

TINY = Path(__file__).resolve().parent.parent / "data" / "tiny"
TINY_OPTIMUM = 14420.588235294117


@pytest.fixture(scope="module")
def instance():
    return lean_chain.load_instance(TINY)


@pytest.fixture(scope="module")
def plan(instance):
    return lean_chain.solve(instance)


@pytest.fixture
def run(plan, tmp_path) -> Path:
    return write_plan(plan, tmp_path / "RUN")


def read_plan_csv(run: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(run / "plan" / f"{name}.csv", dtype=str, keep_default_na=False)


def write_plan_csv(run: Path, name: str, frame: pd.DataFrame) -> None:
    frame.to_csv(run / "plan" / f"{name}.csv", index=False)


def plan_errors(instance, run: Path) -> list[Issue]:
    with pytest.raises(PlanError) as info:
        lean_chain.evaluate(instance, run)
    return info.value.issues


def test_written_run_evaluates_to_the_solver_objective(instance, plan, run):
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=1e-9)
    evaluation = lean_chain.evaluate(instance, run)
    assert evaluation.objective == pytest.approx(plan.objective, rel=1e-9)
    assert evaluation.violations == []
    summary = json.loads((run / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(plan.objective, rel=1e-12)


def test_plan_csvs_are_the_bytes_pandas_writes(plan, run):
    """write_run writes each table with lean_chain.io.fast_csv: what to_csv writes."""
    assert "alternatives" in plan.tables
    for name, frame in plan.tables.items():
        expected = frame.to_csv(index=False).encode("utf-8")
        assert (run / "plan" / f"{name}.csv").read_bytes() == expected, name


def test_read_decisions_round_trips_the_plan(instance, plan, run):
    decisions = read_decisions(build_cost_model(instance), run)
    np.testing.assert_allclose(decisions.share, plan.decisions.share, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(decisions.channel_used, plan.decisions.channel_used)
    np.testing.assert_array_equal(decisions.stocked, plan.decisions.stocked)
    np.testing.assert_array_equal(decisions.node_open, plan.decisions.node_open)
    np.testing.assert_array_equal(decisions.containers, plan.decisions.containers)


def test_moving_ten_units_of_a_to_9610_costs_exactly_220(instance, run):
    """Edit one flow by hand; evaluate must move the total by the hand-computed amount.

    Per-unit landed cost of SKU A (1 kg, procurement 100, retail 200 CNY):

    - ``1210|L1>L2`` (S1>BZ>R1): 100 procurement + 2 CNY/kg x 1 kg on L1 + 5 CNY/unit
      on L2 (freight 7) + 1 handling at BZ + CBEC VAT 0.7 x 0.13 x 200 = 18.2
      -> 126.2 CNY;
    - ``9610|L3`` (S1>R1 express): 100 + 30 CNY/kg x 1 kg (freight 30) + 0 handling
      + 18.2 -> 148.2 CNY.

    Moving 10 of A's 100 units from 1210 to 9610 changes the total by
    10 x (148.2 - 126.2) = 220.0, plus channel 9610's fixed cost for A, which
    is 0 in tiny. BZ stays open (node fixed cost 1000 unchanged) and the
    holding rate is 0, so no stock term moves. By component: freight
    +10 x (30 - 7) = +230, handling -10 x 1 = -10.
    """
    before = lean_chain.evaluate(instance, run)

    flows = read_plan_csv(run, "flows")
    a_1210 = (flows["sku_id"] == "A") & (flows["path_key"] == "1210|L1>L2")
    assert flows.loc[a_1210, "units"].astype(float).tolist() == [100.0]
    flows.loc[a_1210, "units"] = "90"
    new_row = {column: "" for column in flows.columns}
    new_row.update(sku_id="A", region_id="R1", channel_id="9610", path_key="9610|L3", units="10")
    flows = pd.concat([flows, pd.DataFrame([new_row])], ignore_index=True)
    write_plan_csv(run, "flows", flows)

    channels = read_plan_csv(run, "sku_channels")
    new_row = {column: "" for column in channels.columns}
    new_row.update(sku_id="A", channel_id="9610")
    write_plan_csv(run, "sku_channels", pd.concat([channels, pd.DataFrame([new_row])]))

    after = lean_chain.evaluate(instance, run)
    channel_fixed = 0.0
    assert after.objective - before.objective == pytest.approx(
        10 * (148.2 - 126.2) + channel_fixed, abs=1e-9
    )
    change = {
        key: after.cost_breakdown[key] - before.cost_breakdown[key] for key in before.cost_breakdown
    }
    assert change["freight"] == pytest.approx(230.0, abs=1e-9)
    assert change["handling"] == pytest.approx(-10.0, abs=1e-9)
    assert change["channel_fixed"] == 0.0
    assert change["node_fixed"] == 0.0
    others = {k: v for k, v in change.items() if k not in ("freight", "handling")}
    assert all(v == pytest.approx(0.0, abs=1e-9) for v in others.values()), others
    assert after.kpis["channel_units"] == pytest.approx({"1210": 100.0, "9610": 10.0})
    # tiny allows one channel per SKU: the plan is priced and the breach is reported
    assert len(after.violations) == 1
    assert "A uses 2 channels" in after.violations[0]


def test_unserved_demand_is_a_violation_not_a_crash(instance, run):
    """Shipping only 90 of A's 100 units drops 10 x 126.2 = 1262 CNY of landed cost."""
    before = lean_chain.evaluate(instance, run)
    flows = read_plan_csv(run, "flows")
    flows.loc[(flows["sku_id"] == "A") & (flows["path_key"] == "1210|L1>L2"), "units"] = "90"
    write_plan_csv(run, "flows", flows)

    after = lean_chain.evaluate(instance, run)
    assert after.objective - before.objective == pytest.approx(-10 * 126.2, abs=1e-9)
    assert len(after.violations) == 1
    assert "demand of A in R1" in after.violations[0]
    assert "0.9" in after.violations[0]


def test_unknown_path_key_is_a_plan_error(instance, run):
    flows = read_plan_csv(run, "flows")
    flows.loc[0, "path_key"] = "1210|L9"
    write_plan_csv(run, "flows", flows)
    issues = plan_errors(instance, run)
    assert issues == [
        Issue(
            "plan/flows.csv",
            2,
            "path_key",
            "A / R1 / 1210|L9",
            "a path of the instance that may serve this SKU and region",
        )
    ]
    with pytest.raises(PlanError, match=r"plan/flows\.csv, row 2, column 'path_key'"):
        lean_chain.evaluate(instance, run)


def test_unknown_sku_is_a_plan_error_naming_file_and_row(instance, run):
    flows = read_plan_csv(run, "flows")
    flows.loc[1, "sku_id"] = "Z"
    write_plan_csv(run, "flows", flows)
    issues = plan_errors(instance, run)
    assert len(issues) == 1
    assert (issues[0].file, issues[0].row) == ("plan/flows.csv", 3)
    assert "Z" in issues[0].value
    with pytest.raises(PlanError, match=r"plan/flows\.csv, row 3"):
        lean_chain.evaluate(instance, run)


def test_unknown_sku_names_the_sku_id_column(instance, run):
    flows = read_plan_csv(run, "flows")
    flows.loc[1, "sku_id"] = "Z"
    write_plan_csv(run, "flows", flows)
    issues = plan_errors(instance, run)
    assert [(i.file, i.row, i.column) for i in issues] == [("plan/flows.csv", 3, "sku_id")]


def test_bad_units_and_duplicate_rows_are_all_reported(instance, run):
    flows = read_plan_csv(run, "flows")
    flows.loc[1, "units"] = "ten"
    flows = pd.concat([flows, flows.iloc[[0]]], ignore_index=True)
    write_plan_csv(run, "flows", flows)
    issues = plan_errors(instance, run)
    assert Issue("plan/flows.csv", 3, "units", "ten", "a non-negative number") in issues
    duplicate = [i for i in issues if i.row == 4]
    assert len(duplicate) == 1
    assert duplicate[0].column == "path_key"
    assert "also on row 2" in duplicate[0].expected
    assert len(issues) == 2


def test_missing_plan_file_and_column(instance, run):
    (run / "plan" / "stock.csv").unlink()
    write_plan_csv(run, "flows", read_plan_csv(run, "flows").drop(columns=["units"]))
    issues = plan_errors(instance, run)
    assert Issue("plan/stock.csv", None, None, None, "the file to exist") in issues
    assert Issue("plan/flows.csv", 1, "units", None, "this column") in issues


def test_missing_plan_folder(instance, tmp_path):
    issues = plan_errors(instance, tmp_path)
    assert issues == [Issue(str(tmp_path / "plan"), None, None, None, "a plan folder")]


def test_write_run_leaves_no_temporary_folder(plan, tmp_path):
    out = write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    assert out == tmp_path / "RUN"
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]
    assert sorted(p.name for p in (out / "plan").iterdir()) == [
        "alternatives.csv",
        "containers.csv",
        "flows.csv",
        "lane_costs.csv",
        "listings.csv",
        "nodes.csv",
        "sales.csv",
        "sku_channels.csv",
        "stock.csv",
    ]


def test_write_run_replaces_an_existing_run_completely(plan, tmp_path):
    run = write_run(tmp_path / "RUN", {"objective": 1.0}, plan.tables)
    (run / "stray.txt").write_text("old")
    (run / "plan" / "old_table.csv").write_text("a\n1\n")

    write_run(run, plan.summary(), plan.tables, force=True)
    assert not (run / "stray.txt").exists()
    assert not (run / "plan" / "old_table.csv").exists()
    assert json.loads((run / "summary.json").read_text())["objective"] == pytest.approx(
        TINY_OPTIMUM, rel=1e-12
    )
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]


def test_failed_write_keeps_the_old_run_and_cleans_up(plan, tmp_path):
    run = write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    before = {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}
    with pytest.raises(TypeError):
        write_run(run, {**plan.summary(), "not_json": object()}, plan.tables, force=True)
    assert {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]


def test_write_run_writes_non_finite_numbers_as_null(tmp_path):
    run = write_run(
        tmp_path / "deep" / "RUN",
        {"bound": float("inf"), "gap": float("nan"), "n": np.int64(3), "x": np.float64(0.5)},
        {"flows": pd.DataFrame({"units": [1.0]})},
    )
    assert json.loads((run / "summary.json").read_text()) == {
        "bound": None,
        "gap": None,
        "n": 3,
        "x": 0.5,
    }


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` (files with their bytes), by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
        for p in sorted(folder.rglob("*"))
    }


def test_write_run_marks_the_run_folder(plan, tmp_path):
    run = write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    marker = json.loads((run / RUN_MARKER).read_text())
    assert marker["version"] == 1
    assert "created" in marker
    assert is_run_folder(run)


@pytest.mark.parametrize("force", [False, True])
def test_write_run_never_replaces_a_folder_that_is_not_a_run(plan, tmp_path, force):
    # issue 10 item 1: an instance folder given as --out was emptied
    folder = tmp_path / "instance"
    (folder / "sub").mkdir(parents=True)
    (folder / "demand.csv").write_text("sku_id,region_id,units\nA,R1,1\n")
    (folder / "sub" / "notes.txt").write_text("keep")
    before = tree(folder)
    with pytest.raises(OutputPathError, match="not empty and not a lean_chain run"):
        write_run(folder, plan.summary(), plan.tables, force=force)
    assert tree(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["instance"]


@pytest.mark.parametrize("force", [False, True])
def test_write_run_never_replaces_a_file(plan, tmp_path, force):
    target = tmp_path / "RUN"
    target.write_text("precious")
    with pytest.raises(OutputPathError, match="is a file"):
        write_run(target, plan.summary(), plan.tables, force=force)
    assert target.read_text() == "precious"


def test_write_run_replaces_a_previous_run_only_with_force(plan, tmp_path):
    run = write_run(tmp_path / "RUN", {"objective": 1.0}, plan.tables)
    with pytest.raises(OutputPathError, match="previous run"):
        write_run(run, plan.summary(), plan.tables)
    assert json.loads((run / "summary.json").read_text()) == {"objective": 1.0}
    write_run(run, plan.summary(), plan.tables, force=True)
    assert json.loads((run / "summary.json").read_text())["objective"] == pytest.approx(
        TINY_OPTIMUM
    )


def test_write_plan_passes_force(plan, tmp_path):
    run = write_plan(plan, tmp_path / "RUN")
    with pytest.raises(OutputPathError):
        write_plan(plan, run)
    assert write_plan(plan, run, force=True) == run


def test_write_run_into_an_empty_folder(plan, tmp_path):
    (tmp_path / "RUN").mkdir()
    run = write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    assert (run / "summary.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]


def test_a_run_written_before_markers_is_a_run(plan, tmp_path):
    run = write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    (run / RUN_MARKER).unlink()
    assert is_run_folder(run)
    (run / "mine.txt").write_text("x")
    assert not is_run_folder(run)


@pytest.mark.parametrize("name", ["", ".", "..", "a/.."])
def test_write_run_refuses_paths_without_a_folder_name(plan, tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(OutputPathError):
        write_run(name, plan.summary(), plan.tables)
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_write_run_refuses_a_parent_that_is_a_file(plan, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="is a file"):
        write_run(tmp_path / "file" / "deeper" / "RUN", plan.summary(), plan.tables)
    assert (tmp_path / "file").read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_write_run_refuses_a_read_only_parent(plan, tmp_path):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        with pytest.raises(OutputPathError, match="not writable"):
            write_run(parent / "RUN", plan.summary(), plan.tables)
    finally:
        parent.chmod(0o755)


def test_write_run_removes_what_a_killed_writer_left(plan, tmp_path):
    # issue 10 item 8: a killed run leaves .RUN.tmp-* (and the old writer .RUN.old-*)
    for name in (".RUN.tmp-0123abcd", ".RUN.old-89abcdef"):
        (tmp_path / name / "plan").mkdir(parents=True)
    (tmp_path / ".OTHER.tmp-0123abcd").mkdir()
    write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".OTHER.tmp-0123abcd", "RUN"]


def test_write_run_waits_for_the_lock_of_another_writer(plan, tmp_path):
    run = tmp_path / "RUN"
    with plan_io._target_lock(run):
        writer = threading.Thread(target=write_run, args=(run, plan.summary(), plan.tables))
        writer.start()
        time.sleep(0.3)
        assert not run.exists()
    writer.join(timeout=30)
    assert (run / "summary.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]


def test_concurrent_writers_never_leave_the_run_missing(plan, tmp_path):
    # issue 10 item 8: racing writers gave ENOTEMPTY, stray .RUN.old-* folders and a
    # moment without RUN
    run = write_run(tmp_path / "RUN", plan.summary(), plan.tables)
    errors: list[BaseException] = []
    missing: list[float] = []
    done = threading.Event()

    def writer() -> None:
        try:
            for _ in range(5):
                write_run(run, plan.summary(), plan.tables, force=True)
        except BaseException as exc:  # reported below
            errors.append(exc)

    def watcher() -> None:
        while not done.is_set():
            if not (run / "summary.json").is_file():
                missing.append(time.monotonic())

    watching = threading.Thread(target=watcher)
    watching.start()
    writers = [threading.Thread(target=writer) for _ in range(3)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=60)
    done.set()
    watching.join()
    assert errors == []
    assert missing == []
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]
    assert is_run_folder(run)


def test_a_folder_where_a_plan_table_should_be(instance, run):
    # issue 10 item 5: IsADirectoryError traceback from evaluate
    (run / "plan" / "flows.csv").unlink()
    (run / "plan" / "flows.csv").mkdir()
    assert Issue("plan/flows.csv", None, None, None, "a CSV file, not a folder") in plan_errors(
        instance, run
    )


def test_a_plan_row_with_an_extra_field_names_its_line(instance, run):
    path = run / "plan" / "flows.csv"
    lines = path.read_text().splitlines()
    lines[1] += ","
    path.write_text("\n".join(lines) + "\n")
    issues = plan_errors(instance, run)
    assert [(i.file, i.row) for i in issues] == [("plan/flows.csv", 2)]
