"""CBEC transaction value per region within its quota over the horizon (a relaxation
of the per-person limit: consumers x annual limit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import RowBuilder, coupling_family, over_limit, rows_of
from lean_chain.costs.constraints.findings import finding_with_captives
from lean_chain.costs.model import quota_limits, quota_pairs

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def quota_use(model: CostModel) -> tuple[np.ndarray, ...]:
    """Regions with a quota and its value; the pairs that count toward one, and the
    row (region) and value of each such pair's whole share."""
    regions, quota = quota_limits(model)
    pairs = model.index.pairs
    row_of_region = rows_of(regions, len(model.instance.nodes))
    members = np.flatnonzero(quota_pairs(model) & (row_of_region[pairs.region] >= 0))
    value = model.landed.transaction_value[members] * model.demand_units[members]
    return regions, quota, members, row_of_region[pairs.region[members]], value


def define_quota_rows(b: RowBuilder, model: CostModel) -> None:
    """CBEC transaction value per region within its annual quota (a relaxation of the
    per-person limit: consumers x annual limit)."""
    regions, quota, members, row, value = quota_use(model)
    if len(regions) == 0:
        return
    b.add_rows(
        "cbec_quota",
        len(regions),
        row,
        b.col_blocks["x"].start + members,
        value,
        -np.inf,
        quota,
        objects=("node", regions),
    )


def quota_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Regions whose CBEC sales exceed their quota."""
    regions, quota, members, row, value = quota_use(model)
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    used = np.bincount(row, weights=value * decisions.share[members], minlength=len(regions))
    return [
        f"CBEC quota in {node_ids[regions[i]]}: {used[i]:.2f} > {quota[i]:.2f}"
        for i in over_limit(used, quota)
    ]


def explain_quota_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The region's quota below the CBEC sales needed, and the demand rows only CBEC
    channels reach."""
    model, unit = namer.model, gave.unit
    limit = float(gave.upper)
    needed = limit + gave.slack
    cbec = quota_pairs(model) & (model.index.pairs.region == gave.ident)
    message = (
        f"region {gave.name}: the CBEC quota of {limit:,.0f} {unit} (consumers x annual limit "
        f"per person, over the horizon) is below the {needed:,.0f} {unit} of CBEC sales needed"
    )
    return finding_with_captives(
        namer, limit, needed, unit, message, cbec, "reach it only through CBEC channels"
    )


FAMILY = coupling_family(
    "quota",
    define_quota_rows,
    quota_violations,
    explain_quota_slack,
    row="cbec_quota",
    unit="{currency}",
    when_full=("{currency}", "CBEC quota is exhausted", "CBEC quota"),
)
