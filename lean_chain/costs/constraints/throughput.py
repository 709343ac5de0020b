"""Units through an open node fit its throughput per horizon."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import (
    ConstraintFamily,
    RowBuilder,
    define_node_limit_rows,
    node_capacity,
    node_use,
    over_limit,
)
from lean_chain.costs.constraints.findings import node_limit_finding

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def define_throughput_rows(b: RowBuilder, model: CostModel) -> None:
    """Units of the shares through a node <= its throughput times z_h."""
    define_node_limit_rows(b, model, "throughput", model.demand_units, model.h_throughput_units)


def throughput_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Nodes asked to move more units than their throughput (closed: any)."""
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    units = node_use(model, model.demand_units, decisions.share)
    cap = node_capacity(model.h_throughput_units, decisions.node_open)
    return [
        f"throughput at {node_ids[model.h_node[h]]}: {units[h]:.6g} units > {cap[h]:.6g}"
        for h in over_limit(units, cap)
    ]


def explain_throughput_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The node's throughput that has to give, and the demand rows only it can serve."""
    return node_limit_finding(namer, gave, namer.model.h_throughput_units, "throughput", gave.unit)


FAMILY = ConstraintFamily(
    name="throughput",
    define=define_throughput_rows,
    violations=throughput_violations,
    rows=("throughput",),
    limits={"throughput": "units"},
    coupling=True,
    explain_slack=explain_throughput_slack,
)
