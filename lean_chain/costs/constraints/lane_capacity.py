"""Kg, m3 or units on a lane (all its services) or on one service within its limit
per horizon."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import RowBuilder, coupling_family, over_limit
from lean_chain.costs.constraints.findings import finding_with_captives
from lean_chain.costs.model import CAPACITY_QUANTITIES

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def lane_use_per_share(model: CostModel) -> np.ndarray:
    """What the whole share of each capacity incidence (``cap_pair``) puts on its limit,
    in the limit's quantity (kg, m3 or units)."""
    return model.cap_per_unit * model.demand_units[model.cap_pair]


def define_lane_capacity_rows(b: RowBuilder, model: CostModel) -> None:
    """Kg, m3 or units on a lane (all its services) or on one service <= its limit."""
    if len(model.cap_limit) == 0:
        return
    b.add_rows(
        "lane_capacity",
        len(model.cap_limit),
        model.cap_of,
        b.col_blocks["x"].start + model.cap_pair,
        lane_use_per_share(model),
        -np.inf,
        model.cap_limit,
        objects=("lane", model.cap_lane),
    )


def lane_capacity_violations(
    model: CostModel, decisions: Decisions, on_hand: np.ndarray
) -> list[str]:
    """Lanes and services asked to carry more than their limit."""
    lane_ids = model.instance.lanes["lane_id"].to_numpy(object)
    used = np.bincount(
        model.cap_of,
        weights=lane_use_per_share(model) * decisions.share[model.cap_pair],
        minlength=len(model.cap_limit),
    )
    problems = []
    for i in over_limit(used, model.cap_limit):
        what = (
            f"lane {lane_ids[model.cap_lane[i]]}"
            if model.cap_leg[i] < 0
            else f"service {model.index.legs.key[model.cap_leg[i]]}"
        )
        unit = CAPACITY_QUANTITIES[model.cap_quantity[i]]
        problems.append(
            f"{what}: {model.cap_limit[i]:,.6g} {unit} per horizon, the plan needs {used[i]:,.6g}"
        )
    return problems


def explain_lane_capacity_slack(namer: Namer, gave: Slack) -> SlackFinding:
    """The lane's or service's limit below what is needed, and the demand rows that can
    only travel it."""
    model, local = namer.model, gave.local
    limit = float(model.cap_limit[local])
    needed = limit + gave.slack
    unit = CAPACITY_QUANTITIES[model.cap_quantity[local]]
    leg = model.cap_leg[local]
    what = f"lane {gave.name}" if leg < 0 else f"service {model.index.legs.key[leg]}"
    on_it = np.zeros(model.n_pairs, dtype=bool)
    on_it[model.cap_pair[model.cap_of == local]] = True
    message = f"{what}: {limit:,.6g} {unit} per horizon, the plan needs {needed:,.6g}"
    return finding_with_captives(namer, limit, needed, unit, message, on_it, "can only travel it")


FAMILY = coupling_family(
    "lane_capacity",
    define_lane_capacity_rows,
    lane_capacity_violations,
    explain_lane_capacity_slack,
    unit="kg, m³ or units per horizon",
    when_full=("kg, m³ or units over the horizon", "capacity is used up", "capacity"),
)
