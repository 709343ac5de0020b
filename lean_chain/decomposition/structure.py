"""The MIP split into per-SKU blocks and the rows that couple them, as arrays.

SKUs interact only through node opening (``s_kh <= z_h``), node capacities
(storage, orders, throughput), regional service targets, regional CBEC quotas
and shared lane charges (containers, weight breaks, fixed charges per
shipment). :func:`build_structure` takes the coupling rows from the same
``define_*`` steps that build the monolithic MIP (one rule in one place) and
replaces the lane charges by linear costs that never exceed them, so that

    c_j x_j  (per pair)  +  fixed costs per SKU  +  F_h z_h

with the coupling rows ``A x + B z <= rhs`` relaxed is a valid lower-bounding
model of the MIP. See docs/model.md, "Decomposition".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from lean_chain.costs.model import CostModel, leg_most_quantity, leg_quantities
from lean_chain.costs.rates import piecewise_rate_floor
from lean_chain.formulation.build import build_coupling_problem, substituted_stock

#: Row families relaxed by the Lagrangian and repaired by the heuristic.
COUPLING_FAMILIES = ("storage", "orders", "throughput", "service", "cbec_quota", "lane_capacity")


@dataclass(frozen=True, eq=False)
class Segments:
    """Elements grouped by an integer key: sorted order and segment starts.

    Examples
    --------
    >>> import numpy as np
    >>> seg = Segments.from_keys(np.array([3, 1, 3, 1, 2]))
    >>> seg.min(np.array([5.0, 4.0, 1.0, 7.0, 2.0])).tolist()
    [4.0, 2.0, 1.0]
    >>> seg.argmin(np.array([5.0, 4.0, 1.0, 7.0, 2.0])).tolist()
    [1, 4, 2]
    """

    order: np.ndarray  # element indices sorted by segment
    starts: np.ndarray  # first position of each segment in ``order``
    of: np.ndarray  # segment of each element
    keys: np.ndarray  # key of each segment

    @classmethod
    def from_keys(cls, keys: np.ndarray) -> Segments:
        keys = np.asarray(keys)
        if len(keys) and np.all(keys[1:] >= keys[:-1]):  # already grouped: linear time
            first = np.flatnonzero(np.append(True, keys[1:] != keys[:-1]))
            of = np.cumsum(np.append(True, keys[1:] != keys[:-1])).astype(np.int64) - 1
            return cls(order=np.arange(len(keys)), starts=first, of=of, keys=keys[first])
        unique, of = np.unique(keys, return_inverse=True)
        of = of.astype(np.int64)
        order = np.argsort(of, kind="stable")
        starts = np.searchsorted(of[order], np.arange(len(unique)))
        return cls(order=order, starts=starts, of=of, keys=unique)

    def __len__(self) -> int:
        return len(self.keys)

    def min(self, values: np.ndarray) -> np.ndarray:
        if len(self.order) == 0:
            return np.zeros(0)
        return np.minimum.reduceat(values[self.order], self.starts)

    def argmin(self, values: np.ndarray) -> np.ndarray:
        """Per segment, the first element (in index order) with the segment's smallest value."""
        if len(self.order) == 0:
            return np.zeros(0, dtype=np.int64)
        smallest = self.min(values)
        ordered = values[self.order]
        hit = ordered <= smallest[self.of[self.order]]
        position = np.where(hit, np.arange(len(ordered)), len(ordered))
        return self.order[np.minimum.reduceat(position, self.starts)]

    def members(self, segments: np.ndarray) -> np.ndarray:
        """Element indices of the given segments, concatenated."""
        ends = np.append(self.starts[1:], len(self.order))
        lengths = (ends - self.starts)[segments]
        first = np.repeat(self.starts[segments] - np.cumsum(lengths) + lengths, lengths)
        return self.order[first + np.arange(lengths.sum())]


