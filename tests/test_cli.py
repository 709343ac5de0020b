"""The ``lean-chain`` command line: exit codes, what is written and what is not.

Exit codes: 0 ok, 2 bad input (nothing written), 3 infeasible / no plan
(nothing written), 4 self-check failed (nothing written), 1 anything else.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import lean_chain.api
import lean_chain.load
from lean_chain.cli import main
from lean_chain.solvers import DEFAULT_SOLVER

TINY = Path(__file__).resolve().parent / "data" / "tiny"
TINY_OPTIMUM = 14420.588235294117
PLAN_FILES = ("flows", "sku_channels", "stock", "nodes", "containers")


def solve(instance: Path, out: Path, *extra: str) -> int:
    return main(["solve", str(instance), "--out", str(out), "--quiet", *extra])


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes, by relative path."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def infeasible_variant(make_variant) -> Path:
    """R1 wants every unit within 1 day; its fastest promise is 2 days (via BZ)."""
    return make_variant(
        tables={
            "nodes": lambda f: f.assign(service_days=["", "", "1"], service_share=["", "", "1"])
        }
    )


def bad_variant(make_variant) -> Path:
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[1, "units"] = "-5"
        return frame

    return make_variant(tables={"demand": edit})


@pytest.fixture(scope="module")
def solved_run(tmp_path_factory) -> Path:
    """A run folder of the tiny instance written by ``lean-chain solve``."""
    run = tmp_path_factory.mktemp("cli") / "RUN"
    assert solve(TINY, run) == 0
    return run


def test_solve_writes_summary_and_plan(tiny_dir, tmp_path, capsys):
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"status", "method", "objective", "bound", "gap", "solver", "wall_s"}
    assert printed["objective"] == pytest.approx(TINY_OPTIMUM, rel=1e-9)

    summary = json.loads((run / "summary.json").read_text())
    for key in (
        "status",
        "objective",
        "bound",
        "gap",
        "solver",
        "wall_s",
        "cost_breakdown",
        "kpis",
    ):
        assert key in summary
    assert summary["status"] == "optimal"
    assert summary["solver"] == DEFAULT_SOLVER
    assert summary["objective"] == pytest.approx(TINY_OPTIMUM, rel=1e-9)
    assert summary["bound"] <= summary["objective"] + 1e-6
    assert 0 <= summary["gap"] <= 1e-6
    assert summary["wall_s"] >= 0
    assert sum(summary["cost_breakdown"].values()) == pytest.approx(summary["objective"], rel=1e-9)
    kpis = summary["kpis"]
    for key in (
        "channel_share",
        "lead_time_days_weighted",
        "share_within_service_days",
        "pooled_safety_stock_units",
    ):
        assert key in kpis
    assert kpis["channel_share"] == {"1210": 1.0, "9610": 0.0}
    assert kpis["lead_time_days_weighted"] == pytest.approx(2.0)

    for name in PLAN_FILES:
        assert (run / "plan" / f"{name}.csv").is_file()
    flows = pd.read_csv(run / "plan" / "flows.csv", dtype={"channel_id": str})
    assert flows[["sku_id", "path_key", "units"]].to_dict("records") == [
        {"sku_id": "A", "path_key": "1210|L1>L2", "units": 100.0},
        {"sku_id": "B", "path_key": "1210|L1>L2", "units": 10.0},
    ]
    assert flows["unit_landed_cost"].tolist() == pytest.approx([126.2, 80.05882352941177])
    # nothing else next to RUN (no temporary folders)
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]


def test_validate_prints_json(tiny_dir, capsys):
    assert main(["validate", str(tiny_dir)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is True
    assert report["instance"] == "tiny"
    assert (report["skus"], report["nodes"], report["lanes"], report["demand_rows"]) == (2, 3, 3, 2)
    assert report["paths"] == 2
    assert report["pairs"] == 4


def test_validate_bad_input_returns_2_and_names_the_problem(make_variant, capsys):
    assert main(["validate", str(bad_variant(make_variant))]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "demand.csv, row 3, column 'units': got '-5'" in captured.err


def test_solve_bad_input_returns_2_and_writes_nothing(make_variant, tmp_path, capsys):
    folder = bad_variant(make_variant)
    run = tmp_path / "out" / "RUN"
    assert solve(folder, run) == 2
    assert not run.exists()
    assert not (tmp_path / "out").exists()
    assert "demand.csv, row 3" in capsys.readouterr().err


def test_solve_bad_input_leaves_an_existing_run_untouched(make_variant, tiny_dir, tmp_path):
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run) == 0
    before = snapshot(run)
    assert solve(bad_variant(make_variant), run, "--force") == 2
    assert snapshot(run) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["RUN", "variant1"]


def test_infeasible_returns_3_and_writes_only_the_diagnosis(make_variant, tmp_path, capsys):
    run = tmp_path / "RUN"
    assert solve(infeasible_variant(make_variant), run) == 3
    assert sorted(p.name for p in run.iterdir()) == [
        ".lean_chain_run",
        "diagnosis.json",
        "summary.json",
    ]
    assert json.loads((run / "summary.json").read_text())["status"] == "infeasible"
    assert "infeasible" in capsys.readouterr().err


def test_infeasible_leaves_an_existing_run_untouched(make_variant, tiny_dir, tmp_path):
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run) == 0
    before = snapshot(run)
    assert solve(infeasible_variant(make_variant), run, "--force") == 3
    assert snapshot(run) == before


def test_self_check_failure_returns_4(tiny_dir, tmp_path, monkeypatch, capsys):
    real = lean_chain.api.evaluate_decisions

    def wrong(model, decisions):
        evaluation = real(model, decisions)
        return dataclasses.replace(evaluation, objective=evaluation.objective + 100.0)

    monkeypatch.setattr(lean_chain.api, "evaluate_decisions", wrong)
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run) == 4
    assert not run.exists()
    assert "self-check failed" in capsys.readouterr().err


def test_self_check_tolerance_below_zero_returns_4(tiny_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(lean_chain.api, "SELF_CHECK_TOLERANCE", -1)
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run) == 4
    assert not run.exists()


def test_tiny_time_limit_never_crashes(tiny_dir, tmp_path):
    run = tmp_path / "RUN"
    code = solve(tiny_dir, run, "--time-limit", "1e-6")
    assert code in (0, 3)
    if code == 0:
        summary = json.loads((run / "summary.json").read_text())
        assert summary["status"] in ("optimal", "feasible")
    else:
        assert not run.exists()


def test_scip_gives_the_same_objective(tiny_dir, tmp_path, solved_run):
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run, "--solver", "ortools-scip") == 0
    scip = json.loads((run / "summary.json").read_text())
    highs = json.loads((solved_run / "summary.json").read_text())
    assert scip["solver"] == "ortools-scip"
    assert scip["objective"] == pytest.approx(highs["objective"], rel=1e-6)


def test_unknown_solver_is_a_usage_error(tiny_dir, tmp_path):
    with pytest.raises(SystemExit) as info:
        solve(tiny_dir, tmp_path / "RUN", "--solver", "nope")
    assert info.value.code == 2
    assert not (tmp_path / "RUN").exists()


def test_evaluate_matches_summary(tiny_dir, solved_run, capsys):
    capsys.readouterr()
    assert main(["evaluate", str(tiny_dir), str(solved_run)]) == 0
    evaluation = json.loads(capsys.readouterr().out)
    summary = json.loads((solved_run / "summary.json").read_text())
    assert evaluation["objective"] == pytest.approx(summary["objective"], rel=1e-6)
    assert evaluation["violations"] == []
    assert set(evaluation["cost_breakdown"]) == set(summary["cost_breakdown"])


def test_evaluate_bad_plan_returns_2(tiny_dir, solved_run, tmp_path, capsys):
    run = tmp_path / "RUN"
    run.mkdir()
    (run / "plan").mkdir()
    for name in PLAN_FILES:
        (run / "plan" / f"{name}.csv").write_bytes(
            (solved_run / "plan" / f"{name}.csv").read_bytes()
        )
    flows = (run / "plan" / "flows.csv").read_text().replace("1210|L1>L2", "1210|L9", 1)
    (run / "plan" / "flows.csv").write_text(flows)
    assert main(["evaluate", str(tiny_dir), str(run)]) == 2
    assert "plan/flows.csv, row 2, column 'path_key'" in capsys.readouterr().err


def test_evaluate_missing_run_returns_2(tiny_dir, tmp_path):
    assert main(["evaluate", str(tiny_dir), str(tmp_path / "none")]) == 2


def test_solvers_lists_highs(capsys):
    assert main(["solvers"]) == 0
    names = capsys.readouterr().out.split()
    assert "ortools-highs" in names


def test_console_script_entry_point(tiny_dir):
    script = Path(sys.executable).parent / "lean-chain"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "lean_chain.cli"]
    done = subprocess.run(
        [*command, "validate", str(tiny_dir)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["valid"] is True


def test_evaluate_with_scenarios_is_reproducible(tiny_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["solve", str(tiny_dir), "--out", str(run), "--quiet"]) == 0
    outputs = []
    for _ in range(2):
        capsys.readouterr()
        assert main(["evaluate", str(tiny_dir), str(run), "--scenarios", "50", "--seed", "3"]) == 0
        outputs.append(json.loads(capsys.readouterr().out)["monte_carlo"])
    assert outputs[0] == outputs[1]
    mc = outputs[0]
    assert mc["scenarios"] == 50
    assert mc["cost_p5"] <= mc["cost_p50"] <= mc["cost_p95"]
    assert 0.0 <= mc["fill_rate"]["all"] <= 1.0


@pytest.fixture
def no_loading(monkeypatch):
    """Fail the test if the instance is loaded: output checks come first."""

    def fail(path):
        raise AssertionError("the instance was loaded before the output path was checked")

    monkeypatch.setattr(lean_chain.load, "load_instance", fail)


def test_solve_into_its_own_instance_folder_refuses_and_deletes_nothing(
    tiny_dir, tmp_path, capsys, no_loading
):
    # issue 10 item 1: `solve X --out X` emptied X and exited 0
    folder = tmp_path / "tiny"
    shutil.copytree(tiny_dir, folder)
    before = snapshot(folder)
    for extra in ((), ("--force",)):
        assert solve(folder, folder, *extra) == 2
        assert snapshot(folder) == before
    assert "not empty and not a lean_chain run" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["tiny"]


def test_solve_never_replaces_a_file(tiny_dir, tmp_path, capsys, no_loading):
    target = tmp_path / "RUN"
    target.write_text("precious")
    assert solve(tiny_dir, target, "--force") == 2
    assert target.read_text() == "precious"
    assert "is a file" in capsys.readouterr().err


def test_solve_replaces_a_previous_run_only_with_force(tiny_dir, tmp_path, capsys):
    run = tmp_path / "RUN"
    assert solve(tiny_dir, run) == 0
    (run / "summary.json").write_text('{"objective": 1}')
    capsys.readouterr()
    assert solve(tiny_dir, run) == 2
    assert "--force" in capsys.readouterr().err
    assert json.loads((run / "summary.json").read_text()) == {"objective": 1}
    assert solve(tiny_dir, run, "--force") == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["objective"] == pytest.approx(TINY_OPTIMUM, rel=1e-9)
    assert [p.name for p in tmp_path.iterdir()] == ["RUN"]


@pytest.mark.parametrize("out", [".", "..", "file/RUN"])
def test_solve_checks_the_output_path_before_loading(
    tiny_dir, tmp_path, monkeypatch, capsys, no_loading, out
):
    # issue 10 item 7: these solved first, then crashed with a traceback
    work = tmp_path / "work"
    work.mkdir()
    (work / "file").write_text("x")
    monkeypatch.chdir(work)
    before = snapshot(tmp_path)
    assert solve(tiny_dir, Path(out)) == 2
    assert "bad output folder" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_solve_refuses_an_empty_output_path(tiny_dir, capsys, no_loading):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(tiny_dir), "--out", "", "--quiet"])
    assert info.value.code == 2
    assert "empty" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [
        ("--time-limit", "nan"),
        ("--time-limit", "inf"),
        ("--time-limit", "-1"),
        ("--threads", "-1"),
        ("--threads", "0"),
        ("--threads", "100000"),
        ("--gap", "nan"),
    ],
)
def test_solve_refuses_extreme_arguments(tiny_dir, tmp_path, capsys, no_loading, extra):
    # issue 10 item 9: --threads 100000 aborted (rc 134); nan and -1 were accepted
    with pytest.raises(SystemExit) as info:
        solve(tiny_dir, tmp_path / "RUN", *extra)
    assert info.value.code == 2
    assert f"argument {extra[0]}" in capsys.readouterr().err
    assert not (tmp_path / "RUN").exists()


def test_evaluate_refuses_a_negative_seed(tiny_dir, solved_run, capsys):
    # issue 10 item 9: --seed -1 gave a traceback
    with pytest.raises(SystemExit) as info:
        main(["evaluate", str(tiny_dir), str(solved_run), "--scenarios", "5", "--seed", "-1"])
    assert info.value.code == 2
    assert "argument --seed" in capsys.readouterr().err
