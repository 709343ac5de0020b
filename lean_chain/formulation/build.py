"""The MIP of ../shared/FORMULATION.md, assembled from arrays into one sparse problem.

:func:`build_problem` runs the ``define_*`` steps in order; each adds one
family of columns or rows with a few vectorized calls (no loop over SKUs,
paths or regions). Differences from the reference formulation, all exact:

- On-hand stock I_kh is a column only for (SKU, node) groups with a minimum
  stock (I >= sum of per-pair stock, I >= q s). Where q = 0 the stock is
  substituted: its holding cost and storage use go straight onto the flow
  shares, which keeps the model smaller.
- Pipeline stock holding is linear in the shares and priced per pair at the
  pair's held value.
- Paths that break a hard rule never become columns (see ``lean_chain.index``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from lean_chain.costs.model import (
    CostModel,
    piecewise_table,
    quota_limits,
    quota_pairs,
    service_targets,
)
from lean_chain.formulation.problem import MipProblem


@dataclass
class ProblemBuilder:
    """Accumulates column blocks and COO row blocks, then emits a :class:`MipProblem`."""

    objective: list[np.ndarray] = field(default_factory=list)
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    integrality: list[np.ndarray] = field(default_factory=list)
    col_blocks: dict[str, slice] = field(default_factory=dict)
    n_cols: int = 0
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    row_blocks: dict[str, slice] = field(default_factory=dict)
    row_objects: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    n_rows: int = 0

    def add_columns(
        self,
        name: str,
        objective: np.ndarray,
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        integer: bool,
    ) -> int:
        """Add a block of columns; returns the index of its first column."""
        n = len(objective)
        start = self.n_cols
        self.objective.append(np.asarray(objective, dtype=np.float64))
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        self.integrality.append(np.full(n, integer, dtype=bool))
        self.col_blocks[name] = slice(start, start + n)
        self.n_cols += n
        return start

    def add_rows(
        self,
        name: str,
        n_rows: int,
        row: np.ndarray,
        col: np.ndarray,
        val: np.ndarray,
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        objects: tuple[str, np.ndarray] | None = None,
    ) -> None:
        """Add ``n_rows`` rows given as local row numbers, global columns and values.

        ``objects`` = ``(kind, ids)`` names what each row is about (see
        :attr:`MipProblem.row_objects`), for diagnosis and sensitivity reports.
        """
        if n_rows == 0:
            return
        if objects is not None:
            kind, ids = objects
            self.row_objects[name] = (kind, np.asarray(ids, dtype=np.int64))
        start = self.n_rows
        self.rows.append(np.asarray(row, dtype=np.int64) + start)
        self.cols.append(np.asarray(col, dtype=np.int64))
        self.vals.append(np.asarray(val, dtype=np.float64))
        self.row_lower.append(
            np.broadcast_to(np.asarray(lower, dtype=np.float64), (n_rows,)).copy()
        )
        self.row_upper.append(
            np.broadcast_to(np.asarray(upper, dtype=np.float64), (n_rows,)).copy()
        )
        self.row_blocks[name] = slice(start, start + n_rows)
        self.n_rows += n_rows

    def build(self) -> MipProblem:
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        matrix = sp.csr_matrix(
            (cat(self.vals, np.float64), (cat(self.rows, np.int64), cat(self.cols, np.int64))),
            shape=(self.n_rows, self.n_cols),
        )
        matrix.sum_duplicates()
        return MipProblem(
            objective=cat(self.objective, np.float64),
            matrix=matrix,
            row_lower=cat(self.row_lower, np.float64),
            row_upper=cat(self.row_upper, np.float64),
            col_lower=cat(self.col_lower, np.float64),
            col_upper=cat(self.col_upper, np.float64),
            integrality=cat(self.integrality, bool),
            col_blocks=dict(self.col_blocks),
            row_blocks=dict(self.row_blocks),
            row_objects=dict(self.row_objects),
        )


def _group_rows(keys: np.ndarray) -> tuple[int, np.ndarray]:
    unique, inverse = np.unique(keys, return_inverse=True)
    return len(unique), inverse.astype(np.int64)


def substituted_stock(model: CostModel) -> np.ndarray:
    """True for pairs whose on-hand stock is priced on the share itself (group has q = 0)."""
    stocked = model.kh_of_pair >= 0
    q = np.zeros(len(stocked))
    q[stocked] = model.kh_min_stock[model.kh_of_pair[stocked]]
    return stocked & (q <= 0)


def stock_groups_with_minimum(model: CostModel) -> np.ndarray:
    """kh groups that get an explicit on-hand stock column."""
    return np.flatnonzero(model.kh_min_stock > 0)


def define_flow_columns(b: ProblemBuilder, model: CostModel) -> None:
    """x_j: share of demand row kr served through pair j."""
    sub = substituted_stock(model)
    held = np.zeros(len(sub))
    held[sub] = model.kh_held_value[model.kh_of_pair[sub]]
    objective = (
        model.demand_units * model.unit_cost
        + model.pipeline_holding_per_share
        + np.where(sub, model.holding_factor * held * model.on_hand_per_share, 0.0)
    )
    if model.profit_mode:  # minimise -contribution: each unit sold earns its net price
        objective = objective - model.demand_units * model.pair_net_price
    single = bool(model.instance.params["single_sourcing"])
    b.add_columns("x", objective, 0.0, 1.0, integer=single)


def define_decision_columns(b: ProblemBuilder, model: CostModel) -> None:
    """y_kc channel use, s_kh stocked, I_kh stock (minimum-stock groups), z_h open, n_l containers."""
    b.add_columns("y", model.kc_fixed_cost, 0.0, 1.0, integer=True)
    b.add_columns("s", model.kh_slotting_cost, 0.0, 1.0, integer=True)
    with_min = stock_groups_with_minimum(model)
    b.add_columns(
        "I", model.holding_factor * model.kh_held_value[with_min], 0.0, np.inf, integer=False
    )
    b.add_columns("z", model.h_fixed_cost, 0.0, 1.0, integer=True)
    b.add_columns("n", model.ct_cost, 0.0, np.inf, integer=True)
    b.add_columns("v", model.fx_cost, 0.0, 1.0, integer=True)
    pieces = piecewise_table(model)
    shipments = model.pw_shipments[pieces["leg"].astype(np.int64)]
    b.add_columns("u", shipments * pieces["intercept"], 0.0, 1.0, integer=True)
    b.add_columns("q", pieces["slope"], 0.0, np.inf, integer=False)
    # order bands: the share of each pair on the leg carried in each band, and the band
    cell_units = model.demand_units[model.ob_pair[model.ob_cell_inc]]
    b.add_columns("w", cell_units * model.ob_cell_cost, 0.0, 1.0, integer=False)
    b.add_columns("band", np.zeros(len(model.ob_band_leg)), 0.0, 1.0, integer=True)
    if model.profit_mode:
        # L: SKU listed on a platform (listing fee); O: platform open (its annual fee)
        b.add_columns("L", model.sales.kq_listing_fee, 0.0, 1.0, integer=True)
        b.add_columns("O", model.sales.platform_fee, 0.0, 1.0, integer=True)


def define_demand_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Sum of shares of each demand row = 1 (profit mode: <= 1, lost sales allowed)."""
    x0 = b.col_blocks["x"].start
    n = model.n_pairs
    b.add_rows(
        "demand",
        len(model.kr_demand_row),
        model.kr_of_pair,
        x0 + np.arange(n),
        np.ones(n),
        -np.inf if model.profit_mode else 1.0,
        1.0,
        objects=("demand_row", model.kr_demand_row),
    )


