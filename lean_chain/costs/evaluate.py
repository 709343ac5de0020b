"""Price a plan and compute its KPIs with the evaluation core (pure numpy).

A plan in array form is a :class:`Decisions`: the share of each pair, and the
channel, stocking, opening and container decisions over the groups of a
:class:`~lean_chain.costs.model.CostModel`. :func:`evaluate_decisions`
returns the total cost, its breakdown (components sum to the total), the
KPIs, and any constraint the plan breaks (each constraint family of
:mod:`lean_chain.costs.constraints` checks its own rule). It never looks at a
solver's objective.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lean_chain.costs import constraints
from lean_chain.costs.constraints.listing import listings_used
from lean_chain.costs.landed import COMPONENTS
from lean_chain.costs.model import (
    CostModel,
    fixed_leg_used,
    load_requirements,
    loads_needed,
    order_band_costs,
    piecewise_leg_cost,
)

#: Cost-breakdown keys, in report order.
BREAKDOWN_KEYS = (
    *COMPONENTS,
    "consolidated_freight",
    "shipment_fixed",
    "holding",
    "node_fixed",
    "channel_fixed",
    "slotting",
    "containers",
)
#: Profit mode only: what sales earn and cost, added to the breakdown (revenue as a
#: negative amount) so that the components still sum to the objective, -contribution.
PROFIT_KEYS = (
    "revenue",
    "commission",
    "platform_fees",
    "returns",
    "listing_fees",
    "platform_annual_fees",
)


@dataclass(frozen=True, eq=False)
class Decisions:
    """A plan as arrays over a cost model's pairs and groups."""

    share: np.ndarray  # per pair, in [0, 1]
    channel_used: np.ndarray  # per kc group, bool
    stocked: np.ndarray  # per kh group, bool
    node_open: np.ndarray  # per stocking node h, bool
    containers: np.ndarray  # per load leg (containers, trucks), integer count


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Total, breakdown, KPIs and violations of one plan."""

    objective: float
    cost_breakdown: dict[str, float]
    kpis: dict
    violations: list[str] = field(default_factory=list)
    on_hand: np.ndarray | None = None  # per kh group, units
    pooled_safety: np.ndarray | None = None  # per kh group, units
    monte_carlo: dict | None = None  # see lean_chain.costs.montecarlo

    def to_dict(self) -> dict:
        out = {
            "objective": self.objective,
            "cost_breakdown": self.cost_breakdown,
            "kpis": self.kpis,
            "violations": self.violations,
        }
        if self.monte_carlo is not None:
            out["monte_carlo"] = self.monte_carlo
        return out


def decisions_from_shares(model: CostModel, share: np.ndarray) -> Decisions:
    """The cheapest decisions that carry ``share``: exactly the channels, stocking and
    nodes with flow, and the fewest containers for the loads."""
    channel_used = np.bincount(model.kc_of_pair, weights=share, minlength=len(model.kc_sku)) > 0
    stocked_pairs = model.kh_of_pair >= 0
    stocked = (
        np.bincount(
            model.kh_of_pair[stocked_pairs],
            weights=share[stocked_pairs],
            minlength=len(model.kh_sku),
        )
        > 0
    )
    node_open = np.bincount(model.kh_h, weights=stocked, minlength=len(model.h_node)) > 0
    return Decisions(share, channel_used, stocked, node_open, loads_needed(model, share))


def sales_amounts(model: CostModel, share: np.ndarray) -> dict[str, float]:
    """Revenue, commission, payment and order fees, returns, listing and platform fees."""
    sales, rows = model.sales, model.index.pairs.demand_row
    units = model.demand_units * share
    listed, platform_open = listings_used(model, share)
    return {
        "revenue": float(sales.price[rows] @ units),
        "commission": float(sales.commission[rows] @ units),
        "platform_fees": float(sales.fees[rows] @ units),
        "returns": float(model.pair_returns_per_unit @ units)
        if model.pair_returns_per_unit is not None
        else 0.0,
        "listing_fees": float(sales.kq_listing_fee @ listed),
        "platform_annual_fees": float(sales.platform_fee @ platform_open),
    }


def on_hand_stock(model: CostModel, decisions: Decisions) -> np.ndarray:
    """On-hand stock per (SKU, node): max(stock the flows need, minimum stock if stocked)."""
    stocked_pairs = model.kh_of_pair >= 0
    needed = np.bincount(
        model.kh_of_pair[stocked_pairs],
        weights=(model.on_hand_per_share * decisions.share)[stocked_pairs],
        minlength=len(model.kh_sku),
    )
    return np.maximum(needed, np.where(decisions.stocked, model.kh_min_stock, 0.0))


def container_load_m3(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Volume each load leg (container or truck lane) carries under ``share``."""
    return load_requirements(model, share)[0]


