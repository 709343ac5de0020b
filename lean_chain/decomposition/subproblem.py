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


def best_channel_sets(
    st: Structure, tables: SkuTables, open_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per SKU: min over channel sets of v_k(C), and the minimising set (bit mask; 0 if none)."""
    table = row_channel_costs(st, tables, open_cols)
    best = np.full(st.n_sku, np.inf)
    best_set = np.zeros(st.n_sku, dtype=np.int64)
    limit = st.model.sku_max_channels
    for mask, size in zip(st.subsets.tolist(), st.subset_size.tolist(), strict=True):
        members = [bit for bit in range(table.shape[1]) if mask >> bit & 1]
        per_row = table[:, members].min(axis=1)
        value = np.bincount(st.kr_sku, weights=per_row, minlength=st.n_sku)
        value += st.sku_local_fixed[:, members].sum(axis=1)
        value[limit < size] = np.inf
        better = value < best
        best[better], best_set[better] = value[better], mask
    return best, best_set


def rows_for_sets(
    st: Structure, tables: SkuTables, open_cols: np.ndarray, sku_set: np.ndarray
) -> np.ndarray:
    """Per demand row, its cheapest pair among its SKU's channel set at open columns (-1 if none)."""
    allowed = open_cols[st.cell_col] & ((sku_set[st.kr_sku[st.cell_row]] >> st.cell_local) & 1 == 1)
    values = np.where(allowed, tables.cell_min, np.inf)
    cell = st.row_cells.argmin(values)
    found = np.isfinite(values[cell])
    pair = np.full(len(st.kr), -1, dtype=np.int64)
    rows = st.row_cells.keys
    pair[rows[found]] = tables.cell_pair[cell[found]]
    return pair


def relaxed_rows(
    st: Structure, tables: SkuTables, open_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per demand row the pair of the relaxed subproblems' minimiser, and per SKU its bound."""
    value, sku_set = best_channel_sets(st, tables, open_cols)
    return rows_for_sets(st, tables, open_cols, sku_set), value
