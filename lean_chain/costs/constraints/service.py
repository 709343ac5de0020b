"""At least alpha_r of region r's units arrive within its target of T_r days."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import TOLERANCE, RowBuilder, coupling_family, rows_of
from lean_chain.costs.constraints.findings import EXAMPLES, SlackFinding
from lean_chain.costs.model import service_targets
from lean_chain.index import excluded_options

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def fast_pairs(model: CostModel) -> tuple[np.ndarray, ...]:
    """Regions with a target, their days and share; per pair its region's row
    (-1: no target) and whether its promise meets the target."""
    regions, days, share = service_targets(model)
    pairs = model.index.pairs
    row = rows_of(regions, len(model.instance.nodes))[pairs.region]
    promise = model.index.paths.promise_days[pairs.path]
    fast = np.zeros(len(row), dtype=bool)
    if len(regions):
        fast = (row >= 0) & (promise <= np.where(row >= 0, days[np.maximum(row, 0)], 0) + 1e-9)
    return regions, days, share, row, fast


def define_service_rows(b: RowBuilder, model: CostModel) -> None:
    """At least alpha_r of region r's demand within T_r days."""
    regions, _, share, row, fast = fast_pairs(model)
    if len(regions) == 0:
        return
    x0 = b.col_blocks["x"].start
    pairs = model.index.pairs
    row_of_region = rows_of(regions, len(model.instance.nodes))
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


def service_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Regions where less than the target share of the units shipped arrives in time."""
    regions, days, alpha, row, fast = fast_pairs(model)
    if len(regions) == 0:
        return []
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    units = model.demand_units * decisions.share
    inside = row >= 0
    total = np.bincount(row[inside], weights=units[inside], minlength=len(regions))
    quick = np.bincount(row[fast], weights=units[fast], minlength=len(regions))
    return [
        f"service in {node_ids[regions[i]]}: {quick[i] / total[i]:.4f} within {days[i]:g} days"
        f" < {alpha[i]:g}"
        for i in np.flatnonzero((total > 0) & (quick < alpha * total * (1 - TOLERANCE) - TOLERANCE))
    ]


def explain_service_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The region's target that cannot be met, the best share that can, and why the
    biggest SKUs have no path that fast (the hard rules that removed them)."""
    model = namer.model
    ident, name = gave.ident, gave.name
    regions, days, share = service_targets(model)
    r = int(np.flatnonzero(regions == ident)[0])
    total = float(gave.lower / share[r]) if share[r] > 0 else 0.0
    limit = float(share[r])
    best = (gave.lower - gave.slack) / total if total > 0 else 0.0
    skus: list[str] = []
    in_region = namer.kr_region == ident
    promise = model.index.paths.promise_days[model.index.pairs.path]
    fast_pair = (model.index.pairs.region == ident) & (promise <= days[r] + 1e-9)
    has_fast = np.bincount(model.kr_of_pair[fast_pair], minlength=len(namer.kr_units)) > 0
    slow = np.flatnonzero(in_region & ~has_fast)
    reachable = 1.0 - namer.kr_units[slow].sum() / total if total > 0 else 0.0
    message = (
        f"region {name}: the target of {limit:.1%} of units within {days[r]:g} days "
        f"cannot be met; at most {best:.1%} can be"
    )
    if gave.role == "or instead":
        message = (
            f"region {name}: the target of {limit:.1%} of units within {days[r]:g} days "
            f"would have to fall to {best:.1%}"
        )
    elif len(slow):
        skus = namer.top_skus(slow)
        message += f"; only {reachable:.1%} of its units have any path that fast. " + _why_slow(
            namer, slow, days[r]
        )
    else:
        message += "; every SKU has a path that fast, but limits elsewhere block them"
    return SlackFinding(limit, float(best), "share of units", message, skus)


def _why_slow(namer: Namer, slow_kr: np.ndarray, days: float) -> str:
    """Why the biggest SKUs among ``slow_kr`` have no path within ``days``."""
    model = namer.model
    top = slow_kr[np.argsort(-namer.kr_units[slow_kr], kind="stable")[:EXAMPLES]]
    rows = model.kr_demand_row[top]
    why = excluded_options(model.index, model.instance, rows, np.full(len(rows), days))
    parts = []
    for kr, row in zip(top, rows, strict=True):
        sku = namer.sku_ids[namer.kr_sku[kr]]
        options = why[why["demand_row"] == row]
        if len(options):
            text = "; ".join(
                f"{o.channel_id} ({o.promise_days:g} days) is excluded: {o.reason}"
                for o in options.drop_duplicates("channel_id").itertuples(index=False)
            )
            parts.append(f"SKU {sku} could arrive in time only through {text}")
        else:
            parts.append(f"SKU {sku} has no path within {days:g} days at all")
    return ". ".join(parts)


FAMILY = coupling_family(
    "service", define_service_rows, service_violations, explain_service_slack, unit="units"
)
