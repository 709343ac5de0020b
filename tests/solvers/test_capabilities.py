"""Each declared capability takes effect, for every backend that declares it."""

from __future__ import annotations

import functools
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

from lean_chain.solvers import (
    CAPABILITIES,
    MipProblem,
    SolveOptions,
    SolveResult,
    Status,
    available_solvers,
    capabilities,
    get_backend,
)

INF = np.inf
#: What every capability test below covers; kept equal to CAPABILITIES by a test.
TESTED = {
    "target",
    "integer",
    "time_limit",
    "relative_gap",
    "threads",
    "warm_start",
    "log_file",
    "bound",
    "progress",
}


def declaring(capability: str) -> list[str]:
    return [name for name in available_solvers() if capability in capabilities(name)]


def knapsack() -> MipProblem:
    # min 100 - (10a + 13b + 7c + 8d)  s.t.  4a + 6b + 3c + 5d <= 10, binary: a, b -> 77
    return MipProblem(
        objective=np.array([-10.0, -13, -7, -8]),
        matrix=sp.csr_matrix(np.array([[4.0, 6, 3, 5]])),
        row_lower=np.array([-INF]),
        row_upper=np.array([10.0]),
        col_lower=np.zeros(4),
        col_upper=np.ones(4),
        integrality=np.ones(4, dtype=bool),
        offset=100.0,
    )


def multi_knapsack(n: int, m: int, seed: int) -> MipProblem:
    """A Chu-Beasley style 0-1 multidimensional knapsack (as a minimization).

    Profits correlate with weights and capacities are half the total weight:
    the 100 x 10 instance with seed 7 is not proven optimal by any backend in
    6 s here (gaps of 0.6-0.9 % remain), yet good plans are found at once.
    """
    rng = np.random.default_rng(seed)
    weights = rng.integers(1, 1001, size=(m, n)).astype(float)
    profits = weights.sum(axis=0) / m + rng.integers(0, 501, size=n)
    return MipProblem(
        objective=-profits,
        matrix=sp.csr_matrix(weights),
        row_lower=np.full(m, -INF),
        row_upper=0.5 * weights.sum(axis=1),
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integrality=np.ones(n, dtype=bool),
    )


def market_split(m: int, seed: int) -> MipProblem:
    """Cornuejols-Dawande market split: equality knapsacks with (almost surely) no solution.

    No backend finds a plan or proves infeasibility in seconds for m = 5 (40 binaries).
    """
    rng = np.random.default_rng(seed)
    n = 10 * (m - 1)
    weights = rng.integers(0, 100, size=(m, n)).astype(float)
    target = np.floor(weights.sum(axis=1) / 2)
    return MipProblem(
        objective=np.zeros(n),
        matrix=sp.csr_matrix(weights),
        row_lower=target,
        row_upper=target,
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integrality=np.ones(n, dtype=bool),
    )


HARD = multi_knapsack(100, 10, seed=7)
#: Its LP relaxation value: every proven bound lies between it and any plan's objective.
HARD_LP = linprog(
    HARD.objective, A_ub=HARD.matrix.toarray(), b_ub=HARD.row_upper, bounds=(0, 1)
).fun
#: CBC's bound comes from its log, printed to 8 significant digits.
BOUND_TOL = 1e-7 * abs(HARD_LP)


@functools.cache
def hard_limited(name: str) -> SolveResult:
    """``name`` on the hard knapsack, stopped by a 0.5 s time limit (shared by several tests)."""
    return get_backend(name).solve(HARD, SolveOptions(time_limit_s=0.5))


def test_every_capability_has_a_test():
    assert TESTED == CAPABILITIES


def test_the_new_backends_declare_everything():
    assert capabilities("highs") == CAPABILITIES
    # CBC runs as a separate program: no callback reaches Python during its search
    assert capabilities("cbc") == CAPABILITIES - {"progress", "target"}


# -- integer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("integer"))
def test_integer_columns_are_honoured(name):
    problem = knapsack()
    relaxed = MipProblem(
        problem.objective,
        problem.matrix,
        problem.row_lower,
        problem.row_upper,
        problem.col_lower,
        problem.col_upper,
        np.zeros(4, dtype=bool),
        problem.offset,
    )
    integral = get_backend(name).solve(problem, SolveOptions())
    continuous = get_backend(name).solve(relaxed, SolveOptions())
    assert integral.objective == pytest.approx(77.0)
    np.testing.assert_allclose(integral.solution, np.round(integral.solution), atol=1e-6)
    # the LP relaxation takes a fraction of an item: 10a + 13b + 7c + 8d with 4a + 6b + 3c <= 10
    # by ratio (c 2.33, a 2.5, b 2.17 per unit weight: a, c, then half of b) -> 100 - 23.5
    assert continuous.objective == pytest.approx(76.5)