@dataclass(frozen=True, eq=False)
class Structure:
    """Per-pair costs, SKU blocks and the relaxed coupling rows of one cost model.

    Coupling rows are stored as ``A x + B z <= rhs`` (rows with a lower bound
    are negated), each row scaled to unit size for the multiplier updates.
    Stocking nodes are numbered by ``model.h_node``; column ``n_h`` of the
    (row, column) arrays stands for "not stocked".
    """

    model: CostModel
    pair_cost: np.ndarray  # c_j: exact share cost, lane charges by their linear lower bound
    pair_col: np.ndarray  # stocking node h of each pair, n_h if not stocked
    kr: Segments  # pairs by demand row
    kr_sku: np.ndarray
    cell: Segments  # pairs by (demand row, SKU channel, column), sorted by demand row
    cell_row: np.ndarray  # demand row of each cell
    cell_local: np.ndarray  # the channel's rank among the SKU's channels
    cell_col: np.ndarray
    row_cells: Segments  # cells by demand row
    # (SKU, channel rank): channel fixed cost + one slotting; inf if none
    sku_local_fixed: np.ndarray
    sku_focus: np.ndarray  # channel rank whose node choice is enumerated (most nodes, >= 2); -1
    sku_slotting: np.ndarray  # slotting cost per SKU and stocked node
    cell_node_rank: np.ndarray  # per cell: rank of its node among its (SKU, channel)'s nodes; -1
    n_node_ranks: int  # most nodes of a focus channel
    subsets: np.ndarray  # bit masks of channel ranks, every set of at most max_channels
    subset_size: np.ndarray
    node_fixed: np.ndarray  # F_h
    coupling: sp.csr_matrix  # A (rows x pairs), scaled
    primal_coupling: sp.csr_matrix  # A with whole-row minimum stock (>= A), for plans
    primal_coupling_by_pair: sp.csr_matrix  # its transpose (pairs x rows), + a zero row (-1)
    coupling_nodes: np.ndarray  # B (rows x n_h), dense, scaled
    rhs: np.ndarray
    row_family: np.ndarray  # family name of each row
    row_scale: np.ndarray  # unscaled = scaled x row_scale
    # profit mode: a demand row may go unserved (value 0; the empty channel set is one of
    # ``subsets``), and the rows sold through a listing (SKU, platform) pay its fee once
    profit: bool = False
    kr_kq: np.ndarray | None = None  # listing group of each demand row, -1: sold directly
    kq_sku: np.ndarray | None = None
    kq_fee: np.ndarray | None = None  # listing fee per horizon
    # the load legs' share of pair_cost, per unit share: per ct_pair and per pw_pair
    # incidence (see load_leg_parts); the heuristic rescales them to what a plan pays
    container_part: np.ndarray | None = None
    weight_break_part: np.ndarray | None = None

    @property
    def free_listings(self) -> bool:
        """Profit mode without listing fees (every listing's fee is 0)."""
        return self.kq_fee is not None and not np.any(self.kq_fee)

    @property
    def n_h(self) -> int:
        """Number of stocking nodes; column ``n_h`` stands for "not stocked"."""
        return len(self.model.h_node)

    @property
    def n_sku(self) -> int:
        """Number of SKUs of the instance."""
        return len(self.model.instance.skus)


def lane_charge_lower_bound(
    model: CostModel, parts: tuple[np.ndarray, np.ndarray] | None = None
) -> np.ndarray:
    """Per pair and unit share, a linear cost that never exceeds its lane charges.

    Containers: cost per load / load size (volume when the size is given in
    m3, else weight). Weight-break and per-m3 legs: f(w) / w never increases
    (the next-break rule and the minimum charge only lower it as w grows), so
    f(w) >= w f(w_max) / w_max, with w_max the most the leg could carry per
    shipment: the LP relaxation's charge. Fixed charges per
    shipment: the LP share charge / most the leg could carry x units. ``parts``: the
    model's :func:`load_leg_parts`, when the caller has them.
    """
    extra = np.zeros(model.n_pairs)
    container, weight_break = parts if parts is not None else load_leg_parts(model)
    units = model.demand_units
    if len(model.ct_leg):
        extra += np.bincount(model.ct_pair, weights=container, minlength=model.n_pairs)
    if len(model.pw_leg):
        extra += np.bincount(model.pw_pair, weights=weight_break, minlength=model.n_pairs)
    if len(model.ob_leg):
        # order bands: every unit pays at least its cheapest band's charge
        cheapest = np.full(len(model.ob_of), np.inf)
        np.minimum.at(cheapest, model.ob_cell_inc, model.ob_cell_cost)
        extra += np.bincount(
            model.ob_pair, weights=cheapest * units[model.ob_pair], minlength=model.n_pairs
        )
    if len(model.fx_leg):
        most = np.bincount(model.fx_of, weights=units[model.fx_pair], minlength=len(model.fx_leg))
        with np.errstate(invalid="ignore", divide="ignore"):
            per_unit = np.where(most > 0, model.fx_cost / most, 0.0)
        extra += np.bincount(
            model.fx_pair,
            weights=per_unit[model.fx_of] * units[model.fx_pair],
            minlength=model.n_pairs,
        )
    return extra


