"""One status table per backend, one normalisation for all (issue 16 item 4)."""

from __future__ import annotations

import importlib

import pytest

from lean_chain.solvers.base import Outcome, Status, normalise


@pytest.mark.parametrize("outcome", list(Outcome))
@pytest.mark.parametrize("has_solution", [True, False])
def test_a_status_with_a_plan_needs_a_plan(outcome, has_solution):
    status, _ = normalise(outcome, has_solution, lambda: None)
    if status in (Status.FEASIBLE,):
        assert has_solution
    if outcome is Outcome.OPTIMAL:
        assert status is Status.OPTIMAL
    if outcome is Outcome.LIMIT:
        assert status is (Status.FEASIBLE if has_solution else Status.NO_SOLUTION)


@pytest.mark.parametrize(
    ("feasible", "status"),
    [(True, Status.UNBOUNDED), (False, Status.INFEASIBLE), (None, Status.ERROR)],
)
def test_infeasible_or_unbounded_is_decided_by_a_feasibility_solve(feasible, status):
    asked = []

    def has_feasible_point():
        asked.append(True)
        return feasible

    assert normalise(Outcome.INFEASIBLE_OR_UNBOUNDED, False, has_feasible_point)[0] is status
    assert asked == [True]
    # no other outcome ever pays for the extra solve
    normalise(Outcome.INFEASIBLE, False, has_feasible_point)
    assert asked == [True]


@pytest.mark.parametrize(
    ("module", "optimal_code"),
    [
        ("lean_chain.solvers.highs", "kOptimal"),
        ("lean_chain.solvers.ortools", "OPTIMAL"),
        ("lean_chain.solvers.pulp_cbc", "Optimal Solution Found"),
    ],
)
def test_every_backend_has_one_status_table(module, optimal_code):
    table = importlib.import_module(module).STATUS_TABLE
    assert all(isinstance(outcome, Outcome) for outcome in table.values())
    assert table[optimal_code] is Outcome.OPTIMAL
    assert Outcome.INFEASIBLE in table.values() and Outcome.LIMIT in table.values()
