"""Shadow prices: the dual of a binding capacity equals a finite difference of the fixed LP."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.formulation.build import build_problem
from lean_chain.formulation.solution import encode
from lean_chain.sensitivity import fix_integers, shadow_prices

TINY = Path(__file__).parent / "data" / "tiny"


def _instance(folder: Path, storage_m3: float) -> Path:
    """tiny with stock (30-day review, demand noise), two channels per SKU and a storage
    limit at the bonded zone: below about 1.7 m³ part of SKU A moves to direct mail."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("channels", "fx", "lanes", "skus", "tax_rules"):
        shutil.copy(TINY / f"{name}.csv", folder / f"{name}.csv")
    params = (TINY / "parameters.yaml").read_text()
    params = (
        params.replace("holding_rate_per_year: 0.0", "holding_rate_per_year: 0.2")
        .replace("review_period_days: 0", "review_period_days: 30")
        .replace("max_channels_per_sku: 1", "max_channels_per_sku: 2")
    )
    (folder / "parameters.yaml").write_text(params)
    (folder / "demand.csv").write_text(
        "sku_id,region_id,units,demand_std_daily\nA,R1,3650,3\nB,R1,365,1\n"
    )
    (folder / "nodes.csv").write_text(
        "node_id,kind,name,country,lat,lon,fixed_cost,handling_cost_per_unit,"
        "storage_capacity_m3,throughput_capacity_units\n"
        "S1,supplier,Tokyo supplier,JP,35.68,139.69,,,,\n"
        f"BZ,bonded_zone,Shanghai bonded zone,CN,31.35,121.6,1000,1,{storage_m3},1000000\n"
        "R1,region,Shanghai,CN,31.23,121.47,,,,\n"
    )
    return folder


def _fixed_lp_objective(folder: Path, decisions) -> float:
    """The fixed-integer LP of ``decisions`` on the instance in ``folder``, solved by
    scipy's linprog: an independent recomputation (no lean_chain backend, no duals)."""
    model = build_cost_model(lean_chain.load_instance(folder))
    problem = build_problem(model)
    lp = fix_integers(problem, encode(problem, model, decisions))
    finite_upper, finite_lower = np.isfinite(lp.row_upper), np.isfinite(lp.row_lower)
    a_ub = np.vstack([lp.matrix[finite_upper].toarray(), -lp.matrix[finite_lower].toarray()])
    b_ub = np.concatenate([lp.row_upper[finite_upper], -lp.row_lower[finite_lower]])
    result = linprog(
        lp.objective,
        A_ub=a_ub,
        b_ub=b_ub,
        bounds=list(
            zip(lp.col_lower, np.where(np.isfinite(lp.col_upper), lp.col_upper, None), strict=True)
        ),
        method="highs",
    )
    assert result.status == 0, result.message
    return float(result.fun) + lp.offset


def _storage(report: dict) -> dict:
    [entry] = [e for e in report["capacities"] if e["family"] == "storage"]
    return entry


def test_binding_storage_dual_equals_finite_difference(tmp_path):
    base = _instance(tmp_path / "base", storage_m3=1.0)
    instance = lean_chain.load_instance(base)
    plan = lean_chain.solve(instance, sensitivity=False)
    report = shadow_prices(build_cost_model(instance), plan.decisions)
    storage = _storage(report)
    assert storage["binding"] and storage["shadow_price"] < 0
    assert "would save" in storage["sentence"] and "BZ" in storage["sentence"]

    delta = 0.01
    before = _fixed_lp_objective(base, plan.decisions)
    after = _fixed_lp_objective(_instance(tmp_path / "more", 1.0 + delta), plan.decisions)
    assert before == pytest.approx(report["fixed_lp_objective"], rel=1e-7)
    assert (after - before) / delta == pytest.approx(storage["shadow_price"], rel=1e-4)

    # the throughput limit of the same node is far away: not binding, price 0
    [throughput] = [e for e in report["capacities"] if e["family"] == "throughput"]
    assert throughput["shadow_price"] == 0.0 and not throughput["binding"]
    assert "not binding" in throughput["sentence"]


def test_loose_storage_is_not_binding_and_solve_records_the_report(tmp_path):
    instance = lean_chain.load_instance(_instance(tmp_path / "loose", storage_m3=5.0))
    plan = lean_chain.solve(instance)  # exact by default: the report is on
    report = plan.info["sensitivity"]
    assert report["available"]
    storage = _storage(report)
    assert storage["shadow_price"] == 0.0 and not storage["binding"]
    assert storage["slack"] > 0
    assert "sensitivity" in plan.summary()


def test_one_more_promise_day_only_where_the_service_target_binds(tmp_path):
    folder = _instance(tmp_path / "service", storage_m3=5.0)
    nodes = (folder / "nodes.csv").read_text().splitlines()
    header = nodes[0] + ",service_days,service_share"
    rows = [row + ",," for row in nodes[1:3]] + [nodes[3] + ",3,0.5"]
    (folder / "nodes.csv").write_text("\n".join([header, *rows]) + "\n")
    instance = lean_chain.load_instance(folder)
    plan = lean_chain.solve(instance)
    report = plan.info["sensitivity"]
    [service] = report["service"]
    [promise] = report["promise_days"]
    assert service["region_id"] == promise["region_id"] == "R1"
    if not service["binding"]:
        assert service["shadow_price_per_point"] == 0.0 and promise["cost_change"] == 0.0
    assert promise["cost_change"] <= 0.0
    assert promise["sentence"]


def test_decompose_has_no_sensitivity():
    instance = lean_chain.load_instance(TINY)
    plan = lean_chain.solve(instance, method="decompose")
    assert "sensitivity" not in plan.info
    assert dataclasses.is_dataclass(plan)