def define_listing_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Profit mode: a demand row sells only when its SKU is listed on its platform
    (sum of shares <= L_kq), a listing needs its platform open (L_kq <= O_q), and an open
    platform serves at least its minimum fill rate of its demand."""
    if not model.profit_mode:
        return
    x0, l0, o0 = b.col_blocks["x"].start, b.col_blocks["L"].start, b.col_blocks["O"].start
    n, n_kr = model.n_pairs, len(model.kr_demand_row)
    sales = model.sales
    kq_of_kr = sales.row_kq[model.kr_demand_row]
    b.add_rows(
        "listing_link",
        n_kr,
        np.concatenate([model.kr_of_pair, np.arange(n_kr)]),
        np.concatenate([x0 + np.arange(n), l0 + kq_of_kr]),
        np.concatenate([np.ones(n), -np.ones(n_kr)]),
        -np.inf,
        0.0,
        objects=("demand_row", model.kr_demand_row),
    )
    on = np.flatnonzero(sales.kq_platform >= 0)
    b.add_rows(
        "platform_link",
        len(on),
        np.repeat(np.arange(len(on)), 2),
        np.column_stack([l0 + on, o0 + sales.kq_platform[on]]).ravel(),
        np.tile([1.0, -1.0], len(on)),
        -np.inf,
        0.0,
    )
    platform = sales.platform[model.index.pairs.demand_row]
    fill = sales.platform_min_fill
    demanded = np.bincount(
        sales.platform[model.kr_demand_row][sales.platform[model.kr_demand_row] >= 0],
        weights=model.instance.demand["units"].to_numpy(np.float64)[model.kr_demand_row][
            sales.platform[model.kr_demand_row] >= 0
        ],
        minlength=len(fill),
    )
    rows = np.flatnonzero((fill > 0) & (demanded > 0))
    if len(rows):
        row_of = np.full(len(fill), -1, dtype=np.int64)
        row_of[rows] = np.arange(len(rows))
        members = np.flatnonzero((platform >= 0) & (row_of[np.maximum(platform, 0)] >= 0))
        m = len(rows)
        b.add_rows(
            "platform_fill",
            m,
            np.concatenate([row_of[platform[members]], np.arange(m)]),
            np.concatenate([x0 + members, o0 + rows]),
            np.concatenate([model.demand_units[members], -fill[rows] * demanded[rows]]),
            0.0,
            np.inf,
        )


def define_channel_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Per (demand row, channel): shares <= y_kc; per SKU: channels used <= max."""
    x0, y0 = b.col_blocks["x"].start, b.col_blocks["y"].start
    n = model.n_pairs
    channel = model.index.pairs.channel
    n_groups, group = _group_rows(model.kr_of_pair * (channel.max(initial=0) + 1) + channel)
    kc_of_group = np.zeros(n_groups, dtype=np.int64)
    kc_of_group[group] = model.kc_of_pair
    b.add_rows(
        "channel_link",
        n_groups,
        np.concatenate([group, np.arange(n_groups)]),
        np.concatenate([x0 + np.arange(n), y0 + kc_of_group]),
        np.concatenate([np.ones(n), -np.ones(n_groups)]),
        -np.inf,
        0.0,
    )
    channels_per_sku = np.bincount(model.kc_sku, minlength=len(model.sku_max_channels))
    limited = np.flatnonzero(channels_per_sku > model.sku_max_channels)
    if len(limited):
        row_of_sku = np.full(len(model.sku_max_channels), -1, dtype=np.int64)
        row_of_sku[limited] = np.arange(len(limited))
        members = np.flatnonzero(row_of_sku[model.kc_sku] >= 0)
        b.add_rows(
            "max_channels",
            len(limited),
            row_of_sku[model.kc_sku[members]],
            y0 + members,
            np.ones(len(members)),
            -np.inf,
            model.sku_max_channels[limited],
            objects=("sku", limited),
        )


