"""What flows through an open stocking node fits its limits per horizon: units
(throughput) and orders (orders per day over the horizon).

Both families have one shape: an amount per unit share of each pair (units, or
orders), summed per stocking node, at most the node's limit times z_h. One
factory, :func:`node_flow_family`, writes the rows, the plan check and the
diagnosis wording of each from that amount and that limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints import base
from lean_chain.costs.constraints.findings import node_limit_finding

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def orders_per_share(model: CostModel) -> np.ndarray:
    """Orders a pair's whole share sends through its stocking node over the horizon."""
    units_per_order = model.instance.demand["units_per_order"].to_numpy(np.float64)
    return model.demand_units / units_per_order[model.index.pairs.demand_row]


def _horizon(model: CostModel) -> float:
    return float(model.instance.params["horizon_days"])


def node_flow_family(
    name: str,
    per_share: Callable[[CostModel], np.ndarray],
    per_day_limit: Callable[[CostModel], np.ndarray],
    per_day: Callable[[CostModel], float],
    wording: tuple[str, str, str, str],
    full: tuple[str, str, str],
) -> base.ConstraintFamily:
    """A family "sum over a node's pairs of ``per_share`` x share <= limit x z_h".

    ``per_day_limit`` is the node's limit as the data state it, and ``per_day`` the
    factor to the horizon (the horizon's days for a daily limit, 1 for a horizon
    limit). ``wording``: the unit in plan checks, what the limit is called and its unit
    in diagnosis findings (blank: the slack's), and the unit of the row's slack; ``full``
    the explanations' words for a full row (:attr:`ConstraintFamily.when_full`).
    """
    check_unit, what, finding_unit, slack_unit = wording

    def limit(model: CostModel) -> np.ndarray:
        return per_day_limit(model) * per_day(model)

    def define(b: base.RowBuilder, model: CostModel) -> None:
        base.define_node_limit_rows(b, model, name, per_share(model), limit(model))

    def violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
        node_ids = model.instance.nodes["node_id"].to_numpy(object)
        scale = per_day(model)
        use = base.node_use(model, per_share(model), decisions.share)
        cap = base.node_capacity(limit(model), decisions.node_open)
        return [
            f"{name} at {node_ids[model.h_node[h]]}: {use[h] / scale:.6g}{check_unit} > "
            f"{cap[h] / scale:.6g}"
            for h in base.over_limit(use, cap)
        ]

    def explain_slack(namer: Namer, gave: Slack) -> SlackFinding:
        model = namer.model
        unit = finding_unit or gave.unit
        return node_limit_finding(namer, gave, per_day_limit(model), what, unit, per_day(model))

    define.__name__ = f"define_{name}_rows"
    define.__doc__ = f"{name}: the shares' amount through a node <= its limit times z_h."
    violations.__name__ = f"{name}_violations"
    violations.__doc__ = f"Nodes over their {name} limit (closed: any)."
    explain_slack.__name__ = f"explain_{name}_slack"
    explain_slack.__doc__ = f"The node's {what} that has to give."
    return base.coupling_family(
        name, define, violations, explain_slack, unit=slack_unit, when_full=full
    )


ORDERS = node_flow_family(
    "orders",
    orders_per_share,
    lambda model: model.h_orders_per_day,
    _horizon,
    (" a day", "order capacity", "orders per day", "orders"),
    ("orders over the horizon", "order-handling capacity is used up", "order capacity"),
)
THROUGHPUT = node_flow_family(
    "throughput",
    lambda model: model.demand_units,
    lambda model: model.h_throughput_units,
    lambda model: 1.0,
    (" units", "throughput", "", "units"),
    ("units over the horizon", "throughput capacity is used up", "throughput"),
)