def load_leg_parts(model: CostModel) -> tuple[np.ndarray, np.ndarray]:
    """The linear lower bound of :func:`lane_charge_lower_bound` on container legs (per
    ``ct_pair`` incidence) and on weight-break legs (per ``pw_pair`` incidence), per
    unit share: what a plan's load legs are charged in the pair costs."""
    units = model.demand_units
    container = np.zeros(len(model.ct_pair))
    if len(model.ct_leg):
        by_volume = ~np.isnan(model.ct_size_m3)
        per_unit = np.where(
            by_volume[model.ct_of],
            model.pair_volume_m3[model.ct_pair]
            / np.where(by_volume, model.ct_size_m3, 1.0)[model.ct_of],
            model.pair_weight_kg[model.ct_pair]
            / np.nan_to_num(model.ct_size_kg, nan=np.inf)[model.ct_of],
        )
        container = (
            (model.ct_cost / model.ct_shipments)[model.ct_of] * per_unit * units[model.ct_pair]
        )
    weight_break = np.zeros(len(model.pw_pair))
    if len(model.pw_leg):
        chargeable, actual = leg_quantities(model, np.ones(model.n_pairs))
        per_shipment = leg_most_quantity(model) / model.pw_shipments
        # each band's charge per unit never increases with w: f(w) >= w x the floor
        rate = np.array(
            [
                piecewise_rate_floor(w, b, r, float(m), hi, low)
                for w, b, r, m, hi, low in zip(
                    per_shipment,
                    model.pw_breaks,
                    model.pw_rates,
                    model.pw_min_charge,
                    model.pw_band_hi,
                    model.pw_band_min,
                    strict=True,
                )
            ]
        )
        # the chargeable max(sum actual, sum volumetric) is at least either sum: charge
        # the volumetric measure where it is the larger
        quantity = np.where(
            (chargeable > actual)[model.pw_of],
            model.pw_volumetric_per_unit,
            model.pw_actual_per_unit,
        )
        weight_break = rate[model.pw_of] * quantity * units[model.pw_pair]
    return container, weight_break


def _row_activity(a_x: sp.spmatrix, kr_of_pair: np.ndarray) -> np.ndarray:
    """Per row, the sum over demand rows of its largest |coefficient| among their pairs."""
    coo = sp.coo_matrix(a_x)
    if coo.nnz == 0:
        return np.zeros(a_x.shape[0])
    key = coo.row.astype(np.int64) * (int(kr_of_pair.max(initial=0)) + 1) + kr_of_pair[coo.col]
    keys, inverse = np.unique(key, return_inverse=True)
    largest = np.zeros(len(keys))
    np.maximum.at(largest, inverse, np.abs(coo.data))
    rows = keys // (int(kr_of_pair.max(initial=0)) + 1)
    return np.bincount(rows, weights=largest, minlength=a_x.shape[0])


