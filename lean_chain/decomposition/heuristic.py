"""Plans from per-SKU choices: construction, repair of coupling rows, node search.

A plan here is one pair per demand row (``pair_of_row``). Construction
takes each SKU's best single option or its cheapest rows
(:func:`~lean_chain.decomposition.subproblem.primal_rows`) against a cost
vector (the true costs, or costs steered by Lagrange multipliers). Repair
walks the violated coupling rows (storage, orders, throughput, service,
CBEC quota; the same rows the MIP builds) and moves the demand rows whose
move relieves the row at the least extra cost per unit of relief. Node
search closes and opens stocking nodes one at a time while that lowers the
evaluated cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lean_chain.costs.evaluate import Decisions, check_feasibility, cost_breakdown
from lean_chain.costs.model import loads_needed
from lean_chain.decomposition.structure import Structure
from lean_chain.decomposition.subproblem import SkuTables, relaxed_rows

#: Scaled row excess treated as satisfied.
_ROW_TOLERANCE = 1e-9


def decisions_from_rows(st: Structure, pair_of_row: np.ndarray) -> Decisions:
    """The plan that serves each demand row wholly by its pair."""
    model = st.model
    share = np.zeros(model.n_pairs)
    share[pair_of_row[pair_of_row >= 0]] = 1.0
    channel_used = np.bincount(model.kc_of_pair, weights=share, minlength=len(model.kc_sku)) > 0
    stocked_pairs = model.kh_of_pair >= 0
    stocked = (
        np.bincount(
            model.kh_of_pair[stocked_pairs],
            weights=share[stocked_pairs],
            minlength=len(model.kh_sku),
        )
        > 0
    )
    node_open = np.bincount(model.kh_h, weights=stocked, minlength=len(model.h_node)) > 0
    return Decisions(share, channel_used, stocked, node_open, loads_needed(model, share))


@dataclass(frozen=True)
class Priced:
    """A plan with its evaluated cost and the constraints it breaks."""

    pair_of_row: np.ndarray
    decisions: Decisions
    objective: float
    violations: list[str] = field(default_factory=list)

    @property
    def feasible(self) -> bool:
        return not self.violations


def price(st: Structure, pair_of_row: np.ndarray) -> Priced:
    """Evaluate a plan with the evaluation core (cost and feasibility)."""
    decisions = decisions_from_rows(st, pair_of_row)
    breakdown, on_hand = cost_breakdown(st.model, decisions)
    violations = check_feasibility(st.model, decisions, on_hand)
    if np.any(pair_of_row < 0):
        violations = ["some demand rows have no usable pair", *violations]
    return Priced(pair_of_row, decisions, float(sum(breakdown.values())), violations)


def row_excess(st: Structure, pair_of_row: np.ndarray, open_nodes: np.ndarray) -> np.ndarray:
    """Scaled excess A x + B z - rhs of every coupling row (positive = violated)."""
    share = np.zeros(st.model.n_pairs)
    share[pair_of_row[pair_of_row >= 0]] = 1.0
    return st.coupling @ share + st.coupling_nodes @ open_nodes.astype(float) - st.rhs


def _row_coefficients(st: Structure, row: int, pairs: np.ndarray) -> np.ndarray:
    """Scaled coefficient of each of ``pairs`` in coupling row ``row`` (indices are sorted)."""
    start, stop = st.coupling.indptr[row], st.coupling.indptr[row + 1]
    if stop == start:
        return np.zeros(len(pairs))
    columns, values = st.coupling.indices[start:stop], st.coupling.data[start:stop]
    position = np.minimum(np.searchsorted(columns, pairs), len(columns) - 1)
    return np.where(columns[position] == pairs, values[position], 0.0)


def _one_row_excess(st: Structure, row: int, pair_of_row: np.ndarray, open_nodes: np.ndarray) -> float:
    """Scaled excess of one coupling row."""
    chosen = np.sort(pair_of_row[pair_of_row >= 0])
    activity = float(_row_coefficients(st, row, chosen).sum())
    return activity + float(st.coupling_nodes[row] @ open_nodes) - float(st.rhs[row])


def repair(
    st: Structure,
    pair_of_row: np.ndarray,
    open_nodes: np.ndarray,
    cost: np.ndarray,
    rounds: int = 12,
) -> tuple[np.ndarray, list[str]]:
    """Move demand rows until every coupling row holds; returns the plan and the
    families of the rows it could not repair."""
    model = st.model
    pair_of_row = pair_of_row.copy()
    open_cols = np.append(open_nodes, True)
    for _ in range(rounds):
        excess = row_excess(st, pair_of_row, open_nodes)
        violated = np.flatnonzero(excess > _ROW_TOLERANCE)
        if len(violated) == 0:
            return pair_of_row, []
        for row in violated[np.argsort(-excess[violated])]:
            need = _one_row_excess(st, row, pair_of_row, open_nodes)
            if need <= _ROW_TOLERANCE:
                continue
            start, stop = st.coupling.indptr[row], st.coupling.indptr[row + 1]
            rows = np.unique(model.kr_of_pair[st.coupling.indices[start:stop]])
            rows = rows[pair_of_row[rows] >= 0]
            if len(rows) == 0:
                continue
            candidates = st.kr.members(np.searchsorted(st.kr.keys, rows))
            cand_row = model.kr_of_pair[candidates]
            current = pair_of_row[cand_row]
            coef = _row_coefficients(st, row, candidates)
            coef_now = _row_coefficients(st, row, pair_of_row[rows])
            lookup = np.zeros(len(st.kr))
            lookup[rows] = coef_now
            relief = lookup[cand_row] - coef
            extra = cost[candidates] - cost[current] + _added_fixed(st, pair_of_row, candidates)
            allowed = (relief > 1e-12) & open_cols[st.pair_col[candidates]]
            allowed &= _channel_room(st, pair_of_row, candidates)
            if not allowed.any():
                continue
            ratio = np.where(allowed, extra / np.where(allowed, relief, 1.0), np.inf)
            # best move per demand row
            local = np.searchsorted(rows, cand_row)
            best = np.full(len(rows), -1, dtype=np.int64)
            order = np.lexsort((ratio, local))
            first = np.searchsorted(local[order], np.arange(len(rows)))
            has = first < len(order)
            pick = order[np.minimum(first, len(order) - 1)]
            has &= (local[pick] == np.arange(len(rows))) & np.isfinite(ratio[pick])
            best[has] = pick[has]
            movable = np.flatnonzero(best >= 0)
            by_ratio = movable[np.argsort(ratio[best[movable]], kind="stable")]
            gained = np.cumsum(relief[best[by_ratio]])
            count = int(np.searchsorted(gained, need - _ROW_TOLERANCE)) + 1
            moved = by_ratio[:count]
            pair_of_row[rows[moved]] = candidates[best[moved]]
    excess = row_excess(st, pair_of_row, open_nodes)
    left = sorted({str(st.row_family[r]) for r in np.flatnonzero(excess > _ROW_TOLERANCE)})
    return pair_of_row, left


def _added_fixed(st: Structure, pair_of_row: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Channel and slotting fixed costs a candidate pair would add to its SKU's plan."""
    model = st.model
    used = pair_of_row[pair_of_row >= 0]
    kc_used = np.zeros(len(model.kc_sku), dtype=bool)
    kc_used[model.kc_of_pair[used]] = True
    kh_used = np.zeros(len(model.kh_sku), dtype=bool)
    stocked = used[model.kh_of_pair[used] >= 0]
    kh_used[model.kh_of_pair[stocked]] = True
    kc = model.kc_of_pair[candidates]
    kh = model.kh_of_pair[candidates]
    added = np.where(kc_used[kc], 0.0, model.kc_fixed_cost[kc])
    return added + np.where(
        (kh >= 0) & ~kh_used[np.maximum(kh, 0)], model.kh_slotting_cost[np.maximum(kh, 0)], 0.0
    )