def define_stocking_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Per (demand row, stocking node): shares <= s_kh; s_kh <= z_h; minimum stock."""
    x0, s0, z0 = b.col_blocks["x"].start, b.col_blocks["s"].start, b.col_blocks["z"].start
    stocked = np.flatnonzero(model.kh_of_pair >= 0)
    if len(stocked) == 0:
        return
    node = model.index.pairs.stock_node[stocked]
    n_nodes = len(model.instance.nodes)
    n_groups, group = _group_rows(model.kr_of_pair[stocked] * n_nodes + node)
    kh_of_group = np.zeros(n_groups, dtype=np.int64)
    kh_of_group[group] = model.kh_of_pair[stocked]
    b.add_rows(
        "stock_link",
        n_groups,
        np.concatenate([group, np.arange(n_groups)]),
        np.concatenate([x0 + stocked, s0 + kh_of_group]),
        np.concatenate([np.ones(len(stocked)), -np.ones(n_groups)]),
        -np.inf,
        0.0,
    )
    n_kh = len(model.kh_sku)
    b.add_rows(
        "open_link",
        n_kh,
        np.repeat(np.arange(n_kh), 2),
        np.column_stack([s0 + np.arange(n_kh), z0 + model.kh_h]).ravel(),
        np.tile([1.0, -1.0], n_kh),
        -np.inf,
        0.0,
    )
    with_min = stock_groups_with_minimum(model)
    if len(with_min):
        i0 = b.col_blocks["I"].start
        local = np.full(n_kh, -1, dtype=np.int64)
        local[with_min] = np.arange(len(with_min))
        members = stocked[local[model.kh_of_pair[stocked]] >= 0]
        row = local[model.kh_of_pair[members]]
        m = len(with_min)
        b.add_rows(
            "stock_required",
            m,
            np.concatenate([np.arange(m), row]),
            np.concatenate([i0 + np.arange(m), x0 + members]),
            np.concatenate([np.ones(m), -model.on_hand_per_share[members]]),
            0.0,
            np.inf,
        )
        b.add_rows(
            "stock_minimum",
            m,
            np.repeat(np.arange(m), 2),
            np.column_stack([i0 + np.arange(m), s0 + with_min]).ravel(),
            np.column_stack([np.ones(m), -model.kh_min_stock[with_min]]).ravel(),
            0.0,
            np.inf,
            objects=("stock_group", with_min),
        )


def define_capacity_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Storage (on-hand m3) and throughput (units per horizon) of open nodes."""
    x0, z0 = b.col_blocks["x"].start, b.col_blocks["z"].start
    h_of_pair = model.h_of_pair
    stocked = np.flatnonzero(h_of_pair >= 0)
    storage_nodes = np.flatnonzero(~np.isnan(model.h_storage_m3))
    if len(storage_nodes):
        row_of_h = np.full(len(model.h_node), -1, dtype=np.int64)
        row_of_h[storage_nodes] = np.arange(len(storage_nodes))
        sub = stocked[substituted_stock(model)[stocked] & (row_of_h[h_of_pair[stocked]] >= 0)]
        with_min = stock_groups_with_minimum(model)
        kh_rows = row_of_h[model.kh_h[with_min]]
        keep = kh_rows >= 0
        i0 = b.col_blocks["I"].start if "I" in b.col_blocks else 0
        m = len(storage_nodes)
        b.add_rows(
            "storage",
            m,
            np.concatenate([row_of_h[h_of_pair[sub]], kh_rows[keep], np.arange(m)]),
            np.concatenate([x0 + sub, i0 + np.flatnonzero(keep), z0 + storage_nodes]),
            np.concatenate(
                [
                    model.pair_volume_m3[sub] * model.on_hand_per_share[sub],
                    model.sku_volume_m3[model.kh_sku[with_min[keep]]],
                    -model.h_storage_m3[storage_nodes],
                ]
            ),
            -np.inf,
            0.0,
            objects=("node", model.h_node[storage_nodes]),
        )
    order_nodes = np.flatnonzero(~np.isnan(model.h_orders_per_day))
    if len(order_nodes):
        row_of_h = np.full(len(model.h_node), -1, dtype=np.int64)
        row_of_h[order_nodes] = np.arange(len(order_nodes))
        members = stocked[row_of_h[h_of_pair[stocked]] >= 0]
        units_per_order = model.instance.demand["units_per_order"].to_numpy(np.float64)
        orders = (
            model.demand_units[members] / units_per_order[model.index.pairs.demand_row[members]]
        )
        horizon = float(model.instance.params["horizon_days"])
        m = len(order_nodes)
        b.add_rows(
            "orders",
            m,
            np.concatenate([row_of_h[h_of_pair[members]], np.arange(m)]),
            np.concatenate([x0 + members, z0 + order_nodes]),
            np.concatenate([orders, -model.h_orders_per_day[order_nodes] * horizon]),
            -np.inf,
            0.0,
            objects=("node", model.h_node[order_nodes]),
        )
    throughput_nodes = np.flatnonzero(~np.isnan(model.h_throughput_units))
    if len(throughput_nodes):
        row_of_h = np.full(len(model.h_node), -1, dtype=np.int64)
        row_of_h[throughput_nodes] = np.arange(len(throughput_nodes))
        members = stocked[row_of_h[h_of_pair[stocked]] >= 0]
        m = len(throughput_nodes)
        b.add_rows(
            "throughput",
            m,
            np.concatenate([row_of_h[h_of_pair[members]], np.arange(m)]),
            np.concatenate([x0 + members, z0 + throughput_nodes]),
            np.concatenate(
                [model.demand_units[members], -model.h_throughput_units[throughput_nodes]]
            ),
            -np.inf,
            0.0,
            objects=("node", model.h_node[throughput_nodes]),
        )