def cost_breakdown(model: CostModel, decisions: Decisions) -> tuple[dict[str, float], np.ndarray]:
    """Cost per component and the on-hand stock per (SKU, node)."""
    flow_units = model.demand_units * decisions.share
    variable = model.landed.components @ flow_units
    on_hand = on_hand_stock(model, decisions)
    holding = model.holding_factor * float(model.kh_held_value @ on_hand) + float(
        model.pipeline_holding_per_share @ decisions.share
    )
    values = [
        *(float(v) for v in variable),
        float(piecewise_leg_cost(model, decisions.share).sum())
        + float(order_band_costs(model, decisions.share)[0].sum()),
        float(model.fx_cost @ fixed_leg_used(model, decisions.share)),
        holding,
        float(model.h_fixed_cost @ decisions.node_open),
        float(model.kc_fixed_cost @ decisions.channel_used),
        float(model.kh_slotting_cost @ decisions.stocked),
        float(model.ct_cost @ decisions.containers),
    ]
    breakdown = dict(zip(BREAKDOWN_KEYS, values, strict=True))
    if model.profit_mode:
        amounts = sales_amounts(model, decisions.share)
        breakdown.update({key: amounts[key] for key in PROFIT_KEYS})
        breakdown["revenue"] = -amounts["revenue"]
    return breakdown, on_hand


