"""A Lagrangian bound and reduced-cost fixing of node-open variables for
facility-location-like models (capacitated facility location and its
multi-SKU, multi-channel generalisations without other coupling rows).

The relaxation
--------------
Relax the demand rows ``sum_{j in r} x_j = 1`` with multipliers ``pi_r``.
With ``a_j = c_j - pi_r(j)`` (``c_j`` the MIP's objective on the share
``x_j``) the rest splits:

- per stocking node ``h``, given ``z_h = 1``, a continuous knapsack
  ``v_h = min sum_g a_g x_g`` s.t. ``sum_g D_g x_g <= Cap_h``,
  ``0 <= x_g <= 1``, over the items ``g`` = (demand row, node): the MIP's
  stock-link rows give ``sum_{j in g} x_j <= s_kh <= z_h``, and every pair of
  one item has the same ``D_g`` (the row's units), so an item costs its
  cheapest pair. Solved greedily by ratio ``a_g / D_g``, vectorized over all
  nodes at once (one sort by (node, ratio), cumulative capacity per node).
  Nodes without a throughput limit take every item with ``a_g < 0``;
- pairs that are not stocked: per (demand row, channel) group, whose shares
  sum to at most ``y_kc <= 1``, ``min(0, cheapest a_j)``;
- the node part ``min sum_h w_h z_h`` with ``w_h = F_h + v_h``, subject to
  the aggregate capacity cut ``sum_h Cap_h z_h >= D_must`` over the nodes
  with a throughput limit, ``D_must`` being the units of the demand rows that
  can only be served through such nodes (every plan carries those units
  through throughput rows). This 0-1 covering knapsack is solved by dynamic
  programming over capacity in units of the capacities' greatest common
  divisor (exact when the capacities are whole numbers and the table is
  small), otherwise over a coarser grid with capacities rounded up and the
  demand rounded down: a relaxation, so still a valid lower bound.

``L(pi) = sum_r pi_r + (non-stocked part) + (node part)`` is a lower bound
on the MIP optimum for every ``pi``. Dropped, all >= 0 and so only weakening
the bound: channel fees ``y_kc``, slotting fees ``s_kh``, the channels-per-SKU
limit and, for single-sourcing models, the integrality of ``x``. ``pi`` starts
at each row's second-smallest pair cost and follows subgradient steps with
Polyak's step length toward the best known plan value.

Reduced-cost fixing
-------------------
At the best ``pi``, for each node ``h`` the same bound is computed with
``z_h`` forced to the opposite of the relaxation's choice (the node part
solved again with ``h`` fixed). If that bound exceeds ``U`` (the value of a
known feasible plan, with 1e-9 relative slack), every solution with ``z_h``
at the opposite value costs more than ``U``: so every solution of value
``<= U`` - in particular every optimal one - has ``z_h`` at the relaxation's
value. **The fixings are safe only because a plan of value ``U`` exists**:
pass as ``upper_bound`` the MIP objective of a feasible plan you have (the
result's ``upper_bound`` is the value they were tested against, possibly
improved by the plan this module builds, returned as ``decisions``).
Solutions of value exactly ``U`` and other optima are all kept; a warm start
of value ``U`` satisfies the fixings. For ``capa`` the fixings need ``U``
within about 1 % of the optimum (at 3 % few nodes close), so:

Plans
-----
For splittable demand, every ``primal_every`` iterations the relaxation's
open nodes get the best split of demand by a transportation LP (HiGHS);
after the first third of the iterations, the nodes the relaxation opened
most often, then a local search (open, close or swap one node, candidates
ranked by that frequency, one LP per move, first improvement, at most
``primal_time`` seconds). The rest of the iterations steer toward the better
plan value, which tightens the bound. On capa this finds plans within
0-0.5 % of the optimum where ``heuristic_plan`` is 5-10 % above.

The capacity cut in the MIP
---------------------------
:func:`apply_node_fixing` also appends ``sum_h Cap_h z_h >= D_must`` (in
units of the capacities' gcd, right-hand side rounded up) as row block
``node_capacity_cut``: valid for every feasible plan, and without it HiGHS's
LP bound on capa at 8000 stays 2 % below the optimum (with it and the
fixings HiGHS proves the optimum in about 15 s instead of 40 s).

Use
---
::

    fixing = node_fixing(model, upper_bound=mip_objective(problem, model, plan))
    problem = apply_node_fixing(problem, fixing)
    start = fixing.decisions if fixing.decisions is not None else plan
    # solve with encode(problem, model, start) as MIP start;
    # bound = max(solver bound, fixing.bound)

Applicability
-------------
Only models whose only coupling rows are node throughput rows: at least one
node with ``throughput_capacity_units``, and no storage or orders-per-day
capacity, no service targets, no CBEC quotas, no minimum stock, no
container, piecewise or fixed-charge legs, no negative fees. Otherwise
:func:`node_fixing` returns ``applicable=False`` with the reason.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lean_chain.costs.evaluate import (
    Decisions,
    check_feasibility,
    cost_breakdown,
    decisions_from_shares,
)
from lean_chain.costs.model import CostModel, quota_limits, service_targets
from lean_chain.decomposition.structure import Segments
from lean_chain.formulation.build import build_objective
from lean_chain.formulation.problem import MipProblem

__all__ = ["NodeFixing", "apply_node_fixing", "node_fixing"]

#: Relative slack on "bound with z_h forced > upper bound" (solver tolerances).
FIXING_SLACK = 1e-9
#: Relative margin taken off the reported bound for floating-point rounding.
BOUND_MARGIN = 1e-12
#: Largest dynamic-programming table of the covering knapsack (cells).
_MAX_CELLS = 20_000


@dataclass(frozen=True, eq=False)
class NodeFixing:
    """A Lagrangian lower bound and the nodes it fixes (arrays over ``model.h_node``)."""

    applicable: bool
    reason: str
    bound: float  # valid lower bound on the MIP optimum (-inf if not applicable)
    upper_bound: float  # the plan value the fixings were tested against
    fixed_closed: np.ndarray  # bool per stocking node h: closed in every plan <= upper_bound
    fixed_open: np.ndarray  # bool per stocking node h: open in every plan <= upper_bound
    iterations: int
    seconds: float
    #: the plan built here when it is better than the given upper bound (else None); the
    #: fixings were then tested against its value, which the caller's plan may exceed:
    #: start the solver from this plan, not from the caller's
    decisions: Decisions | None = None
    #: the capacity cut sum_h cut_coefficient_h z_h >= cut_rhs over nodes ``cut_nodes``
    #: (valid for every feasible plan; coefficients and rhs in units of the capacities' gcd)
    cut_nodes: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int64))
    cut_coefficients: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    cut_rhs: float = 0.0

    @property
    def n_fixed(self) -> int:
        return int(self.fixed_closed.sum() + self.fixed_open.sum())


def _not_applicable(model: CostModel, upper_bound: float, reason: str) -> NodeFixing:
    n_h = len(model.h_node)
    return NodeFixing(
        False,
        reason,
        -math.inf,
        upper_bound,
        np.zeros(n_h, dtype=bool),
        np.zeros(n_h, dtype=bool),
        0,
        0.0,
    )


def why_not_applicable(model: CostModel) -> str:
    """Empty if :func:`node_fixing` applies to ``model``, else the reason."""
    if len(model.h_node) == 0:
        return "no stocking nodes"
    if np.all(np.isnan(model.h_throughput_units)):
        return "no node has a throughput capacity"
    checks = (
        (len(model.ct_leg) > 0, "container or truckload legs"),
        (len(model.pw_leg) > 0, "piecewise (weight-break or per-m3) legs"),
        (len(model.fx_leg) > 0, "fixed-charge legs"),
        (np.any(model.kh_min_stock > 0), "minimum stock"),
        (np.any(~np.isnan(model.h_storage_m3)), "storage capacities"),
        (np.any(~np.isnan(model.h_orders_per_day)), "orders-per-day capacities"),
        (len(service_targets(model)[0]) > 0, "service targets"),
        (len(quota_limits(model)[0]) > 0, "CBEC quotas"),
        (np.any(model.kc_fixed_cost < 0), "negative channel fees"),
        (np.any(model.kh_slotting_cost < 0), "negative slotting fees"),
        (np.any(model.h_throughput_units < 0), "negative throughput capacities"),
        (np.any(model.demand_units < 0), "negative demand"),
    )
    found = [what for bad, what in checks if bad]
    if found:
        return "the model has " + ", ".join(found) + " (only throughput rows may couple)"
    return ""


@dataclass(frozen=True, eq=False)
class _Setup:
    """Index arrays of the relaxation, built once per model."""

    cost: np.ndarray  # c_j, the MIP objective on x_j
    row_of_pair: np.ndarray
    n_rows: int
    # stocked items g = (row, node)
    item_order: np.ndarray
    item_starts: np.ndarray
    item_row: np.ndarray
    item_node: np.ndarray
    item_units: np.ndarray
    # non-stocked groups (row, channel)
    free_order: np.ndarray
    free_starts: np.ndarray
    free_row: np.ndarray
    # nodes
    fixed_cost: np.ndarray
    capacity: np.ndarray  # inf = unlimited
    limited: np.ndarray  # bool per node
    must_units: float  # D_must
    unit: float  # DP grid step
    exact_grid: bool  # capacities are whole multiples of ``unit``


def _setup(model: CostModel) -> _Setup:
    objective = build_objective(model)
    cost = objective.objective[objective.col_blocks["x"]]
    row = model.kr_of_pair
    n_rows = len(model.kr_demand_row)
    n_h = len(model.h_node)
    h = model.h_of_pair
    stocked = np.flatnonzero(h >= 0)
    items = Segments.from_keys(row[stocked] * n_h + h[stocked])
    order, starts = items.order, items.starts
    item_order = stocked[order]
    first = item_order[starts]
    free = np.flatnonzero(h < 0)
    channel = model.index.pairs.channel
    frees = Segments.from_keys(row[free] * (channel.max(initial=0) + 1) + channel[free])
    f_order, f_starts = frees.order, frees.starts
    free_order = free[f_order]
    capacity = np.where(np.isnan(model.h_throughput_units), np.inf, model.h_throughput_units)
    limited = np.isfinite(capacity)
    row_units = np.zeros(n_rows)
    row_units[row] = model.demand_units
    elsewhere = np.ones(model.n_pairs, dtype=bool)
    elsewhere[stocked] = ~limited[h[stocked]]
    must = np.bincount(row, weights=elsewhere, minlength=n_rows) == 0
    must_units = float(row_units[must].sum())
    caps = capacity[limited]
    unit, exact = 1.0, False
    if len(caps) and np.all(caps == np.round(caps)) and np.all(caps < 2**53):
        g = int(np.gcd.reduce(caps.astype(np.int64)))
        if g > 0:
            unit, exact = float(g), True
    if not exact or must_units / unit > _MAX_CELLS:
        unit, exact = max(must_units / _MAX_CELLS, 1e-12), False
    return _Setup(
        cost=cost,
        row_of_pair=row,
        n_rows=n_rows,
        item_order=item_order,
        item_starts=starts,
        item_row=row[first],
        item_node=h[first],
        item_units=model.demand_units[first],
        free_order=free_order,
        free_starts=f_starts,
        free_row=row[free_order[f_starts]] if len(free) else np.zeros(0, np.int64),
        fixed_cost=model.h_fixed_cost.astype(np.float64),
        capacity=capacity,
        limited=limited,
        must_units=must_units,
        unit=unit,
        exact_grid=exact,
    )


def _cover(
    weight: np.ndarray, capacity: np.ndarray, need: float, su: _Setup
) -> tuple[float, np.ndarray]:
    """Lower bound on min sum w z s.t. sum cap z >= need, z binary, and its z.

    Items with w <= 0 are always taken (they cost nothing and help cover). The
    rest: dynamic programming over covered capacity in units of ``su.unit``
    (exact on an exact grid; otherwise capacities rounded up and the need
    rounded down, a relaxation). Returns (+inf, all taken) if infeasible.
    """
    take = weight <= 0
    value = float(weight[take].sum())
    rest = need - float(capacity[take].sum())
    if rest <= 1e-9 * max(need, 1.0):
        return value, take
    if capacity.sum() < need * (1 - 1e-12):
        return math.inf, np.ones(len(weight), dtype=bool)
    items = np.flatnonzero(~take)
    if su.exact_grid:
        cells = math.ceil(rest / su.unit - 1e-9)
        caps = np.round(capacity[items] / su.unit).astype(np.int64)
    else:
        cells = math.floor(rest / su.unit)
        caps = np.ceil(capacity[items] / su.unit - 1e-12).astype(np.int64)
    if cells <= 0:
        return value, take
    best = np.full(cells + 1, np.inf)
    best[0] = 0.0
    reach = np.arange(cells + 1)
    chosen = np.zeros((len(items), cells + 1), dtype=bool)
    for i, (w, cap) in enumerate(zip(weight[items], caps, strict=True)):
        candidate = best[np.maximum(reach - cap, 0)] + w
        chosen[i] = candidate < best
        best = np.minimum(best, candidate)
    if not np.isfinite(best[cells]):
        return math.inf, np.ones(len(weight), dtype=bool)
    c = cells
    for i in range(len(items) - 1, -1, -1):
        if chosen[i, c]:
            take[items[i]] = True
            c = max(c - int(caps[i]), 0)
    return value + float(best[cells]), take


@dataclass(frozen=True, eq=False)
class _Relaxed:
    bound: float
    weight: np.ndarray  # w_h = F_h + v_h
    node_open: np.ndarray  # z of the relaxation
    node_part: float  # value of the node part (over all nodes)
    cover_part: float  # value of the covering knapsack over limited nodes
    served: np.ndarray  # sum of x per demand row in the relaxation


def _evaluate(su: _Setup, pi: np.ndarray) -> _Relaxed:
    """L(pi), the relaxation's solution and the pieces the fixing test needs."""
    reduced = su.cost - pi[su.row_of_pair]
    n_h = len(su.fixed_cost)
    served = np.zeros(su.n_rows)
    free_part = 0.0
    if len(su.free_order):
        best_free = np.minimum.reduceat(reduced[su.free_order], su.free_starts)
        use = best_free < 0
        free_part = float(best_free[use].sum())
        np.add.at(served, su.free_row[use], 1.0)
    item_value = (
        np.minimum.reduceat(reduced[su.item_order], su.item_starts)
        if len(su.item_order)
        else np.zeros(0)
    )
    # continuous knapsack per node: attractive items by (node, ratio), cumulative units
    good = np.flatnonzero(item_value < 0)
    units = su.item_units[good]
    with np.errstate(divide="ignore"):
        ratio = np.where(units > 0, item_value[good] / np.where(units > 0, units, 1.0), -np.inf)
    node = su.item_node[good]
    order = np.lexsort((ratio, node))
    good, units, node = good[order], units[order], node[order]
    cum = np.cumsum(units)
    node_start = np.flatnonzero(np.r_[True, node[1:] != node[:-1]]) if len(node) else good
    before_node = np.zeros(len(node))
    if len(node):
        offset = cum[node_start] - units[node_start]
        before_node = np.repeat(offset, np.diff(np.r_[node_start, len(node)]))
    used_before = cum - units - before_node
    room = su.capacity[node] - used_before
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(units > 0, np.clip(room / units, 0.0, 1.0), 1.0)
    fraction = np.where(np.isinf(su.capacity[node]), 1.0, fraction)
    knapsack = np.bincount(node, weights=item_value[good] * fraction, minlength=n_h)
    weight = su.fixed_cost + knapsack
    # node part: unlimited nodes independently, limited ones under the capacity cut
    node_open = ~su.limited & (weight < 0)
    free_nodes = float(weight[node_open].sum())
    lim = np.flatnonzero(su.limited)
    cover_part, take = _cover(weight[lim], su.capacity[lim], su.must_units, su)
    node_open[lim] = take
    opened = node_open[node]
    np.add.at(served, su.item_row[good[opened]], fraction[opened])
    bound = float(pi.sum()) + free_part + free_nodes + cover_part
    return _Relaxed(bound, weight, node_open, free_nodes + cover_part, cover_part, served)


