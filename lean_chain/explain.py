"""Why this channel: every candidate path of every demand row, priced and explained.

For each demand row (SKU, region) :func:`alternatives` lists every candidate path —
the (SKU, path) pairs the model may use and the paths a hard rule excludes — with
its unit landed cost by component, the share the plan gives it, a ``status`` and a
``reason`` in a planner's words, found from the plan itself:

- ``chosen``: the plan serves (part of) the row through it;
- ``dearer``: dearer per unit than every chosen path of the row, by how much per
  unit and per year;
- ``tie``: as cheap per unit as the dearest chosen path;
- ``cheaper``: cheaper per unit, and lost for the first of these reasons that holds:
  a limit row it belongs to has zero slack in the plan (a node's storage, orders or
  throughput, a region's CBEC quota, a lane's capacity: ``reason_kind`` is the row
  family and ``binding`` names the node or lane); its region's service target binds
  and the path is too slow to count; serving the row through it needs more room than
  is left (``room``, single sourcing); the fixed costs it would add (the channel's
  per-SKU fixed cost, slotting at its node, opening the node) exceed what it could save
  on all the SKU's rows (``fixed_cost``); the SKU already uses its most channels and
  swapping one would cost its other rows more (``max_channels``); lane charges at this volume (minimum charges, container fill,
  weight breaks: ``lane_charges``); else ``gap`` (not proven optimal) or ``other``;
- ``excluded``: a hard rule removes it (``reason_kind`` is the rule of
  :data:`lean_chain.index.DROP_REASONS`); it has no price.

The unit cost is the landed cost (:mod:`lean_chain.costs.landed`) plus holding per
unit (pipeline and on-hand stock at the group's held value) plus lane charges at their
full-load rate (the decomposition's linear lower bound), so candidates are compared
on one footing. For the best rejected candidate of each row (``best_rejected``) a
break-even says what would switch the decision: the fall in its unit cost, the
annual volume at which its fixed cost is covered, the capacity, quota or promise
days it would need. Break-evens are local (``breakeven_local``): valid while the rest
of the plan stays as it is. Reasons that depend on optimality say so when the plan is
not proven optimal ("within the plan's gap of X %").

Everything is computed with integer-coded arrays over pairs and rows; no Python loop
over SKUs or pairs.

Examples
--------
>>> import lean_chain
>>> inst = lean_chain.load_instance("tests/data/tiny")
>>> plan = lean_chain.solve(inst, sensitivity=False)
>>> table = plan.explain(sku="A")
>>> table[["channel_id", "status", "unit_cost"]].round(2).to_dict("list")
{'channel_id': ['1210', '9610'], 'status': ['chosen', 'dearer'], 'unit_cost': [126.2, 148.2]}
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from lean_chain.costs.constraints import FAMILIES
from lean_chain.costs.evaluate import Decisions
from lean_chain.costs.landed import COMPONENTS
from lean_chain.costs.model import CostModel
from lean_chain.decomposition.structure import lane_charge_lower_bound
from lean_chain.formulation.build import build_coupling_problem
from lean_chain.formulation.solution import encode
from lean_chain.index import DROP_REASON_TEXT, DROP_REASONS
from lean_chain.io.fast_csv import fixed_text, sentences

#: Status of a candidate, in the table's sort order.
STATUSES = ("chosen", "cheaper", "tie", "dearer", "excluded")
#: Shares at or below this are not chosen.
SHARE_TOL = 1e-9
#: Relative tolerance for "as cheap as" and for "zero slack".
COST_RTOL = 1e-6
SLACK_RTOL = 1e-6
#: Decimals kept in the table's numbers (shares keep all of theirs).
MONEY_DECIMALS = 6
#: Limit rows (<=) a cheaper candidate may be blocked by, with their unit and wording, and
#: each limit in words: from the constraint families (``ConstraintFamily.when_full``).
LIMIT_FAMILIES = {
    block: (unit, words) for f in FAMILIES for block, (unit, words, _) in f.when_full.items()
}
FAMILY_LABELS = {block: label for f in FAMILIES for block, (*_, label) in f.when_full.items()}
#: The unit cost's parts: the landed-cost components with the CBEC retail tax (split out
#: of VAT and consumption tax) after them, then holding and lane charges.
_CBEC_AT = COMPONENTS.index("consumption_tax") + 1
UNIT_COST_PARTS = (
    *COMPONENTS[:_CBEC_AT],
    "cbec_tax",
    *COMPONENTS[_CBEC_AT:],
    "holding",
    "lane_charges",
)
#: Columns of the alternatives table, in order.
COLUMNS = (
    "sku_id",
    "region_id",
    "channel_id",
    "path_key",
    "route",
    "stock_node",
    "promise_days",
    "units",
    "share",
    "status",
    "reason_kind",
    "reason",
    "binding",
    "binding_slack",
    "unit_cost",
    *UNIT_COST_PARTS,
    "delta_per_unit",
    "delta_per_year",
    "added_fixed_cost",
    "best_rejected",
    "breakeven_kind",
    "breakeven_value",
    "breakeven",
    "breakeven_local",
    "lp_unit_fall",
)


def _text(values: np.ndarray, decimals: int = 2) -> np.ndarray:
    """Numbers as text, element-wise (no thousands separators)."""
    return fixed_text(values, decimals)


def _first_per_group(
    group: np.ndarray, *keys: np.ndarray, valid: np.ndarray | None = None
) -> np.ndarray:
    """Per group id in ``0..group.max()``: the valid element with the smallest ``keys``
    (lexicographic, the last key first as in :func:`numpy.lexsort`), -1 if none.

    Linear (segment reductions) when ``group`` is sorted, as pairs are by demand row.

    >>> _first_per_group(np.array([0, 0, 1, 1]), np.array([3.0, 1.0, 2.0, 5.0])).tolist()
    [1, 2]
    """
    n = len(group)
    n_groups = int(group.max()) + 1 if n else 0
    valid = np.ones(n, dtype=bool) if valid is None else valid
    first = np.full(n_groups, -1, dtype=np.int64)
    if n == 0:
        return first
    if np.all(group[1:] >= group[:-1]):
        starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
        of = np.cumsum(np.append(True, group[1:] != group[:-1])) - 1
        mask = valid.copy()
        for key in reversed(keys):
            key = np.asarray(key, dtype=np.float64)
            low = np.minimum.reduceat(np.where(mask, key, np.inf), starts)
            mask &= key <= low[of]
        pick = np.minimum.reduceat(np.where(mask, np.arange(n), n), starts)
        found = pick < n
        first[group[starts[found]]] = pick[found]
        return first
    member = np.flatnonzero(valid)
    order = member[np.lexsort((*(np.asarray(k)[member] for k in keys), group[member]))]
    is_first = np.ones(len(order), dtype=bool)
    is_first[1:] = group[order][1:] != group[order][:-1]
    first[group[order[is_first]]] = order[is_first]
    return first


def _routes(model: CostModel) -> np.ndarray:
    """``node>node>...`` of each path (a loop over the network's paths, not over pairs)."""
    paths = model.index.paths
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    ptr = paths.node_ptr
    routes = [">".join(node_ids[paths.node[ptr[p] : ptr[p + 1]]]) for p in range(len(ptr) - 1)]
    return np.array(routes, dtype=object)


def unit_costs(model: CostModel) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per pair, the unit cost by component and its total (see the module docstring).

    CBEC retail tax (the VAT and consumption tax of a ``cbec_retail`` rule within the
    cap) is its own ``cbec_tax`` column; the components still sum to the total.
    """
    landed = model.landed
    # + 0.0 turns the stored -0.0 of a zero rebate into 0.0
    parts = {name: landed.components[i] + 0.0 for i, name in enumerate(COMPONENTS)}
    pairs = model.index.pairs
    rules = model.instance.tax_rules
    regime = (
        rules["regime"].to_numpy(object)[np.maximum(pairs.rule, 0)]
        if len(rules)
        else np.full(len(pairs), "", dtype=object)
    )
    cbec = (regime == "cbec_retail") & ~pairs.single_item_over_cap
    parts["cbec_tax"] = np.where(cbec, parts["vat"] + parts["consumption_tax"], 0.0)
    parts["vat"] = np.where(cbec, 0.0, parts["vat"])
    parts["consumption_tax"] = np.where(cbec, 0.0, parts["consumption_tax"])
    units = np.where(model.demand_units > 0, model.demand_units, 1.0)
    stocked = model.kh_of_pair >= 0
    held = np.zeros(model.n_pairs)
    held[stocked] = model.kh_held_value[model.kh_of_pair[stocked]]
    parts["holding"] = (
        model.pipeline_holding_per_share + model.holding_factor * held * model.on_hand_per_share
    ) / units
    parts["lane_charges"] = lane_charge_lower_bound(model) / units
    total = landed.total + parts["holding"] + parts["lane_charges"]
    return parts, total


def _limit_rows(model: CostModel, decisions: Decisions):
    """The plan's limit rows: the problem with them, activity, slack, binding, capacity."""
    problem = build_coupling_problem(model)
    vector = encode(problem, model, decisions)
    activity = problem.matrix @ vector
    z = problem.col_blocks["z"]
    # the capacity a row offers in this plan: its bound less the open-node column
    offered = problem.row_upper - problem.matrix[:, z] @ vector[z]
    upper_slack = problem.row_upper - activity
    lower_slack = activity - problem.row_lower
    return problem, activity, offered, upper_slack, lower_slack


def alternatives(
    model: CostModel,
    decisions: Decisions,
    *,
    status: str = "optimal",
    gap: float | None = 0.0,
    lp: bool = False,
) -> pd.DataFrame:
    """Every candidate of every demand row with its price, status, reason and break-even.

    Parameters
    ----------
    model : CostModel
        The plan's cost model.
    decisions : Decisions
        The plan.
    status : str
        The plan's status; reasons that depend on optimality say "within the plan's
        gap" unless it is ``'optimal'`` with a gap of at most 1e-6.
    gap : float, optional
        The plan's relative gap (None: unknown).
    lp : bool
        Also solve the LP with the plan's integer decisions fixed and give, per pair
        whose channel, stocking and node are in the plan, the fall in unit cost at which
        that LP starts to use it (``lp_unit_fall``: reduced cost / units; see
        :func:`lp_unit_falls`).

    Returns
    -------
    pandas.DataFrame
        One row per (SKU, region, candidate path), columns :data:`COLUMNS` (and
        ``platform_id`` after ``region_id`` when the instance has sales platforms); money
        in the instance currency, ``delta_per_year`` and volume break-evens per 365 days.

    Examples
    --------
    >>> import lean_chain
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> plan = lean_chain.solve(inst, sensitivity=False)
    >>> table = alternatives(lean_chain.build_cost_model(inst), plan.decisions)
    >>> table.groupby("status").size().to_dict()
    {'chosen': 2, 'dearer': 2}
    """
    inst = model.instance
    pairs, paths = model.index.pairs, model.index.paths
    currency = str(inst.params.get("currency", ""))
    horizon = float(inst.params["horizon_days"])
    per_year = 365.0 / horizon
    proven = status == "optimal" and gap is not None and gap <= 1e-6
    gap_note = (
        ""
        if proven
        else " (within the plan's gap of "
        + (f"{100 * gap:.2f} %" if gap is not None else "unknown size")
        + ")"
    )
    n = model.n_pairs
    demand_units = model.demand_units
    share = np.asarray(decisions.share, dtype=np.float64)
    parts, unit = unit_costs(model)
    kr = model.kr_of_pair
    n_kr = len(model.kr_demand_row)
    chosen = share > SHARE_TOL

    # the row's chosen paths: the one with the largest share (main), the dearest
    main = _first_per_group(kr, unit, -share)
    ref_max = np.full(n_kr, -np.inf)
    np.maximum.at(ref_max, kr[chosen], unit[chosen])
    served = np.isfinite(ref_max)
    main_cost = np.where(main >= 0, unit[np.maximum(main, 0)], np.nan)
    main_cost = np.where(served, main_cost, np.nan)
    main_pair = np.where(served, main, -1)
    row_max = ref_max[kr]
    tol = COST_RTOL * np.maximum(1.0, np.abs(np.where(np.isfinite(row_max), row_max, 0.0)))
    code = np.full(n, 1, dtype=np.int8)  # cheaper
    code[chosen] = 0
    code[~chosen & (np.abs(unit - row_max) <= tol)] = 2
    code[~chosen & (unit > row_max + tol)] = 3
    code[~chosen & ~served[kr]] = 3  # a row without plan: nothing to compare with
    delta = unit - main_cost[kr]
    delta_year = delta * demand_units * per_year

    reason_kind = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    binding = np.full(n, "", dtype=object)
    binding_slack = np.full(n, np.nan)
    be_kind = np.full(n, "", dtype=object)
    be_value = np.full(n, np.nan)
    be_text = np.full(n, "", dtype=object)

    is_chosen = code == 0
    reason_kind[is_chosen] = "chosen"
    reason[is_chosen] = (
        "chosen for " + _text(100 * share[is_chosen], 1) + " % of this demand"
    ).astype(object)
    is_tie = code == 2
    reason_kind[is_tie] = "tie"
    reason[is_tie] = "as cheap per unit as the chosen path: either gives the same cost"
    unserved = ~chosen & ~served[kr]
    reason_kind[unserved] = "unserved"
    reason[unserved] = "the plan does not serve this demand (profit mode: it does not pay)"
    is_dearer = (code == 3) & ~unserved
    reason_kind[is_dearer] = "dearer"
    reason[is_dearer] = sentences(
        [
            "dearer by ",
            (delta[is_dearer], 2),
            f" {currency} per unit than the chosen path (",
            (delta_year[is_dearer], 0),
            f" {currency} a year at this volume)",
        ],
        int(is_dearer.sum()),
    )

    # fixed costs the candidate would add, and those its row alone pays for the main path
    kc, kh, h = model.kc_of_pair, model.kh_of_pair, model.h_of_pair
    stocked = kh >= 0
    new_channel = ~decisions.channel_used[kc]
    kh_safe, h_safe = np.maximum(kh, 0), np.maximum(h, 0)
    # padded with one entry so that unstocked pairs (-1 -> 0) index safely
    stocked_kh = np.append(decisions.stocked, True)
    open_h = np.append(decisions.node_open, True)
    slotting = np.append(model.kh_slotting_cost, 0.0)
    node_fixed = np.append(model.h_fixed_cost, 0.0)
    new_slot = stocked & ~stocked_kh[kh_safe]
    new_node = stocked & ~open_h[h_safe]
    slot_cost = np.where(stocked, slotting[kh_safe], 0.0)
    node_cost = np.where(stocked, node_fixed[h_safe], 0.0)
    added = (
        np.where(new_channel, model.kc_fixed_cost[kc], 0.0)
        + np.where(new_slot, slot_cost, 0.0)
        + np.where(new_node, node_cost, 0.0)
    )
    # rows per used (SKU, channel) and (SKU, node), SKUs per open node: what one row frees
    # pd.unique / pd.factorize: hashing, no sort (the labels' order does not matter)
    kr_kc = pd.unique(kr[chosen].astype(np.int64) * len(model.kc_sku) + kc[chosen])
    rows_per_kc = np.bincount(kr_kc % len(model.kc_sku), minlength=len(model.kc_sku))
    ch_st = chosen & stocked
    n_kh = max(len(model.kh_sku), 1)
    kr_kh = pd.unique(kr[ch_st].astype(np.int64) * n_kh + kh[ch_st])
    rows_per_kh = np.bincount(kr_kh % n_kh, minlength=n_kh)
    kh_per_h = np.bincount(model.kh_h[decisions.stocked], minlength=max(len(model.h_node), 1))
    m = np.maximum(main_pair[kr], 0)
    has_main = main_pair[kr] >= 0
    freed = np.where(
        has_main & (kc[m] != kc) & (rows_per_kc[kc[m]] == 1), model.kc_fixed_cost[kc[m]], 0.0
    )
    m_stocked = has_main & stocked[m]
    freed += np.where(m_stocked & (kh[m] != kh) & (rows_per_kh[kh_safe[m]] == 1), slot_cost[m], 0.0)
    freed += np.where(
        m_stocked & (h[m] != h) & (kh_per_h[h_safe[m]] == 1) & (rows_per_kh[kh_safe[m]] == 1),
        node_cost[m],
        0.0,
    )
    net_fixed = added - freed

    # the most the SKU could save through the candidate's (channel, node) on all its rows
    option = kc.astype(np.int64) * (n_kh + 1) + (kh + 1)
    n_option = int(option.max()) + 1 if n else 1
    saving = np.maximum(main_cost[kr] - unit, 0.0) * demand_units
    saving = np.where(np.isfinite(saving), saving, 0.0)
    cell_of, cell = pd.factorize(kr.astype(np.int64) * n_option + option)
    best_cell = np.zeros(len(cell))
    np.maximum.at(best_cell, cell_of, saving)
    option_of_cell = pd.factorize(cell % n_option)[0]
    sku_saving = np.bincount(option_of_cell, weights=best_cell)[option_of_cell][cell_of]

    # limit rows of the plan, and the first binding (or too full) one of each pair
    problem, _activity, offered, upper_slack, lower_slack = _limit_rows(model, decisions)
    node_ids = inst.nodes["node_id"].to_numpy(object)
    lane_ids = inst.lanes["lane_id"].to_numpy(object)
    n_rows = problem.n_rows
    row_family = np.full(n_rows, "", dtype=object)
    row_object = np.full(n_rows, "", dtype=object)
    row_words = np.full(n_rows, "", dtype=object)  # "node BZ's storage is full"
    row_unit = np.full(n_rows, "", dtype=object)
    row_label = np.full(n_rows, "", dtype=object)  # "storage", "CBEC quota"
    for family, rows in problem.row_blocks.items():  # a handful of families
        row_family[rows] = family
        kind, ids = problem.row_objects.get(family, ("", np.zeros(0, dtype=np.int64)))
        if kind == "node":
            row_object[rows] = node_ids[ids]
        elif kind == "lane":
            row_object[rows] = lane_ids[ids]
        if family in LIMIT_FAMILIES:
            unit_name, words = LIMIT_FAMILIES[family]
            noun = "lane " if kind == "lane" else "region " if family == "cbec_quota" else "node "
            row_words[rows] = noun + row_object[rows] + "'s " + words
            row_unit[rows] = unit_name.format(currency=currency)
            row_label[rows] = FAMILY_LABELS.get(family, family)
    limit = np.isin(row_family, list(LIMIT_FAMILIES))
    scale = np.maximum(1.0, np.abs(np.where(np.isfinite(offered), offered, 0.0)))
    full = limit & (offered > 0) & (upper_slack <= SLACK_RTOL * scale)
    x = problem.col_blocks["x"]
    coo = problem.matrix[:, x].tocoo()
    entry_row, entry_pair, entry_val = coo.row, coo.col, coo.data
    cheaper = code == 1
    blocked = cheaper[entry_pair] & full[entry_row] & (entry_val > 0)
    first_full = _first_entry(entry_pair[blocked], entry_row[blocked], entry_val[blocked], n)
    need = entry_val * (1.0 - share[entry_pair])
    short = (
        cheaper[entry_pair]
        & limit[entry_row]
        & (offered[entry_row] > 0)
        & ~full[entry_row]
        & (need > upper_slack[entry_row] + SLACK_RTOL * scale[entry_row])
    )
    first_short = _first_entry(entry_pair[short], entry_row[short], entry_val[short], n)

    # service: a binding target in the pair's region that the pair is too slow to count for
    service_binding = np.zeros(n, dtype=bool)
    service_row = np.full(n, -1, dtype=np.int64)
    if "service" in problem.row_blocks:
        rows = problem.row_blocks["service"]
        row_of_region = np.full(len(node_ids), -1, dtype=np.int64)
        row_of_region[problem.row_objects["service"][1]] = np.arange(rows.start, rows.stop)
        service_row = row_of_region[pairs.region]
        member = np.zeros(n, dtype=bool)
        in_service = (entry_row >= rows.start) & (entry_row < rows.stop)
        member[entry_pair[in_service]] = True
        lower = problem.row_lower
        sr = np.maximum(service_row, 0)
        tight = lower_slack[sr] <= SLACK_RTOL * np.maximum(1.0, np.abs(lower[sr]))
        service_binding = (service_row >= 0) & tight & ~member

    # channels per SKU at their limit
    used_per_sku = np.bincount(
        model.kc_sku, weights=decisions.channel_used, minlength=len(model.sku_max_channels)
    )
    usable_per_sku = np.bincount(model.kc_sku, minlength=len(model.sku_max_channels))
    sku_of_pair = pairs.sku
    at_max = (usable_per_sku > model.sku_max_channels) & (
        used_per_sku >= model.sku_max_channels - 1e-9
    )
    channel_capped = new_channel & at_max[sku_of_pair]

    # pairs on a leg with charges beyond the linear rates
    nonlinear = np.zeros(n, dtype=bool)
    for incidence in (model.ct_pair, model.pw_pair, model.ob_pair, model.fx_pair):
        nonlinear[incidence] = True

    # the best rejected candidate of each row: the one whose break-even is given
    rejected = (code >= 1) & (code <= 3)
    best = _first_per_group(kr, unit, valid=rejected)
    best_rejected = np.zeros(n, dtype=bool)
    best_rejected[best[best >= 0]] = True

    open_ = cheaper.copy()
    single = bool(inst.params.get("single_sourcing", False))

    def take(mask: np.ndarray) -> np.ndarray:
        """The still-open pairs of ``mask``; they get their reason now."""
        idx = np.flatnonzero(open_ & mask)
        open_[idx] = False
        return idx

    def lost(idx: np.ndarray, kind: str, words) -> None:
        """Cheaper candidates ``idx`` lost for ``kind``: "cheaper by X per unit" and why."""
        reason_kind[idx] = kind
        reason[idx] = "cheaper by " + _text(-delta[idx]) + f" {currency} per unit" + words

    def breakeven(idx: np.ndarray, kind: str, value: np.ndarray, words) -> None:
        """Break-even of the best rejected pairs among ``idx``; ``words(sub, value)``."""
        keep = best_rejected[idx] & (be_kind[idx] == "")
        sub = idx[keep]
        if len(sub) == 0:
            return
        be_kind[sub] = kind
        be_value[sub] = np.asarray(value, dtype=np.float64)[keep]
        be_text[sub] = words(sub, be_value[sub])

    def held_back(idx, row_of_pair, kind, words, growth, note: str = "") -> None:
        """Candidates ``idx`` held back by limit row ``row_of_pair[idx]``: the reason,
        the row that binds, and the growth of its capacity that switches them."""
        row = row_of_pair[idx]
        lost(idx, kind, words)
        binding[idx] = row_object[row]
        binding_slack[idx] = upper_slack[row]
        breakeven(
            idx,
            "capacity",
            growth,
            lambda sub, v: (
                "switches when "
                + row_object[row_of_pair[sub]]
                + "'s "
                + row_label[row_of_pair[sub]]
                + " grows by "
                + _text(v)
                + " "
                + row_unit[row_of_pair[sub]]
                + note
            ),
        )

    # 1. a limit row at zero slack
    idx = take(first_full[0] >= 0)
    if len(idx):
        row = first_full[0][idx]
        held_back(
            idx,
            first_full[0],
            row_family[row],
            ", but " + row_words[row] + " in this plan",
            first_full[1][idx] * (1.0 - share[idx]),
            " (what this demand needs there)",
        )
    # 2. a binding service target the path is too slow for
    idx = take(service_binding)
    if len(idx):
        sr = service_row[idx]
        days = paths.promise_days[pairs.path[idx]]
        target = _service_days(model)[pairs.region[idx]]
        lost(
            idx,
            "service",
            ", but it takes "
            + _text(days, 1)
            + " days and "
            + row_object[sr]
            + "'s service target (within "
            + _text(target, 1)
            + " days) binds",
        )
        binding[idx] = row_object[sr]
        binding_slack[idx] = lower_slack[sr]
        breakeven(
            idx,
            "promise_days",
            days - target,
            lambda sub, v: (
                "switches if the path were "
                + _text(v, 1)
                + " days faster, or the region's service target lower"
            ),
        )
    # 3. not enough room left for the whole row
    idx = take(first_short[0] >= 0)
    if len(idx):
        row = first_short[0][idx]
        needed = first_short[1][idx] * (1.0 - share[idx])
        held_back(
            idx,
            first_short[0],
            "room",
            ", but serving this demand through it needs "
            + _text(needed)
            + " "
            + row_unit[row]
            + " of "
            + row_object[row]
            + "'s "
            + row_label[row]
            + " and only "
            + _text(upper_slack[row])
            + " is left"
            + (" (single sourcing: the demand moves whole)" if single else ""),
            needed - upper_slack[row],
        )
    # 4. fixed costs that the SKU's volume through it does not cover
    idx = take((added > 0) & (sku_saving <= added * (1 + COST_RTOL)))
    if len(idx):
        lost(
            idx,
            "fixed_cost",
            " ("
            + _text(saving[idx], 0)
            + f" {currency} on this demand), but it would add "
            + _text(added[idx])
            + f" {currency} of fixed costs ("
            + _fixed_words(new_channel[idx], new_slot[idx], new_node[idx])
            + ") that its volume does not cover"
            + gap_note,
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            volume_year = np.where(-delta[idx] > 0, net_fixed[idx] / -delta[idx], np.nan)
        breakeven(
            idx,
            "volume",
            volume_year * per_year,
            lambda sub, v: (
                "switches at about " + _text(v, 0) + " units a year of this demand "
                "(now "
                + _text(demand_units[sub] * per_year, 0)
                + "): there its saving covers "
                + _text(net_fixed[sub])
                + f" {currency} of net fixed cost"
            ),
        )
    # 5. the SKU already uses its most channels (and a swap would cost its other rows)
    idx = take(channel_capped)
    if len(idx):
        most = model.sku_max_channels[pairs.sku[idx]]
        lost(
            idx,
            "max_channels",
            ", but the SKU may use at most "
            + _text(most, 0)
            + " channel(s) and already uses them"
            + gap_note,
        )
        breakeven(
            idx,
            "max_channels",
            most + 1,
            lambda sub, v: "switches if the SKU may use " + _text(v, 0) + " channels",
        )
    # 6. lane charges at this volume
    idx = take(nonlinear)
    if len(idx):
        lost(
            idx,
            "lane_charges",
            " at full-load lane rates, but its lane charges at this volume "
            "(minimum charges, container fill, weight breaks) cost more" + gap_note,
        )
    # 7. the rest
    idx = take(np.ones(n, dtype=bool))
    if len(idx):
        lost(
            idx,
            "other" if proven else "gap",
            ": not used, because costs it shares with other rows (stock minimums, holding "
            "of pooled stock) outweigh the saving"
            if proven
            else ": not used" + gap_note,
        )

    # break-even of dearer (or tied) candidates: the fall in unit cost that switches them
    with np.errstate(divide="ignore", invalid="ignore"):
        fall = delta + net_fixed / np.where(demand_units > 0, demand_units, np.inf)
    idx = np.flatnonzero((code >= 2) & (code <= 3) & served[kr])
    breakeven(
        idx,
        "unit_cost",
        -fall[idx],
        lambda sub, v: (
            "switches if its unit cost falls by more than "
            + _text(-v)
            + f" {currency} (to "
            + _text(unit[sub] + v)
            + f" {currency})"
            + np.where(
                net_fixed[sub] > 0,
                ": "
                + _text(delta[sub])
                + " per unit dearer, plus "
                + _text(net_fixed[sub])
                + f" {currency} of fixed costs over "
                + _text(demand_units[sub], 0)
                + " units",
                "",
            ).astype(object)
        ),
    )

    lp_fall = np.full(n, np.nan)
    if lp:
        falls = lp_unit_falls(model, decisions)
        if falls is not None:
            lp_fall = np.where(chosen, np.nan, falls)
            lp_known = best_rejected & np.isfinite(lp_fall)
            idx = np.flatnonzero(lp_known & (be_kind != ""))
            be_text[idx] = be_text[idx] + np.where(
                lp_fall[idx] > COST_RTOL,
                "; the LP with the plan's network fixed starts to use it once its unit cost "
                "falls by " + _text(lp_fall[idx]) + f" {currency}",
                "; in the LP with the plan's network fixed it already ties with the plan "
                "(another row could make room for it at no cost)",
            ).astype(object)
            # where no exact ratio says what would switch it, the LP does
            idx = np.flatnonzero(lp_known & (be_kind == ""))
            be_kind[idx] = "unit_cost_lp"
            be_value[idx] = -lp_fall[idx]
            be_text[idx] = (
                "switches (in the LP with the plan's network fixed) once its unit cost falls "
                "by more than " + _text(lp_fall[idx]) + f" {currency}"
            )

    # the table: usable pairs and excluded paths in the order (demand row, status, unit
    # cost), by one permutation; each column is scattered into place once, text columns
    # as integer codes into their few distinct values (ids, paths), turned to text last
    ex_row, ex_path = pairs.excluded_demand_row, pairs.excluded_path
    n_ex = len(ex_row)
    # two stable sorts (the integer one a radix sort) rather than lexsort's three
    order = np.argsort(np.concatenate([unit, np.full(n_ex, np.inf)]), kind="stable")
    row_status = np.concatenate([pairs.demand_row, ex_row]).astype(np.int64) * len(STATUSES)
    row_status += np.concatenate([code, np.full(n_ex, STATUSES.index("excluded"), dtype=np.int8)])
    order = order[np.argsort(row_status[order], kind="stable")]
    del row_status
    place = np.empty(n + n_ex, dtype=np.int64)
    place[order] = np.arange(n + n_ex)
    at_pair, at_excluded = place[:n], place[n:]
    del order, place

    def placed(of_pairs: np.ndarray, of_excluded) -> np.ndarray:
        """One column in table order: the pairs' values, then the excluded paths'."""
        out = np.empty(n + n_ex, dtype=of_pairs.dtype)
        out[at_pair] = of_pairs
        out[at_excluded] = of_excluded
        return out

    def text(values: np.ndarray, of_pairs: np.ndarray, of_excluded: np.ndarray) -> np.ndarray:
        """A text column from the codes of its distinct ``values``."""
        return np.asarray(values, dtype=object)[placed(of_pairs, of_excluded)]

    sku_ids = inst.skus["sku_id"].to_numpy(object)
    channel_ids = inst.channels["channel_id"].to_numpy(object)
    demand_sku = pd.Index(sku_ids).get_indexer(inst.demand["sku_id"].to_numpy(object))
    demand_region = pd.Index(node_ids).get_indexer(inst.demand["region_id"].to_numpy(object))
    stock_node = np.append(node_ids, "")[np.where(paths.stock_node >= 0, paths.stock_node, -1)]
    words = np.array([DROP_REASON_TEXT.get(r, r) for r in DROP_REASONS], dtype=object)
    table = {
        "sku_id": text(sku_ids, pairs.sku, demand_sku[ex_row]),
        "region_id": text(node_ids, pairs.region, demand_region[ex_row]),
        "channel_id": text(channel_ids, pairs.channel, paths.channel[ex_path]),
        "path_key": text(paths.key, pairs.path, ex_path),
        "route": text(_routes(model), pairs.path, ex_path),
        "stock_node": text(stock_node, pairs.path, ex_path),
        "promise_days": placed(paths.promise_days[pairs.path], paths.promise_days[ex_path]),
        "units": placed(demand_units, inst.demand["units"].to_numpy(np.float64)[ex_row]),
        "share": placed(share, 0.0),
        "status": text(STATUSES, code, STATUSES.index("excluded")),
        "reason_kind": placed(
            reason_kind, np.array(DROP_REASONS, dtype=object)[pairs.excluded_reason]
        ),
        "reason": placed(reason, ("excluded: " + words[pairs.excluded_reason]).astype(object)),
        "binding": placed(binding, ""),
        "binding_slack": placed(binding_slack, np.nan),
        "unit_cost": placed(unit, np.nan),
        **{name: placed(parts[name], np.nan) for name in UNIT_COST_PARTS},
        "delta_per_unit": placed(np.where(is_chosen, 0.0, delta), np.nan),
        "delta_per_year": placed(np.where(is_chosen, 0.0, delta_year), np.nan),
        "added_fixed_cost": placed(np.where(is_chosen, 0.0, added), np.nan),
        "best_rejected": placed(best_rejected, False),
        "breakeven_kind": placed(be_kind, ""),
        "breakeven_value": placed(be_value, np.nan),
        "breakeven": placed(be_text, ""),
        "breakeven_local": placed(be_kind != "", False),
        "lp_unit_fall": placed(lp_fall, np.nan),
    }
    columns = list(COLUMNS)
    if getattr(inst, "has_platforms", False):  # demand rows are per sales platform
        platform = inst.demand["platform_id"].astype(str).to_numpy(object)
        table["platform_id"] = text(platform, pairs.demand_row, ex_row)
        columns.insert(2, "platform_id")
    for name in columns:  # money to 1e-6: shorter numbers in the CSV
        if name != "share" and table[name].dtype == np.float64:
            np.round(table[name], MONEY_DECIMALS, out=table[name])
    # copy=False: no copy into one block of floats (a third of the time at 10k SKUs)
    return pd.DataFrame({name: table[name] for name in columns}, copy=False)


def lp_unit_falls(
    model: CostModel, decisions: Decisions, *, solver: str = "highs", time_limit: float = 60.0
) -> np.ndarray | None:
    """Per pair, the fall in unit cost at which the LP with the plan's integer decisions
    fixed (:func:`lean_chain.sensitivity.fix_integers`) would start to use it: its
    reduced cost c_j - a_jᵀπ over its demand units, from the LP's row duals π. 0 for
    pairs the LP uses; NaN where the pair's channel, stocking or node is not in the plan
    (the LP cannot use it whatever its cost) and with single sourcing (shares are fixed
    too). None when the LP gives no duals. Local: valid while the plan's network stays.

    Examples
    --------
    >>> import lean_chain
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> plan = lean_chain.solve(inst, sensitivity=False)
    >>> lp_unit_falls(lean_chain.build_cost_model(inst), plan.decisions).round(2).tolist()
    [0.0, nan, 0.0, nan]
    """
    from lean_chain.sensitivity import solve_fixed_lp

    if bool(model.instance.params.get("single_sourcing", False)):
        return None
    problem, lp, result = solve_fixed_lp(model, decisions, solver=solver, time_limit=time_limit)
    if result.duals is None:
        return None
    x = problem.col_blocks["x"]
    reduced = lp.objective[x] - lp.matrix[:, x].T @ result.duals
    units = np.where(model.demand_units > 0, model.demand_units, np.inf)
    stocked = model.kh_of_pair >= 0
    kh, h = np.maximum(model.kh_of_pair, 0), np.maximum(model.h_of_pair, 0)
    in_plan = decisions.channel_used[model.kc_of_pair] & (
        ~stocked
        | (np.append(decisions.stocked, False)[kh] & np.append(decisions.node_open, False)[h])
    )
    return np.where(in_plan, np.maximum(reduced, 0.0) / units, np.nan)


def _first_entry(pair: np.ndarray, row: np.ndarray, val: np.ndarray, n: int):
    """Per pair: its first row among the entries given (lowest row index) and the value."""
    first_row = np.full(n, -1, dtype=np.int64)
    first_val = np.full(n, np.nan)
    if len(pair):
        order = np.lexsort((row, pair))
        keep = np.ones(len(order), dtype=bool)
        keep[1:] = pair[order][1:] != pair[order][:-1]
        chosen = order[keep]
        first_row[pair[chosen]] = row[chosen]
        first_val[pair[chosen]] = val[chosen]
    return first_row, first_val


def _fixed_words(new_channel, new_slot, new_node) -> np.ndarray:
    """Which fixed costs each candidate adds, in words."""
    words = np.array(
        [
            "",
            "the channel's per-SKU fixed cost",
            "slotting at its node",
            "the channel's per-SKU fixed cost, slotting at its node",
            "opening its node",
            "the channel's per-SKU fixed cost, opening its node",
            "slotting at its node, opening its node",
            "the channel's per-SKU fixed cost, slotting at its node, opening its node",
        ],
        dtype=object,
    )
    return words[new_channel * 1 + new_slot * 2 + new_node * 4]


def _service_days(model: CostModel) -> np.ndarray:
    return model.instance.nodes["service_days"].to_numpy(np.float64)


def select(table: pd.DataFrame, sku: str | None = None, region: str | None = None):
    """The rows of an alternatives table for one SKU and/or region.

    Examples
    --------
    >>> frame = pd.DataFrame({"sku_id": ["A", "B"], "region_id": ["R1", "R1"]})
    >>> len(select(frame, sku="A"))
    1
    """
    keep = np.ones(len(table), dtype=bool)
    if sku is not None:
        keep &= table["sku_id"].astype(str).to_numpy() == str(sku)
    if region is not None:
        keep &= table["region_id"].astype(str).to_numpy() == str(region)
    return table[keep].reset_index(drop=True)


#: Columns read back as text from ``alternatives.csv`` (ids such as channel 0110 keep
#: their leading zeros).
_TEXT_COLUMNS = (
    "sku_id",
    "region_id",
    "platform_id",
    "channel_id",
    "path_key",
    "route",
    "stock_node",
    "status",
    "reason_kind",
    "reason",
    "binding",
    "breakeven_kind",
    "breakeven",
)


def run_alternatives(
    run_dir: str | Path,
    *,
    instance_dir: str | Path | None = None,
    recompute: bool = False,
) -> pd.DataFrame:
    """The alternatives of a run folder: ``RUN/plan/alternatives.csv``, or re-derived
    from the instance and the plan CSVs (``recompute``, an edited plan, an older run).

    Parameters
    ----------
    run_dir : path
        A run folder written by ``lean-chain solve``.
    instance_dir : path, optional
        The instance; by default the ``instance_path`` in ``summary.json``.
    recompute : bool
        Derive the table from the plan CSVs even when ``alternatives.csv`` exists.

    Raises
    ------
    PlanError
        No run folder, or a plan that does not fit the instance.

    Examples
    --------
    >>> import lean_chain, tempfile
    >>> run = tempfile.mkdtemp() + "/run"
    >>> _ = lean_chain.write_plan(lean_chain.solve(lean_chain.load_instance("tests/data/tiny")), run)
    >>> run_alternatives(run)["status"].tolist()
    ['chosen', 'dearer', 'chosen', 'dearer']
    >>> run_alternatives(run, recompute=True)["status"].tolist()
    ['chosen', 'dearer', 'chosen', 'dearer']
    """
    import json

    from lean_chain.errors import Issue, PlanError

    run_dir = Path(run_dir)
    summary_file = run_dir / "summary.json"
    if not summary_file.is_file():
        raise PlanError([Issue(str(run_dir), None, None, None, "a run folder with summary.json")])
    saved = run_dir / "plan" / "alternatives.csv"
    if saved.is_file() and not recompute:
        numbers = [c for c in COLUMNS if c not in _TEXT_COLUMNS]
        # blanks are missing numbers (excluded paths have no price); ids stay text ("NA")
        table = pd.read_csv(
            saved,
            dtype={c: str for c in _TEXT_COLUMNS},
            keep_default_na=False,
            na_values={c: [""] for c in numbers},
        )
        return table
    from lean_chain.costs.model import build_cost_model
    from lean_chain.costs.read_plan import read_decisions
    from lean_chain.load import load_instance

    summary = json.loads(summary_file.read_text())
    source = instance_dir if instance_dir is not None else summary.get("instance_path")
    if source is None:
        raise PlanError(
            [Issue(str(summary_file), None, "instance_path", None, "the instance (or --instance)")]
        )
    instance = load_instance(source, as_of=summary.get("as_of"))
    model = build_cost_model(instance)
    decisions = read_decisions(model, run_dir)
    return alternatives(
        model, decisions, status=str(summary.get("status", "feasible")), gap=summary.get("gap")
    )


def print_table(table: pd.DataFrame, *, limit: int = 200, file=None) -> None:
    """Print alternatives as a readable table (rich), one block per demand row.

    Examples
    --------
    >>> import io
    >>> frame = pd.DataFrame(
    ...     {c: [""] for c in COLUMNS} | {"unit_cost": [1.0], "delta_per_unit": [0.0],
    ...      "share": [1.0], "promise_days": [2.0], "units": [10.0]}
    ... )
    >>> out = io.StringIO()
    >>> print_table(frame, file=out)
    >>> "unit cost" in out.getvalue()
    True
    """
    from rich.console import Console
    from rich.table import Table

    console = Console(file=file)
    if not console.is_terminal:  # a pipe or a file: long lines rather than a narrow grid
        console = Console(file=file, width=220)
    shown = table.head(limit)
    one_row = shown[["sku_id", "region_id"]].drop_duplicates().shape[0] == 1
    title = (
        f"{shown['sku_id'].iat[0]} in {shown['region_id'].iat[0]}: "
        f"{shown['units'].iat[0]:,.0f} units over the horizon"
        if one_row
        else None
    )
    grid = Table(show_lines=False, header_style="bold", title=title)
    headers = (() if one_row else (("SKU", "left"), ("region", "left"))) + (
        ("channel", "left"),
        ("route", "left"),
        ("days", "right"),
        ("unit cost", "right"),
        ("vs chosen", "right"),
        ("share", "right"),
        ("status", "left"),
        ("why", "left"),
        ("what would switch it", "left"),
    )
    for name, justify in headers:
        grid.add_column(name, justify=justify, overflow="fold")
    style = {"chosen": "bold green", "cheaper": "yellow", "excluded": "dim"}
    previous = None
    for row in shown.itertuples(index=False):  # the rows printed: at most ``limit``
        key = (row.sku_id, row.region_id)
        if previous is not None and key != previous:
            grid.add_section()
        previous = key
        cells = () if one_row else (str(row.sku_id), str(row.region_id))
        grid.add_row(
            *cells,
            str(row.channel_id),
            str(row.route),
            "" if pd.isna(row.promise_days) else f"{row.promise_days:g}",
            "" if pd.isna(row.unit_cost) else f"{row.unit_cost:,.2f}",
            "" if row.status in ("chosen", "excluded") else f"{row.delta_per_unit:+,.2f}",
            f"{100 * row.share:.0f} %" if row.share > 0 else "",
            str(row.status),
            str(row.reason),
            str(row.breakeven),
            style=style.get(str(row.status)),
        )
    console.print(grid)
    if len(table) > limit:
        console.print(
            f"{len(table) - limit:,} more rows: narrow with --sku / --region, or --format csv"
        )