# -- time_limit -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("time_limit"))
def test_time_limit_stops_a_hard_run(name):
    result = hard_limited(name)
    assert result.wall_s < 5
    assert result.status in (Status.FEASIBLE, Status.NO_SOLUTION), result.message
    if result.status is Status.FEASIBLE:
        assert result.solution is not None and result.objective < 0


@pytest.mark.parametrize("name", declaring("time_limit"))
def test_time_limit_without_a_plan_is_no_solution(name):
    result = get_backend(name).solve(market_split(5, seed=3), SolveOptions(time_limit_s=0.3))
    assert result.wall_s < 5
    assert result.status is Status.NO_SOLUTION, result.message
    assert result.solution is None
    assert math.isnan(result.objective)


# -- relative_gap -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("relative_gap"))
def test_a_loose_gap_stops_early_as_optimal(name):
    # the same run at the default gap is still going at 0.5 s (test above) and at 6 s
    result = get_backend(name).solve(HARD, SolveOptions(relative_gap=0.5, time_limit_s=20))
    assert result.status is Status.OPTIMAL, result.message
    assert result.wall_s < 5
    assert result.gap <= 0.5
    assert result.objective < 0
    if "bound" in capabilities(name):
        # a proven bound, so the true gap is within the tolerance asked for
        assert HARD_LP - BOUND_TOL <= result.bound <= result.objective + 1e-6
        assert (result.objective - result.bound) / abs(result.objective) <= 0.5


# -- target -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("target"))
def test_a_target_objective_stops_at_the_first_plan_that_meets_it(name):
    # 3 % above the LP bound: met by the first good plans, while the run asked for the
    # default gap is still going at 6 s (see the relative_gap test)
    target = 0.97 * HARD_LP
    result = get_backend(name).solve(HARD, SolveOptions(time_limit_s=20, target_objective=target))
    assert result.status.has_solution, result.message
    assert result.objective <= target
    assert result.wall_s < 5
    assert "stopped at the target objective" in result.message
    if "bound" in capabilities(name):
        assert HARD_LP - BOUND_TOL <= result.bound <= result.objective + 1e-6


# -- bound ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("bound"))
def test_bound_is_proven_and_reported_when_stopped(name):
    result = hard_limited(name)
    if result.status is not Status.FEASIBLE:
        pytest.skip(f"{name} found no plan in 0.5 s on this machine")
    assert math.isfinite(result.bound)
    # between the LP relaxation and the plan found, and not simply the plan's objective
    assert HARD_LP - BOUND_TOL <= result.bound < result.objective
    assert 0 < result.gap < 0.1


@pytest.mark.parametrize("name", declaring("progress"))
def test_progress_reports_incumbent_and_bound_during_the_search(name):
    seen = []
    result = get_backend(name).solve(
        HARD, SolveOptions(time_limit_s=2.5, progress=lambda *values: seen.append(values))
    )
    assert len(seen) >= 2  # about once a second
    elapsed = [s for s, _, _ in seen]
    assert elapsed == sorted(elapsed)
    final = [(objective, bound) for _, objective, bound in seen if math.isfinite(objective)]
    assert final, "no incumbent was ever reported"
    for objective, bound in final:
        assert bound <= objective + 1e-6 * abs(objective)
    if result.status.has_solution:
        assert result.objective <= final[-1][0] + 1e-6 * abs(final[-1][0])


def test_ortools_highs_reports_no_bound_beyond_its_objective():
    # why ortools-highs does not declare "bound": stopped at the gap, bound == objective
    result = get_backend("ortools-highs").solve(HARD, SolveOptions(relative_gap=0.5))
    assert result.status is Status.OPTIMAL
    assert result.bound == result.objective
    assert "bound" not in capabilities("ortools-highs")


# -- log_file ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("log_file"))
def test_log_file_fills(name, tmp_path):
    log = tmp_path / f"{name}.log"
    result = get_backend(name).solve(knapsack(), SolveOptions(log_file=log))
    assert result.status is Status.OPTIMAL
    assert log.exists() and log.stat().st_size > 0