def _channel_room(st: Structure, pair_of_row: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """True where a candidate's channel is already used by its SKU or the SKU may add one."""
    model = st.model
    used = pair_of_row[pair_of_row >= 0]
    kc_used = np.zeros(len(model.kc_sku), dtype=bool)
    kc_used[model.kc_of_pair[used]] = True
    channels = np.bincount(model.kc_sku[kc_used], minlength=st.n_sku)
    kc = model.kc_of_pair[candidates]
    sku = model.kc_sku[kc]
    return kc_used[kc] | (channels[sku] < model.sku_max_channels[sku])


def construct(
    st: Structure, tables: SkuTables, open_nodes: np.ndarray, true_cost: np.ndarray
) -> tuple[Priced, list[str]]:
    """Build a plan from ``tables`` with ``open_nodes``, repair it and price it."""
    pair_of_row, _ = relaxed_rows(st, tables, np.append(open_nodes, True))
    pair_of_row, left = repair(st, pair_of_row, open_nodes, true_cost)
    return price(st, pair_of_row), left


def better(candidate: Priced, incumbent: Priced | None) -> bool:
    """Feasible beats infeasible; then the lower cost."""
    if incumbent is None:
        return True
    if candidate.feasible != incumbent.feasible:
        return candidate.feasible
    return candidate.objective < incumbent.objective - 1e-9 * abs(incumbent.objective)


def search_nodes(
    st: Structure,
    tables: SkuTables,
    incumbent: Priced,
    true_cost: np.ndarray,
    out_of_time,
) -> Priced:
    """Close, then open, one stocking node at a time while that lowers the cost."""
    improved = True
    while improved and not out_of_time():
        improved = False
        open_nodes = incumbent.decisions.node_open.copy()
        order = np.argsort(-st.node_fixed)
        for h in order:
            if out_of_time():
                break
            trial = open_nodes.copy()
            trial[h] = not trial[h]
            candidate, _ = construct(st, tables, trial, true_cost)
            if better(candidate, incumbent):
                incumbent, improved = candidate, True
                open_nodes = candidate.decisions.node_open.copy()
    return incumbent
