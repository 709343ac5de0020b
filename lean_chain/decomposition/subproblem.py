"""Per-SKU subproblems, solved for every SKU at once with array operations.

With the coupling rows relaxed, each SKU k chooses a set C of at most M_k
channels, stocking nodes, and the pairs that serve its demand rows, against
per-pair costs c~. For every channel set C (enumerated once as bit masks
over the SKU's channel ranks),

    v_k(C) = sum_{c in C} (G_kc + g_k [c stocks]) + sum_r min_{j in r, c(j) in C, node open} c~_j

is exact for plans that stock each channel at one node at most, and a lower
bound on every plan that uses exactly C (a second node of a channel costs
another slotting fee, and a split row costs at least its cheapest pair).
min_C v_k(C) is therefore a valid lower bound on SKU k's subproblem, and
the minimising C with each row at its cheapest pair is a plan that keeps
the channel limit: the same tables serve the bound and the heuristic.

In profit mode c~ is cost less net revenue, a row may go unserved (value 0)
and the rows sold through listing (SKU, platform) q pay its fee L_q once, so
the rows' term becomes sum_q min(0, L_q + sum_{r in q} min(0, best_r)), exact
per set C; C may be empty (nothing sold). Platform fees and minimum fill rates
are left out of the subproblem: dropping them only lowers the bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lean_chain.decomposition.structure import Structure


@dataclass(frozen=True, eq=False)
class SkuTables:
    """Cheapest pair cost per (demand row, channel rank, column) cell, for one cost vector."""

    cost: np.ndarray  # per pair
    cell_min: np.ndarray  # per cell
    cell_pair: np.ndarray  # per cell: its cheapest pair


def sku_tables(st: Structure, cost: np.ndarray) -> SkuTables:
    """The tables of the per-SKU subproblems for per-pair costs ``cost``."""
    return SkuTables(cost=cost, cell_min=st.cell.min(cost), cell_pair=st.cell.argmin(cost))


def row_channel_costs(st: Structure, tables: SkuTables, open_cols: np.ndarray) -> np.ndarray:
    """(demand row, channel rank): cheapest pair at an open column, inf if none."""
    n_local = st.sku_local_fixed.shape[1]
    table = np.full((len(st.kr), n_local), np.inf)
    usable = open_cols[st.cell_col]
    np.minimum.at(table, (st.cell_row[usable], st.cell_local[usable]), tables.cell_min[usable])
    return table


def focus_node_costs(st: Structure, tables: SkuTables, open_cols: np.ndarray) -> np.ndarray:
    """(demand row, node rank) of the SKU's focus channel: cheapest pair at that node."""
    table = np.full((len(st.kr), max(st.n_node_ranks, 1)), np.inf)
    focus = st.sku_focus[st.kr_sku[st.cell_row]]
    usable = open_cols[st.cell_col] & (st.cell_local == focus) & (st.cell_node_rank >= 0)
    np.minimum.at(table, (st.cell_row[usable], st.cell_node_rank[usable]), tables.cell_min[usable])
    return table


def sku_row_values(st: Structure, per_row: np.ndarray, clipped: bool = False) -> np.ndarray:
    """Per SKU, the value of its demand rows at ``per_row`` (each row's best pair in a set;
    inf where it has none): their sum, or in profit mode the listings' best choice
    (``clipped``: ``per_row`` is already at most 0)."""
    if not st.profit:
        return np.bincount(st.kr_sku, weights=per_row, minlength=st.n_sku)
    gains = per_row if clipped else np.minimum(per_row, 0.0)
    if st.free_listings:  # min(0, 0 + sum of gains) is the sum: one pass instead of two
        return np.bincount(st.kr_sku, weights=gains, minlength=st.n_sku)
    listed = st.kq_fee + np.bincount(st.kr_kq, weights=gains, minlength=len(st.kq_fee))
    return np.bincount(st.kq_sku, weights=np.minimum(listed, 0.0), minlength=st.n_sku)


def sold_rows(st: Structure, row_value: np.ndarray) -> np.ndarray:
    """Profit mode: True for the demand rows worth selling at their best pair's
    ``row_value`` (a gain, on a listing whose gains cover its fee)."""
    gain = np.minimum(row_value, 0.0)
    listed = st.kq_fee + np.bincount(st.kr_kq, weights=gain, minlength=len(st.kq_fee))
    return (gain < 0) & (listed[st.kr_kq] < 0)


