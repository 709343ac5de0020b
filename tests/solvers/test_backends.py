"""Every backend on small MIPs with optima worked out by hand, the tiny instance, the registry."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import interrupt_solve

import lean_chain
from lean_chain.errors import SolverNotAvailableError
from lean_chain.solvers import (
    CAPABILITIES,
    REGISTRY,
    MipProblem,
    SolveOptions,
    Status,
    available_solvers,
    capabilities,
    get_backend,
)

TINY = Path(__file__).resolve().parent.parent / "data" / "tiny"
TINY_OPTIMUM = 14420.588235294117
SOLVERS = ["cbc", "highs", "ortools-highs", "ortools-scip"]
INF = np.inf


def mip(matrix, cost, row_lower, row_upper, col_lower, col_upper, integer, offset=0.0):
    matrix = np.asarray(matrix, dtype=float).reshape(len(row_lower), len(cost))
    return MipProblem(
        objective=np.asarray(cost, dtype=float),
        matrix=sp.csr_matrix(matrix),
        row_lower=np.asarray(row_lower, dtype=float),
        row_upper=np.asarray(row_upper, dtype=float),
        col_lower=np.asarray(col_lower, dtype=float),
        col_upper=np.asarray(col_upper, dtype=float),
        integrality=np.asarray(integer, dtype=bool),
        offset=offset,
    )


# max 10a + 13b + 7c + 8d  s.t.  4a + 6b + 3c + 5d <= 10, binary; as a minimization plus 100.
# Pairs that fit: ab (weight 10, value 23), bc (9, 20), ad (9, 18), ac (7, 17), cd (8, 15);
# no three items fit (the lightest three weigh 12). Best: a and b, value 23 -> 100 - 23 = 77.
KNAPSACK = mip([[4, 6, 3, 5]], [-10, -13, -7, -8], [-INF], [10], [0] * 4, [1] * 4, [1] * 4, 100.0)
KNAPSACK_OPTIMUM, KNAPSACK_SOLUTION = 77.0, [1, 1, 0, 0]

# x + y >= 3 with x, y binary.
INFEASIBLE = mip([[1, 1]], [1, 1], [3], [INF], [0, 0], [1, 1], [1, 1])

# min x + y  s.t.  x + 2y >= 4, 3x + y >= 6, x, y >= 0 (continuous).
# Vertices (0, 6) -> 6, (4, 0) -> 4 and the crossing x = 1.6, y = 1.2 -> 2.8.
LP = mip([[1, 2], [3, 1]], [1, 1], [4, 6], [INF, INF], [0, 0], [INF, INF], [0, 0])
LP_OPTIMUM, LP_SOLUTION = 2.8, [1.6, 1.2]

# min x1 + 2 x2 - x3  s.t.  x1 + x2 + x3 = 10, x1 - x2 = 2 (equalities),
# x1 + x3 <= 20 (no lower side), 0 <= x1 - x3 <= 1 (ranged); x1, x2 free, x3 <= 4 integer
# (no lower bound). The equalities give x2 = (8 - x3) / 2, x1 = 6 - x3 / 2, so the
# objective is 14 - 2.5 x3 and the ranged row asks x3 in [10/3, 4]: x3 = 4, x2 = 2, x1 = 4 -> 4.
EQUALITIES = mip(
    [[1, 1, 1], [1, -1, 0], [1, 0, 1], [1, 0, -1]],
    [1, 2, -1],
    [10, 2, -INF, 0],
    [10, 2, 20, 1],
    [-INF, -INF, -INF],
    [INF, INF, 4],
    [0, 0, 1],
)
EQUALITIES_OPTIMUM, EQUALITIES_SOLUTION = 4.0, [4, 2, 4]

# min -x - y  s.t.  x - y <= 1, x integer >= 0, y >= 0: y (and x) grow without end.
UNBOUNDED = mip([[1, -1]], [-1, -1], [-INF], [1], [0, 0], [INF, INF], [1, 0])

CASES = {
    "knapsack": (KNAPSACK, Status.OPTIMAL, KNAPSACK_OPTIMUM, KNAPSACK_SOLUTION),
    "infeasible": (INFEASIBLE, Status.INFEASIBLE, None, None),
    "lp": (LP, Status.OPTIMAL, LP_OPTIMUM, LP_SOLUTION),
    "equalities": (EQUALITIES, Status.OPTIMAL, EQUALITIES_OPTIMUM, EQUALITIES_SOLUTION),
    "unbounded": (UNBOUNDED, Status.UNBOUNDED, None, None),
}


def assert_feasible(problem: MipProblem, x: np.ndarray, tol: float = 1e-6) -> None:
    activity = problem.matrix @ x
    assert np.all(activity >= problem.row_lower - tol)
    assert np.all(activity <= problem.row_upper + tol)
    assert np.all(x >= problem.col_lower - tol)
    assert np.all(x <= problem.col_upper + tol)
    integer = problem.integrality
    assert np.allclose(x[integer], np.round(x[integer]), atol=tol)


def test_the_four_backends_are_registered():
    assert set(SOLVERS) <= set(available_solvers())
    assert set(REGISTRY) == set(available_solvers())


@pytest.mark.parametrize("case", sorted(CASES))
def test_backends_return_the_same_normalized_result(case):
    problem, status, optimum, solution = CASES[case]
    results = {name: get_backend(name).solve(problem, SolveOptions()) for name in SOLVERS}
    for name, result in results.items():
        assert result.solver == name
        assert result.status is status, (name, result.message)
        assert result.wall_s >= 0
        if status.has_solution:
            assert result.objective == pytest.approx(optimum, abs=1e-6), name
            assert result.bound == pytest.approx(optimum, abs=1e-6), name
            assert result.gap == pytest.approx(0.0, abs=1e-6)
            assert result.solution is not None and result.solution.shape == (problem.n_cols,)
            np.testing.assert_allclose(result.solution, solution, atol=1e-6, err_msg=name)
            assert_feasible(problem, result.solution)
        else:
            assert result.solution is None, name
            assert math.isnan(result.objective), name
            assert result.gap == math.inf


@pytest.mark.parametrize("name", SOLVERS)
def test_tiny_instance_optimum_agrees(name):
    plan = lean_chain.solve(lean_chain.load_instance(TINY), solver=name)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=1e-9)
    assert plan.solver == name


def test_unknown_solver_lists_the_choices():
    with pytest.raises(SolverNotAvailableError) as caught:
        get_backend("gurobi")
    for name in available_solvers():
        assert name in str(caught.value)
    with pytest.raises(SolverNotAvailableError, match="choose one of"):
        capabilities("gurobi")
    with pytest.raises(SolverNotAvailableError, match="cbc"):
        lean_chain.solve(lean_chain.load_instance(TINY), solver="nope")


def test_capability_registry():
    for name in available_solvers():
        declared = capabilities(name)
        assert isinstance(declared, frozenset)
        assert declared <= CAPABILITIES, name
        assert declared == get_backend(name).capabilities
    assert capabilities("highs") == CAPABILITIES
    # no callback from CBC's program or OR-Tools' solve reaches Python during the search
    assert capabilities("cbc") == CAPABILITIES - {"progress", "target"}
    assert capabilities("ortools-scip") == CAPABILITIES - {"progress", "target"}
    # OR-Tools' HiGHS wrapper: no bound beyond the objective, hints crash it, one thread pool
    assert capabilities("ortools-highs") == CAPABILITIES - {
        "bound",
        "warm_start",
        "threads",
        "progress",
        "target",
    }


@pytest.mark.parametrize(
    ("name", "module", "hint"),
    [
        ("highs", "highspy", "pip install highspy"),
        ("cbc", "pulp", "pip install 'pulp>=2.8,<3.3.1'"),
    ],
)
def test_missing_package_raises_solver_not_available(monkeypatch, name, module, hint):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    backend = get_backend(name)  # the factory itself imports nothing
    assert capabilities(name) >= CAPABILITIES - {"progress", "target"}
    with pytest.raises(SolverNotAvailableError) as caught:
        backend.solve(KNAPSACK, SolveOptions())
    assert module in str(caught.value)
    assert hint in str(caught.value)
    assert isinstance(caught.value, ImportError)


def test_ortools_highs_ignores_a_warm_start_instead_of_crashing():
    result = get_backend("ortools-highs").solve(
        KNAPSACK, SolveOptions(warm_start=np.array(KNAPSACK_SOLUTION, dtype=float))
    )
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(KNAPSACK_OPTIMUM)
    assert "MIP start ignored" in result.message


@pytest.mark.parametrize("name", ["highs", "cbc"])
def test_warm_start_of_the_wrong_length_is_rejected(name):
    with pytest.raises(ValueError, match="warm start"):
        get_backend(name).solve(KNAPSACK, SolveOptions(warm_start=np.zeros(3)))


@pytest.mark.parametrize("name", SOLVERS)
def test_column_in_no_row_and_without_cost(name):
    # x1 appears nowhere; any value in its bounds will do, and it must come back in them
    problem = mip([[1, 0]], [1, 0], [2], [INF], [0, 3], [5, 7], [1, 1])
    result = get_backend(name).solve(problem, SolveOptions())
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(2.0)
    assert result.solution.shape == (2,)
    assert_feasible(problem, result.solution)


def test_ctrl_c_stops_highs_and_keeps_the_incumbent(tmp_path):
    """SIGINT during a long HiGHS solve: stops within seconds, writes the plan, exit 130."""
    import json
    from pathlib import Path

    run = tmp_path / "run"
    # HiGHS past its root, with the warm-up's plan as incumbent, when the signal comes
    code, out, err, seconds = interrupt_solve(
        Path("instances/cn_import"), run, "exact", "MIP with", "SIGINT", delay=8.0
    )
    assert code == 130, err
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "interrupted"
    # a bound only if HiGHS had one when stopped (none before its root LP)
    assert summary["bound"] is None or summary["bound"] <= summary["objective"]
    assert summary["violations"] == []
    assert json.loads(out)["status"] == "interrupted"
    assert seconds < 30  # HiGHS stops within about a second; then pricing
