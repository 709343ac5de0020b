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

import dataclasses
import weakref
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from lean_chain.costs.evaluate import (
    Decisions,
    check_feasibility,
    cost_breakdown,
    decisions_from_shares,
)
from lean_chain.costs.model import piecewise_leg_cost
from lean_chain.decomposition.structure import Structure
from lean_chain.decomposition.subproblem import (
    SkuTables,
    best_channel_sets,
    relaxed_rows,
    rows_for_sets,
)

#: Scaled row excess treated as satisfied.
_ROW_TOLERANCE = 1e-9


def decisions_from_rows(
    st: Structure, pair_of_row: np.ndarray, share: np.ndarray | None = None
) -> Decisions:
    """The plan that serves each demand row wholly by its pair (or by ``share``)."""
    if share is None:
        share = np.zeros(st.model.n_pairs)
        share[pair_of_row[pair_of_row >= 0]] = 1.0
    return decisions_from_shares(st.model, share)


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


def price(st: Structure, pair_of_row: np.ndarray, share: np.ndarray | None = None) -> Priced:
    """Evaluate a plan with the evaluation core (cost and feasibility).

    ``share`` overrides the whole-row shares of ``pair_of_row`` (split rows).
    """
    decisions = decisions_from_rows(st, pair_of_row, share)
    breakdown, on_hand = cost_breakdown(st.model, decisions)
    violations = check_feasibility(st.model, decisions, on_hand)
    if not st.profit and np.any(pair_of_row < 0):  # profit mode: unserved rows are a choice
        violations = ["some demand rows have no usable pair", *violations]
    return Priced(pair_of_row, decisions, float(sum(breakdown.values())), violations)


def row_excess(st: Structure, pair_of_row: np.ndarray, open_nodes: np.ndarray) -> np.ndarray:
    """Scaled excess A x + B z - rhs of every coupling row (positive = violated)."""
    # the columns of A at the plan's pairs only: a product with a share vector over every
    # pair read all of A, 8 M pairs at 100k SKUs, for each of the repair's ~30 calls
    pairs = pair_of_row[pair_of_row >= 0]
    by_pair = st.primal_coupling_by_pair
    start = by_pair.indptr[pairs]
    count = by_pair.indptr[pairs + 1] - start
    entry = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
    use = np.bincount(by_pair.indices[entry], weights=by_pair.data[entry], minlength=len(st.rhs))
    return use + st.coupling_nodes @ open_nodes.astype(float) - st.rhs


def _row_coefficients(st: Structure, row: int, pairs: np.ndarray) -> np.ndarray:
    """Scaled coefficient of each of ``pairs`` in coupling row ``row`` (indices are sorted)."""
    start, stop = st.primal_coupling.indptr[row], st.primal_coupling.indptr[row + 1]
    if stop == start:
        return np.zeros(len(pairs))
    columns, values = st.primal_coupling.indices[start:stop], st.primal_coupling.data[start:stop]
    position = np.minimum(np.searchsorted(columns, pairs), len(columns) - 1)
    return np.where(columns[position] == pairs, values[position], 0.0)


def accept_in_order(
    delta: np.ndarray,
    slack: np.ndarray,
    order: np.ndarray,
    target: int | None = None,
    checked: np.ndarray | None = None,
    max_passes: int = 400,
    window: int = 2048,
) -> np.ndarray:
    """Moves to accept, taken in ``order`` while every row keeps its slack.

    ``delta`` holds each move's change of every coupling row (rows x moves).
    Moves are accepted in blocks: the longest prefix (within a window of the
    next ``window`` moves) whose running change stays within the rows' slack
    (a row already over may not grow), then the moves that no longer fit on
    their own are dropped, and so on. With a ``target`` row (one being
    repaired) the target may take any change, and acceptance stops as soon
    as the target holds.

    Examples
    --------
    >>> import numpy as np
    >>> delta = np.array([[1.0, 1.0, 1.0, 0.5]])
    >>> accept_in_order(delta, np.array([2.6]), np.arange(4)).tolist()
    [0, 1, 3]
    """
    limit = np.maximum(slack, 0.0) + _ROW_TOLERANCE
    accepted: list[np.ndarray] = []
    remaining = np.asarray(order)
    target_slack = float(slack[target]) if target is not None else 0.0
    if checked is not None:
        free = checked.copy()
    else:
        free = np.ones(len(limit), dtype=bool)
    if target is not None:
        free[target] = False
    for _ in range(max_passes):
        if len(remaining) == 0:
            break
        head = remaining[:window]
        running = np.cumsum(delta[:, head], axis=1)
        fits = (running[free] <= limit[free, None]).all(axis=0)
        stop = int(np.argmin(fits)) if not fits.all() else len(head)
        if target is not None:
            done = np.flatnonzero(target_slack - running[target, :stop] >= -_ROW_TOLERANCE)
            if len(done):
                accepted.append(head[: done[0] + 1])
                break
        if stop:
            accepted.append(head[:stop])
            limit = limit - running[:, stop - 1]
            if target is not None:
                target_slack -= float(running[target, stop - 1])
        rest = remaining[stop:]
        alone = (delta[np.ix_(free, rest[:window])] <= limit[free, None]).all(axis=0)
        remaining = np.concatenate([rest[:window][alone], rest[window:]])
    return np.concatenate(accepted) if accepted else np.zeros(0, dtype=np.int64)