def best_channel_sets(
    st: Structure, tables: SkuTables, open_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per SKU: the bound min over channel sets (and focus-node patterns), the minimising
    set (bit mask; 0 if none) and pattern (node rank of the focus channel, -1 for "any").

    For the SKU's focus channel (its channel with the most nodes) the node choice is
    enumerated: one node (rows of that channel only there), or two or more nodes at
    one more slotting fee; the other channels take each row's cheapest node.
    """
    table = row_channel_costs(st, tables, open_cols)
    focus_table = focus_node_costs(st, tables, open_cols)
    if st.profit:
        # a row's value only counts where it gains (min(best, 0)): clipped once here, not
        # in sku_row_values for every set (the same minimum, bit for bit)
        np.minimum(table, 0.0, out=table)
        np.minimum(focus_table, 0.0, out=focus_table)
    best = np.full(st.n_sku, np.inf)
    best_set = np.zeros(st.n_sku, dtype=np.int64)
    best_pattern = np.full(st.n_sku, -1, dtype=np.int64)
    limit = st.model.sku_max_channels
    row_focus = st.sku_focus[st.kr_sku]
    # each channel's cost for the rows of SKUs whose focus it is not (once, not per set)
    off_focus = np.where(row_focus[:, None] == np.arange(table.shape[1]), np.inf, table)
    for mask, size in zip(st.subsets.tolist(), st.subset_size.tolist(), strict=True):
        if mask == 0:  # profit mode: nothing sold, value 0 (it is the first set)
            better = best > 0.0
            best[better], best_set[better], best_pattern[better] = 0.0, 0, -1
            continue
        members = [bit for bit in range(table.shape[1]) if mask >> bit & 1]
        fixed = st.sku_local_fixed[:, members].sum(axis=1)
        fixed[limit < size] = np.inf
        focus_in = (st.sku_focus >= 0) & ((mask >> np.maximum(st.sku_focus, 0)) & 1 == 1)
        others = np.full(len(st.kr), np.inf)
        for bit in members:
            others = np.minimum(others, off_focus[:, bit])
        focus_any = table[np.arange(len(st.kr)), np.maximum(row_focus, 0)]
        # "any" pattern: every row at its cheapest pair in the set (the focus channel
        # pays a second slotting fee where it is in the set and may use several nodes)
        per_row = np.minimum(others, np.where(focus_in[st.kr_sku], focus_any, np.inf))
        value = sku_row_values(st, per_row, clipped=True) + fixed
        value += np.where(focus_in, st.sku_slotting, 0.0)
        better = value < best
        best[better], best_set[better], best_pattern[better] = value[better], mask, -1
        if not focus_in.any():
            continue
        for rank in range(st.n_node_ranks):
            per_row = np.minimum(others, focus_table[:, rank])
            value = sku_row_values(st, per_row, clipped=True) + fixed
            value[~focus_in] = np.inf
            better = value < best
            best[better], best_set[better], best_pattern[better] = value[better], mask, rank
    return best, best_set, best_pattern


def rows_for_sets(
    st: Structure,
    tables: SkuTables,
    open_cols: np.ndarray,
    sku_set: np.ndarray,
    sku_pattern: np.ndarray | None = None,
) -> np.ndarray:
    """Per demand row, its cheapest pair among its SKU's channel set at open columns (-1 if
    none); with a pattern, the focus channel's rows only at that node."""
    sku_of_cell = st.kr_sku[st.cell_row]
    allowed = open_cols[st.cell_col] & ((sku_set[sku_of_cell] >> st.cell_local) & 1 == 1)
    if sku_pattern is not None:
        pattern = sku_pattern[sku_of_cell]
        allowed &= (
            (pattern < 0)
            | (st.cell_local != st.sku_focus[sku_of_cell])
            | (st.cell_node_rank == pattern)
        )
    values = np.where(allowed, tables.cell_min, np.inf)
    cell = st.row_cells.argmin(values)
    found = np.isfinite(values[cell])
    rows = st.row_cells.keys
    if st.profit:  # only the rows worth selling
        row_value = np.full(len(st.kr), np.inf)
        row_value[rows] = values[cell]
        found &= sold_rows(st, row_value)[rows]
    pair = np.full(len(st.kr), -1, dtype=np.int64)
    pair[rows[found]] = tables.cell_pair[cell[found]]
    return pair


def relaxed_rows(
    st: Structure, tables: SkuTables, open_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per demand row the pair of the relaxed subproblems' minimiser, and per SKU its bound."""
    value, sku_set, pattern = best_channel_sets(st, tables, open_cols)
    return rows_for_sets(st, tables, open_cols, sku_set, pattern), value
