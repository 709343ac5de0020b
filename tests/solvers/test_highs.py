"""The HiGHS backend's progress relay: reports during the search and through its silences."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import scipy.sparse as sp

from lean_chain.solvers import MipProblem, SolveOptions, get_backend
from lean_chain.solvers import highs as highs_backend
from lean_chain.solvers.highs import HEARTBEAT_S, ProgressRelay


def event(primal: float, dual: float) -> SimpleNamespace:
    """What highspy passes to a MIP interrupt callback, as far as the relay reads it."""
    return SimpleNamespace(data_out=SimpleNamespace(mip_primal_bound=primal, mip_dual_bound=dual))


def test_callbacks_report_at_most_once_a_second_with_their_values():
    seen, now = [], [0.0]
    relay = ProgressRelay(lambda *values: seen.append(values), clock=lambda: now[0])
    for t, primal, dual in [(0.5, 90.0, 10.0), (1.2, 80.0, 20.0), (1.9, 70.0, 30.0)]:
        now[0] = t
        relay.on_event(event(primal, dual))
    now[0] = 2.3
    relay.on_event(event(60.0, 40.0))
    assert seen == [(1.2, 80.0, 20.0), (2.3, 60.0, 40.0)]


def test_heartbeat_repeats_the_last_values_after_a_silence_only():
    seen, now = [], [0.0]
    relay = ProgressRelay(lambda *values: seen.append(values), clock=lambda: now[0])
    now[0] = 1.5
    relay.on_event(event(70.0, 30.0))
    now[0] = 1.5 + HEARTBEAT_S - 0.1
    relay.heartbeat()  # not yet silent long enough
    assert seen == [(1.5, 70.0, 30.0)]
    now[0] = 1.5 + HEARTBEAT_S
    relay.heartbeat()
    now[0] = 1.5 + HEARTBEAT_S + 0.5
    relay.on_event(event(65.0, 31.0))  # within a second of the heartbeat: noted, not reported
    now[0] = 1.5 + 2 * HEARTBEAT_S
    relay.heartbeat()
    assert seen == [
        (1.5, 70.0, 30.0),
        (1.5 + HEARTBEAT_S, 70.0, 30.0),
        (1.5 + 2 * HEARTBEAT_S, 65.0, 31.0),
    ]


def test_a_solve_without_mip_callbacks_still_reports(monkeypatch):
    # an LP: HiGHS never calls the MIP interrupt callback, so only the heartbeat reports
    monkeypatch.setattr(highs_backend, "HEARTBEAT_S", 0.0)
    n = 50
    lp = MipProblem(
        objective=np.ones(n),
        matrix=sp.csr_matrix(np.ones((1, n))),
        row_lower=np.array([10.0]),
        row_upper=np.array([np.inf]),
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integrality=np.zeros(n, dtype=bool),
    )
    seen = []
    result = get_backend("highs").solve(
        lp, SolveOptions(progress=lambda *values: seen.append(values))
    )
    assert result.status.has_solution and math.isclose(result.objective, 10.0)
    assert seen, "no progress was reported"
    elapsed = [s for s, _, _ in seen]
    assert elapsed == sorted(elapsed) and elapsed[0] >= 0.0
    assert all(objective == math.inf and bound == -math.inf for _, objective, bound in seen)