def move_deltas(st: Structure, new: np.ndarray, old: np.ndarray) -> np.ndarray:
    """Change of every coupling row when each row's pair ``old`` becomes ``new`` (rows x moves)."""
    by_pair = st.primal_coupling_by_pair
    return np.asarray((by_pair[new] - by_pair[old]).T.todense())


def _unique_rows(pairs: np.ndarray, kr_of_pair: np.ndarray) -> np.ndarray:
    """Distinct demand rows of ``pairs`` (linear time when they come in row order)."""
    rows = kr_of_pair[pairs]
    if len(rows) and np.all(rows[1:] >= rows[:-1]):
        return rows[np.append(True, rows[1:] != rows[:-1])]
    return np.unique(rows)


#: Families whose rows a repair of another family may overfill (they are repaired next).
_CAPACITY_FAMILIES = frozenset({"storage", "orders", "throughput", "lane_capacity"})


def repair(
    st: Structure,
    pair_of_row: np.ndarray,
    open_nodes: np.ndarray,
    cost: np.ndarray,
    rounds: int = 12,
) -> tuple[np.ndarray, list[str]]:
    """Move demand rows until every coupling row holds; returns the plan and the
    families of the rows it could not repair.

    A violated row is relieved by :func:`relieve`, first with moves that
    keep every other row's slack; a service or quota row that this cannot
    fix may then overfill node capacities, which the next pass relieves
    with moves that keep the service and quota rows.
    """
    pair_of_row = pair_of_row.copy()
    capacity = np.isin(st.row_family, list(_CAPACITY_FAMILIES))
    for attempt in range(rounds):
        excess = row_excess(st, pair_of_row, open_nodes)
        violated = np.flatnonzero(excess > _ROW_TOLERANCE)
        if len(violated) == 0:
            return pair_of_row, []
        for row in violated[np.argsort(-excess[violated])]:
            checked = np.ones(len(st.rhs), dtype=bool)
            checked[row] = False
            pair_of_row = relieve(st, pair_of_row, open_nodes, cost, row, checked)
            if attempt and not capacity[row]:
                checked &= ~capacity
                pair_of_row = relieve(st, pair_of_row, open_nodes, cost, row, checked)
    excess = row_excess(st, pair_of_row, open_nodes)
    left = sorted({str(st.row_family[r]) for r in np.flatnonzero(excess > _ROW_TOLERANCE)})
    return pair_of_row, left


def relieve(
    st: Structure,
    pair_of_row: np.ndarray,
    open_nodes: np.ndarray,
    cost: np.ndarray,
    row: int,
    checked: np.ndarray,
) -> np.ndarray:
    """Move demand rows until coupling row ``row`` holds, keeping the ``checked`` rows' slack.

    Every demand row with a pair in ``row`` may move to another open pair of
    the same demand row that relieves it; the best move per demand row is
    the least extra cost (pair cost plus any channel or slotting fee it adds)
    per unit of relief among moves that fit the checked rows on their own;
    moves are then accepted in that order while they fit together
    (:func:`accept_in_order`). A SKU adds at most one new channel per call.
    """
    model = st.model
    slack = -row_excess(st, pair_of_row, open_nodes)
    if slack[row] >= -_ROW_TOLERANCE:
        return pair_of_row
    start, stop = st.primal_coupling.indptr[row], st.primal_coupling.indptr[row + 1]
    rows = _unique_rows(st.primal_coupling.indices[start:stop], model.kr_of_pair)
    rows = rows[pair_of_row[rows] >= 0]
    if st.primal_coupling.data[start:stop].min(initial=0.0) >= 0:
        # a row of non-negative coefficients: only rows it currently carries can relieve it
        rows = rows[_row_coefficients(st, row, pair_of_row[rows]) > 0]
    if len(rows) == 0:
        return pair_of_row
    pair_of_row = _move_rows(st, pair_of_row, open_nodes, cost, row, rows, slack, checked)
    if st.profit:  # rows may also stop selling
        slack = -row_excess(st, pair_of_row, open_nodes)
        if slack[row] < -_ROW_TOLERANCE:
            pair_of_row = _drop_rows(st, pair_of_row, rows, row, slack, cost, checked)
    return pair_of_row


