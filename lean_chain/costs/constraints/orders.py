"""Orders handled at an open node fit its orders per day over the horizon."""

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


def orders_per_share(model: CostModel) -> np.ndarray:
    """Orders a pair's whole share sends through its stocking node over the horizon."""
    units_per_order = model.instance.demand["units_per_order"].to_numpy(np.float64)
    return model.demand_units / units_per_order[model.index.pairs.demand_row]


def orders_limit(model: CostModel) -> np.ndarray:
    """Orders per horizon each stocking node handles (NaN: no limit)."""
    return model.h_orders_per_day * float(model.instance.params["horizon_days"])


def define_orders_rows(b: RowBuilder, model: CostModel) -> None:
    """Orders of the shares through a node <= its orders per horizon times z_h."""
    define_node_limit_rows(b, model, "orders", orders_per_share(model), orders_limit(model))


def orders_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Nodes asked to handle more orders a day than they can (closed: any)."""
    node_ids = model.instance.nodes["node_id"].to_numpy(object)
    horizon = float(model.instance.params["horizon_days"])
    orders = node_use(model, orders_per_share(model), decisions.share)
    cap = node_capacity(orders_limit(model), decisions.node_open)
    return [
        f"orders at {node_ids[model.h_node[h]]}: {orders[h] / horizon:.6g} a day > "
        f"{cap[h] / horizon:.6g}"
        for h in over_limit(orders, cap)
    ]


def explain_orders_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The node's orders that has to give, and the demand rows only it can serve."""
    return node_limit_finding(
        namer,
        gave,
        namer.model.h_orders_per_day,
        "order capacity",
        "orders per day",
        float(namer.model.instance.params["horizon_days"]),
    )


FAMILY = ConstraintFamily(
    name="orders",
    define=define_orders_rows,
    violations=orders_violations,
    rows=("orders",),
    limits={"orders": "orders"},
    coupling=True,
    explain_slack=explain_orders_slack,
)
