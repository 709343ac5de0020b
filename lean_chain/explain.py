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

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from lean_chain._heap import reused_memory
from lean_chain.costs.constraints import FAMILIES
from lean_chain.costs.evaluate import Decisions
from lean_chain.costs.landed import COMPONENTS
from lean_chain.costs.model import CostModel
from lean_chain.decomposition.structure import lane_charge_lower_bound
from lean_chain.formulation.build import build_coupling_problem
from lean_chain.formulation.solution import encode
from lean_chain.index import DROP_REASON_TEXT, DROP_REASONS
from lean_chain.io.fast_csv import (
    Coded,
    RowTexts,
    Sentences,
    Texts,
    When,
    kernel_worker,
    write_blocks,
)

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
#: The fixed costs a candidate adds, in words, by ``new channel + 2 new slot + 4 new node``.
FIXED_COST_WORDS = np.array(
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


def _first_per_group(
    group: np.ndarray, *keys: np.ndarray, valid: np.ndarray | None = None
) -> np.ndarray:
    """Per group id in ``0..group.max()``: the valid element with the smallest ``keys``
    (lexicographic, the last key first as in :func:`numpy.lexsort`), -1 if none.

    Segment by segment in a kernel when ``group`` is sorted, as pairs are by demand row;
    by a sort otherwise.

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
        from lean_chain import _explain_kernels

        starts = np.flatnonzero(np.append(True, group[1:] != group[:-1]))
        stacked = np.empty((len(keys), n))
        for q, key in enumerate(reversed(keys)):
            stacked[q] = key
        pick = _explain_kernels.first_least_per_segment(
            np.append(starts, n).astype(np.int64), stacked, np.asarray(valid, dtype=bool)
        )
        found = pick >= 0
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
    parts, total = _unit_cost_parts(model)
    every = np.arange(model.n_pairs)
    return {name: part(every) for name, part in parts.items()}, total


def _unit_cost_parts(model: CostModel) -> tuple[dict[str, Callable], np.ndarray]:
    """:func:`unit_costs` with each component a function of pair indices: the landed
    costs' components are read when a block of the table needs them, not copied (13
    arrays of 8 M pairs at 100k SKUs)."""
    landed = model.landed
    pairs = model.index.pairs
    rules = model.instance.tax_rules
    cbec_rule = rules["regime"].to_numpy(object) == "cbec_retail"
    cbec = (
        cbec_rule[np.maximum(pairs.rule, 0)] & ~pairs.single_item_over_cap
        if len(rules)
        else np.zeros(len(pairs), dtype=bool)
    )
    component = dict(zip(COMPONENTS, landed.components, strict=True))
    vat, consumption_tax = component["vat"], component["consumption_tax"]

    def read(values: np.ndarray, outside_cbec: bool = False) -> Callable:
        # + 0.0 turns the stored -0.0 of a zero rebate into 0.0
        if outside_cbec:  # VAT and consumption tax of CBEC retail are its cbec_tax
            return lambda p: np.where(cbec[p], 0.0, values[p] + 0.0)
        return lambda p: values[p] + 0.0

    parts = {
        name: read(values, name in ("vat", "consumption_tax")) for name, values in component.items()
    }
    parts["cbec_tax"] = lambda p: np.where(
        cbec[p], (vat[p] + 0.0) + (consumption_tax[p] + 0.0), 0.0
    )
    units = np.where(model.demand_units > 0, model.demand_units, 1.0)
    stocked = model.kh_of_pair >= 0
    held = np.zeros(model.n_pairs)
    held[stocked] = model.kh_held_value[model.kh_of_pair[stocked]]
    holding = (
        model.pipeline_holding_per_share + model.holding_factor * held * model.on_hand_per_share
    ) / units
    lane_charges = lane_charge_lower_bound(model) / units
    parts["holding"] = lambda p: holding[p]
    parts["lane_charges"] = lambda p: lane_charges[p]
    total = landed.total + holding + lane_charges
    return {name: parts[name] for name in UNIT_COST_PARTS}, total


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
    with reused_memory():
        return _explain(model, decisions, status=status, gap=gap, lp=lp).frame()


#: Rows of the alternatives table per block written (a few hundred MB at most).
BLOCK_ROWS = 500_000


def write_alternatives(
    path: str | Path,
    model: CostModel,
    decisions: Decisions,
    *,
    status: str = "optimal",
    gap: float | None = 0.0,
    lp: bool = False,
    block_rows: int = BLOCK_ROWS,
) -> int:
    """Write :func:`alternatives` as CSV, a block of rows at a time: the bytes of
    ``write_csv(alternatives(...), path)`` without the whole table (nor its millions of
    sentences) in memory at once. Returns the number of rows.

    Examples
    --------
    >>> import lean_chain, tempfile
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> plan = lean_chain.solve(inst, sensitivity=False)
    >>> path = Path(tempfile.mkdtemp()) / "alternatives.csv"
    >>> write_alternatives(path, lean_chain.build_cost_model(inst), plan.decisions)
    4
    """
    with reused_memory():  # dozens of pair-sized temporaries: no fresh pages for each
        table = _explain(model, decisions, status=status, gap=gap, lp=lp)
        write_blocks(path, table.names, table.blocks(block_rows))
    return len(table)


@dataclasses.dataclass(frozen=True, eq=False)
class DeferredAlternatives:
    """The alternatives of a plan too large to hold them (``Plan.streamed``): called
    with a path, writes them there a block at a time (:func:`write_alternatives`);
    :meth:`frame` builds the whole table."""

    model: CostModel
    decisions: Decisions
    status: str = "optimal"
    gap: float | None = 0.0

    def __call__(self, path: str | Path) -> int:
        # a failure is caught by write_run, which writes the run without the table and
        # says why in summary.json (an extra never costs the plan)
        return write_alternatives(
            path, self.model, self.decisions, status=self.status, gap=self.gap
        )

    def frame(self) -> pd.DataFrame:
        return alternatives(self.model, self.decisions, status=self.status, gap=self.gap)


def _explain(
    model: CostModel, decisions: Decisions, *, status: str, gap: float | None, lp: bool
) -> _Table:
    """The alternatives table of :func:`alternatives`, its columns not yet gathered.

    The plan's limit rows, then the fixed costs each candidate would add and the
    table's order (side by side), are computed by two threads of their own while the
    main one reads the limit rows and finds the reasons (numpy and the kernels release
    the GIL: a few seconds less at 100k SKUs).
    """
    with kernel_worker(2) as aside:
        return _explain_beside(model, decisions, aside, status=status, gap=gap, lp=lp)


def _explain_beside(
    model: CostModel,
    decisions: Decisions,
    aside,
    *,
    status: str,
    gap: float | None,
    lp: bool,
) -> _Table:
    """:func:`_explain`, with work that can wait submitted to ``aside``."""
    limit_rows = aside.submit(_limit_rows, model, decisions)
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
    part_of, unit = _unit_cost_parts(model)
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
    # the table's columns are gathered a block of rows at a time
    ex_row, ex_path = pairs.excluded_demand_row, pairs.excluded_path
    n_ex = len(ex_row)
    # fixed costs the candidate would add or free, and the table's rows (usable pairs and
    # excluded paths in the order demand row, status, unit cost): on the workers
    new_channel = ~decisions.channel_used[model.kc_of_pair]
    fixed = aside.submit(_fixed_costs, model, decisions, new_channel, chosen, main_pair)
    order = aside.submit(
        _table_order,
        np.concatenate([pairs.demand_row, ex_row]).astype(np.int64) * len(STATUSES)
        + np.concatenate([code, np.full(n_ex, STATUSES.index("excluded"), dtype=np.int8)]),
        np.concatenate([unit, np.full(n_ex, np.inf)]),
    )
    delta = unit - main_cost[kr]
    delta_year = delta * demand_units * per_year

    reason_kinds = _Labels("")
    reason_kind = np.zeros(n, dtype=np.int8)  # codes: a few dozen kinds
    reasons = _Texts(n)
    binding_row = np.full(n, -1, dtype=np.int64)
    binding_slack = np.full(n, np.nan)
    be_kinds = _Labels("")
    be_kind = np.zeros(n, dtype=np.int8)
    be_value = np.full(n, np.nan)
    be_texts, be_notes = _Texts(n), _Texts(n)

    # the sentences are written per block of the table (the texts of 8 M rows would take
    # gigabytes): each group of pairs gets a function of pair indices that writes them
    is_chosen = code == 0
    reason_kind[is_chosen] = reason_kinds.code("chosen")
    reasons.add(
        np.flatnonzero(is_chosen),
        lambda s: Sentences(["chosen for ", (100 * share[s], 1), " % of this demand"], len(s)),
    )
    is_tie = code == 2
    reason_kind[is_tie] = reason_kinds.code("tie")
    reasons.add(
        np.flatnonzero(is_tie),
        lambda s: "as cheap per unit as the chosen path: either gives the same cost",
    )
    unserved = ~chosen & ~served[kr]
    reason_kind[unserved] = reason_kinds.code("unserved")
    reasons.add(
        np.flatnonzero(unserved),
        lambda s: "the plan does not serve this demand (profit mode: it does not pay)",
    )
    is_dearer = (code == 3) & ~unserved
    reason_kind[is_dearer] = reason_kinds.code("dearer")
    reasons.add(
        np.flatnonzero(is_dearer),
        lambda s: Sentences(
            [
                "dearer by ",
                (delta[s], 2),
                f" {currency} per unit than the chosen path (",
                (delta_year[s], 0),
                f" {currency} a year at this volume)",
            ],
            len(s),
        ),
    )

    # limit rows of the plan, and the first binding (or too full) one of each pair
    problem, _activity, offered, upper_slack, lower_slack = limit_rows.result()
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
    # the entries of the cheaper candidates (the only ones given such reasons) in the
    # limit rows: read from the CSR arrays (a few dozen rows), not by slicing columns
    cheaper = code == 1
    entry_row, entry_pair, entry_val = _pair_entries(problem, cheaper)
    blocked = full[entry_row] & (entry_val > 0)
    first_full = _first_entry(entry_pair[blocked], entry_row[blocked], entry_val[blocked], n)
    need = entry_val * (1.0 - share[entry_pair])
    short = (
        limit[entry_row]
        & (offered[entry_row] > 0)
        & ~full[entry_row]
        & (need > upper_slack[entry_row] + SLACK_RTOL * scale[entry_row])
    )
    first_short = _first_entry(entry_pair[short], entry_row[short], entry_val[short], n)

    # service: a binding target in the pair's region that the pair is too slow to count for
    # (per region, not per pair: the row of each region's target)
    service_binding = np.zeros(n, dtype=bool)
    service_row_of_region = np.full(len(node_ids), -1, dtype=np.int64)
    if "service" in problem.row_blocks:
        rows = problem.row_blocks["service"]
        service_row_of_region[problem.row_objects["service"][1]] = np.arange(rows.start, rows.stop)
        in_service = (entry_row >= rows.start) & (entry_row < rows.stop)
        tight = lower_slack <= SLACK_RTOL * np.maximum(1.0, np.abs(problem.row_lower))
        region_binding = (service_row_of_region >= 0) & tight[np.maximum(service_row_of_region, 0)]
        service_binding = region_binding[pairs.region]
        service_binding[entry_pair[in_service]] = False  # the pair counts for the target

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

    saving, sku_saving = _savings(model, main_cost, unit)  # while the worker ends
    fixed = fixed.result()
    new_slot, new_node, added, net_fixed = (
        fixed.new_slot,
        fixed.new_node,
        fixed.added,
        fixed.net_fixed,
    )

    open_ = cheaper.copy()
    single = bool(inst.params.get("single_sourcing", False))

    def take(mask: np.ndarray) -> np.ndarray:
        """The still-open pairs of ``mask``; they get their reason now."""
        idx = np.flatnonzero(open_ & mask)
        open_[idx] = False
        return idx

    def lost(idx: np.ndarray, kind, words) -> None:
        """Cheaper candidates ``idx`` lost for ``kind`` (one, or one per pair): "cheaper
        by X per unit" and why, ``words(pairs)`` (pieces of :func:`sentences`)."""
        reason_kind[idx] = (
            reason_kinds.codes(kind) if isinstance(kind, np.ndarray) else reason_kinds.code(kind)
        )
        reasons.add(
            idx,
            lambda s: Sentences(
                ["cheaper by ", (-delta[s], 2), f" {currency} per unit", *words(s)], len(s)
            ),
        )

    def breakeven(idx: np.ndarray, kind: str, value: np.ndarray, words) -> None:
        """Break-even of the best rejected pairs among ``idx``; ``words(pairs, value)``
        (pieces of :func:`sentences`)."""
        keep = best_rejected[idx] & (be_kind[idx] == 0)
        sub = idx[keep]
        if len(sub) == 0:
            return
        be_kind[sub] = be_kinds.code(kind)
        be_value[sub] = np.asarray(value, dtype=np.float64)[keep]
        be_texts.add(sub, lambda s: Sentences(words(s, be_value[s]), len(s)))

    def held_back(idx, row_of_pair, kind, words, growth, note: str = "") -> None:
        """Candidates ``idx`` held back by limit row ``row_of_pair[idx]``: the reason,
        the row that binds, and the growth of its capacity that switches them."""
        row = row_of_pair[idx]
        lost(idx, kind, words)
        binding_row[idx] = row
        binding_slack[idx] = upper_slack[row]
        breakeven(
            idx,
            "capacity",
            growth,
            lambda sub, v: [
                "switches when ",
                Coded(row_of_pair[sub], row_object),
                "'s ",
                Coded(row_of_pair[sub], row_label),
                " grows by ",
                (v, 2),
                " ",
                Coded(row_of_pair[sub], row_unit),
                note,
            ],
        )

    # 1. a limit row at zero slack
    idx = take(first_full[0] >= 0)
    if len(idx):
        full_row = first_full[0]
        held_back(
            idx,
            full_row,
            row_family[full_row[idx]],
            lambda s: [", but ", Coded(full_row[s], row_words), " in this plan"],
            first_full[1][idx] * (1.0 - share[idx]),
            " (what this demand needs there)",
        )
    # 2. a binding service target the path is too slow for
    idx = take(service_binding)
    if len(idx):
        service_days = _service_days(model)

        def days(s):
            return paths.promise_days[pairs.path[s]]

        def target(s):
            return service_days[pairs.region[s]]

        lost(
            idx,
            "service",
            lambda s: [
                ", but it takes ",
                (days(s), 1),
                " days and ",
                Coded(service_row_of_region[pairs.region[s]], row_object),
                "'s service target (within ",
                (target(s), 1),
                " days) binds",
            ],
        )
        binding_row[idx] = service_row_of_region[pairs.region[idx]]
        binding_slack[idx] = lower_slack[binding_row[idx]]
        breakeven(
            idx,
            "promise_days",
            days(idx) - target(idx),
            lambda sub, v: [
                "switches if the path were ",
                (v, 1),
                " days faster, or the region's service target lower",
            ],
        )
    # 3. not enough room left for the whole row
    idx = take(first_short[0] >= 0)
    if len(idx):
        short_row, short_need = first_short

        def needed(s):
            return short_need[s] * (1.0 - share[s])

        held_back(
            idx,
            short_row,
            "room",
            lambda s: [
                ", but serving this demand through it needs ",
                (needed(s), 2),
                " ",
                Coded(short_row[s], row_unit),
                " of ",
                Coded(short_row[s], row_object),
                "'s ",
                Coded(short_row[s], row_label),
                " and only ",
                (upper_slack[short_row[s]], 2),
                " is left" + (" (single sourcing: the demand moves whole)" if single else ""),
            ],
            needed(idx) - upper_slack[short_row[idx]],
        )
    # 4. fixed costs that the SKU's volume through it does not cover
    idx = take((added > 0) & (sku_saving <= added * (1 + COST_RTOL)))
    if len(idx):
        lost(
            idx,
            "fixed_cost",
            lambda s: [
                " (",
                (saving[s], 0),
                f" {currency} on this demand), but it would add ",
                (added[s], 2),
                f" {currency} of fixed costs (",
                Coded(new_channel[s] * 1 + new_slot[s] * 2 + new_node[s] * 4, FIXED_COST_WORDS),
                ") that its volume does not cover" + gap_note,
            ],
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            volume_year = np.where(-delta[idx] > 0, net_fixed[idx] / -delta[idx], np.nan)
        breakeven(
            idx,
            "volume",
            volume_year * per_year,
            lambda sub, v: [
                "switches at about ",
                (v, 0),
                " units a year of this demand (now ",
                (demand_units[sub] * per_year, 0),
                "): there its saving covers ",
                (net_fixed[sub], 2),
                f" {currency} of net fixed cost",
            ],
        )
    # 5. the SKU already uses its most channels (and a swap would cost its other rows)
    idx = take(channel_capped)
    if len(idx):

        def most(s):
            return model.sku_max_channels[pairs.sku[s]]

        lost(
            idx,
            "max_channels",
            lambda s: [
                ", but the SKU may use at most ",
                (most(s), 0),
                " channel(s) and already uses them" + gap_note,
            ],
        )
        breakeven(
            idx,
            "max_channels",
            most(idx) + 1,
            lambda sub, v: ["switches if the SKU may use ", (v, 0), " channels"],
        )
    # 6. lane charges at this volume
    idx = take(nonlinear)
    if len(idx):
        lost(
            idx,
            "lane_charges",
            lambda s: [
                " at full-load lane rates, but its lane charges at this volume "
                "(minimum charges, container fill, weight breaks) cost more" + gap_note
            ],
        )
    # 7. the rest
    idx = take(np.ones(n, dtype=bool))
    if len(idx):
        rest = (
            ": not used, because costs it shares with other rows (stock minimums, holding "
            "of pooled stock) outweigh the saving"
            if proven
            else ": not used" + gap_note
        )
        lost(idx, "other" if proven else "gap", lambda s: [rest])

    # break-even of dearer (or tied) candidates: the fall in unit cost that switches them
    idx = np.flatnonzero((code >= 2) & (code <= 3) & served[kr])
    with np.errstate(divide="ignore", invalid="ignore"):
        units_of = np.where(demand_units[idx] > 0, demand_units[idx], np.inf)
        fall = delta[idx] + net_fixed[idx] / units_of
    breakeven(
        idx,
        "unit_cost",
        -fall,
        lambda sub, v: [
            "switches if its unit cost falls by more than ",
            (-v, 2),
            f" {currency} (to ",
            (unit[sub] + v, 2),
            f" {currency})",
            When(
                net_fixed[sub] > 0,
                [
                    ": ",
                    (delta[sub], 2),
                    " per unit dearer, plus ",
                    (net_fixed[sub], 2),
                    f" {currency} of fixed costs over ",
                    (demand_units[sub], 0),
                    " units",
                ],
            ),
        ],
    )
    del fall

    lp_fall = None  # per pair where the LP was solved
    if lp:
        falls = lp_unit_falls(model, decisions)
        if falls is not None:
            lp_fall = np.where(chosen, np.nan, falls)
            lp_known = best_rejected & np.isfinite(lp_fall)
            be_notes.add(
                np.flatnonzero(lp_known & (be_kind != 0)),
                lambda s: Sentences(
                    [
                        When(
                            lp_fall[s] > COST_RTOL,
                            [
                                "; the LP with the plan's network fixed starts to use it "
                                "once its unit cost falls by ",
                                (lp_fall[s], 2),
                                f" {currency}",
                            ],
                        ),
                        When(
                            ~(lp_fall[s] > COST_RTOL),
                            [
                                "; in the LP with the plan's network fixed it already ties "
                                "with the plan (another row could make room for it at no "
                                "cost)"
                            ],
                        ),
                    ],
                    len(s),
                ),
            )
            # where no exact ratio says what would switch it, the LP does
            idx = np.flatnonzero(lp_known & (be_kind == 0))
            be_kind[idx] = be_kinds.code("unit_cost_lp")
            be_value[idx] = -lp_fall[idx]
            be_texts.add(
                idx,
                lambda s: Sentences(
                    [
                        "switches (in the LP with the plan's network fixed) once its unit "
                        "cost falls by more than ",
                        (lp_fall[s], 2),
                        f" {currency}",
                    ],
                    len(s),
                ),
            )

    order = order.result()
    sku_ids = inst.skus["sku_id"].to_numpy(object)
    channel_ids = inst.channels["channel_id"].to_numpy(object)
    demand_sku = pd.Index(sku_ids).get_indexer(inst.demand["sku_id"].to_numpy(object))
    demand_region = pd.Index(node_ids).get_indexer(inst.demand["region_id"].to_numpy(object))
    demand_units_all = inst.demand["units"].to_numpy(np.float64)
    stock_node = np.append(node_ids, "")[np.where(paths.stock_node >= 0, paths.stock_node, -1)]
    words = np.array([DROP_REASON_TEXT.get(r, r) for r in DROP_REASONS], dtype=object)
    excluded_text = ("excluded: " + words).astype(object)
    excluded_kind = reason_kinds.codes(np.array(DROP_REASONS, dtype=object))
    ex_reason = pairs.excluded_reason
    no_binding = len(row_object)  # the "" after the rows' objects
    excluded_status = STATUSES.index("excluded")
    columns = {
        "sku_id": _Text(sku_ids, lambda p: pairs.sku[p], lambda e: demand_sku[ex_row[e]]),
        "region_id": _Text(node_ids, lambda p: pairs.region[p], lambda e: demand_region[ex_row[e]]),
        "channel_id": _Text(
            channel_ids, lambda p: pairs.channel[p], lambda e: paths.channel[ex_path[e]]
        ),
        "path_key": _Text(paths.key, lambda p: pairs.path[p], lambda e: ex_path[e]),
        "route": _Text(_routes(model), lambda p: pairs.path[p], lambda e: ex_path[e]),
        "stock_node": _Text(stock_node, lambda p: pairs.path[p], lambda e: ex_path[e]),
        "promise_days": _Number(
            lambda p: paths.promise_days[pairs.path[p]],
            lambda e: paths.promise_days[ex_path[e]],
        ),
        "units": _Number(lambda p: demand_units[p], lambda e: demand_units_all[ex_row[e]]),
        "share": _Number(lambda p: share[p], lambda e: 0.0, decimals=None),
        "status": _Text(STATUSES, lambda p: code[p], lambda e: excluded_status),
        "reason_kind": _Text(
            reason_kinds.values, lambda p: reason_kind[p], lambda e: excluded_kind[ex_reason[e]]
        ),
        "reason": _Sentences(
            reasons, excluded_texts=Texts.of(excluded_text), excluded=lambda e: ex_reason[e]
        ),
        "binding": _Text(
            np.append(row_object, ""),
            lambda p: np.where(binding_row[p] >= 0, binding_row[p], no_binding),
            lambda e: no_binding,
        ),
        "binding_slack": _Number(lambda p: binding_slack[p]),
        "unit_cost": _Number(lambda p: unit[p]),
        **{name: _Number(part_of[name]) for name in UNIT_COST_PARTS},
        "delta_per_unit": _Number(lambda p: np.where(code[p] == 0, 0.0, delta[p])),
        "delta_per_year": _Number(lambda p: np.where(code[p] == 0, 0.0, delta_year[p])),
        "added_fixed_cost": _Number(lambda p: np.where(code[p] == 0, 0.0, added[p])),
        "best_rejected": _Number(lambda p: best_rejected[p], lambda e: False, decimals=None),
        "breakeven_kind": _Text(be_kinds.values, lambda p: be_kind[p], lambda e: 0),
        "breakeven_value": _Number(lambda p: be_value[p]),
        "breakeven": _Sentences(be_texts, be_notes),
        "breakeven_local": _Number(lambda p: be_kind[p] != 0, lambda e: False, decimals=None),
        "lp_unit_fall": _Number(
            lambda p: lp_fall[p] if lp_fall is not None else np.full(len(p), np.nan)
        ),
    }
    names = list(COLUMNS)
    if getattr(inst, "has_platforms", False):  # demand rows are per sales platform
        platform = inst.demand["platform_id"].astype(str).to_numpy(object)
        columns["platform_id"] = _Text(platform, lambda p: pairs.demand_row[p], lambda e: ex_row[e])
        names.insert(2, "platform_id")
    return _Table(order, n, [(name, columns[name]) for name in names])


@dataclasses.dataclass(frozen=True)
class _FixedCosts:
    """Per pair: the fixed costs its candidate would add to the plan (a new slot or
    node: which ones; the new channel is the caller's, with its cost in ``added``),
    and those net of what its demand row alone pays for the main path."""

    new_slot: np.ndarray
    new_node: np.ndarray
    added: np.ndarray
    net_fixed: np.ndarray


def _fixed_costs(
    model: CostModel,
    decisions: Decisions,
    new_channel: np.ndarray,
    chosen: np.ndarray,
    main_pair: np.ndarray,
) -> _FixedCosts:
    """:class:`_FixedCosts` of every pair (``main_pair``: per demand row, its main
    path)."""
    kr = model.kr_of_pair
    kc, kh, h = model.kc_of_pair, model.kh_of_pair, model.h_of_pair
    stocked = kh >= 0
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
    return _FixedCosts(new_slot, new_node, added, net_fixed)


def _savings(model: CostModel, main_cost: np.ndarray, unit: np.ndarray):
    """Per pair: what its candidate would save on its demand row at the plan's volume,
    and the most its SKU could save through the candidate's (channel, node) on all its
    rows."""
    kr, kc, kh = model.kr_of_pair, model.kc_of_pair, model.kh_of_pair
    n_kh = max(len(model.kh_sku), 1)
    option = kc.astype(np.int64) * (n_kh + 1) + (kh + 1)
    saving = np.maximum(main_cost[kr] - unit, 0.0) * model.demand_units
    saving = np.where(np.isfinite(saving), saving, 0.0)
    return saving, _sku_saving(model.index.pairs.sku, kr, option, saving)


def _sku_saving(
    sku: np.ndarray, row: np.ndarray, option: np.ndarray, saving: np.ndarray
) -> np.ndarray:
    """Per pair: the sum over its SKU's demand rows of the row's largest ``saving``
    among pairs with its ``option`` (a (channel, node) of the SKU).

    By SKU and row segments in a kernel where pairs come ordered by SKU and row (as
    the index builds them); by hashing otherwise.

    >>> row, option = np.array([0, 0, 1, 1]), np.array([7, 7, 7, 8])
    >>> _sku_saving(np.zeros(4, dtype=int), row, option, np.array([1.0, 3.0, 2.0, 5.0])).tolist()
    [5.0, 5.0, 5.0, 5.0]
    """
    sku, row = np.asarray(sku, dtype=np.int64), np.asarray(row, dtype=np.int64)
    if len(sku) == 0:
        return np.zeros(0)
    new_sku = np.flatnonzero(sku[1:] != sku[:-1]) + 1
    if np.all(sku[1:] >= sku[:-1]) and np.all(row[1:] >= row[:-1]):
        from lean_chain import _explain_kernels

        starts = np.concatenate([[0], new_sku, [len(sku)]]).astype(np.int64)
        return _explain_kernels.best_saving_per_option(
            starts, row, np.asarray(option, dtype=np.int64), np.asarray(saving, np.float64)
        )
    n_option = int(option.max()) + 1
    cell_of, cell = pd.factorize(row * n_option + option)
    best_cell = np.zeros(len(cell))
    np.maximum.at(best_cell, cell_of, saving)
    option_of_cell = pd.factorize(cell % n_option)[0]
    return np.bincount(option_of_cell, weights=best_cell)[option_of_cell][cell_of]


def _table_order(row_status: np.ndarray, unit: np.ndarray) -> np.ndarray:
    """The permutation that sorts by ``row_status``, then ``unit``, then position
    (``np.lexsort((unit, row_status))``): a stable sort of the row codes, which come
    nearly sorted (pairs are ordered by demand row), then each (row, status) segment
    by unit cost in a kernel.

    >>> _table_order(np.array([5, 0, 5, 0]), np.array([1.0, 3.0, 0.5, 2.0])).tolist()
    [3, 1, 2, 0]
    """
    from lean_chain import _explain_kernels

    order = np.argsort(row_status, kind="stable")
    ordered = row_status[order]
    starts = np.flatnonzero(np.diff(ordered)) + 1
    bounds = np.concatenate([[0], starts, [len(order)]]).astype(np.int64)
    _explain_kernels.sort_segments(order, bounds, np.ascontiguousarray(unit, dtype=np.float64))
    return order


class _Labels:
    """A few distinct texts (kinds of reason, of break-even) and their codes."""

    def __init__(self, *labels: str) -> None:
        self.labels: list[str] = list(labels)

    @property
    def values(self) -> np.ndarray:
        return np.array(self.labels, dtype=object)

    def code(self, label: str) -> int:
        if label not in self.labels:
            self.labels.append(label)
        return self.labels.index(label)

    def codes(self, labels: np.ndarray) -> np.ndarray:
        for label in pd.unique(labels):
            self.code(label)
        return pd.Index(self.labels).get_indexer(labels)


class _Texts:
    """Sentences written when a block of the table needs them: per pair the group it
    belongs to (-1: none, an empty text), per group a function of pair indices that
    writes their sentences (:class:`~lean_chain.io.fast_csv.Sentences`, or one text for
    all)."""

    def __init__(self, n: int) -> None:
        self.group = np.full(n, -1, dtype=np.int16)
        self.writers: list = []

    def add(self, idx: np.ndarray, writer) -> None:
        if len(idx):
            self.group[idx] = len(self.writers)
            self.writers.append(writer)

    def put(self, rows: RowTexts, at: np.ndarray, pairs: np.ndarray, append: bool = False):
        """The sentences of ``pairs`` as the texts of rows ``at`` (appended if ``append``)."""
        group = self.group[pairs]
        # the pairs of each group in order: one stable sort (a radix sort of int16), not
        # one pass over the block per group
        by_group = np.argsort(group, kind="stable")
        ends = np.cumsum(np.bincount(group + 1, minlength=len(self.writers) + 1))
        for g in np.flatnonzero(np.diff(ends)):  # a handful of groups
            which = by_group[ends[g] : ends[g + 1]]
            rows.put(at[which], self.writers[g](pairs[which]), append=append)


def _nan(e: np.ndarray) -> float:
    return np.nan


@dataclasses.dataclass(frozen=True)
class _Number:
    """A column of numbers (or flags): the pairs' values, the excluded paths' values;
    money rounded to ``decimals``."""

    of_pairs: Callable
    of_excluded: Callable = _nan
    decimals: int | None = MONEY_DECIMALS


@dataclasses.dataclass(frozen=True)
class _Text:
    """A text column as codes into ``values``."""

    values: Sequence[str]
    of_pairs: Callable
    of_excluded: Callable


@dataclasses.dataclass(frozen=True)
class _Sentences:
    """A text column of mostly distinct sentences, written per block: the pairs'
    ``texts`` (with ``notes`` appended), and text ``excluded(e)`` of ``excluded_texts``
    for excluded paths ``e``."""

    texts: _Texts
    notes: _Texts | None = None
    excluded_texts: Texts | None = None
    excluded: Callable | None = None


class _Table:
    """The alternatives table, its rows gathered a block at a time: row ``i`` is pair
    ``source[i]``, or excluded path ``source[i] - n_pairs``."""

    def __init__(self, source: np.ndarray, n_pairs: int, columns: list) -> None:
        self.source, self.n_pairs = source, n_pairs
        self.names = [name for name, _ in columns]
        self.columns = [column for _, column in columns]
        self.text_values = {
            id(c): np.asarray(c.values, dtype=object) for c in self.columns if isinstance(c, _Text)
        }

    def __len__(self) -> int:
        return len(self.source)

    def block(self, start: int, stop: int, *, coded: bool = False) -> list:
        """Columns of rows ``start..stop``: arrays, text as objects (or :class:`Coded`)."""
        source = self.source[start:stop]
        is_pair = source < self.n_pairs
        # the rows of pairs and of excluded paths as indices: set by index, a column's
        # values take a third of the time they take set by mask
        pair_at, excluded_at = np.flatnonzero(is_pair), np.flatnonzero(~is_pair)
        p = source[pair_at]
        e = source[excluded_at] - self.n_pairs
        out = []
        for column in self.columns:
            if isinstance(column, _Sentences):
                texts = self._sentences(column, len(source), pair_at, excluded_at, p, e)
                out.append(texts if coded else texts.to_objects())
                continue
            of_pairs = np.asarray(column.of_pairs(p))
            dtype = np.int64 if isinstance(column, _Text) else of_pairs.dtype
            values = np.empty(len(source), dtype=dtype)
            values[pair_at] = of_pairs
            values[excluded_at] = column.of_excluded(e)
            if isinstance(column, _Text):
                table = self.text_values[id(column)]
                values = Coded(values, table) if coded else table[values]
            elif isinstance(column, _Number) and column.decimals is not None:
                np.round(values, column.decimals, out=values)  # shorter numbers in the CSV
            out.append(values)
        return out

    @staticmethod
    def _sentences(column: _Sentences, n: int, pair_at, excluded_at, p, e) -> Texts:
        """A sentence column's texts of a block of ``n`` rows: pairs ``p`` in rows
        ``pair_at``, excluded paths ``e`` in rows ``excluded_at``."""
        rows = RowTexts(n)
        column.texts.put(rows, pair_at, p)
        if column.notes is not None:
            column.notes.put(rows, pair_at, p, append=True)
        if column.excluded is not None and len(e):
            rows.put(excluded_at, column.excluded_texts, index=column.excluded(e))
        return rows.build()

    def frame(self) -> pd.DataFrame:
        columns = self.block(0, len(self))
        # copy=False: no copy into one block of floats (a third of the time at 10k SKUs)
        return pd.DataFrame(dict(zip(self.names, columns, strict=True)), copy=False)

    def blocks(self, block_rows: int):
        for start in range(0, len(self), block_rows):
            yield self.block(start, min(start + block_rows, len(self)), coded=True)


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


def _pair_entries(problem, pairs_wanted: np.ndarray):
    """The matrix entries (row, pair, value) of the ``x`` columns of ``pairs_wanted``,
    row by row (a kernel over the CSR arrays: no array the size of the matrix)."""
    from lean_chain import _explain_kernels

    matrix, x = problem.matrix, problem.col_blocks["x"]
    return _explain_kernels.column_entries(
        matrix.indptr, matrix.indices, matrix.data, x.start, x.stop, pairs_wanted
    )


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