def _move_rows(
    st: Structure,
    pair_of_row: np.ndarray,
    open_nodes: np.ndarray,
    cost: np.ndarray,
    row: int,
    rows: np.ndarray,
    slack: np.ndarray,
    checked: np.ndarray,
) -> np.ndarray:
    """The moves of :func:`relieve`: demand rows ``rows`` to other pairs."""
    segments = np.searchsorted(st.kr.keys, rows)
    candidates = st.kr.members(segments)  # each row's pairs, rows in order
    lengths = np.diff(np.append(st.kr.starts, len(st.kr.order)))[segments]
    local = np.repeat(np.arange(len(rows)), lengths)
    starts = np.cumsum(lengths) - lengths
    current = pair_of_row[rows][local]
    relief = _row_coefficients(st, row, current) - _row_coefficients(st, row, candidates)
    allowed = (relief > 1e-12) & np.append(open_nodes, True)[st.pair_col[candidates]]
    kc_used, kh_used = _used_channels(st, pair_of_row)
    allowed &= _channel_room(st, pair_of_row, candidates, kc_used)
    allowed[allowed] = _fits_alone(st, candidates[allowed], current[allowed], slack, checked)
    if not allowed.any():
        return pair_of_row
    extra = cost[candidates] - cost[current]
    extra += _added_fixed(st, pair_of_row, candidates, (kc_used, kh_used))
    with np.errstate(invalid="ignore"):
        ratio = np.where(allowed, extra / np.where(allowed, relief, 1.0), np.inf)
    ratio[np.isnan(ratio)] = np.inf
    # per demand row its first candidate of least ratio (its candidates are contiguous)
    smallest = np.minimum.reduceat(ratio, starts)
    position = np.where(ratio <= smallest[local], np.arange(len(ratio)), len(ratio))
    first = np.minimum.reduceat(position, starts)
    movable = np.flatnonzero(np.isfinite(ratio[first]))
    best = first[movable]
    keep = _one_new_channel_per_sku(st, pair_of_row, candidates[best], ratio[best], kc_used)
    movable, best = movable[keep], best[keep]
    if len(best) == 0:
        return pair_of_row
    delta = move_deltas(st, candidates[best], current[best])
    taken = accept_in_order(delta, slack, np.argsort(ratio[best], kind="stable"), row, checked)
    pair_of_row = pair_of_row.copy()
    pair_of_row[rows[movable[taken]]] = candidates[best[taken]]
    return pair_of_row


def _drop_rows(st, pair_of_row, rows, row, slack, cost, checked) -> np.ndarray:
    """Profit mode: stop selling demand rows of ``rows`` while coupling row ``row`` is
    violated, least contribution lost per unit of relief first (``slack``: every
    coupling row's; ``checked``: the rows that must keep it)."""
    rows = rows[pair_of_row[rows] >= 0]
    current = pair_of_row[rows]
    relief = _row_coefficients(st, row, current)
    keep = relief > 1e-12
    if not keep.any():
        return pair_of_row
    rows, current, relief = rows[keep], current[keep], relief[keep]
    delta = move_deltas(st, np.full(len(current), -1), current)
    lost = -cost[current]  # contribution given up (negative: the row lost money)
    order = np.argsort(lost / relief, kind="stable")
    taken = accept_in_order(delta, slack, order, row, checked)
    pair_of_row = pair_of_row.copy()
    pair_of_row[rows[taken]] = -1
    return pair_of_row


def close_underfilled_platforms(st: Structure, pair_of_row: np.ndarray) -> np.ndarray:
    """Profit mode: stop selling on platforms whose sales fall short of their minimum fill
    rate (a platform that sells nothing owes no fill)."""
    sales = st.model.sales
    fill = sales.platform_min_fill
    if not st.profit or not np.any(fill > 0):
        return pair_of_row
    model = st.model
    platform = sales.platform[model.kr_demand_row]
    units = model.instance.demand["units"].to_numpy(np.float64)[model.kr_demand_row]
    on = platform >= 0
    wanted = np.bincount(platform[on], weights=units[on], minlength=len(fill))
    served = on & (pair_of_row >= 0)
    sold = np.bincount(platform[served], weights=units[served], minlength=len(fill))
    short = (sold > 0) & (sold < fill * wanted * (1 - 1e-9))
    if not short.any():
        return pair_of_row
    return np.where(on & short[np.maximum(platform, 0)], -1, pair_of_row)