def pooled_safety_stock(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Pooled safety stock per (SKU, node): z sqrt(sum_j L_j (x_j sigma_j)^2 + (sum_j sigma_L,j d_j x_j)^2).

    The demand-risk term pools across regions (a norm, smaller than the
    linear bound the MIP uses); the lead-time term stays additive.
    """
    inst, pairs, paths = model.instance, model.index.pairs, model.index.paths
    stocked = model.kh_of_pair >= 0
    sigma = inst.demand["demand_std_daily"].to_numpy(np.float64)[pairs.demand_row]
    lead = paths.inbound_days[pairs.path]
    lead_std = paths.inbound_std_days[pairs.path]
    daily = model.demand_units / float(inst.params["horizon_days"])
    n_kh = len(model.kh_sku)
    kh = model.kh_of_pair[stocked]
    demand_var = np.bincount(kh, weights=(lead * (share * sigma) ** 2)[stocked], minlength=n_kh)
    lead_term = np.bincount(kh, weights=(lead_std * daily * share)[stocked], minlength=n_kh)
    return inst.safety_factor * np.sqrt(demand_var + lead_term**2)


def evaluate_decisions(model: CostModel, decisions: Decisions) -> Evaluation:
    """Total cost, breakdown, KPIs and violated constraints of ``decisions``."""
    breakdown, on_hand = cost_breakdown(model, decisions)
    objective = float(sum(breakdown.values()))
    pooled = pooled_safety_stock(model, decisions.share)
    kpis = plan_kpis(model, decisions, on_hand, pooled)
    cost = sum(v for k, v in breakdown.items() if k not in PROFIT_KEYS)
    kpis.update(sales_kpis(model, decisions.share, cost))
    violations = check_feasibility(model, decisions, on_hand)
    return Evaluation(objective, breakdown, kpis, violations, on_hand, pooled)


def plan_kpis(
    model: CostModel, decisions: Decisions, on_hand: np.ndarray, pooled: np.ndarray
) -> dict:
    """Channel mix, lead times, service shares and stock per node."""
    inst, pairs, paths = model.instance, model.index.pairs, model.index.paths
    units = model.demand_units * decisions.share
    total_units = float(units.sum())
    channel_ids = inst.channels["channel_id"].to_numpy(object)
    by_channel = np.bincount(pairs.channel, weights=units, minlength=len(channel_ids))
    promise = paths.promise_days[pairs.path]
    node_ids = inst.nodes["node_id"].to_numpy(object)

    nodes = inst.nodes
    service_days = nodes["service_days"].to_numpy(np.float64)
    region_units = np.bincount(pairs.region, weights=units, minlength=len(nodes))
    within = np.bincount(
        pairs.region,
        weights=np.where(
            promise <= np.nan_to_num(service_days[pairs.region], nan=-1) + 1e-9, units, 0.0
        ),
        minlength=len(nodes),
    )
    targets = np.flatnonzero(~np.isnan(service_days) & (region_units > 0))
    h_node_ids = node_ids[model.h_node]
    per_node = lambda values: {  # noqa: E731
        str(h_node_ids[h]): float(v)
        for h, v in enumerate(np.bincount(model.kh_h, weights=values, minlength=len(model.h_node)))
    }
    return {
        "total_units": total_units,
        "channel_share": {
            str(c): (float(v) / total_units if total_units else 0.0)
            for c, v in zip(channel_ids, by_channel, strict=True)
        },
        "channel_units": {str(c): float(v) for c, v in zip(channel_ids, by_channel, strict=True)},
        "lead_time_days_weighted": float(units @ promise) / total_units if total_units else 0.0,
        "share_within_service_days": {
            str(node_ids[r]): float(within[r] / region_units[r]) for r in targets
        },
        "pooled_safety_stock_units": per_node(pooled),
        "linear_safety_stock_units": per_node(
            np.bincount(
                model.kh_of_pair[model.kh_of_pair >= 0],
                weights=(model.safety_per_share * decisions.share)[model.kh_of_pair >= 0],
                minlength=len(model.kh_sku),
            )
        ),
        "on_hand_stock_units": per_node(on_hand),
        "open_nodes": [str(h_node_ids[h]) for h in np.flatnonzero(decisions.node_open)],
    }


def sales_kpis(model: CostModel, share: np.ndarray, cost: float) -> dict:
    """What the plan earns, in both modes: revenue, commission, fees, returns cost, profit
    (revenue - commission, fees and returns - cost), units lost and the fill rate per
    platform."""
    inst, sales = model.instance, model.sales
    amounts = sales_amounts(model, share)
    fees = amounts["platform_fees"] + amounts["listing_fees"] + amounts["platform_annual_fees"]
    units = model.demand_units * share
    demand = inst.demand["units"].to_numpy(np.float64)
    active = demand > 0
    served = np.bincount(model.index.pairs.demand_row, weights=units, minlength=len(demand))
    platform_ids = np.append(inst.table("platforms")["platform_id"].astype(str).to_numpy(), "")
    platform = np.where(sales.platform >= 0, sales.platform, len(platform_ids) - 1)
    wanted = np.bincount(platform[active], weights=demand[active], minlength=len(platform_ids))
    sold = np.bincount(platform, weights=served, minlength=len(platform_ids))
    return {
        "revenue": amounts["revenue"],
        "commission": amounts["commission"],
        "platform_fees": fees,
        "returns_cost": amounts["returns"],
        "profit": amounts["revenue"] - amounts["commission"] - fees - amounts["returns"] - cost,
        "lost_units": float(demand[active].sum() - served[active].sum()),
        "fill_rate_per_platform": {
            (str(p) or "direct"): float(sold[i] / wanted[i])
            for i, p in enumerate(platform_ids)
            if wanted[i] > 0
        },
    }


def check_feasibility(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Human-readable list of the constraints ``decisions`` breaks (empty if feasible).

    Each constraint family of :data:`lean_chain.costs.constraints.FAMILIES`
    checks the plan against its own rule, in the registry's order.

    Parameters
    ----------
    model
        The cost model the plan is over.
    decisions
        The plan.
    on_hand
        On-hand stock per (SKU, node) group kh (:func:`on_hand_stock`).

    Returns
    -------
    list of str
        One sentence per broken rule and object, in the planner's words.

    Examples
    --------
    >>> import numpy as np
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> nothing = decisions_from_shares(model, np.zeros(model.n_pairs))
    >>> check_feasibility(model, nothing, on_hand_stock(model, nothing))[0]
    'demand of A in R1 served at 0 of 1'
    """
    problems: list[str] = []
    for family in constraints.FAMILIES:
        problems += family.violations(model, decisions, on_hand)
    return problems