def define_service_rows(b: ProblemBuilder, model: CostModel) -> None:
    """At least alpha_r of region r's demand within T_r days."""
    x0 = b.col_blocks["x"].start
    regions, days, share = service_targets(model)
    if len(regions) == 0:
        return
    pairs = model.index.pairs
    row_of_region = np.full(len(model.instance.nodes), -1, dtype=np.int64)
    row_of_region[regions] = np.arange(len(regions))
    row = row_of_region[pairs.region]
    promise = model.index.paths.promise_days[pairs.path]
    fast = (row >= 0) & (promise <= np.where(row >= 0, days[np.maximum(row, 0)], 0) + 1e-9)
    members = np.flatnonzero(fast)
    demand = model.instance.demand["units"].to_numpy(np.float64)
    total = np.zeros(len(regions))
    kr_region = np.zeros(len(model.kr_demand_row), dtype=np.int64)
    kr_region[model.kr_of_pair] = pairs.region
    in_target = row_of_region[kr_region] >= 0
    np.add.at(total, row_of_region[kr_region[in_target]], demand[model.kr_demand_row[in_target]])
    if model.profit_mode:  # the share of the units sold: fast - alpha x sold >= 0
        in_region = np.flatnonzero(row >= 0)
        alpha = share[row[in_region]]
        b.add_rows(
            "service",
            len(regions),
            row[in_region],
            x0 + in_region,
            model.demand_units[in_region] * (fast[in_region] - alpha),
            0.0,
            np.inf,
            objects=("node", regions),
        )
        return
    b.add_rows(
        "service",
        len(regions),
        row[members],
        x0 + members,
        model.demand_units[members],
        share * total,
        np.inf,
        objects=("node", regions),
    )