def _used_channels(st: Structure, pair_of_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per (SKU, channel) and per (SKU, node): whether the plan uses it."""
    model = st.model
    used = pair_of_row[pair_of_row >= 0]
    kc_used = np.zeros(len(model.kc_sku), dtype=bool)
    kc_used[model.kc_of_pair[used]] = True
    kh_used = np.zeros(len(model.kh_sku), dtype=bool)
    kh = model.kh_of_pair[used]
    kh_used[kh[kh >= 0]] = True
    return kc_used, kh_used


def _one_new_channel_per_sku(
    st: Structure,
    pair_of_row: np.ndarray,
    new: np.ndarray,
    ratio: np.ndarray,
    kc_used: np.ndarray | None = None,
) -> np.ndarray:
    """Keep moves into used channels, and per SKU only the moves into the channel of its
    best move that opens a new one (so a block of moves never exceeds the channel limit)."""
    model = st.model
    if kc_used is None:
        kc_used = _used_channels(st, pair_of_row)[0]
    kc = model.kc_of_pair[new]
    adds = ~kc_used[kc]
    sku = model.kc_sku[kc]
    chosen = np.full(st.n_sku, -1, dtype=np.int64)
    opening = np.flatnonzero(adds)
    by_ratio = opening[np.argsort(ratio[opening], kind="stable")][::-1]
    chosen[sku[by_ratio]] = kc[by_ratio]  # the last write (smallest ratio) wins
    return ~adds | (chosen[sku] == kc)


def _fits_alone(
    st: Structure, new: np.ndarray, old: np.ndarray, slack: np.ndarray, checked: np.ndarray
) -> np.ndarray:
    """True where moving one demand row from ``old`` to ``new`` keeps every checked row's slack."""
    if len(new) == 0:
        return np.zeros(0, dtype=bool)
    change = sp.csr_matrix(st.primal_coupling_by_pair[new] - st.primal_coupling_by_pair[old])
    over = (change.data > np.maximum(slack, 0.0)[change.indices] + _ROW_TOLERANCE) & checked[
        change.indices
    ]
    bad = np.zeros(len(new), dtype=bool)
    if over.any():
        row_of_entry = np.repeat(np.arange(len(new)), np.diff(change.indptr))
        bad[row_of_entry[over]] = True
    return ~bad


def _added_fixed(
    st: Structure,
    pair_of_row: np.ndarray,
    candidates: np.ndarray,
    used: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Channel and slotting fixed costs a candidate pair would add to its SKU's plan
    (``used``: the plan's :func:`_used_channels`, when the caller has them)."""
    model = st.model
    kc_used, kh_used = used if used is not None else _used_channels(st, pair_of_row)
    kc = model.kc_of_pair[candidates]
    kh = model.kh_of_pair[candidates]
    added = np.where(kc_used[kc], 0.0, model.kc_fixed_cost[kc])
    return added + np.where(
        (kh >= 0) & ~kh_used[np.maximum(kh, 0)], model.kh_slotting_cost[np.maximum(kh, 0)], 0.0
    )


def _channel_room(
    st: Structure,
    pair_of_row: np.ndarray,
    candidates: np.ndarray,
    kc_used: np.ndarray | None = None,
) -> np.ndarray:
    """True where a candidate's channel is already used by its SKU or the SKU may add one."""
    model = st.model
    if kc_used is None:
        kc_used = _used_channels(st, pair_of_row)[0]
    channels = np.bincount(model.kc_sku[kc_used], minlength=st.n_sku)
    kc = model.kc_of_pair[candidates]
    sku = model.kc_sku[kc]
    return kc_used[kc] | (channels[sku] < model.sku_max_channels[sku])


def sku_plan_cost(st: Structure, pair_of_row: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Per SKU: its rows' pair costs plus the channel and slotting fixed costs they incur."""
    model = st.model
    valid = pair_of_row >= 0
    total = np.bincount(
        st.kr_sku[valid], weights=cost[pair_of_row[valid]], minlength=st.n_sku
    ).astype(np.float64)
    if st.profit:  # unserved rows are a choice; each listing used pays its fee
        listed = np.unique(st.kr_kq[valid])
        total += np.bincount(st.kq_sku[listed], weights=st.kq_fee[listed], minlength=st.n_sku)
    else:
        total[np.bincount(st.kr_sku[~valid], minlength=st.n_sku) > 0] = np.inf
    pairs = pair_of_row[valid]
    kc = np.unique(model.kc_of_pair[pairs])
    total += np.bincount(model.kc_sku[kc], weights=model.kc_fixed_cost[kc], minlength=st.n_sku)
    stocked = pairs[model.kh_of_pair[pairs] >= 0]
    kh = np.unique(model.kh_of_pair[stocked])
    total += np.bincount(model.kh_sku[kh], weights=model.kh_slotting_cost[kh], minlength=st.n_sku)
    return total


def polish(
    st: Structure,
    tables: SkuTables,
    pair_of_row: np.ndarray,
    open_nodes: np.ndarray,
    max_passes: int = 200,
) -> np.ndarray:
    """Switch SKUs to their cheapest plan (against ``tables``) while every coupling row holds.

    SKUs are taken in order of saving; a block of them is accepted at once
    while the running sum of their row changes stays within the rows' slack,
    the first SKU that would break a row is skipped, and so on.
    """
    proposal, proposal_cost = _cheapest_plans(st, tables, open_nodes)
    with np.errstate(invalid="ignore"):  # inf - inf: SKUs without a plan either way
        saving = sku_plan_cost(st, pair_of_row, tables.cost) - proposal_cost
    candidates = np.flatnonzero(
        np.isfinite(saving) & (saving > 1e-9 * np.abs(saving).max(initial=1.0))
    )
    if len(candidates) == 0:
        return pair_of_row
    slack = -row_excess(st, pair_of_row, open_nodes)
    local = np.full(st.n_sku, -1, dtype=np.int64)
    local[candidates] = np.arange(len(candidates))
    # (profit mode: rows may start or stop selling; pair -1 changes no coupling row)
    served = np.ones(len(pair_of_row), dtype=bool) if st.profit else pair_of_row >= 0
    rows = np.flatnonzero((local[st.kr_sku] >= 0) & (proposal != pair_of_row) & served)
    # per candidate SKU, the sum of its moved rows' changes (sparse: a dense rows x moved
    # demand rows array and np.add.at took seconds at 100k SKUs)
    by_pair = st.primal_coupling_by_pair
    per_row = by_pair[proposal[rows]] - by_pair[pair_of_row[rows]]  # moved rows x coupling rows
    of_sku = sp.csr_matrix(
        (np.ones(len(rows)), (local[st.kr_sku[rows]], np.arange(len(rows)))),
        shape=(len(candidates), len(rows)),
    )
    delta = np.asarray((of_sku @ per_row).T.todense())
    order = np.argsort(-saving[candidates], kind="stable")
    accepted = candidates[accept_in_order(delta, slack, order, max_passes=max_passes)]
    if len(accepted) == 0:
        return pair_of_row
    moved = np.zeros(st.n_sku, dtype=bool)
    moved[accepted] = True
    return np.where(moved[st.kr_sku], proposal, pair_of_row)


#: Per cost tables (weakly held), per open node set: each SKU's cheapest plan and its cost.
_CHEAPEST_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cheapest_plans(
    st: Structure, tables: SkuTables, open_nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each SKU's cheapest plan against ``tables`` with ``open_nodes`` (rows' pairs) and its
    cost per SKU. Kept per tables and node set: every construction polishes against the
    same true tables, mostly with the same nodes open."""
    cache = _CHEAPEST_PLANS.setdefault(tables, {})
    key = np.asarray(open_nodes, dtype=bool).tobytes()
    if key not in cache:
        open_cols = np.append(open_nodes, True)
        _, sets, patterns = best_channel_sets(st, tables, open_cols)
        proposal = rows_for_sets(st, tables, open_cols, sets, patterns)
        if len(cache) >= 8:  # node search tries one set per node: keep the memory bounded
            cache.pop(next(iter(cache)))
        cache[key] = (proposal, sku_plan_cost(st, proposal, tables.cost))
    return cache[key]


def construct(
    st: Structure,
    tables: SkuTables,
    open_nodes: np.ndarray,
    true_tables: SkuTables,
    allow_split: bool = True,
) -> tuple[Priced, list[str]]:
    """Build a plan from ``tables`` with ``open_nodes``, repair it, polish it against the
    true costs (``true_tables``) and price it."""
    true_cost = true_tables.cost
    pair_of_row, _ = relaxed_rows(st, tables, np.append(open_nodes, True))
    pair_of_row, left = repair(st, pair_of_row, open_nodes, true_cost)
    if st.profit:
        closed = close_underfilled_platforms(st, pair_of_row)
        if not np.array_equal(closed, pair_of_row):
            pair_of_row, left = repair(st, closed, open_nodes, true_cost)
    if not left:
        pair_of_row = polish(st, true_tables, pair_of_row, open_nodes)
        return price(st, pair_of_row), left
    share = split_rows(st, pair_of_row, open_nodes, true_cost) if allow_split else None
    if share is not None:
        split = price(st, pair_of_row, share)
        if split.feasible:
            return split, []
    return price(st, pair_of_row), left


def load_leg_charges(
    st: Structure, decisions: Decisions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per container leg and per weight-break leg: what the pair costs charge the plan
    (their linear lower bound) and what the plan pays (whole loads per shipment, the
    tariff at the leg's weight per shipment)."""
    model, share = st.model, decisions.share
    container_charged = np.bincount(
        model.ct_of,
        weights=st.container_part * share[model.ct_pair],
        minlength=len(model.ct_leg),
    )
    weight_charged = np.bincount(
        model.pw_of,
        weights=st.weight_break_part * share[model.pw_pair],
        minlength=len(model.pw_leg),
    )
    return (
        container_charged,
        model.ct_cost * decisions.containers,
        weight_charged,
        piecewise_leg_cost(model, share),
    )


def scaled_load_costs(st: Structure, decisions: Decisions, rates: dict) -> np.ndarray:
    """Per pair, its cost with the load legs charged what they cost ``decisions``.

    A container or weight-break leg the plan uses costs, per unit of its linear lower
    bound (the share of ``pair_cost`` it charges), what the plan pays for it: whole
    loads per shipment, the tariff at the plan's weight per shipment with its minimum
    charges. A leg the plan leaves empty keeps its rate in ``rates`` (updated here; 1,
    the bound itself, at first).
    """
    model = st.model
    ct_charged, ct_paid, pw_charged, pw_paid = load_leg_charges(st, decisions)
    cost = st.pair_cost.copy()
    kinds = (
        ("container", ct_charged, ct_paid, model.ct_pair, model.ct_of, st.container_part),
        ("weight", pw_charged, pw_paid, model.pw_pair, model.pw_of, st.weight_break_part),
    )
    for kind, charged, paid, pair, leg_of, part in kinds:
        if len(charged) == 0:
            continue
        used = charged > 0
        rate = np.where(used, paid / np.where(used, charged, 1.0), 1.0)
        rate = rates[kind] = np.where(used, rate, rates.get(kind, 1.0))
        cost += np.bincount(pair, weights=(rate[leg_of] - 1.0) * part, minlength=model.n_pairs)
    return cost


def slope_scaling(st: Structure, plan: Priced, iterations: int = 6) -> Priced:
    """Re-plan every share by an LP with the load legs priced at what the plan pays.

    Dynamic slope scaling (Kim and Pardalos): the LP over the shares of the pairs in
    the plan's channels, stocked SKUs and open nodes, with every coupling row, charges
    each load leg its cost per unit under the last plan (:func:`scaled_load_costs`);
    its solution (rows may split) is priced by the evaluation core and becomes the
    next plan. Legs that carry little get dear and empty; the others fill up. Stops
    after ``iterations`` LPs or two without a better plan; returns the best plan
    priced (``plan`` if none is better).
    """
    from lean_chain.formulation.problem import MipProblem
    from lean_chain.solvers import SolveOptions, get_backend

    model = st.model
    if st.container_part is None or not plan.feasible:
        return plan
    decisions = plan.decisions
    usable = (
        decisions.channel_used[model.kc_of_pair]
        & np.where(model.kh_of_pair >= 0, decisions.stocked[np.maximum(model.kh_of_pair, 0)], True)
        & np.append(decisions.node_open, True)[st.pair_col]
    )
    pairs = np.flatnonzero(usable)
    local_row = np.searchsorted(st.kr.keys, model.kr_of_pair[pairs])
    n_rows, n = len(st.kr.keys), len(pairs)
    matrix = sp.vstack(
        [
            sp.csr_matrix((np.ones(n), (local_row, np.arange(n))), shape=(n_rows, n)),
            st.primal_coupling[:, pairs],
        ]
    ).tocsr()
    upper = st.rhs - st.coupling_nodes @ decisions.node_open.astype(float)
    served = np.zeros(n_rows)
    served[np.searchsorted(st.kr.keys, st.kr.keys[plan.pair_of_row[st.kr.keys] >= 0])] = 1.0
    best = current = plan
    rates: dict = {}
    stale = 0
    for _ in range(iterations):
        cost = scaled_load_costs(st, current.decisions, rates)
        problem = MipProblem(
            objective=cost[pairs],
            matrix=matrix,
            row_lower=np.concatenate(
                [np.zeros(n_rows) if st.profit else served, np.full(len(st.rhs), -np.inf)]
            ),
            row_upper=np.concatenate([np.ones(n_rows), upper]),
            col_lower=np.zeros(n),
            col_upper=np.ones(n),
            integrality=np.zeros(n, dtype=bool),
        )
        result = get_backend("highs").solve(problem, SolveOptions(time_limit_s=60.0))
        if not result.status.has_solution:
            break
        values = np.clip(result.solution, 0.0, 1.0)
        values[values < 1e-9] = 0.0
        totals = np.bincount(local_row, weights=values, minlength=n_rows)
        if st.profit:
            totals = np.maximum(totals, 1.0)
        share = np.zeros(model.n_pairs)
        share[pairs] = values / np.where(totals > 0, totals, 1.0)[local_row]
        dominant = st.kr.argmin(-share)
        pair_of_row = np.full(len(st.kr), -1, dtype=np.int64)
        pair_of_row[st.kr.keys] = dominant
        pair_of_row[st.kr.keys[share[dominant] <= 1e-9]] = -1
        candidate = price(st, pair_of_row, share)
        if not candidate.feasible:
            break
        if better(candidate, best):
            best, stale = candidate, 0
        else:
            stale += 1
            if stale == 2:  # the rates cycle between two plans
                break
        current = candidate
    return best


def load_leg_excess(st: Structure, decisions: Decisions) -> float:
    """What a plan pays on its container and weight-break legs above what its pair costs
    charge them (their linear lower bound)."""
    if st.container_part is None:
        return 0.0
    ct_charged, ct_paid, pw_charged, pw_paid = load_leg_charges(st, decisions)
    return float((ct_paid - ct_charged).sum() + (pw_paid - pw_charged).sum())


def split_rows(
    st: Structure, pair_of_row: np.ndarray, open_nodes: np.ndarray, cost: np.ndarray
) -> np.ndarray | None:
    """Shares that hold every coupling row by splitting demand rows, or None.

    Whole rows cannot always meet a tight capacity and a service target at
    once. The demand rows with a pair in a violated row are re-planned by a
    small LP (HiGHS) over their pairs at open nodes in channels the SKU uses
    (or may still add), with the other rows' use of every coupling row fixed;
    the pair cost plus any channel or slotting fee a pair would add is its
    price. Returns the shares of every pair, or None if the LP is infeasible.
    """
    from lean_chain.formulation.problem import MipProblem
    from lean_chain.solvers import SolveOptions, get_backend

    model = st.model
    excess = row_excess(st, pair_of_row, open_nodes)
    violated = np.flatnonzero(excess > _ROW_TOLERANCE)
    touching = st.primal_coupling[violated].indices
    rows = _unique_rows(np.sort(touching), model.kr_of_pair)
    rows = rows[pair_of_row[rows] >= 0]
    if len(rows) == 0:
        return None
    pairs = st.kr.members(np.searchsorted(st.kr.keys, rows))
    keep = np.append(open_nodes, True)[st.pair_col[pairs]] & _channel_room(st, pair_of_row, pairs)
    pairs = np.sort(pairs[keep])
    share = np.zeros(model.n_pairs)
    share[pair_of_row[pair_of_row >= 0]] = 1.0
    share[pair_of_row[rows]] = 0.0
    fixed_use = st.primal_coupling @ share + st.coupling_nodes @ open_nodes.astype(float)
    local_row = np.searchsorted(rows, model.kr_of_pair[pairs])
    n = len(pairs)
    coupling = st.primal_coupling[:, pairs]
    matrix = sp.vstack(
        [sp.csr_matrix((np.ones(n), (local_row, np.arange(n))), shape=(len(rows), n)), coupling]
    ).tocsr()
    problem = MipProblem(
        objective=cost[pairs] + _added_fixed(st, pair_of_row, pairs),
        matrix=matrix,
        # profit mode: a row may sell less than its demand
        row_lower=np.concatenate(
            [np.full(len(rows), 0.0 if st.profit else 1.0), np.full(len(st.rhs), -np.inf)]
        ),
        row_upper=np.concatenate([np.ones(len(rows)), st.rhs - fixed_use]),
        col_lower=np.zeros(n),
        col_upper=np.ones(n),
        integrality=np.zeros(n, dtype=bool),
    )
    result = get_backend("highs").solve(problem, SolveOptions(time_limit_s=60.0))
    if not result.status.has_solution:
        return None
    values = np.clip(result.solution, 0.0, 1.0)
    values[values < 1e-9] = 0.0
    # renormalise each row to exactly one after clipping (profit mode: to at most one)
    totals = np.bincount(local_row, weights=values, minlength=len(rows))
    if st.profit:
        totals = np.maximum(totals, 1.0)
    share[pairs] = values / np.where(totals > 0, totals, 1.0)[local_row]
    return share


def reoptimize_shares(
    st: Structure,
    plan: Priced,
    time_limit: float,
    relative_gap: float = 1e-6,
    target: float | None = None,
) -> Priced | None:
    """Re-plan every share within the plan's channels, stocked SKUs and open nodes.

    The monolithic MIP restricted to the pairs whose channel and stocking the
    plan already pays for, with those decisions fixed, is solved by HiGHS from
    the plan itself: rows may split where whole rows wasted capacity, and the
    lane charges are priced exactly. ``relative_gap``: how close to the restricted
    optimum HiGHS must get; ``target``: an objective (the MIP's, which the evaluation
    core reproduces) at which HiGHS may stop, such as the one that meets the
    decomposition's gap against its own bound. Returns the better plan, or None.
    """
    from lean_chain.formulation.build import build_problem
    from lean_chain.formulation.solution import decode, encode
    from lean_chain.solvers import SolveOptions, get_backend

    model = st.model
    decisions = plan.decisions
    problem = build_problem(model)
    blocks = problem.col_blocks
    lower, upper = problem.col_lower.copy(), problem.col_upper.copy()
    usable = decisions.channel_used[model.kc_of_pair] & np.where(
        model.kh_of_pair >= 0, decisions.stocked[np.maximum(model.kh_of_pair, 0)], True
    )
    upper[blocks["x"]] = np.where(usable, upper[blocks["x"]], 0.0)
    for block, fixed in (
        ("y", decisions.channel_used),
        ("s", decisions.stocked),
        ("z", decisions.node_open),
    ):
        lower[blocks[block]] = upper[blocks[block]] = fixed.astype(np.float64)
    restricted = dataclasses.replace(problem, col_lower=lower, col_upper=upper)
    options = SolveOptions(
        time_limit_s=time_limit,
        relative_gap=relative_gap,
        warm_start=encode(problem, model, decisions),
        target_objective=target,
    )
    result = get_backend("highs").solve(restricted, options)
    if not result.status.has_solution:
        return None
    share = decode(problem, model, result.solution).share
    dominant = st.kr.argmin(-share)  # per demand row, its largest share's pair
    pair_of_row = np.full(len(st.kr), -1, dtype=np.int64)
    pair_of_row[st.kr.keys] = dominant
    if st.profit:  # rows the re-optimized plan no longer sells
        pair_of_row[st.kr.keys[share[dominant] <= 1e-9]] = -1
    candidate = price(st, pair_of_row, share)
    return candidate if better(candidate, plan) else None


def better(candidate: Priced, incumbent: Priced | None) -> bool:
    """Feasible beats infeasible, fewer broken constraints beat more; then the lower cost."""
    if incumbent is None:
        return True
    if candidate.feasible != incumbent.feasible:
        return candidate.feasible
    if not candidate.feasible and len(candidate.violations) != len(incumbent.violations):
        return len(candidate.violations) < len(incumbent.violations)
    return candidate.objective < incumbent.objective - 1e-9 * abs(incumbent.objective)


def search_nodes(
    st: Structure,
    tables: SkuTables,
    incumbent: Priced,
    true_tables: SkuTables,
    out_of_time,
    charge=None,
) -> Priced:
    """Close, then open, one stocking node at a time while that lowers the cost.

    ``out_of_time()`` is asked before every trial; ``charge()``, if given, is called
    after every trial construction (to count the work, see
    :class:`lean_chain.decomposition.method.WorkBudget`).
    """
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
            # a node change that needs split rows is not worth an LP here
            candidate, _ = construct(st, tables, trial, true_tables, allow_split=False)
            if charge is not None:
                charge()
            if better(candidate, incumbent):
                incumbent, improved = candidate, True
                open_nodes = candidate.decisions.node_open.copy()
    return incumbent
