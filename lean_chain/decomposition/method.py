"""The decomposition method: a plan within seconds, then Lagrangian rounds.

1. Construction with the true costs and every node open, repair, node search:
   the first plan.
2. Rounds: evaluate L(mu) (a valid bound), build a plan from the costs
   steered by mu and the round's node choice, repair, keep the best; update
   mu by a subgradient step. Stop at the gap, the time limit or the round
   limit; node search once more on the best plan.

A time limit is spent by counted work (:class:`WorkBudget`), not read off the
clock: the same model and limit give the same plan on a loaded machine as on a
quiet one. The clock only ends the run at the limit itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from lean_chain.costs.evaluate import Decisions
from lean_chain.costs.model import CostModel
from lean_chain.decomposition.heuristic import (
    Priced,
    better,
    construct,
    load_leg_excess,
    price,
    reoptimize_shares,
    search_nodes,
    slope_scaling,
)
from lean_chain.decomposition.lagrangian import Multipliers, lagrangian_step, update
from lean_chain.decomposition.structure import Structure, build_structure
from lean_chain.decomposition.subproblem import sku_tables

#: Node search right after the first plan only up to this many pairs x stocking nodes.
_EARLY_NODE_SEARCH_WORK = 5_000_000
#: Cells (demand rows x channel sets x node patterns) the node branch and bound may
#: evaluate per round (about 2 s on this project's machine).
_ROUND_WORK = 400_000_000
#: Largest model whose shares are re-optimized by a restricted MIP at the end.
_REOPTIMIZE_MAX_PAIRS = 1_000_000
#: A plan is built every round up to 2.5 M pairs, then every n_pairs // this rounds (at
#: most 5): at 8 M pairs (100k SKUs) a construction takes 10-14 s and a round 7 s.
_PAIRS_PER_PLAN_ROUND = 2_500_000
#: Between those rounds, a plan is also built in a round whose bound closes at least this
#: share of the gap left open (100k profit: round 11 closes 20 %; in cost mode rounds 2
#: and 4 close 3-4 %, round 7 closes 33 % and certifies the plan: nothing to build).
_LEAP_SHARE = 0.15
#: Rounds without a bound gain of 1e-4 (relative) after which the shares are re-optimized
#: at once rather than after the last round (the plan, not the bound, is then what keeps
#: the gap open; rounds counted, not seconds, so that a run is reproducible).
_STALL_ROUNDS = 20

#: A plan (of a model up to _REOPTIMIZE_MAX_PAIRS) whose container and weight-break legs
#: cost more than this share of it above their linear lower bound is re-planned by slope
#: scaling: generated 1k SKUs, FCL containers counted per shipment (since c510a70), the
#: first plan paid 7.0 M for containers against 0.4 M in the restricted MIP's (1.2 %
#: over the bound on its load legs); 10k pays 0.18 % and keeps its plans. Cost mode only.
_LOAD_EXCESS_SHARE = 0.005

#: Work charged per construction (a node-search trial, a round's plan): seconds, and
#: seconds per pair. On this project's quiet machine a node-search trial takes 17 ms in
#: profit mode and 65-100 ms in cost mode on cn_import (21 k pairs), 52-75 ms on
#: global_export (17 k pairs), a construction 10-14 s at 8 M pairs: the charge is
#: 1.2-2.5 times that (8 times on cn_import's profit mode), so that up to such a load
#: the work, not the clock, decides where a run stops.
_CONSTRUCTION_S = 0.1
_CONSTRUCTION_S_PER_PAIR = 2e-6
#: Work charged per cell (demand row x channel set x node pattern) the node branch and
#: bound evaluates: _ROUND_WORK cells take about 2 s.
_CELL_S = 2.0 / _ROUND_WORK
#: Work charged for a slope scaling (its LPs), in constructions: cn_import's cost mode
#: takes 0.6-1.1 s.
_SLOPE_SCALING_CONSTRUCTIONS = 6
#: Work the share re-optimization (the restricted MIP) is expected to take, in seconds
#: per pair (cn_import 290 us in profit mode, 540 us in cost mode; global_export 160 and
#: 265 us): it runs only when that much of the limit is left, since a run the limit cuts
#: short returns what HiGHS had at a moment the machine's load decides.
_REOPTIMIZE_S_PER_PAIR = 400e-6

#: progress(phase, elapsed_s, best_objective, best_bound)
ProgressCallback = Callable[[str, float, float, float], None]


@dataclass(frozen=True)
class DecompositionResult:
    """Best plan found and the best valid lower bound on the MIP optimum."""

    decisions: Decisions | None
    objective: float
    bound: float
    feasible: bool
    iterations: int
    first_plan_s: float | None
    unrepaired: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    plan: Priced | None = None  # the best plan, priced by the evaluation core
    interrupted: bool = False  # stopped by Ctrl-C / SIGTERM

    @property
    def gap(self) -> float:
        return _gap(self.objective, self.bound)

    def seconds_to_gap(self, target: float) -> float | None:
        """Elapsed seconds at the first round whose certified gap was at most ``target``."""
        for entry in self.history:
            if entry["feasible"] and _gap(entry["objective"], entry["best_bound"]) <= target:
                return float(entry["elapsed_s"])
        return None


def _meets_gap(bound: float, gap: float) -> float | None:
    """The largest objective whose gap to ``bound`` (:func:`_gap`) is at most ``gap``
    (a millionth of it spared for rounding); None where there is none.

    >>> round(_meets_gap(-241.0, 0.01), 4), round(_meets_gap(99.0, 0.01), 4)
    (-238.6139, 100.0)
    >>> _gap(_meets_gap(-241.0, 0.01), -241.0) <= 0.01
    True
    """
    if not np.isfinite(bound) or not 0 < gap < 1:
        return None
    spared = gap * (1.0 - 1e-6)
    return bound / (1.0 - spared) if bound >= 0 else bound / (1.0 + spared)


class WorkBudget:
    """A time limit spent by counted work, with the clock as a backstop at the limit.

    Phases charge what they did (constructions, node evaluations) at fixed rates
    measured on this project's machine and stop when the charge passes their share of
    the limit, so that where a run stops depends on the model and the limit, not on
    the machine's load (issue: cn_import's profit plan changed from run to run when
    the node search was cut by the clock). The clock ends every phase only once the
    limit itself has passed: a run that slow may differ, and keeps a valid bound.
    """

    def __init__(self, time_limit: float | None, n_pairs: int):
        self.time_limit = time_limit
        self.n_pairs = n_pairs
        self.spent = 0.0
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def charge_constructions(self, count: float = 1.0) -> None:
        self.spent += count * (_CONSTRUCTION_S + _CONSTRUCTION_S_PER_PAIR * self.n_pairs)

    def charge_reoptimization(self) -> None:
        self.spent += _REOPTIMIZE_S_PER_PAIR * self.n_pairs

    def charge_cells(self, cells: float) -> None:
        self.spent += cells * _CELL_S

    def exhausted(self, share: float = 1.0) -> bool:
        """True once the work charged passes ``share`` of the limit, or the clock the limit."""
        if self.time_limit is None:
            return False
        return self.spent > share * self.time_limit or self.elapsed() > self.time_limit

    def left(self) -> float:
        """Seconds of the limit not yet charged (inf without a limit)."""
        return np.inf if self.time_limit is None else self.time_limit - self.spent

    def left_on_clock(self) -> float:
        return np.inf if self.time_limit is None else self.time_limit - self.elapsed()


def reoptimize_fits(n_pairs: int, seconds: float) -> bool:
    """Whether the share re-optimization is expected to end within ``seconds``."""
    return _REOPTIMIZE_S_PER_PAIR * n_pairs <= seconds


def _gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    return max(objective - bound, 0.0) / max(abs(objective), 1e-10)


def heuristic_plan(model: CostModel, time_limit: float | None = None) -> Priced:
    """A plan within seconds: construction with the true costs and node search.

    When the construction cannot repair every coupling row, a few Lagrangian
    rounds steer it (see :func:`solve_decomposed`); the result says which
    constraints are still broken if none of them helps.
    """
    work = WorkBudget(time_limit, model.n_pairs)
    st = build_structure(model)
    tables = sku_tables(st, st.pair_cost)
    plan, _ = construct(st, tables, np.ones(st.n_h, dtype=bool), tables)
    work.charge_constructions()
    if plan.feasible:
        return search_nodes(st, tables, plan, tables, work.exhausted, work.charge_constructions)
    rest = None if time_limit is None else max(time_limit - work.elapsed(), 1.0)
    steered = solve_decomposed(model, time_limit=rest, gap=1.0, max_rounds=10, structure=st)
    return steered.plan if steered.plan is not None else plan


def solve_decomposed(
    model: CostModel,
    *,
    time_limit: float | None = None,
    gap: float = 0.01,
    max_rounds: int = 300,
    progress: ProgressCallback | None = None,
    structure: Structure | None = None,
    reoptimize_share: float = 0.3,
) -> DecompositionResult:
    """Best plan and certified lower bound by Lagrangian decomposition.

    Parameters
    ----------
    model : CostModel
        From :func:`lean_chain.costs.model.build_cost_model`.
    time_limit : float, optional
        Seconds; the best plan and bound so far are returned when reached.
    gap : float
        Stop when (plan - bound) / plan is at most this.
    max_rounds : int
        Most Lagrangian rounds.
    progress : callable, optional
        Called as ``progress(phase, elapsed_s, best_objective, best_bound)``.
    structure : Structure, optional
        The model's structure, when the caller already built it.
    reoptimize_share : float
        Share of ``time_limit`` kept for the final re-optimization of the shares.

    Returns
    -------
    DecompositionResult
        ``bound`` never exceeds the MIP optimum.
    """
    work = WorkBudget(time_limit, model.n_pairs)
    elapsed = work.elapsed
    # the rounds and node search stop at 70 % of the limit (charged work, not the clock):
    # the rest is for the final re-optimization of the shares (models up to
    # _REOPTIMIZE_MAX_PAIRS), if it is expected to fit in it; otherwise they take it all
    reserve = reoptimize_share if model.n_pairs <= _REOPTIMIZE_MAX_PAIRS else 0.0
    if time_limit is not None and not reoptimize_fits(model.n_pairs, reserve * time_limit):
        reserve = 0.0

    def out_of_time() -> bool:
        return work.exhausted(1.0 - reserve)

    def report(phase: str) -> None:
        if progress is not None:
            progress(phase, elapsed(), best.objective if best else np.inf, best_bound)

    st = structure if structure is not None else build_structure(model)
    best_bound = -np.inf
    best: Priced | None = None
    report("structure")
    true_tables = sku_tables(st, st.pair_cost)
    all_open = np.ones(st.n_h, dtype=bool)
    best, unrepaired = construct(st, true_tables, all_open, true_tables)
    work.charge_constructions()
    if st.profit and not best.feasible:  # selling nothing breaks no rule
        nothing = price(st, np.full(len(st.kr), -1, dtype=np.int64))
        if nothing.feasible:
            best, unrepaired = nothing, []
    first_plan_s = elapsed() if best.feasible else None
    report("construction")
    # node search costs a construction per node: up front only while that is cheap
    if best.feasible and model.n_pairs * st.n_h <= _EARLY_NODE_SEARCH_WORK:
        best = search_nodes(
            st, true_tables, best, true_tables, out_of_time, work.charge_constructions
        )
        report("node search")

    def rescale_loads(plan: Priced) -> Priced:
        """The plan re-planned by slope scaling when its load legs overpay (see
        _LOAD_EXCESS_SHARE); the constructions price them at their lower bound."""
        # (profit mode: from the rescaled plan the share re-optimization ended lower,
        # generated 1k: -239.3 M in 128 rounds against -239.9 M in 37 without it)
        if not plan.feasible or st.profit or model.n_pairs > _REOPTIMIZE_MAX_PAIRS:
            return plan
        if load_leg_excess(st, plan.decisions) <= _LOAD_EXCESS_SHARE * abs(plan.objective):
            return plan
        work.charge_constructions(_SLOPE_SCALING_CONSTRUCTIONS)
        return slope_scaling(st, plan)

    rescaled = rescale_loads(best)
    if rescaled is not best:
        best = rescaled
        report("loads rescaled")

    state = Multipliers(mu=np.zeros(len(st.rhs)))
    history: list[dict] = []
    # work per round by size, not by measured time, so that a run is reproducible: the
    # node branch and bound evaluates phi (demand rows x channel sets x node patterns)
    # at most `budget` times, and a plan is built every `every` rounds
    phi_work = len(st.kr) * len(st.subsets) * (st.n_node_ranks + 1)
    budget = int(np.clip(_ROUND_WORK / max(phi_work, 1), 3, 400))
    every = int(np.clip(model.n_pairs // _PAIRS_PER_PLAN_ROUND, 1, 5))
    rounds = 0
    interrupted = False
    restarts = 3
    gain_round, reoptimized = 0, None  # last round the bound gained; plan re-optimized

    def reoptimize(best: Priced) -> Priced:
        nonlocal reoptimized
        if st.model.n_pairs > _REOPTIMIZE_MAX_PAIRS or not reoptimize_fits(
            st.model.n_pairs, work.left()
        ):
            return best
        # HiGHS's own clock stops it only at the limit (60 s without one): in the normal
        # case it ends by the gap first, and the plan does not depend on the load
        remaining = min(work.left_on_clock(), 60.0)
        if remaining <= 0.5:
            return best
        # a quarter of the asked gap: the rest is left for the bound; but a plan that
        # meets the asked gap against the bound already held ends the search
        improved = reoptimize_shares(
            st, best, remaining, max(gap / 4, 1e-6), _meets_gap(best_bound, gap)
        )
        work.charge_reoptimization()
        reoptimized = improved if improved is not None else best
        return reoptimized

    try:  # Ctrl-C (or SIGTERM turned into KeyboardInterrupt) keeps the best plan and bound
        for rounds in range(1, max_rounds + 1):
            # one round always runs: a plan comes with a bound even under a tiny time limit
            done = _gap(best.objective if best.feasible else np.inf, best_bound) <= gap
            if rounds > 1 and (out_of_time() or done):
                rounds -= 1
                break
            fallback = best.decisions.node_open
            step = lagrangian_step(st, state.mu, fallback, budget=budget)
            # the SKU tables and relaxed rows cost about half a construction
            work.charge_cells(step.evaluations * phi_work)
            work.charge_constructions(0.5)
            if step.bound > best_bound + 1e-4 * max(abs(best_bound), 1.0):
                gain_round = rounds
            # a round whose bound closes a good share of the open gap has multipliers
            # near the dual optimum: their relaxed plan is worth a construction now
            open_gap = best.objective - best_bound if best.feasible else np.inf
            leap = np.isfinite(open_gap) and step.bound - best_bound >= _LEAP_SHARE * open_gap
            best_bound = max(best_bound, step.bound)
            certified = best.feasible and _gap(best.objective, best_bound) <= gap
            if rounds % every == 0 or (leap and not certified) or not best.feasible:
                candidate, left = construct(st, step.tables, step.open_nodes, true_tables)
                work.charge_constructions()
                if better(candidate, best):
                    best, unrepaired = candidate, left
                    if first_plan_s is None and best.feasible:
                        first_plan_s = elapsed()
                    best = rescale_loads(best)
            upper = best.objective if best.feasible else abs(step.bound) * 1.1 + 1.0
            update(state, step, st, upper)
            history.append(
                {
                    "round": rounds,
                    "elapsed_s": elapsed(),
                    "bound": step.bound,
                    "best_bound": best_bound,
                    "objective": best.objective,
                    "feasible": best.feasible,
                    "node_evaluations": step.evaluations,
                }
            )
            report(f"round {rounds}")
            stalled = rounds - gain_round >= _STALL_ROUNDS and reoptimized is None
            if stalled and best.feasible and _gap(best.objective, best_bound) > gap:
                best = reoptimize(best)
                report("shares re-optimized")
            if state.step < 1e-4:
                if restarts == 0 or state.best_mu is None:
                    break
                # the steps have collapsed: restart from the best multipliers
                restarts -= 1
                state.mu, state.step, state.stalls = state.best_mu.copy(), 0.5, 0
                state.direction = None
        reached = _gap(best.objective if best.feasible else np.inf, best_bound) <= gap
        if not reached and not out_of_time() and state.best_mu is not None and best.feasible:
            steered = sku_tables(st, st.pair_cost + st.coupling.T @ state.best_mu)
            best = search_nodes(
                st, steered, best, true_tables, out_of_time, work.charge_constructions
            )
        reached = _gap(best.objective if best.feasible else np.inf, best_bound) <= gap
        if best.feasible and not reached and best is not reoptimized:
            best = reoptimize(best)
            report("shares re-optimized")
    except KeyboardInterrupt:
        if not best.feasible:
            raise
        interrupted = True
    report("done")
    objective = best.objective if best.feasible else np.inf
    return DecompositionResult(
        decisions=best.decisions if best.feasible else None,
        objective=objective,
        bound=float(best_bound),
        feasible=best.feasible,
        iterations=rounds,
        first_plan_s=first_plan_s,
        unrepaired=[] if best.feasible else (unrepaired or best.violations[:5]),
        history=history,
        plan=best,
        interrupted=interrupted,
    )