def define_quota_rows(b: ProblemBuilder, model: CostModel) -> None:
    """CBEC transaction value per region within its annual quota (a relaxation of the
    per-person limit: consumers x annual limit)."""
    x0 = b.col_blocks["x"].start
    regions, quota = quota_limits(model)
    if len(regions) == 0:
        return
    pairs = model.index.pairs
    row_of_region = np.full(len(model.instance.nodes), -1, dtype=np.int64)
    row_of_region[regions] = np.arange(len(regions))
    members = np.flatnonzero(quota_pairs(model) & (row_of_region[pairs.region] >= 0))
    value = model.landed.transaction_value[members] * model.demand_units[members]
    b.add_rows(
        "cbec_quota",
        len(regions),
        row_of_region[pairs.region[members]],
        x0 + members,
        value,
        -np.inf,
        quota,
        objects=("node", regions),
    )


def define_container_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Volume (and weight) on a load leg <= container or truck size x loads."""
    if len(model.ct_leg) == 0:
        return
    x0, n0 = b.col_blocks["x"].start, b.col_blocks["n"].start
    j = model.ct_pair
    units = model.demand_units[j]
    # n counts loads per shipment: the horizon's load travels in S shipments
    for name, per_unit, size in (
        ("containers", model.pair_volume_m3[j], model.ct_size_m3),
        ("container_weight", model.pair_weight_kg[j], model.ct_size_kg),
    ):
        limited = np.flatnonzero(~np.isnan(size))
        if len(limited) == 0:
            continue
        row_of = np.full(len(model.ct_leg), -1, dtype=np.int64)
        row_of[limited] = np.arange(len(limited))
        members = np.flatnonzero(row_of[model.ct_of] >= 0)
        m = len(limited)
        b.add_rows(
            name,
            m,
            np.concatenate([row_of[model.ct_of[members]], np.arange(m)]),
            np.concatenate([x0 + j[members], n0 + limited]),
            np.concatenate(
                [per_unit[members] * units[members], -size[limited] * model.ct_shipments[limited]]
            ),
            -np.inf,
            0.0,
            objects=("lane", model.ct_lane[limited]),
        )


def define_piecewise_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Weight-break / per-m3 legs: the leg's quantity lies in exactly one chosen piece.

    q_i >= 0 and u_i binary per piece i of the per-shipment cost f; with S
    shipments, S lo_i u_i <= q_i <= S hi_i u_i, at most one piece per leg, and
    sum_i q_i >= the leg's actual and volumetric quantity. The cost
    slope_i q_i + S intercept_i u_i is S f(Q / S) on the chosen piece.
    """
    if len(model.pw_leg) == 0:
        return
    x0, u0, q0 = b.col_blocks["x"].start, b.col_blocks["u"].start, b.col_blocks["q"].start
    pieces = piecewise_table(model)
    leg = pieces["leg"].astype(np.int64)
    n_pieces, n_legs = len(leg), len(model.pw_leg)
    shipments = model.pw_shipments[leg]
    j = model.pw_pair
    units = model.demand_units[j]
    leg_lane = model.index.legs.lane[model.pw_leg]
    for name, per_unit in (
        ("leg_quantity", model.pw_actual_per_unit),
        ("leg_volumetric", model.pw_volumetric_per_unit),
    ):
        if name == "leg_volumetric" and not np.any(per_unit > 0):
            continue
        b.add_rows(
            name,
            n_legs,
            np.concatenate([leg, model.pw_of]),
            np.concatenate([q0 + np.arange(n_pieces), x0 + j]),
            np.concatenate([np.ones(n_pieces), -per_unit * units]),
            0.0,
            np.inf,
            objects=("lane", leg_lane),
        )
    rows = np.repeat(np.arange(n_pieces), 2)
    cols = np.column_stack([q0 + np.arange(n_pieces), u0 + np.arange(n_pieces)]).ravel()
    b.add_rows(
        "piece_upper",
        n_pieces,
        rows,
        cols,
        np.column_stack([np.ones(n_pieces), -shipments * pieces["hi"]]).ravel(),
        -np.inf,
        0.0,
        objects=("lane", leg_lane[leg]),
    )
    b.add_rows(
        "piece_lower",
        n_pieces,
        rows,
        cols,
        np.column_stack([np.ones(n_pieces), -shipments * pieces["lo"]]).ravel(),
        0.0,
        np.inf,
    )
    b.add_rows(
        "piece_choice", n_legs, leg, u0 + np.arange(n_pieces), np.ones(n_pieces), -np.inf, 1.0
    )