def _fixings(su: _Setup, relaxed: _Relaxed, upper_bound: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes whose opposite decision provably costs more than ``upper_bound``."""
    n_h = len(relaxed.weight)
    threshold = upper_bound + FIXING_SLACK * max(abs(upper_bound), 1.0)
    forced = np.full(n_h, relaxed.bound)  # bound with z_h at the opposite value
    unlimited = ~su.limited
    forced[unlimited] += np.abs(relaxed.weight[unlimited])
    lim = np.flatnonzero(su.limited)
    base = relaxed.bound - relaxed.cover_part
    w, cap = relaxed.weight[lim], su.capacity[lim]
    for k, h in enumerate(lim):
        others = np.arange(len(lim)) != k
        if relaxed.node_open[h]:
            value, _ = _cover(w[others], cap[others], su.must_units, su)
        else:
            rest, _ = _cover(w[others], cap[others], su.must_units - cap[k], su)
            value = w[k] + rest
        forced[h] = base + value
    beyond = forced > threshold
    return beyond & ~relaxed.node_open, beyond & relaxed.node_open


def _transport_plan(model: CostModel, su: _Setup, node_open: np.ndarray) -> Decisions | None:
    """The best split of demand over the open nodes (an LP), or None if infeasible."""
    from lean_chain.solvers import SolveOptions, get_backend

    h = model.h_of_pair
    pairs = np.flatnonzero((h < 0) | node_open[np.maximum(h, 0)])
    rows = su.row_of_pair[pairs]
    if len(np.unique(rows)) < su.n_rows:
        return None
    n = len(pairs)
    cap_nodes = np.flatnonzero(node_open & su.limited)
    row_of_node = np.full(len(su.fixed_cost), -1, dtype=np.int64)
    row_of_node[cap_nodes] = su.n_rows + np.arange(len(cap_nodes))
    at = np.flatnonzero(h[pairs] >= 0)
    at = at[row_of_node[h[pairs[at]]] >= 0]
    matrix = sp.csr_matrix(
        (
            np.r_[np.ones(n), model.demand_units[pairs[at]]],
            (np.r_[rows, row_of_node[h[pairs[at]]]], np.r_[np.arange(n), at]),
        ),
        shape=(su.n_rows + len(cap_nodes), n),
    )
    problem = MipProblem(
        objective=su.cost[pairs],
        matrix=matrix,
        row_lower=np.r_[np.ones(su.n_rows), np.full(len(cap_nodes), -np.inf)],
        row_upper=np.r_[np.ones(su.n_rows), su.capacity[cap_nodes]],
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integrality=np.zeros(n, dtype=bool),
    )
    result = get_backend("highs").solve(problem, SolveOptions(time_limit_s=60.0, threads=1))
    if not result.status.has_solution:
        return None
    share = np.zeros(model.n_pairs)
    values = np.clip(result.solution, 0.0, 1.0)
    values[values < 1e-9] = 0.0
    totals = np.bincount(rows, weights=values, minlength=su.n_rows)
    share[pairs] = values / np.where(totals > 0, totals, 1.0)[rows]
    return decisions_from_shares(model, share)


def _plan_value(model: CostModel, su: _Setup, decisions: Decisions) -> float:
    """The MIP objective of a feasible plan, or +inf if the plan breaks a constraint."""
    _, on_hand = cost_breakdown(model, decisions)
    if check_feasibility(model, decisions, on_hand):
        return math.inf
    return _mip_value(model, su, decisions)


def _mip_value(model: CostModel, su: _Setup, decisions: Decisions) -> float:
    """The MIP objective of a plan (no feasibility check)."""
    return float(
        su.cost @ decisions.share
        + model.h_fixed_cost @ decisions.node_open
        + model.kc_fixed_cost @ decisions.channel_used
        + model.kh_slotting_cost @ decisions.stocked
    )


def _local_search(
    model: CostModel,
    su: _Setup,
    plan: Decisions,
    value: float,
    frequency: np.ndarray,
    deadline: float | None,
    candidates: int = 8,
) -> tuple[float, Decisions]:
    """Open, close or swap nodes (first improvement, a transportation LP each).

    Closed nodes are tried in order of how often the relaxation opened them
    (the ``candidates`` most often), open ones the least often first; then
    swaps of one open and one closed node.
    """
    while deadline is None or time.perf_counter() < deadline:
        node_open = plan.node_open
        closed = np.flatnonzero(~node_open)
        adds = closed[np.argsort(-frequency[closed], kind="stable")][:candidates]
        opened = np.flatnonzero(node_open)
        drops = opened[np.argsort(frequency[opened], kind="stable")]
        moves = [(h,) for h in adds] + [(h,) for h in drops]
        moves += [(out, h) for out in drops for h in adds]
        improved = False
        for move in moves:
            if deadline is not None and time.perf_counter() >= deadline:
                break
            trial = node_open.copy()
            trial[list(move)] = ~trial[list(move)]
            if su.capacity[trial & su.limited].sum() < su.must_units:
                continue
            candidate = _transport_plan(model, su, trial)
            if candidate is None:
                continue
            candidate_value = _mip_value(model, su, candidate)  # LP-feasible by construction
            if candidate_value < value * (1 - 1e-12):
                plan, value, improved = candidate, candidate_value, True
                break
        if not improved:
            break
    return value, plan


def _most_often(su: _Setup, frequency: np.ndarray) -> np.ndarray:
    """The nodes the relaxation opened most often, enough of them to hold ``D_must``."""
    order = np.argsort(-frequency, kind="stable")
    order = order[frequency[order] > 0]
    held = np.cumsum(np.where(su.limited[order], su.capacity[order], 0.0))
    count = int(np.searchsorted(held, su.must_units * (1 + 1e-9))) + 1
    node_open = np.zeros(len(frequency), dtype=bool)
    node_open[order[:count]] = True
    return node_open


class _Subgradient:
    """Subgradient ascent on L(pi) with Polyak steps; keeps the best multipliers."""

    def __init__(self, pi: np.ndarray, relaxed: _Relaxed):
        self.pi, self.current = pi.copy(), relaxed
        self.best, self.best_pi = relaxed, pi.copy()
        self.step, self.stale, self.done = 2.0, 0, 0
        self.frequency = relaxed.node_open.astype(np.float64)

    def restart(self) -> None:
        self.pi, self.current = self.best_pi.copy(), self.best
        self.step, self.stale = 1.0, 0

    def step_toward(self, su: _Setup, upper_bound: float) -> bool:
        """One step; False when there is nothing left to gain."""
        if self.best.bound >= upper_bound - FIXING_SLACK * max(abs(upper_bound), 1.0):
            return False
        gradient = 1.0 - self.current.served
        norm = float(gradient @ gradient)
        if norm <= 1e-12 or self.step < 1e-4:
            return False
        bound = self.current.bound
        target = upper_bound if np.isfinite(upper_bound) else abs(bound) * 1.05 + 1.0
        self.pi = self.pi + self.step * max(target - bound, 1e-9 * abs(target)) / norm * gradient
        self.current = _evaluate(su, self.pi)
        self.frequency += self.current.node_open
        self.done += 1
        if self.current.bound > self.best.bound + 1e-12 * abs(self.best.bound):
            self.best, self.best_pi, self.stale = self.current, self.pi.copy(), 0
        else:
            self.stale += 1
            if self.stale >= 20:
                self.step, self.stale = self.step / 2.0, 0
        return True


def node_fixing(
    model: CostModel,
    upper_bound: float = math.inf,
    *,
    iterations: int = 300,
    time_limit: float | None = 20.0,
    primal_every: int = 10,
    primal_time: float = 10.0,
) -> NodeFixing:
    """Lagrangian lower bound and reduced-cost fixing of the node-open variables.

    Parameters
    ----------
    model : CostModel
        From :func:`lean_chain.costs.model.build_cost_model`. Fixing applies when
        throughput limits are its only coupling rows (:func:`why_not_applicable`).
    upper_bound : float
        The MIP objective of a feasible plan the caller has (inf if none).
        The fixings are valid for every plan of value at most the result's
        ``upper_bound``; they never exclude an optimal plan because a plan of
        that value exists.
    iterations : int
        Most subgradient iterations.
    time_limit : float, optional
        Seconds for the subgradient loop (the fixing test runs after it).
    primal_every : int
        Every so many iterations, for splittable demand, the relaxation's open
        nodes get the best split of demand by an LP; a better plan lowers the
        upper bound (and is returned as ``decisions``). 0 disables it.
    primal_time : float
        Seconds (beyond ``time_limit``) for the local search that opens or
        closes one node at a time from the best such plan.

    Returns
    -------
    NodeFixing
        ``bound`` <= the MIP optimum; ``fixed_closed`` / ``fixed_open`` per
        stocking node. ``applicable=False`` (no bound, no fixing) with the
        reason when the model has coupling rows other than throughput.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> fixing = node_fixing(model, 1e9)
    >>> fixing.applicable, fixing.reason  # fixing needs throughput-only coupling
    (False, 'no node has a throughput capacity')
    """
    started = time.perf_counter()
    reason = why_not_applicable(model)
    if reason:
        return _not_applicable(model, upper_bound, reason)
    su = _setup(model)
    if su.n_rows == 0:
        return _not_applicable(model, upper_bound, "no demand rows")
    splittable = not bool(model.instance.params["single_sourcing"])
    best_plan: Decisions | None = None
    tried: set[bytes] = set()
    seed: list = [math.inf, None]  # the best plan tried, even if above the upper bound

    def try_plan(node_open: np.ndarray) -> None:
        nonlocal upper_bound, best_plan
        key = np.packbits(node_open).tobytes()
        if key in tried:
            return
        tried.add(key)
        plan = _transport_plan(model, su, node_open)
        if plan is not None:
            value = _plan_value(model, su, plan)
            if value < seed[0]:
                seed[:] = [value, plan]
            if value < upper_bound:
                upper_bound, best_plan = value, plan

    # pi_r starts at each row's second-smallest pair cost (the smallest if only one)
    order = np.lexsort((su.cost, su.row_of_pair))
    rows_sorted = su.row_of_pair[order]
    first = np.flatnonzero(np.r_[True, rows_sorted[1:] != rows_sorted[:-1]])
    count = np.diff(np.r_[first, len(order)])
    pi = su.cost[order[first + np.minimum(count - 1, 1)]].astype(np.float64)

    first = _evaluate(su, pi)
    if not np.isfinite(first.bound):
        return _not_applicable(
            model, upper_bound, "the node capacities cannot hold the demand: the MIP is infeasible"
        )
    primal = splittable and primal_every > 0
    if primal:
        try_plan(first.node_open)

    def out_of_time() -> bool:
        return time_limit is not None and time.perf_counter() - started > time_limit

    # phase 1 steers toward the plans found on the way; phase 2 restarts from the best
    # multipliers toward the plan the local search returns (a closer target)
    state = _Subgradient(pi, first)
    phase_one = iterations // 3 if primal else iterations
    for _ in range(phase_one):
        if out_of_time() or not state.step_toward(su, upper_bound):
            break
        if primal and state.done % primal_every == 0:
            try_plan(state.current.node_open)
    if primal:
        best = _evaluate(su, state.best_pi)
        try_plan(best.node_open)
        try_plan(_most_often(su, state.frequency))
        if seed[1] is not None:
            deadline = None if time_limit is None else time.perf_counter() + primal_time
            value, plan = _local_search(model, su, seed[1], seed[0], state.frequency, deadline)
            # the local search prices plans without the full check (e.g. channels per SKU)
            if value < upper_bound and _plan_value(model, su, plan) <= value:
                upper_bound, best_plan = value, plan
        state.restart()
    while state.done < iterations:
        if out_of_time() or not state.step_toward(su, upper_bound):
            break
    best = _evaluate(su, state.best_pi)  # the same numbers the fixing test uses
    done = state.done
    fixed_closed, fixed_open = (
        _fixings(su, best, upper_bound)
        if np.isfinite(upper_bound)
        else (np.zeros(len(su.fixed_cost), dtype=bool),) * 2
    )
    cut_nodes, cut_coefficients, cut_rhs = _capacity_cut(su)
    return NodeFixing(
        applicable=True,
        reason="",
        # less a margin for the rounding of sums over many terms (about 1e-16 relative each)
        bound=best.bound - BOUND_MARGIN * max(abs(best.bound), 1.0),
        upper_bound=upper_bound,
        fixed_closed=fixed_closed,
        fixed_open=fixed_open,
        iterations=done,
        seconds=time.perf_counter() - started,
        decisions=best_plan,
        cut_nodes=cut_nodes,
        cut_coefficients=cut_coefficients,
        cut_rhs=cut_rhs,
    )


def _capacity_cut(su: _Setup) -> tuple[np.ndarray, np.ndarray, float]:
    """sum_h Cap_h z_h >= D_must, divided by the capacities' gcd and rounded up when exact."""
    nodes = np.flatnonzero(su.limited)
    if su.must_units <= 0:
        return np.zeros(0, np.int64), np.zeros(0), 0.0
    if su.exact_grid:
        return (
            nodes,
            np.round(su.capacity[nodes] / su.unit),
            float(math.ceil(su.must_units / su.unit - 1e-9)),
        )
    return nodes, su.capacity[nodes].copy(), su.must_units


def apply_node_fixing(problem: MipProblem, fixing: NodeFixing, *, cut: bool = True) -> MipProblem:
    """``problem`` with the fixed nodes' ``z`` columns bounded to 0 (closed) or 1 (open).

    With ``cut``, also the aggregate capacity cut (row block ``"node_capacity_cut"``,
    appended after every other row): it holds for every feasible plan and lets
    the solver's LP see that enough nodes must open (HiGHS's LP bound alone
    ignores it: 2 % below the optimum on capa at 8000).

    Raises
    ------
    ValueError
        ``fixing`` was computed for a model with another number of stocking nodes.
    """
    if not fixing.applicable:
        return problem
    z = problem.col_blocks["z"]
    if z.stop - z.start != len(fixing.fixed_closed):
        raise ValueError(
            f"the fixing has {len(fixing.fixed_closed)} nodes, the problem's z block "
            f"{z.stop - z.start}: compute it from the same cost model"
        )
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    upper[z][fixing.fixed_closed] = 0.0
    lower[z][fixing.fixed_open] = 1.0
    fixed = dataclasses.replace(problem, col_lower=lower, col_upper=upper)
    if not cut or len(fixing.cut_nodes) == 0:
        return fixed
    row = sp.csr_matrix(
        (
            fixing.cut_coefficients,
            (np.zeros(len(fixing.cut_nodes), np.int64), z.start + fixing.cut_nodes),
        ),
        shape=(1, problem.n_cols),
    )
    return dataclasses.replace(
        fixed,
        matrix=sp.vstack([problem.matrix, row], format="csr"),
        row_lower=np.r_[problem.row_lower, fixing.cut_rhs],
        row_upper=np.r_[problem.row_upper, np.inf],
        row_blocks={
            **problem.row_blocks,
            "node_capacity_cut": slice(problem.n_rows, problem.n_rows + 1),
        },
    )
