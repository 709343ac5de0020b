"""Price a plan and compute its KPIs with the evaluation core (pure numpy).

A plan in array form is a :class:`Decisions`: the share of each pair, and the
channel, stocking, opening and container decisions over the groups of a
:class:`~lean_chain.costs.model.CostModel`. :func:`evaluate_decisions`
returns the total cost, its breakdown (components sum to the total), the
KPIs, and any constraint the plan breaks. It never looks at a solver's
objective.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lean_chain.costs.landed import COMPONENTS
from lean_chain.costs.model import (
    CAPACITY_QUANTITIES,
    CostModel,
    capacity_use,
    fixed_leg_used,
    leg_quantities,
    load_requirements,
    loads_needed,
    order_band_costs,
    piecewise_leg_cost,
    quota_limits,
    quota_pairs,
    service_targets,
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
_TOL = 1e-6


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


def listings_used(model: CostModel, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(SKU, platform) listings and platforms that sell anything under ``share``."""
    sales = model.sales
    sold = np.bincount(model.pair_kq, weights=share, minlength=len(sales.kq_sku)) > 0
    platform_open = np.zeros(len(sales.platform_fee), dtype=bool)
    platform_open[sales.kq_platform[sold & (sales.kq_platform >= 0)]] = True
    return sold, platform_open


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


def _tariff_violations(model: CostModel, share: np.ndarray) -> list[str]:
    """Lane and service limits exceeded; weights per shipment outside every band."""
    from lean_chain.costs.rates import serviceable

    problems = []
    legs = model.index.legs
    lane_ids = model.instance.lanes["lane_id"].to_numpy(object)
    used = capacity_use(model, share)
    for i in np.flatnonzero(used > model.cap_limit * (1 + _TOL) + _TOL):
        what = (
            f"lane {lane_ids[model.cap_lane[i]]}"
            if model.cap_leg[i] < 0
            else f"service {legs.key[model.cap_leg[i]]}"
        )
        unit = CAPACITY_QUANTITIES[model.cap_quantity[i]]
        problems.append(
            f"{what}: {model.cap_limit[i]:,.6g} {unit} per horizon, the plan needs {used[i]:,.6g}"
        )
    quantity, _ = leg_quantities(model, share)
    for g in np.flatnonzero(quantity > 0):
        per_shipment = quantity[g] / model.pw_shipments[g]
        if not serviceable(per_shipment, model.pw_breaks[g], model.pw_band_hi[g])[0]:
            problems.append(
                f"service {legs.key[model.pw_leg[g]]}: {per_shipment:,.6g} per shipment falls "
                "in no weight band of its tariff (a gap, or above the last band)"
            )
    _, band = order_band_costs(model, share)
    units = model.demand_units[model.ob_pair] * share[model.ob_pair]
    kg = np.bincount(model.ob_of, weights=model.ob_kg_per_unit * units, minlength=len(band))
    for g in np.flatnonzero((band < 0) & (kg > _TOL)):
        problems.append(
            f"service {legs.key[model.ob_leg[g]]}: {kg[g] / model.ob_shipments[g]:,.6g} kg per "
            "shipment falls in no weight band of its tariff (a gap, or above the last band)"
        )
    return problems