def build_structure(model: CostModel) -> Structure:
    """Split ``model`` into SKU blocks and scaled coupling rows."""
    problem = build_coupling_problem(model)
    x_cols, z_cols = problem.col_blocks["x"], problem.col_blocks["z"]
    n_pairs, n_h = model.n_pairs, len(model.h_node)

    # exact share cost; stock of minimum-stock groups at its flow-driven lower bound
    pair_cost = problem.objective[x_cols].copy()
    explicit = (model.kh_of_pair >= 0) & ~substituted_stock(model)
    held = np.zeros(n_pairs)
    held[explicit] = model.kh_held_value[model.kh_of_pair[explicit]]
    pair_cost += model.holding_factor * held * model.on_hand_per_share
    load_parts = load_leg_parts(model)
    pair_cost += lane_charge_lower_bound(model, load_parts)

    # coupling rows as A x + B z <= rhs; I (minimum-stock groups) >= the flows' stock
    matrix = problem.matrix.tocsc()
    a_x = a_x_primal = matrix[:, x_cols]
    if "I" in problem.col_blocks and problem.col_blocks["I"].stop > problem.col_blocks["I"].start:
        # the bound takes I at the flows' stock (I >= sum O x); plans with whole rows
        # hold max(sum O x, q) <= sum max(O, q) x, which keeps the repaired rows safe
        a_i = matrix[:, problem.col_blocks["I"]]
        with_min = np.flatnonzero(model.kh_min_stock > 0)
        local = np.full(len(model.kh_sku), -1)
        local[with_min] = np.arange(len(with_min))
        members = np.flatnonzero(explicit)
        group = local[model.kh_of_pair[members]]
        flows = model.on_hand_per_share[members]
        at_least = np.maximum(flows, model.kh_min_stock[model.kh_of_pair[members]])
        shape = (len(with_min), n_pairs)
        a_x = a_x + a_i @ sp.csr_matrix((flows, (group, members)), shape=shape)
        a_x_primal = a_x_primal + a_i @ sp.csr_matrix((at_least, (group, members)), shape=shape)
    a_x = sp.csr_matrix(a_x)
    b_z = np.asarray(matrix[:, z_cols].todense()).reshape(problem.n_rows, n_h)
    upper_finite = np.isfinite(problem.row_upper)
    sign = np.where(upper_finite, 1.0, -1.0)
    rhs = np.where(upper_finite, problem.row_upper, -problem.row_lower)
    family = np.empty(problem.n_rows, dtype=object)
    for name, rows in problem.row_blocks.items():
        family[rows] = name
    row_max = np.asarray(abs(a_x).max(axis=1).todense()).ravel() if a_x.nnz else np.zeros(len(rhs))
    scale = np.maximum.reduce([np.abs(rhs), np.abs(b_z).max(axis=1, initial=0.0), row_max])
    # a ratio row (no constant, no node term: profit mode's service rows, fast - alpha sold
    # >= 0) takes its whole activity as its size, as its cost-mode twin takes alpha x demand;
    # at its largest coefficient its subgradient entries were 100x the other rows' and
    # swamped the step
    ratio_row = (rhs == 0) & ~np.any(b_z != 0, axis=1)
    scale[ratio_row] = np.maximum(scale[ratio_row], _row_activity(a_x, model.kr_of_pair)[ratio_row])
    scale = np.where(scale > 0, scale, 1.0)
    factor = sign / scale
    coupling = sp.csr_matrix(sp.diags(factor) @ a_x)
    primal_coupling = sp.csr_matrix(sp.diags(factor) @ sp.csr_matrix(a_x_primal))
    primal_coupling.sum_duplicates()  # sorted column indices per row: repair bisects them
    coupling_nodes = b_z * factor[:, None]

    pairs = model.index.pairs
    pair_col = np.where(model.h_of_pair >= 0, model.h_of_pair, n_h).astype(np.int64)
    n_cols = n_h + 1
    kr = Segments.from_keys(model.kr_of_pair)
    kr_sku = np.zeros(len(kr), dtype=np.int64)
    kr_sku[model.kr_of_pair] = pairs.sku
    # channels of each SKU ranked 0, 1, ... (kc groups are sorted by SKU, then channel)
    first_kc = np.searchsorted(model.kc_sku, np.arange(len(model.instance.skus)))
    kc_local = np.arange(len(model.kc_sku)) - first_kc[model.kc_sku]
    n_local = int(kc_local.max(initial=0)) + 1
    pair_local = kc_local[model.kc_of_pair]
    cell = Segments.from_keys((model.kr_of_pair * n_local + pair_local) * n_cols + pair_col)
    cell_row = cell.keys // (n_local * n_cols)
    n_sku = len(model.instance.skus)
    kc_stocked = (
        np.bincount(model.kc_of_pair, weights=model.kh_of_pair >= 0, minlength=len(model.kc_sku))
        > 0
    )
    slotting = model.instance.skus["slotting_cost"].to_numpy(np.float64)
    sku_local_fixed = np.full((n_sku, n_local), np.inf)
    sku_local_fixed[model.kc_sku, kc_local] = model.kc_fixed_cost + np.where(
        kc_stocked, slotting[model.kc_sku], 0.0
    )
    # the channel of each SKU with the most stocking nodes (at least two): its node choice
    # is enumerated in the subproblem (one node, or two or more at one more slotting fee)
    cell_kc = model.kc_of_pair[cell.order[cell.starts]]
    cell_col = cell.keys % n_cols
    stocked_cell = cell_col < n_h
    kc_node = np.unique(cell_kc[stocked_cell] * n_cols + cell_col[stocked_cell])
    nodes_of_kc = np.bincount(kc_node // n_cols, minlength=len(model.kc_sku))
    first_node = np.searchsorted(kc_node // n_cols, np.arange(len(model.kc_sku)))
    cell_node_rank = np.full(len(cell), -1, dtype=np.int64)
    position = np.searchsorted(kc_node, cell_kc * n_cols + cell_col)
    cell_node_rank[stocked_cell] = (position - first_node[cell_kc])[stocked_cell]
    sku_focus = np.full(n_sku, -1, dtype=np.int64)
    candidates = np.flatnonzero(nodes_of_kc >= 2)
    order = candidates[np.argsort(nodes_of_kc[candidates], kind="stable")]
    sku_focus[model.kc_sku[order]] = kc_local[order]  # the last write (most nodes) wins
    focus_kc = np.where(sku_focus >= 0, first_kc + np.maximum(sku_focus, 0), -1)
    n_node_ranks = int(nodes_of_kc[focus_kc[focus_kc >= 0]].max(initial=0))
    most = int(min(np.nanmax(model.sku_max_channels, initial=1.0), n_local))
    # profit mode: the empty set (nothing sold) is a choice too
    masks = np.arange(0 if model.profit_mode else 1, 1 << n_local)
    size = np.array([bin(m).count("1") for m in masks])
    keep = size <= most
    subsets, subset_size = masks[keep], size[keep]
    listing: dict = {}
    if model.profit_mode:
        sales = model.sales
        listing = dict(
            profit=True,
            kr_kq=sales.row_kq[model.kr_demand_row].astype(np.int64),
            kq_sku=sales.kq_sku.astype(np.int64),
            kq_fee=sales.kq_listing_fee.astype(np.float64),
        )
    return Structure(
        model=model,
        pair_cost=pair_cost,
        pair_col=pair_col,
        kr=kr,
        kr_sku=kr_sku,
        cell=cell,
        cell_row=cell_row,
        cell_local=(cell.keys // n_cols) % n_local,
        cell_col=cell.keys % n_cols,
        row_cells=Segments.from_keys(cell_row),
        sku_local_fixed=sku_local_fixed,
        sku_focus=sku_focus,
        sku_slotting=slotting,
        cell_node_rank=cell_node_rank,
        n_node_ranks=n_node_ranks,
        subsets=subsets,
        subset_size=subset_size,
        node_fixed=model.h_fixed_cost.astype(np.float64),
        coupling=coupling,
        primal_coupling=primal_coupling,
        # one zero row past the last pair: index -1 ("not served") changes no row
        primal_coupling_by_pair=sp.csr_matrix(
            sp.vstack([primal_coupling.T, sp.csr_matrix((1, primal_coupling.shape[0]))])
        ),
        coupling_nodes=coupling_nodes,
        rhs=rhs / scale,
        row_family=family,
        row_scale=scale,
        container_part=load_parts[0],
        weight_break_part=load_parts[1],
        **listing,
    )
