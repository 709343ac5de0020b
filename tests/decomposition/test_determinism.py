"""The decomposition's plan does not depend on how fast the clock runs below the limit.

A time limit is spent by counted work (``WorkBudget``); the clock only ends a run at
the limit itself. The tests replace the method's clock by a fake one: no test here
measures time.
"""

from __future__ import annotations

import types

import numpy as np
import pytest

import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.decomposition import heuristic_plan, method, solve_decomposed

#: A limit no phase's counted work reaches on these small instances.
_LIMIT_S = 1000.0


class _Clock:
    """``time.perf_counter`` that reads 0 at its first call and ``later`` after it."""

    def __init__(self, later: float):
        self.later, self.calls = later, 0

    def perf_counter(self) -> float:
        self.calls += 1
        return 0.0 if self.calls == 1 else self.later


def _with_clock(monkeypatch, later: float) -> _Clock:
    clock = _Clock(later)
    monkeypatch.setattr(method, "time", types.SimpleNamespace(perf_counter=clock.perf_counter))
    return clock


@pytest.fixture(scope="module", params=[("cost", 0, "mixed"), ("profit", 3, "import")])
def model(request):
    objective, seed, kind = request.param
    instance = lean_chain.generate(skus=24, regions=6, nodes=4, seed=seed, kind=kind)
    return build_cost_model(instance, objective)


def _run(model, monkeypatch, later: float):
    _with_clock(monkeypatch, later)
    return solve_decomposed(model, time_limit=_LIMIT_S, gap=1e-9, max_rounds=30)


def test_plan_is_the_same_on_a_slow_clock_below_the_limit(model, monkeypatch):
    # the clock reads 99 % of the limit from the first check on: a machine so loaded
    # that every phase seems to overrun its share; before the fix, the node search and
    # the rounds stopped at 70 % of the limit by the clock and the plan changed
    quick = _run(model, monkeypatch, 0.0)
    slow = _run(model, monkeypatch, 0.99 * _LIMIT_S)
    assert quick.iterations == slow.iterations
    assert slow.objective == quick.objective
    assert slow.bound == quick.bound
    assert np.array_equal(slow.decisions.share, quick.decisions.share)
    assert np.array_equal(slow.decisions.node_open, quick.decisions.node_open)


def test_the_clock_still_ends_the_run_at_the_limit(model, monkeypatch):
    quick = _run(model, monkeypatch, 0.0)
    late = _run(model, monkeypatch, 1.01 * _LIMIT_S)
    assert late.iterations == 1  # one round always runs: a plan comes with a bound
    assert late.feasible
    assert late.bound <= quick.bound + 1e-9 * abs(quick.bound)  # still a valid bound
    assert late.objective >= late.bound - 1e-9 * abs(late.bound)


def test_heuristic_plan_is_the_same_on_a_slow_clock_below_the_limit(model, monkeypatch):
    _with_clock(monkeypatch, 0.0)
    quick = heuristic_plan(model, time_limit=_LIMIT_S)
    _with_clock(monkeypatch, 0.99 * _LIMIT_S)
    slow = heuristic_plan(model, time_limit=_LIMIT_S)
    assert slow.objective == quick.objective
    assert np.array_equal(slow.decisions.node_open, quick.decisions.node_open)


def test_the_share_reoptimization_runs_only_when_its_work_fits_the_limit(model, monkeypatch):
    # decided by the model's size and the limit, never by the clock
    calls = []
    original = method.reoptimize_shares

    def counted(*args, **kwargs):
        calls.append(args[2])  # HiGHS's own time limit
        return original(*args, **kwargs)

    monkeypatch.setattr(method, "reoptimize_shares", counted)
    _with_clock(monkeypatch, 0.0)
    need = method._REOPTIMIZE_S_PER_PAIR * model.n_pairs
    solve_decomposed(model, time_limit=0.9 * need, gap=1e-9, max_rounds=3)
    assert calls == []
    solve_decomposed(model, time_limit=100 * need, gap=1e-9, max_rounds=3)
    assert len(calls) <= 1  # (not called when the rounds already close the gap)
