"""Command line of issue 13 parts 1-2: template, convert excel, solve --excel-out, the run store."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

import lean_chain
from lean_chain.cli import main
from lean_chain.runstore import RunStore

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_template_refuses_to_overwrite_without_force(tmp_path, capsys):
    book = tmp_path / "t.xlsx"
    assert run(capsys, "template", "--excel", book)[0] == 0
    before = book.read_bytes()
    code, _, err = run(capsys, "template", "--excel", book, "--from", TINY)
    assert code == 2 and "--force" in err
    assert book.read_bytes() == before
    assert run(capsys, "template", "--excel", book, "--from", TINY, "--force")[0] == 0
    assert lean_chain.load_instance(book).params["name"] == "tiny"


def test_convert_excel_writes_a_folder_and_never_into_a_full_one(tmp_path, capsys):
    book = tmp_path / "tiny.xlsx"
    run(capsys, "template", "--excel", book, "--from", TINY)
    code, out, _ = run(capsys, "convert", "excel", book, "--out", tmp_path / "tiny")
    assert code == 0 and json.loads(out)["instance"] == str(tmp_path / "tiny")
    assert lean_chain.load_instance(tmp_path / "tiny").skus["sku_id"].tolist() == ["A", "B"]
    before = sorted(p.name for p in (tmp_path / "tiny").iterdir())
    code, _, err = run(capsys, "convert", "excel", book, "--out", tmp_path / "tiny")
    assert code == 2 and "not empty" in err
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == before


def test_convert_excel_names_sheet_row_and_column(tmp_path, capsys):
    book = tmp_path / "tiny.xlsx"
    run(capsys, "template", "--excel", book, "--from", TINY)
    wb = openpyxl.load_workbook(book)
    wb["demand"]["C3"] = "=C2*2"  # units of the second demand row
    wb.save(book)
    code, _, err = run(capsys, "convert", "excel", book, "--out", tmp_path / "out")
    assert code == 2
    assert "tiny.xlsx, sheet 'demand', row 3, column 'units'" in err and "formula" in err
    assert not (tmp_path / "out").exists()
    code, _, err = run(capsys, "validate", book)
    assert code == 2 and "sheet 'demand', row 3" in err


def test_solve_workbook_with_excel_out_and_run_store(tmp_path, capsys):
    book, store = tmp_path / "tiny.xlsx", tmp_path / "runs.sqlite"
    run(capsys, "template", "--excel", book, "--from", TINY)
    plan_book = tmp_path / "plan.xlsx"
    argv = ["solve", book, "--out", tmp_path / "RUN", "--gap", "0.01", "--quiet"]
    code, out, _ = run(capsys, *argv, "--excel-out", plan_book, "--run-store", store)
    assert code == 0
    objective = json.loads(out)["objective"]
    wb = openpyxl.load_workbook(plan_book)
    assert {"summary", "cost_breakdown", "kpis", "flows", "stock"} <= set(wb.sheetnames)
    runs = RunStore(store).list()
    assert runs["objective"].tolist() == pytest.approx([objective])
    shown = RunStore(store).show(int(runs["id"].iloc[0]))
    assert shown["excel_out"] == str(plan_book) and shown["instance_path"] == str(book)
    assert shown["options"]["gap"] == 0.01
    # an existing --excel-out is refused before any work, unless --force
    before = plan_book.read_bytes()
    code, _, err = run(capsys, "solve", book, "--out", tmp_path / "RUN2", "--excel-out", plan_book)
    assert code == 2 and "exists" in err and not (tmp_path / "RUN2").exists()
    assert plan_book.read_bytes() == before


def test_solve_records_in_the_environment_store_unless_no_store(tmp_path, capsys, monkeypatch):
    store = tmp_path / "env.sqlite"
    monkeypatch.setenv("LEAN_CHAIN_RUN_STORE", str(store))
    assert run(capsys, "solve", TINY, "--out", tmp_path / "A", "--quiet")[0] == 0
    assert run(capsys, "solve", TINY, "--out", tmp_path / "B", "--quiet", "--no-store")[0] == 0
    assert RunStore(store).list()["run_dir"].tolist() == [str(tmp_path / "A")]


def test_a_store_that_cannot_be_written_only_warns(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, out, err = run(
        capsys, "solve", TINY, "--out", tmp_path / "RUN", "--run-store", blocker / "runs.sqlite"
    )
    assert code == 0 and json.loads(out)["status"] == "optimal"
    assert "warning: the run was not recorded" in err
    assert (tmp_path / "RUN" / "summary.json").is_file()


def test_runs_list_show_delete(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    assert run(capsys, "runs", "list", "--run-store", store)[1].startswith("no runs")
    run(capsys, "solve", TINY, "--out", tmp_path / "RUN", "--run-store", store, "--quiet")
    code, out, _ = run(capsys, "runs", "list", "--json", "--run-store", store)
    assert code == 0 and [r["id"] for r in json.loads(out)] == [1]
    code, out, _ = run(capsys, "runs", "list", "--run-store", store)
    assert "tiny" in out and "optimal" in out
    code, out, _ = run(capsys, "runs", "show", "1", "--run-store", store)
    shown = json.loads(out)
    assert shown["status"] == "optimal" and shown["tables"]["sku_channel"][0]["sku_id"] == "A"
    assert run(capsys, "runs", "delete", "1", "--run-store", store)[0] == 0
    code, _, err = run(capsys, "runs", "show", "1", "--run-store", store)
    assert code == 2 and "no run 1" in err


def test_cn_import_excel_round_trip(tmp_path, capsys):
    """CSV -> workbook -> solve (within 0.5 %) -> plan workbook; the plan prices the same on the CSV."""
    book = tmp_path / "cn_import.xlsx"
    run(capsys, "template", "--excel", book, "--from", ROOT / "instances" / "cn_import")
    argv = ["solve", book, "--out", tmp_path / "RUN", "--gap", "0.005", "--quiet"]
    code, out, _ = run(capsys, *argv, "--excel-out", tmp_path / "plan.xlsx")
    assert code == 0
    solved = json.loads(out)
    assert solved["gap"] <= 0.005
    code, out, _ = run(capsys, "evaluate", ROOT / "instances" / "cn_import", tmp_path / "RUN")
    assert code == 0
    assert json.loads(out)["objective"] == pytest.approx(solved["objective"], rel=1e-6)
    wb = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)
    flows = wb["flows"]
    assert flows.max_row > 200


def test_runs_compare_global_export_at_two_gaps(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    instance = ROOT / "instances" / "global_export"
    # the loose run stops at the decomposition's first plan within 20 %; the tight one is
    # the exact method's (the exact method's warm-up alone may already meet a loose gap)
    for name, gap, method in (("loose", "0.2", "decompose"), ("tight", "0.001", "exact")):
        argv = ["solve", instance, "--out", tmp_path / name, "--gap", gap, "--quiet"]
        assert run(capsys, *argv, "--method", method, "--run-store", store)[0] == 0
    diff = RunStore(store).compare(1, 2)
    assert diff["same_instance"]
    runs = diff["runs"].set_index("field")
    assert runs.loc["objective", "delta"] < 0  # the tighter gap found a cheaper plan
    changed_costs = diff["costs"][diff["costs"]["delta"].abs() > 1e-6]
    assert len(changed_costs) > 0
    moved = (diff["channel_mix_region"]["delta"].abs() > 1e-6).any() or (
        diff["stock"]["delta"].abs() > 1e-6
    ).any()
    assert moved
    code, out, _ = run(capsys, "runs", "compare", "1", "2", "--run-store", store)
    assert code == 0
    assert "A = run 1, B = run 2" in out and "cost components" in out
    for component in changed_costs["component"]:
        assert component in out
    code, out, _ = run(capsys, "runs", "compare", "1", "2", "--json", "--run-store", store)
    assert json.loads(out)["same_instance"] is True