def define_fixed_charge_rows(b: ProblemBuilder, model: CostModel) -> None:
    """A leg with a fixed charge per shipment is paid for when it carries anything."""
    if len(model.fx_leg) == 0:
        return
    x0, v0 = b.col_blocks["x"].start, b.col_blocks["v"].start
    j = model.fx_pair
    most = np.bincount(model.fx_of, weights=model.demand_units[j], minlength=len(model.fx_leg))
    m = len(model.fx_leg)
    b.add_rows(
        "fixed_charge",
        m,
        np.concatenate([model.fx_of, np.arange(m)]),
        np.concatenate([x0 + j, v0 + np.arange(m)]),
        np.concatenate([model.demand_units[j], -most]),
        -np.inf,
        0.0,
    )


def define_order_band_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Order bands: the lane's chargeable kg per shipment lies in the one chosen band,
    whose rate and minimum price every order on the lane.

    Per pair j on the leg and band i: w_ji <= band_i, sum_i w_ji = x_j; per band,
    S lo_i band_i <= sum_j kg_j D_j w_ji <= S hi_i band_i; at most one band per
    leg. The cost sum_ji D_j c_ji w_ji is exact: all of the leg's flow is in the
    chosen band.
    """
    if len(model.ob_leg) == 0:
        return
    x0, w0 = b.col_blocks["x"].start, b.col_blocks["w"].start
    u0 = b.col_blocks["band"].start
    cells, n_inc = len(model.ob_cell_inc), len(model.ob_of)
    n_bands = len(model.ob_band_leg)
    lane = model.index.legs.lane[model.ob_leg]
    b.add_rows(
        "band_split",
        n_inc,
        np.concatenate([model.ob_cell_inc, np.arange(n_inc)]),
        np.concatenate([w0 + np.arange(cells), x0 + model.ob_pair]),
        np.concatenate([np.ones(cells), -np.ones(n_inc)]),
        0.0,
        0.0,
    )
    b.add_rows(
        "band_link",
        cells,
        np.repeat(np.arange(cells), 2),
        np.column_stack([w0 + np.arange(cells), u0 + model.ob_cell_band]).ravel(),
        np.tile([1.0, -1.0], cells),
        -np.inf,
        0.0,
    )
    kg = (model.ob_kg_per_unit * model.demand_units[model.ob_pair])[model.ob_cell_inc]
    shipments = model.ob_shipments[model.ob_band_leg]
    most = np.bincount(
        model.ob_of, weights=model.ob_kg_per_unit * model.demand_units[model.ob_pair]
    )
    hi = np.minimum(model.ob_band_hi, most[model.ob_band_leg] / shipments * (1 + 1e-9) + 1e-9)
    for name, bound, lower, upper in (
        ("band_lower", model.ob_band_lo, 0.0, np.inf),
        ("band_upper", hi, -np.inf, 0.0),
    ):
        b.add_rows(
            name,
            n_bands,
            np.concatenate([model.ob_cell_band, np.arange(n_bands)]),
            np.concatenate([w0 + np.arange(cells), u0 + np.arange(n_bands)]),
            np.concatenate([kg, -shipments * bound]),
            lower,
            upper,
            objects=("lane", lane[model.ob_band_leg]),
        )
    b.add_rows(
        "band_choice",
        len(model.ob_leg),
        model.ob_band_leg,
        u0 + np.arange(n_bands),
        np.ones(n_bands),
        -np.inf,
        1.0,
    )


def define_lane_capacity_rows(b: ProblemBuilder, model: CostModel) -> None:
    """Kg, m3 or units on a lane (all its services) or on one service <= its limit."""
    if len(model.cap_limit) == 0:
        return
    x0 = b.col_blocks["x"].start
    b.add_rows(
        "lane_capacity",
        len(model.cap_limit),
        model.cap_of,
        x0 + model.cap_pair,
        model.cap_per_unit * model.demand_units[model.cap_pair],
        -np.inf,
        model.cap_limit,
        objects=("lane", model.cap_lane),
    )


#: The build pipeline, in order.
STEPS = (
    define_flow_columns,
    define_decision_columns,
    define_demand_rows,
    define_listing_rows,
    define_channel_rows,
    define_stocking_rows,
    define_capacity_rows,
    define_service_rows,
    define_quota_rows,
    define_container_rows,
    define_piecewise_rows,
    define_fixed_charge_rows,
    define_order_band_rows,
    define_lane_capacity_rows,
)


def build_problem(model: CostModel) -> MipProblem:
    """Assemble the MIP of ``model`` as one sparse problem.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> problem = build_problem(build_cost_model(lean_chain.load_instance("tests/data/tiny")))
    >>> problem.n_cols, list(problem.row_blocks)[:2]
    (11, ['demand', 'channel_link'])
    """
    builder = ProblemBuilder()
    for step in STEPS:
        step(builder, model)
    return builder.build()


#: The row families that couple SKUs (node capacities, service, CBEC quotas, lanes),
#: with the columns they need: the decomposition relaxes them, explanations check them.
COUPLING_STEPS = (
    define_flow_columns,
    define_decision_columns,
    define_capacity_rows,
    define_service_rows,
    define_quota_rows,
    define_lane_capacity_rows,
)


def build_coupling_problem(model: CostModel) -> MipProblem:
    """The MIP's columns with only the rows that couple SKUs (:data:`COUPLING_STEPS`).

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> build_coupling_problem(model).n_rows  # tiny has no capacity, service or quota
    0
    """
    builder = ProblemBuilder()
    for step in COUPLING_STEPS:
        step(builder, model)
    return builder.build()


def build_objective(model: CostModel) -> MipProblem:
    """The MIP's columns and objective without its rows.

    Enough to price a plan with the MIP's own objective (:func:`encode`) when
    the rows are not needed, as in the decomposition method.
    """
    builder = ProblemBuilder()
    define_flow_columns(builder, model)
    define_decision_columns(builder, model)
    return builder.build()