@pytest.mark.parametrize("name", ["highs", "cbc"])
def test_no_log_file_and_not_verbose_prints_nothing(name, capfd):
    get_backend(name).solve(knapsack(), SolveOptions())
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


# -- threads ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", declaring("threads"))
def test_threads_accepted(name):
    for threads in (1, 2, 1):
        result = get_backend(name).solve(knapsack(), SolveOptions(threads=threads))
        assert result.status is Status.OPTIMAL, (threads, result.message)
        assert result.objective == pytest.approx(77.0)


def test_threads_reach_highs(monkeypatch):
    import highspy

    seen = []
    original = highspy.Highs.setOptionValue

    def spy(self, option, value):
        seen.append((option, value))
        return original(self, option, value)

    monkeypatch.setattr(highspy.Highs, "setOptionValue", spy)
    result = get_backend("highs").solve(knapsack(), SolveOptions(threads=2))
    assert result.status is Status.OPTIMAL
    assert ("threads", 2) in seen


def test_threads_reach_cbc(tmp_path):
    log = tmp_path / "cbc.log"
    get_backend("cbc").solve(knapsack(), SolveOptions(threads=2, log_file=log))
    assert "threads was changed from 0 to 2" in log.read_text()


def test_ortools_highs_survives_changing_threads():
    # its HiGHS keeps the first solve's thread pool; a different count must not fail the solve
    first = get_backend("ortools-highs").solve(knapsack(), SolveOptions(threads=1))
    second = get_backend("ortools-highs").solve(knapsack(), SolveOptions(threads=2))
    assert first.status is second.status is Status.OPTIMAL
    assert "threads=2 ignored" in second.message


# -- warm_start -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hard_start() -> SolveResult:
    result = hard_limited("highs")
    assert result.status is Status.FEASIBLE
    return result


@pytest.mark.parametrize("name", declaring("warm_start"))
def test_warm_start_is_used(name, hard_start):
    result = get_backend(name).solve(
        HARD, SolveOptions(time_limit_s=0.2, warm_start=hard_start.solution)
    )
    assert "MIP start given" in result.message
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL), result.message
    # never worse than the plan it was given
    assert result.objective <= hard_start.objective + 1e-6


def test_cbc_says_it_took_the_start(hard_start):
    result = get_backend("cbc").solve(
        HARD, SolveOptions(time_limit_s=0.2, warm_start=hard_start.solution)
    )
    assert "MIPStart provided solution with cost" in result.message


def test_highs_optimal_start_returns_its_objective():
    problem = multi_knapsack(25, 5, seed=2)
    optimal = get_backend("highs").solve(problem, SolveOptions())
    assert optimal.status is Status.OPTIMAL
    limit = SolveOptions(time_limit_s=1e-3, warm_start=optimal.solution)
    started = get_backend("highs").solve(problem, limit)
    assert "MIP start given" in started.message and "accepted" in started.message
    assert started.status.has_solution
    assert started.objective == pytest.approx(optimal.objective, abs=1e-6)
    # without the start, 1 ms is not enough to get there
    cold = get_backend("highs").solve(problem, SolveOptions(time_limit_s=1e-3))
    assert cold.status is Status.NO_SOLUTION or cold.objective > optimal.objective + 1e-6


# -- one process, every backend ---------------------------------------------------------------


def test_every_backend_in_one_fresh_process():
    # PuLP >= 3.3.1 loads highspy RTLD_GLOBAL on import; OR-Tools' HiGHS loaded after that
    # segfaults. The backends load OR-Tools first; check in a process of its own.
    script = textwrap.dedent(
        """
        import numpy as np, scipy.sparse as sp
        from lean_chain.solvers import MipProblem, SolveOptions, get_backend
        p = MipProblem(np.array([-10.0, -13, -7, -8]), sp.csr_matrix(np.array([[4.0, 6, 3, 5]])),
                       np.array([-np.inf]), np.array([10.0]), np.zeros(4), np.ones(4),
                       np.ones(4, dtype=bool), 100.0)
        for name in ["cbc", "highs", "ortools-highs", "ortools-scip"]:
            print(name, get_backend(name).solve(p, SolveOptions()).objective)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # nothing but the script's own lines: no HiGHS banner, no CBC output when not verbose
    assert done.stdout.splitlines() == [
        "cbc 77.0",
        "highs 77.0",
        "ortools-highs 77.0",
        "ortools-scip 77.0",
    ]
