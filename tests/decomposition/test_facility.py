"""Lagrangian bound and node fixing for facility-location-like models.

The bound is compared with published (cap41-cap44) or hand-worked optima and
with exact MIP optima of random multi-SKU, two-channel variants; every fixing
is applied to the MIP, which must reach the same optimum.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED

import lean_chain
from lean_chain.convert import holmberg_to_instance, orlib_cap_to_instance
from lean_chain.costs.model import build_cost_model
from lean_chain.decomposition.facility import apply_node_fixing, node_fixing
from lean_chain.formulation.build import build_problem
from lean_chain.formulation.solution import encode, mip_objective
from lean_chain.solvers import SolveOptions, Status, get_backend

ORLIB = SHARED / "benchdata" / "orlib-cap"
ROOT = Path(__file__).resolve().parents[2]
#: Relative slack on "bound <= optimum" (the solver's and the float sums' tolerances).
_TOL = 1e-7

SMALL_ORLIB = "2 3\n6 100\n15 50\n8\n80 160\n6\n60 30\n4\n40 20\n"
SMALL_HOLMBERG = "2 3\n6 100\n15 50\n8 6 4\n80 60 40\n160 30 20\n"


def _optima() -> dict[str, float]:
    lines = (ORLIB / "optima.txt").read_text().splitlines()
    return {line.split()[0]: float(line.split()[1]) for line in lines if line.strip()}


def _solve(problem) -> float:
    """The optimum, as the cost of the solution's columns.

    No MIP start here: with one, HiGHS 1.16 has reported an objective and bound
    below the cost of the solution it returns on such small models.
    """
    result = get_backend("highs").solve(problem, SolveOptions(relative_gap=1e-9, threads=1))
    assert result.status is Status.OPTIMAL
    return float(problem.objective @ result.solution + problem.offset)


def _satisfies(problem, vector: np.ndarray) -> bool:
    """``vector`` within the column bounds and rows of ``problem`` (1e-7 slack)."""
    activity = problem.matrix @ vector
    return bool(
        np.all(vector >= problem.col_lower - 1e-7)
        and np.all(vector <= problem.col_upper + 1e-7)
        and np.all(activity >= problem.row_lower - 1e-7)
        and np.all(activity <= problem.row_upper + 1e-7)
    )


def _check(model, optimum: float, upper_bound: float, *, near: float | None = None):
    """Bound <= optimum (and within ``near`` of it); fixings keep the optimum."""
    fixing = node_fixing(model, upper_bound)
    assert fixing.applicable, fixing.reason
    assert fixing.bound <= optimum * (1 + _TOL) + 1e-9
    if near is not None:
        assert fixing.bound >= optimum * (1 - near)
    assert fixing.upper_bound <= upper_bound
    assert fixing.upper_bound >= optimum * (1 - _TOL)
    assert not np.any(fixing.fixed_closed & fixing.fixed_open)
    problem = build_problem(model)
    if fixing.decisions is not None:  # the plan built here is priced by the MIP's objective
        value = mip_objective(problem, model, fixing.decisions)
        assert value == pytest.approx(fixing.upper_bound, rel=1e-9)
    fixed = apply_node_fixing(problem, fixing)
    if fixing.decisions is not None:  # a MIP start for the fixed problem
        assert _satisfies(fixed, encode(problem, model, fixing.decisions))
    assert _solve(fixed) == pytest.approx(optimum, rel=1e-6)
    return fixing


def _model(path: Path):
    return build_cost_model(lean_chain.load_instance(path))


@pytest.mark.parametrize(
    ("capacity", "optimum"), [(None, 300.0), (20, 260.0), (10, 280.0), (18, 260.0)]
)
def test_small_by_hand(tmp_path, capacity, optimum):
    text = SMALL_ORLIB
    if capacity is not None:
        text = text.replace("6 100", "capacity 100").replace("15 50", "capacity 50")
    source = tmp_path / "small.txt"
    source.write_text(text)
    model = _model(orlib_cap_to_instance(source, tmp_path / "inst", capacity=capacity))
    for upper in (math.inf, optimum, optimum * 1.5):
        _check(model, optimum, upper)


def test_small_single_source_is_bounded_by_its_relaxation(tmp_path):
    source = tmp_path / "small"
    source.write_text(SMALL_HOLMBERG)
    model = _model(holmberg_to_instance(source, tmp_path / "inst"))
    fixing = _check(model, 380.0, 380.0)
    assert fixing.decisions is None  # no transportation plan for single sourcing


def test_tight_upper_bound_fixes_nodes(tmp_path):
    """At capacity 20 one warehouse suffices; with the optimum as upper bound, W1 closes."""
    source = tmp_path / "small.txt"
    source.write_text(SMALL_ORLIB.replace("6 100", "capacity 100").replace("15 50", "capacity 50"))
    model = _model(orlib_cap_to_instance(source, tmp_path / "inst", capacity=20))
    fixing = _check(model, 260.0, 260.0)
    assert fixing.n_fixed >= 1


@pytest.mark.parametrize("name", ["cap41", "cap42", "cap43", "cap44"])
def test_orlib_bound_close_and_fixing_keeps_optimum(name, tmp_path):
    optimum = _optima()[name]
    model = _model(orlib_cap_to_instance(ORLIB / f"{name}.txt", tmp_path / name))
    _check(model, optimum, math.inf, near=0.02)
    fixing = _check(model, optimum, optimum * (1 + 1e-7), near=0.02)
    assert fixing.n_fixed > 0


def _two_sku_instance(tmp_path: Path, seed: int, direct: bool = True) -> Path:
    """A random CFLP with 2 SKUs and (``direct``) a second, unstocked channel from the supplier."""
    rng = np.random.default_rng(seed)
    m, n = 4, 6
    lines = [f"{m} {n}"]
    lines += [f"{rng.integers(8, 30)} {rng.integers(20, 120)}" for _ in range(m)]
    for _ in range(n):
        lines.append(str(rng.integers(2, 9)))
        lines.append(" ".join(str(rng.integers(5, 200)) for _ in range(m)))
    source = tmp_path / f"rand{seed}.txt"
    source.write_text("\n".join(lines) + "\n")
    out = orlib_cap_to_instance(source, tmp_path / f"inst{seed}_{direct}")
    skus = pd.read_csv(out / "skus.csv")
    second = skus.iloc[[0]].assign(sku_id="other", procurement_cost=3.0)
    pd.concat([skus, second]).to_csv(out / "skus.csv", index=False)
    demand = pd.read_csv(out / "demand.csv")
    more = demand.assign(sku_id="other", units=rng.integers(1, 6, len(demand)).astype(float))
    pd.concat([demand, more]).to_csv(out / "demand.csv", index=False)
    if not direct:
        return out
    channels = pd.read_csv(out / "channels.csv", keep_default_na=False)
    direct = channels.assign(
        channel_id="direct", name="direct", path_shape="supplier>region", stock_node_kind=""
    )
    pd.concat([channels, direct]).to_csv(out / "channels.csv", index=False)
    taxes = pd.read_csv(out / "tax_rules.csv")
    pd.concat([taxes, taxes.assign(channel_id="direct")]).to_csv(out / "tax_rules.csv", index=False)
    lanes = pd.read_csv(out / "lanes.csv")
    regions = [f"C{j + 1}" for j in range(n)]
    extra = pd.DataFrame(
        {
            "lane_id": [f"S-{r}" for r in regions],
            "from_node": "S",
            "to_node": regions,
            "mode": "truck",
            "cost_per_unit": rng.uniform(20, 60, n).round(2),
            "lead_time_days": 0,
        }
    )
    pd.concat([lanes, extra]).to_csv(out / "lanes.csv", index=False)
    params = (
        (out / "parameters.yaml")
        .read_text()
        .replace("max_channels_per_sku: 1", "max_channels_per_sku: 2")
    )
    (out / "parameters.yaml").write_text(params)
    return out


@pytest.mark.parametrize("direct", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_several_skus_and_channels(tmp_path, seed, direct):
    """Bound <= exact optimum and fixings keep it, over random 2-SKU instances, with and
    without a second channel that bypasses the nodes (without it the capacity cut binds)."""
    model = _model(_two_sku_instance(tmp_path, seed, direct))
    assert len(model.kh_sku) > len(model.h_node)  # several SKUs per node
    assert np.any(model.h_of_pair < 0) == direct  # pairs that no node stocks
    optimum = _solve(build_problem(model))
    for upper in (math.inf, optimum * (1 + 1e-9), optimum * 1.05):
        _check(model, optimum, upper)


def test_not_applicable_with_other_coupling_rows():
    model = _model(ROOT / "instances" / "global_export")
    fixing = node_fixing(model, 1e9)
    assert not fixing.applicable
    assert "only throughput rows may couple" in fixing.reason
    assert fixing.bound == -math.inf and fixing.n_fixed == 0
    problem = build_problem(model)
    assert apply_node_fixing(problem, fixing) is problem


def test_fixing_from_another_model_is_refused(tmp_path):
    source = tmp_path / "small.txt"
    source.write_text(SMALL_ORLIB)
    fixing = node_fixing(_model(orlib_cap_to_instance(source, tmp_path / "a")), math.inf)
    big = _model(orlib_cap_to_instance(ORLIB / "cap41.txt", tmp_path / "b"))
    with pytest.raises(ValueError, match="same cost model"):
        apply_node_fixing(build_problem(big), fixing)
