"""Monte Carlo evaluation: reproducible, batch-size independent, exact when nothing varies."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TINY

import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.costs.montecarlo import simulate


@pytest.fixture(scope="module")
def solved():
    inst = lean_chain.load_instance(TINY)
    return inst, lean_chain.solve(inst)


def test_same_seed_same_numbers_whatever_the_batch(solved):
    inst, plan = solved
    model = build_cost_model(inst)
    a = simulate(model, plan.decisions, scenarios=64, seed=5)
    b = simulate(model, plan.decisions, scenarios=64, seed=5)
    c = simulate(model, plan.decisions, scenarios=64, seed=5, memory_budget_mb=1e-4)
    assert a.to_dict() == b.to_dict()
    assert c.batch_size < a.batch_size
    np.testing.assert_allclose(c.costs, a.costs, rtol=1e-12)
    assert simulate(model, plan.decisions, scenarios=64, seed=6).to_dict() != a.to_dict()


def test_without_uncertainty_every_scenario_costs_the_plan(solved):
    """Tiny has no demand or lead-time std: with normal draws (no Poisson slow movers) every
    scenario's demand is the plan's, so each scenario costs exactly the plan's objective."""
    inst, plan = solved
    result = simulate(
        build_cost_model(inst), plan.decisions, scenarios=20, seed=1, slow_mover_units_per_day=0
    )
    np.testing.assert_allclose(result.costs, plan.objective, rtol=1e-12)


def test_poisson_slow_movers_vary_around_the_plan(solved):
    """Tiny's SKUs sell under 1 unit a day: Poisson demand, mean cost near the plan's."""
    inst, plan = solved
    result = simulate(build_cost_model(inst), plan.decisions, scenarios=2000, seed=2)
    assert result.costs.std() > 0
    assert result.expected_cost == pytest.approx(plan.objective, rel=0.02)
    assert 0 <= result.fill_rate["all"] <= 1


def test_rejects_no_scenarios(solved):
    inst, plan = solved
    with pytest.raises(ValueError, match="at least 1"):
        simulate(build_cost_model(inst), plan.decisions, scenarios=0)