def check_feasibility(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Human-readable list of the constraints ``decisions`` breaks (empty if feasible)."""
    inst, pairs = model.instance, model.index.pairs
    share = decisions.share
    problems: list[str] = []
    node_ids = inst.nodes["node_id"].to_numpy(object)
    sku_ids = inst.skus["sku_id"].to_numpy(object)

    served = np.bincount(model.kr_of_pair, weights=share, minlength=len(model.kr_demand_row))
    off = np.abs(served - 1.0) > _TOL
    if model.profit_mode:  # lost sales allowed; an open platform keeps its minimum fill
        off = served > 1.0 + _TOL
        problems += _fill_violations(model, share)
    for i in np.flatnonzero(off)[:20]:
        row = model.kr_demand_row[i]
        problems.append(
            f"demand of {inst.demand['sku_id'].iloc[row]} in {inst.demand['region_id'].iloc[row]}"
            f" served at {served[i]:.6g} of 1"
        )
    if np.any((share < -_TOL) | (share > 1 + _TOL)):
        problems.append("a flow share lies outside [0, 1]")
    kc_flow = np.bincount(model.kc_of_pair, weights=share, minlength=len(model.kc_sku))
    for g in np.flatnonzero((kc_flow > _TOL) & ~decisions.channel_used)[:20]:
        problems.append(
            f"{sku_ids[model.kc_sku[g]]} ships through channel "
            f"{inst.channels['channel_id'].iloc[model.kc_channel[g]]} not marked used"
        )
    used_per_sku = np.bincount(model.kc_sku[decisions.channel_used], minlength=len(sku_ids))
    for k in np.flatnonzero(used_per_sku > model.sku_max_channels + _TOL)[:20]:
        problems.append(
            f"{sku_ids[k]} uses {used_per_sku[k]} channels, more than "
            f"{int(model.sku_max_channels[k])}"
        )
    stocked_pairs = model.kh_of_pair >= 0
    kh_flow = np.bincount(
        model.kh_of_pair[stocked_pairs], weights=share[stocked_pairs], minlength=len(model.kh_sku)
    )
    for g in np.flatnonzero((kh_flow > _TOL) & ~decisions.stocked)[:20]:
        problems.append(
            f"{sku_ids[model.kh_sku[g]]} ships from {node_ids[model.kh_node[g]]} "
            "where it is not stocked"
        )
    for g in np.flatnonzero(decisions.stocked & ~decisions.node_open[model.kh_h])[:20]:
        problems.append(
            f"{sku_ids[model.kh_sku[g]]} stocked at closed node {node_ids[model.kh_node[g]]}"
        )
    n_h = len(model.h_node)
    storage = np.bincount(
        model.kh_h, weights=model.sku_volume_m3[model.kh_sku] * on_hand, minlength=n_h
    )
    cap = np.where(decisions.node_open, np.nan_to_num(model.h_storage_m3, nan=np.inf), 0.0)
    for h in np.flatnonzero(storage > cap * (1 + _TOL) + _TOL):
        problems.append(
            f"storage at {node_ids[model.h_node[h]]}: {storage[h]:.6g} m3 > {cap[h]:.6g} m3"
        )
    units = model.demand_units * share
    h_units = np.bincount(
        model.h_of_pair[stocked_pairs], weights=units[stocked_pairs], minlength=n_h
    )
    cap = np.where(decisions.node_open, np.nan_to_num(model.h_throughput_units, nan=np.inf), 0.0)
    for h in np.flatnonzero(h_units > cap * (1 + _TOL) + _TOL):
        problems.append(
            f"throughput at {node_ids[model.h_node[h]]}: {h_units[h]:.6g} units > {cap[h]:.6g}"
        )
    volume, weight = load_requirements(model, share)
    leg_keys = model.index.legs.key[model.ct_leg]
    for load, size, unit in ((volume, model.ct_size_m3, "m3"), (weight, model.ct_size_kg, "kg")):
        limit = np.where(np.isnan(size), np.inf, size * decisions.containers * model.ct_shipments)
        for i in np.flatnonzero(load > limit * (1 + _TOL) + _TOL):
            problems.append(
                f"lane {leg_keys[i]} carries {load[i]:.6g} {unit} in "
                f"{model.ct_shipments[i]:g} shipments of {decisions.containers[i]:g} loads of "
                f"{size[i]:g} {unit}"
            )
    problems += _tariff_violations(model, share)
    orders = np.bincount(
        model.h_of_pair[stocked_pairs],
        weights=(units / inst.demand["units_per_order"].to_numpy(np.float64)[pairs.demand_row])[
            stocked_pairs
        ],
        minlength=n_h,
    )
    horizon = float(inst.params["horizon_days"])
    cap = np.where(
        decisions.node_open, np.nan_to_num(model.h_orders_per_day, nan=np.inf) * horizon, 0.0
    )
    for h in np.flatnonzero(orders > cap * (1 + _TOL) + _TOL):
        problems.append(
            f"orders at {node_ids[model.h_node[h]]}: {orders[h] / horizon:.6g} a day > "
            f"{cap[h] / horizon:.6g}"
        )
    # grouped reductions over the regions with a target (one pass over the pairs)
    n_nodes = len(node_ids)
    regions, days, alpha = service_targets(model)
    target_days = np.full(n_nodes, np.nan)
    target_days[regions] = days
    promise = model.index.paths.promise_days[pairs.path]
    total = np.bincount(pairs.region, weights=units, minlength=n_nodes)
    fast = np.bincount(
        pairs.region,
        weights=np.where(promise <= target_days[pairs.region] + 1e-9, units, 0.0),
        minlength=n_nodes,
    )
    for r, t, a in zip(regions, days, alpha, strict=True):
        if total[r] > 0 and fast[r] < a * total[r] * (1 - _TOL) - _TOL:
            problems.append(
                f"service in {node_ids[r]}: {fast[r] / total[r]:.4f} within {t:g} days < {a:g}"
            )
    regions, quota = quota_limits(model)
    value = np.where(quota_pairs(model), model.landed.transaction_value * units, 0.0)
    used = np.bincount(pairs.region, weights=value, minlength=n_nodes)
    for r, q in zip(regions, quota, strict=True):
        if used[r] > q * (1 + _TOL) + _TOL:
            problems.append(f"CBEC quota in {node_ids[r]}: {used[r]:.2f} > {q:.2f}")
    return problems


def _fill_violations(model: CostModel, share: np.ndarray) -> list[str]:
    """Profit mode: open platforms below their minimum fill rate."""
    sales, inst = model.sales, model.instance
    fill = sales.platform_min_fill
    if not np.any(fill > 0):
        return []
    rows = model.kr_demand_row
    on = sales.platform[rows] >= 0
    demand = inst.demand["units"].to_numpy(np.float64)[rows]
    wanted = np.bincount(sales.platform[rows][on], weights=demand[on], minlength=len(fill))
    pair_platform = sales.platform[model.index.pairs.demand_row]
    sold_on = pair_platform >= 0
    sold = np.bincount(
        pair_platform[sold_on],
        weights=(model.demand_units * share)[sold_on],
        minlength=len(fill),
    )
    _, platform_open = listings_used(model, share)
    ids = inst.table("platforms")["platform_id"].to_numpy(object)
    bad = platform_open & (sold < fill * wanted * (1 - _TOL) - _TOL)
    return [
        f"platform {ids[q]}: fill rate {sold[q] / wanted[q]:.4f} < its minimum {fill[q]:g}"
        for q in np.flatnonzero(bad)
    ]
