"""A solver's claims are checked against the solution it returns.

HiGHS 1.16 can map a MIP start wrongly in presolve: on cn_import in profit mode it
reported -18,001,013 (optimal, gap 0) for a returned solution of -17,941,013, while the
true optimum is -17,951,300. The backends report their solution's own objective, claim
optimality only within the asked gap, and the HiGHS backend solves again without the start.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.decomposition import heuristic_plan
from lean_chain.formulation.build import build_problem
from lean_chain.formulation.solution import encode
from lean_chain.solvers import SolveOptions, Status, get_backend
from lean_chain.solvers.base import claims_checked
from lean_chain.solvers.highs import HighsBackend


@pytest.fixture(scope="module")
def tiny():
    model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    problem = build_problem(model)
    start = encode(problem, model, heuristic_plan(model).decisions)
    optimum = get_backend("highs").solve(problem, SolveOptions(relative_gap=1e-9))
    assert optimum.status is Status.OPTIMAL
    return problem, start, optimum


def _own(problem, solution) -> float:
    return float(problem.objective @ solution + problem.offset)


def test_a_consistent_result_is_returned_as_it_is(tiny):
    problem, _, optimum = tiny
    assert claims_checked(problem, optimum, 1e-9) is optimum


def test_a_claim_the_solution_does_not_have_is_corrected_and_not_optimal(tiny):
    problem, _, optimum = tiny
    claimed = optimum.objective - 1_000.0
    lying = replace(optimum, objective=claimed, bound=claimed)
    checked = claims_checked(problem, lying, 1e-6)
    assert checked.objective == pytest.approx(optimum.objective, rel=1e-12)
    assert checked.status is Status.FEASIBLE  # 1,000 from its bound: above the asked gap
    assert checked.bound == claimed
    assert "corrected" in checked.message
    # within a looser asked gap the same result is still optimal, with its own objective
    loose = claims_checked(problem, lying, 1.0)
    assert loose.status is Status.OPTIMAL
    assert loose.objective == pytest.approx(optimum.objective, rel=1e-12)


def test_highs_solves_again_without_a_start_whose_run_claims_too_much(tiny, monkeypatch):
    problem, start, optimum = tiny
    real = HighsBackend._solve_once
    calls = []

    def presolve_maps_the_start_wrongly(self, problem, options):
        calls.append(options.warm_start is not None)
        result = real(self, problem, options)
        if options.warm_start is None:
            return result
        # what HiGHS did on cn_import: the start's solution back, a better objective claimed
        claimed = _own(problem, options.warm_start) - 60_000.0
        return replace(result, objective=claimed, bound=claimed, solution=options.warm_start)

    monkeypatch.setattr(HighsBackend, "_solve_once", presolve_maps_the_start_wrongly)
    result = get_backend("highs").solve(problem, SolveOptions(relative_gap=1e-9, warm_start=start))
    assert calls == [True, False]
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(optimum.objective, rel=1e-9)
    assert result.objective == pytest.approx(_own(problem, result.solution), rel=1e-12)
    assert result.bound <= result.objective
    assert "solved again without the MIP start" in result.message


def test_highs_with_no_time_left_keeps_the_corrected_plan(tiny, monkeypatch):
    problem, start, _ = tiny

    def slow_and_wrong(self, problem, options):
        claimed = _own(problem, options.warm_start) - 60_000.0
        return replace(
            real_result, objective=claimed, bound=claimed, solution=options.warm_start, wall_s=9.5
        )

    real_result = get_backend("highs").solve(problem, SolveOptions())
    monkeypatch.setattr(HighsBackend, "_solve_once", slow_and_wrong)
    result = get_backend("highs").solve(problem, SolveOptions(time_limit_s=10.0, warm_start=start))
    assert result.status is Status.FEASIBLE
    assert result.objective == pytest.approx(_own(problem, start), rel=1e-12)
    assert np.array_equal(result.solution, start)
