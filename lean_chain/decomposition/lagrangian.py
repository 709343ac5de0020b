"""Lagrangian bound: relax the coupling rows, solve the SKU blocks, choose nodes.

For multipliers mu >= 0 on the (scaled) coupling rows A x + B z <= rhs,

    L(mu) = -mu rhs + min_z [ (F + B'mu) z + sum_k phi_k(c + A'mu, z) ]

is a lower bound on the MIP optimum for every mu, where phi_k is the lower
bound of :mod:`lean_chain.decomposition.subproblem`. The minimum over the
open-node vector z is found by best-first branch and bound over nodes
(phi is nonincreasing as nodes open, so "all free nodes open" bounds a
subtree); if its evaluation budget runs out, the smallest bound left in the
queue is still a valid bound. mu follows projected subgradient steps with
Polyak's step size towards the best plan's cost.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from lean_chain.decomposition.structure import Structure
from lean_chain.decomposition.subproblem import (
    SkuTables,
    best_channel_sets,
    relaxed_rows,
    sku_tables,
)


@dataclass(frozen=True)
class NodeChoice:
    """The best open-node vector found and the valid bound on min over z."""

    bound: float  # <= min over z of the node term + sum of SKU bounds
    open_nodes: np.ndarray | None  # bool per stocking node of the best complete z, if any
    evaluations: int


def choose_nodes(
    st: Structure, tables: SkuTables, node_cost: np.ndarray, budget: int = 200
) -> NodeChoice:
    """min over z of node_cost z + sum_k phi_k(z), by best-first branch and bound."""
    n_h = st.n_h
    evaluations = 0

    def phi(open_mask: np.ndarray) -> float:
        nonlocal evaluations
        evaluations += 1
        cols = np.append(open_mask, True)
        return float(best_channel_sets(st, tables, cols)[0].sum())

    negative = np.minimum(node_cost, 0.0)
    # a subproblem: nodes forced open, nodes still free; bound = forced + negative free + phi(open ∪ free)
    order = np.argsort(-np.abs(node_cost), kind="stable")
    root_value = float(negative.sum()) + phi(np.ones(n_h, dtype=bool))
    heap: list[tuple[float, int, int, tuple[bool, ...], tuple[bool, ...]]] = []
    counter = 0
    heapq.heappush(heap, (root_value, counter, 0, (), ()))
    best_value, best_open = np.inf, None
    while heap:
        value, _, depth, decided_open, _ = heap[0]
        if value >= best_value or not np.isfinite(value):
            break
        heapq.heappop(heap)
        if depth == n_h:
            best_value, best_open = value, np.array(decided_open, dtype=bool)
            continue
        if evaluations >= budget:
            heapq.heappush(heap, (value, counter, depth, decided_open, ()))
            break
        h = order[depth]
        # child "h open": same open set, its own cost instead of min(cost, 0)
        counter += 1
        open_value = value - negative[h] + node_cost[h]
        child_open = (*decided_open, True)
        heapq.heappush(heap, (open_value, counter, depth + 1, child_open, ()))
        # child "h closed": phi without h
        mask = np.ones(n_h, dtype=bool)
        mask[order[:depth]] = np.array(decided_open, dtype=bool)
        mask[h] = False
        closed_value = (
            float(node_cost[order[:depth]] @ np.array(decided_open, dtype=float))
            + float(negative[order[depth + 1 :]].sum())
            + phi(mask)
        )
        counter += 1
        heapq.heappush(heap, (closed_value, counter, depth + 1, (*decided_open, False), ()))
    remaining = heap[0][0] if heap else np.inf
    bound = min(best_value, remaining)
    if best_open is not None:
        opened = np.zeros(n_h, dtype=bool)
        opened[order] = best_open
        best_open = opened
    return NodeChoice(bound=float(bound), open_nodes=best_open, evaluations=evaluations)


@dataclass
class Multipliers:
    """Subgradient state over the coupling rows."""

    mu: np.ndarray
    step: float = 1.0
    best_bound: float = -np.inf
    best_mu: np.ndarray | None = None
    stalls: int = 0
    direction: np.ndarray | None = None  # the last step's direction


@dataclass(frozen=True)
class LagrangianStep:
    bound: float  # valid lower bound at this mu
    pair_of_row: np.ndarray  # argmin of the relaxed problem
    open_nodes: np.ndarray  # z used for the subgradient
    tables: SkuTables
    evaluations: int


def modified_costs(st: Structure, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """c + A'mu per pair, F + B'mu per node, and the constant -mu rhs."""
    return (
        st.pair_cost + st.coupling.T @ mu,
        st.node_fixed + st.coupling_nodes.T @ mu,
        -float(mu @ st.rhs),
    )


def lagrangian_step(
    st: Structure, mu: np.ndarray, fallback_open: np.ndarray, budget: int = 200
) -> LagrangianStep:
    """Evaluate L(mu): a valid bound and the relaxed problem's minimiser."""
    cost, node_cost, constant = modified_costs(st, mu)
    tables = sku_tables(st, cost)
    choice = choose_nodes(st, tables, node_cost, budget=budget)
    open_nodes = choice.open_nodes if choice.open_nodes is not None else fallback_open
    pair_of_row, _ = relaxed_rows(st, tables, np.append(open_nodes, True))
    return LagrangianStep(
        bound=constant + choice.bound,
        pair_of_row=pair_of_row,
        open_nodes=open_nodes,
        tables=tables,
        evaluations=choice.evaluations,
    )


def subgradient(st: Structure, pair_of_row: np.ndarray, open_nodes: np.ndarray) -> np.ndarray:
    """A x + B z - rhs at the relaxed minimiser (scaled rows)."""
    share = np.zeros(st.model.n_pairs)
    share[pair_of_row[pair_of_row >= 0]] = 1.0
    return st.coupling @ share + st.coupling_nodes @ open_nodes.astype(float) - st.rhs


def update(state: Multipliers, step: LagrangianStep, st: Structure, upper: float) -> None:
    """Projected, deflected subgradient step with Polyak's step size.

    The step factor shrinks by 0.8 after every round that did not raise the best bound,
    and halves after 4 in a row. Where the subgradient turns back against the last
    direction (the bound zig-zags between two faces), the component along that
    direction is removed (Camerini, Fratta and Maffioli's deflection).
    """
    margin = 1e-9 * max(abs(state.best_bound), 1.0) if np.isfinite(state.best_bound) else 0.0
    if step.bound > state.best_bound + margin:
        state.best_bound, state.best_mu, state.stalls = step.bound, state.mu.copy(), 0
    else:
        state.stalls += 1
        state.step *= 0.8
        if state.stalls >= 4:
            state.step, state.stalls = state.step / 2.0, 0
    g = subgradient(st, step.pair_of_row, step.open_nodes)
    last = state.direction
    if last is not None and float(g @ last) < 0:
        g = g - float(g @ last) / float(last @ last) * last
    g = np.where((state.mu <= 0) & (g < 0), 0.0, g)  # projected direction
    state.direction = g
    norm = float(g @ g)
    if norm <= 0 or not np.isfinite(upper):
        return
    t = state.step * max(upper - step.bound, 1e-9 * abs(upper)) / norm
    state.mu = np.maximum(state.mu + t * g, 0.0)
