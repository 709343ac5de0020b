"""Infeasibility in a planner's words: :mod:`lean_chain.diagnosis`.

Each case is a variant of tests/data/tiny (SKUs A: 100 units, 0.01 m3; B: 10
units; supplier S1 -> bonded zone BZ (1210, stocked) or direct mail (9610) ->
region R1) made infeasible on purpose, whose cause is known by construction.
"""

from __future__ import annotations

import json

import pytest

import lean_chain
from lean_chain.cli import EXIT_INFEASIBLE, main
from lean_chain.io.plan_io import is_run_folder
from tests.conftest import set_cells

pytestmark = pytest.mark.filterwarnings("ignore")

#: 1210 open to every SKU; A not on the positive list, so A cannot use 9610.
A_ONLY_BONDED = {
    "channels": set_cells("channel_id", "1210", requires_positive_list="false"),
    "skus": set_cells("sku_id", "A", positive_list="false"),
}


def _findings(error: lean_chain.InfeasibleError) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["object_id"], f["role"]) for f in error.diagnosis["findings"]]


def _solve_error(folder) -> lean_chain.InfeasibleError:
    with pytest.raises(lean_chain.InfeasibleError) as err:
        lean_chain.solve(lean_chain.load_instance(folder))
    return err.value


def test_service_target_blocked_by_the_positive_list_names_sku_channel_and_rule(make_variant):
    """Direct mail takes 1 day, the bonded last mile 3: only 9610 meets R1's 2-day target,
    and A (100 of 110 units) is not on 9610's positive list, so at most 10/110 = 9.1 %."""
    folder = make_variant(
        tables={
            **A_ONLY_BONDED,
            "lanes": lambda f: set_cells("lane_id", "L3", lead_time_days="1")(
                set_cells("lane_id", "L2", lead_time_days="3")(f)
            ),
            "nodes": set_cells("node_id", "R1", service_days="2", service_share="0.95"),
        }
    )
    error = _solve_error(folder)
    assert _findings(error) == [("service", "R1", "must give")]
    finding = error.diagnosis["findings"][0]
    assert finding["skus"] == ["A"]
    assert finding["needed"] == pytest.approx(10 / 110)
    assert "SKU A could arrive in time only through 9610" in finding["message"]
    assert "positive list" in finding["message"]
    assert "Nothing else can give instead" in str(error)


def _storage_variant(make_variant, capacity: str):
    return make_variant(
        tables={
            **A_ONLY_BONDED,
            "nodes": set_cells("node_id", "BZ", storage_capacity_m3=capacity),
        },
        params={"review_period_days": 30},
    )


def test_storage_shortfall_is_the_smallest_capacity_that_works(make_variant):
    """A can only be stocked at BZ. The diagnosis's 'needed' storage is a real threshold:
    the instance solves with that capacity and stays infeasible just below it."""
    error = _solve_error(_storage_variant(make_variant, "0.01"))
    assert _findings(error) == [("storage", "BZ", "must give")]
    finding = error.diagnosis["findings"][0]
    assert finding["limit"] == pytest.approx(0.01)
    assert "can be served only from there (most units: A)" in finding["message"]
    needed = finding["needed"]
    assert needed > 0.01
    plan = lean_chain.solve(
        lean_chain.load_instance(_storage_variant(make_variant, repr(needed * (1 + 1e-6))))
    )
    assert plan.status == "optimal"
    _solve_error(_storage_variant(make_variant, repr(needed * 0.99)))


def _conflict_variant(make_variant):
    """BZ holds 0.01 m3; 9610 takes 13 days; R1 wants 95 % within 12 days, which only the
    bonded zone's stock (2-day last mile) can give: storage and service conflict."""
    return make_variant(
        tables={
            "nodes": lambda f: set_cells("node_id", "BZ", storage_capacity_m3="0.01")(
                set_cells("node_id", "R1", service_days="12", service_share="0.95")(f)
            ),
            "lanes": set_cells("lane_id", "L3", lead_time_days="13"),
        },
        params={"review_period_days": 30},
    )


def test_capacity_and_service_conflict_names_both_sides(make_variant):
    error = _solve_error(_conflict_variant(make_variant))
    assert set(_findings(error)) == {
        ("storage", "BZ", "must give"),
        ("service", "R1", "or instead"),
    } or set(_findings(error)) == {("service", "R1", "must give"), ("storage", "BZ", "or instead")}
    assert "Or instead" in str(error)


def test_cli_writes_the_diagnosis_into_the_run_folder_and_exits_3(make_variant, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["solve", str(_conflict_variant(make_variant)), "--out", str(run)]) == (
        EXIT_INFEASIBLE
    )
    assert "no plan meets every rule" in capsys.readouterr().err
    assert is_run_folder(run)
    summary = json.loads((run / "summary.json").read_text())
    diagnosis = json.loads((run / "diagnosis.json").read_text())
    assert summary["status"] == diagnosis["status"] == "infeasible"
    assert {f["object_id"] for f in diagnosis["findings"]} == {"BZ", "R1"}
    assert not (run / "plan").exists()


def test_cli_infeasible_never_replaces_a_folder_that_is_not_a_run(make_variant, tmp_path):
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("mine")
    code = main(["solve", str(_conflict_variant(make_variant)), "--out", str(keep), "--force"])
    assert code != 0
    assert [p.name for p in keep.iterdir()] == ["notes.txt"]


def test_throughput_shortfall_counts_the_units_over(make_variant):
    """BZ handles 50 units, 9610 removed: 110 units need BZ, 60 over."""
    folder = make_variant(
        tables={
            "lanes": lambda f: f[f["lane_id"] != "L3"],
            "nodes": set_cells("node_id", "BZ", throughput_capacity_units="50"),
        }
    )
    error = _solve_error(folder)
    assert _findings(error) == [("throughput", "BZ", "must give")]
    assert error.diagnosis["findings"][0]["needed"] == pytest.approx(110)


def test_the_decomposition_method_is_diagnosed_too(make_variant):
    folder = make_variant(
        tables={
            "lanes": lambda f: f[f["lane_id"] != "L3"],
            "nodes": set_cells("node_id", "BZ", throughput_capacity_units="50"),
        }
    )
    with pytest.raises(lean_chain.InfeasibleError) as err:
        lean_chain.solve(lean_chain.load_instance(folder), method="decompose", time_limit=5)
    assert _findings(err.value) == [("throughput", "BZ", "must give")]
