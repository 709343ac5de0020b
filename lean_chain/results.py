"""The Plan: a solved (or evaluated) plan as pandas tables plus its summary.

Tables (one CSV each under ``RUN/plan/``):

- ``flows``: sku_id, region_id, channel_id, path_key, route, stock_node, units,
  share, unit_landed_cost, promise_days;
- ``sku_channels``: sku_id, channel_id, units, fixed_cost (channels used);
- ``stock``: sku_id, node_id, stocked, on_hand_units, linear_safety_units,
  pooled_safety_units, pipeline_units, held_value, holding_cost;
- ``nodes``: stocking nodes with open, fixed_cost, throughput and storage use
  against capacity;
- ``containers``: lane_id, rate_id, from_node, to_node, containers (or trucks) per
  shipment, shipments, load_m3, load_kg (per horizon), container_m3, container_kg,
  utilization, cost;
- ``lane_costs``: weight-break / per-m3 legs (chargeable quantity, shipments,
  cost), order-band legs (the band the lane's weight per shipment falls in) and
  fixed charges per shipment (informative; recomputed by evaluate);
- ``sales``: one row per (sku_id, region_id, platform_id, channel_id) sold, and one
  with a blank channel_id for units not sold: units demanded and served, price, revenue,
  commission, fees, returns_cost, landed_cost, contribution (both objective modes);
- ``listings``: sku_id, platform_id, listed, units demanded and served, listing fee,
  and why a SKU is not listed;
- ``alternatives``: every candidate path of every demand row with its unit cost,
  status, reason and break-even (:mod:`lean_chain.explain`; informative).

``path_key`` (``channel|lane>lane>...``) identifies a path; ``lean-chain
evaluate`` reads the plan back by (sku_id, region_id, path_key), with platform_id
when the instance has sales platforms (flows then name it), and takes
``units`` as the quantity shipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lean_chain.costs.evaluate import Decisions, Evaluation
from lean_chain.costs.model import (
    CostModel,
    fixed_leg_used,
    leg_quantities,
    load_requirements,
    order_band_costs,
    piecewise_leg_cost,
)

PLAN_TABLES = (
    "flows",
    "sku_channels",
    "stock",
    "nodes",
    "containers",
    "lane_costs",
    "sales",
    "listings",
)


@dataclass(frozen=True, eq=False)
class Plan:
    """A plan with its status, objective, bound and tables.

    ``objective`` is the MIP objective of the (cleaned) plan; the evaluation
    core's total is ``evaluation.objective`` and the two agree within 1e-6
    relative whenever ``solve`` returns.
    """

    status: str
    objective: float
    bound: float
    gap: float
    solver: str
    wall_s: float
    decisions: Decisions
    evaluation: Evaluation
    tables: dict[str, pd.DataFrame]
    info: dict = field(default_factory=dict)
    #: Tables too large to hold (the alternatives of a big plan): name -> a function
    #: that writes the table's CSV to a path a block at a time, with ``frame()`` for
    #: the whole table (:class:`lean_chain.explain.DeferredAlternatives`).
    streamed: dict = field(default_factory=dict, repr=False)

    @property
    def cost_breakdown(self) -> dict[str, float]:
        return self.evaluation.cost_breakdown

    @property
    def kpis(self) -> dict:
        return self.evaluation.kpis

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def explain(self, sku: str | None = None, region: str | None = None) -> pd.DataFrame:
        """Every candidate path of the plan's demand rows (of one SKU and/or region) with
        its unit cost, status, reason and break-even (:mod:`lean_chain.explain`).

        Examples
        --------
        >>> import lean_chain
        >>> plan = lean_chain.solve(lean_chain.load_instance("tests/data/tiny"))
        >>> plan.explain(sku="B")["status"].tolist()
        ['chosen', 'dearer']
        """
        from lean_chain.explain import select

        if "alternatives" in self.streamed:  # a big plan: built now, whole
            return select(self.streamed["alternatives"].frame(), sku=sku, region=region)
        if "alternatives" not in self.tables:
            raise ValueError(
                "this plan has no alternatives table: "
                + str(self.info.get("alternatives", "it was not computed"))
            )
        return select(self.tables["alternatives"], sku=sku, region=region)

    def summary(self) -> dict:
        """The content of ``summary.json``."""
        return {
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "solver": self.solver,
            "wall_s": self.wall_s,
            "cost_breakdown": self.cost_breakdown,
            "kpis": self.kpis,
            "violations": self.evaluation.violations,
            **self.info,
        }


def plan_tables(
    model: CostModel, decisions: Decisions, evaluation: Evaluation
) -> dict[str, pd.DataFrame]:
    """Build the plan's tables from its decisions."""
    inst, pairs, paths = model.instance, model.index.pairs, model.index.paths
    node_ids = inst.nodes["node_id"].to_numpy(object)
    sku_ids = inst.skus["sku_id"].to_numpy(object)
    channel_ids = inst.channels["channel_id"].to_numpy(object)
    lane_ids = inst.lanes["lane_id"].to_numpy(object)
    share = decisions.share
    units = model.demand_units * share

    used = np.flatnonzero(share > 0)
    p = pairs.path[used]
    # one string per distinct path (a network's few thousand), never one per flow
    distinct, which = np.unique(p, return_inverse=True)
    route = np.array(
        [
            ">".join(node_ids[paths.node[paths.node_ptr[q] : paths.node_ptr[q + 1]]])
            for q in distinct
        ],
        dtype=object,
    )[which.reshape(-1)]
    flows = pd.DataFrame(
        {
            "sku_id": sku_ids[pairs.sku[used]],
            "region_id": node_ids[pairs.region[used]],
            "channel_id": channel_ids[pairs.channel[used]],
            "path_key": paths.key[p],
            "route": route,
            "stock_node": np.where(
                pairs.stock_node[used] >= 0, node_ids[np.maximum(pairs.stock_node[used], 0)], ""
            ),
            "units": units[used],
            "share": share[used],
            "unit_landed_cost": model.unit_cost[used],
            "promise_days": paths.promise_days[p],
        }
    )
    if inst.has_platforms:  # demand rows are per platform: name it (read back by evaluate)
        platform = model.sales.platform[pairs.demand_row[used]]
        platform_ids = np.append(inst.platforms["platform_id"].astype(str).to_numpy(), "")
        flows.insert(2, "platform_id", platform_ids[platform])

    kc_units = np.bincount(model.kc_of_pair, weights=units, minlength=len(model.kc_sku))
    kc = np.flatnonzero(decisions.channel_used)
    sku_channels = pd.DataFrame(
        {
            "sku_id": sku_ids[model.kc_sku[kc]],
            "channel_id": channel_ids[model.kc_channel[kc]],
            "units": kc_units[kc],
            "fixed_cost": model.kc_fixed_cost[kc],
        }
    )

    on_hand = evaluation.on_hand
    stocked_pairs = model.kh_of_pair >= 0
    n_kh = len(model.kh_sku)

    def per_kh(values: np.ndarray) -> np.ndarray:
        return np.bincount(
            model.kh_of_pair[stocked_pairs], weights=values[stocked_pairs], minlength=n_kh
        )

    pipeline_units = per_kh(model.pipeline_per_share * share)
    pipeline_cost = per_kh(model.pipeline_holding_per_share * share)
    kh = np.flatnonzero(decisions.stocked | (on_hand > 0))
    stock = pd.DataFrame(
        {
            "sku_id": sku_ids[model.kh_sku[kh]],
            "node_id": node_ids[model.kh_node[kh]],
            "stocked": decisions.stocked[kh],
            "on_hand_units": on_hand[kh],
            "linear_safety_units": per_kh(model.safety_per_share * share)[kh],
            "pooled_safety_units": evaluation.pooled_safety[kh],
            "pipeline_units": pipeline_units[kh],
            "held_value": model.kh_held_value[kh],
            "holding_cost": model.holding_factor * model.kh_held_value[kh] * on_hand[kh]
            + pipeline_cost[kh],
        }
    )

    n_h = len(model.h_node)
    throughput = np.bincount(
        model.h_of_pair[stocked_pairs], weights=units[stocked_pairs], minlength=n_h
    )
    storage = np.bincount(
        model.kh_h, weights=model.sku_volume_m3[model.kh_sku] * on_hand, minlength=n_h
    )
    nodes = pd.DataFrame(
        {
            "node_id": node_ids[model.h_node],
            "kind": inst.nodes["kind"].to_numpy(object)[model.h_node],
            "open": decisions.node_open,
            "fixed_cost": np.where(decisions.node_open, model.h_fixed_cost, 0.0),
            "throughput_units": throughput,
            "throughput_capacity_units": model.h_throughput_units,
            "storage_m3": storage,
            "storage_capacity_m3": model.h_storage_m3,
        }
    )

    lanes, legs = inst.lanes, model.index.legs
    rate_ids = inst.rates["rate_id"].to_numpy(object)

    def rate_id_of(leg: np.ndarray) -> np.ndarray:
        if len(rate_ids) == 0:
            return np.full(len(leg), "", dtype=object)
        return np.where(legs.rate[leg] >= 0, rate_ids[np.maximum(legs.rate[leg], 0)], "")

    volume, weight = load_requirements(model, share)
    with np.errstate(invalid="ignore", divide="ignore"):
        used = (
            np.maximum(
                np.nan_to_num(volume / model.ct_size_m3, nan=0.0),
                np.nan_to_num(weight / model.ct_size_kg, nan=0.0),
            )
            / model.ct_shipments
        )
    containers = pd.DataFrame(
        {
            "lane_id": lane_ids[model.ct_lane],
            "rate_id": rate_id_of(model.ct_leg),
            "from_node": lanes["from_node"].to_numpy(object)[model.ct_lane],
            "to_node": lanes["to_node"].to_numpy(object)[model.ct_lane],
            "containers": decisions.containers.astype(np.int64),
            "shipments": model.ct_shipments,
            "load_m3": volume,
            "load_kg": weight,
            "container_m3": model.ct_size_m3,
            "container_kg": model.ct_size_kg,
            "utilization": np.divide(
                used, decisions.containers, out=np.zeros_like(used), where=decisions.containers > 0
            ),
            "cost": model.ct_cost * decisions.containers,
        }
    )
    quantity, actual = leg_quantities(model, share)
    consolidated = pd.DataFrame(
        {
            "lane_id": lane_ids[legs.lane[model.pw_leg]],
            "rate_id": rate_id_of(model.pw_leg),
            "service": inst.rates["service"].to_numpy(object)[legs.rate[model.pw_leg]]
            if len(model.pw_leg)
            else np.zeros(0, dtype=object),
            "chargeable_quantity": quantity,
            "actual_quantity": actual,
            "shipments": model.pw_shipments,
            "per_shipment": quantity / model.pw_shipments,
            "cost": piecewise_leg_cost(model, share),
        }
    )
    fixed_used = fixed_leg_used(model, share)
    fixed = pd.DataFrame(
        {
            "lane_id": lane_ids[legs.lane[model.fx_leg]],
            "rate_id": rate_id_of(model.fx_leg),
            "used": fixed_used,
            "cost": np.where(fixed_used, model.fx_cost, 0.0),
        }
    )
    band_cost, band = order_band_costs(model, share)
    ob_units = model.demand_units[model.ob_pair] * share[model.ob_pair]
    ob_kg = np.bincount(model.ob_of, weights=model.ob_kg_per_unit * ob_units, minlength=len(band))
    order_bands = pd.DataFrame(
        {
            "lane_id": lane_ids[legs.lane[model.ob_leg]],
            "rate_id": rate_id_of(model.ob_leg),
            "chargeable_quantity": ob_kg,
            "shipments": model.ob_shipments,
            "per_shipment": ob_kg / model.ob_shipments,
            "band_from": np.where(band >= 0, model.ob_band_lo[np.maximum(band, 0)], np.nan)
            if len(band)
            else np.zeros(0),
            "cost": band_cost,
        }
    )
    lane_costs = pd.concat(
        [
            consolidated.assign(charge="consolidated"),
            fixed.assign(charge="fixed_per_shipment"),
            order_bands.assign(charge="order_band"),
        ],
        ignore_index=True,
    )
    return {
        "flows": flows,
        "sku_channels": sku_channels,
        "stock": stock,
        "nodes": nodes,
        "containers": containers,
        "lane_costs": lane_costs,
        **sales_tables(model, share),
    }


def sales_tables(model: CostModel, share: np.ndarray) -> dict[str, pd.DataFrame]:
    """``sales``: one row per (sku_id, region_id, platform_id, channel_id) sold, and one
    with a blank channel_id for the units not sold, with price, revenue, commission,
    fees, returns_cost (platform_returns.csv), landed_cost and contribution
    (revenue - commission - fees - returns_cost - landed_cost; holding, consolidated
    freight and fixed costs are not allocated); ``listings``: one row per (sku_id,
    platform_id) with demand, listed or not and why.

    In cost mode every unit is sold, so the same figures say what the cost-optimal
    plan earns.
    """
    inst, pairs, sales = model.instance, model.index.pairs, model.sales
    sku_ids = inst.skus["sku_id"].to_numpy(object)
    node_ids = inst.nodes["node_id"].to_numpy(object)
    channel_ids = np.append(inst.channels["channel_id"].astype(str).to_numpy(object), "")
    platform_ids = np.append(inst.table("platforms")["platform_id"].astype(str).to_numpy(), "")
    demand = inst.demand
    n_rows = len(demand)
    units = model.demand_units * share
    row_sku = pd.Index(inst.skus["sku_id"]).get_indexer(demand["sku_id"])
    row_region = pd.Index(inst.nodes["node_id"]).get_indexer(demand["region_id"])
    row_platform = np.where(sales.platform >= 0, sales.platform, len(platform_ids) - 1)

    # sold: per (demand row, channel) of the pairs with flow
    n_channels = len(channel_ids)
    key = pairs.demand_row.astype(np.int64) * n_channels + pairs.channel
    used = units > 0
    keys, inverse = np.unique(key[used], return_inverse=True)
    inverse = inverse.reshape(-1)
    sold_units = np.bincount(inverse, weights=units[used], minlength=len(keys))
    landed = np.bincount(inverse, weights=(model.unit_cost * units)[used], minlength=len(keys))
    returns_per_unit = (
        model.pair_returns_per_unit
        if model.pair_returns_per_unit is not None
        else np.zeros(model.n_pairs)
    )
    returned = np.bincount(inverse, weights=(returns_per_unit * units)[used], minlength=len(keys))
    line_row, line_channel = np.divmod(keys, n_channels)
    # not sold: the rest of every demand row with units
    wanted = demand["units"].to_numpy(np.float64)
    served = np.bincount(pairs.demand_row, weights=units, minlength=n_rows)
    lost = np.flatnonzero((wanted > 0) & (wanted - served > 1e-9 * np.maximum(wanted, 1.0)))
    row = np.concatenate([line_row, lost])
    channel = np.concatenate([line_channel, np.full(len(lost), n_channels - 1)])
    units_demanded = np.concatenate([sold_units, wanted[lost] - served[lost]])
    units_served = np.concatenate([sold_units, np.zeros(len(lost))])
    landed_cost = np.concatenate([landed, np.zeros(len(lost))])
    revenue = sales.price[row] * units_served
    commission = sales.commission[row] * units_served
    fees = sales.fees[row] * units_served
    returns_cost = np.concatenate([returned, np.zeros(len(lost))])
    table = pd.DataFrame(
        {
            "sku_id": sku_ids[row_sku[row]],
            "region_id": node_ids[row_region[row]],
            "platform_id": platform_ids[row_platform[row]],
            "channel_id": channel_ids[channel],
            "units_demanded": units_demanded,
            "units_served": units_served,
            "price": sales.price[row],
            "revenue": revenue,
            "commission": commission,
            "fees": fees,
            "returns_cost": returns_cost,
            "landed_cost": landed_cost,
            "contribution": revenue - commission - fees - returns_cost - landed_cost,
        }
    ).sort_values(["sku_id", "region_id", "platform_id", "channel_id"], kind="stable")

    # listings: per (SKU, platform) with demand
    kq_wanted = np.bincount(sales.row_kq, weights=wanted, minlength=len(sales.kq_sku))
    kq_served = np.bincount(sales.row_kq, weights=served, minlength=len(sales.kq_sku))
    has_path = np.zeros(n_rows, dtype=bool)
    has_path[pairs.demand_row] = True
    kq_reachable = np.bincount(sales.row_kq, weights=has_path, minlength=len(sales.kq_sku)) > 0
    listed = kq_served > 0
    # best margin per unit of a listing: net price (after commission, fees and returns)
    # less the cheapest landed cost, over its demand rows' pairs
    margin = np.full(len(sales.kq_sku), -np.inf)
    np.maximum.at(margin, sales.row_kq[pairs.demand_row], model.pair_net_price - model.unit_cost)
    reason = np.select(
        [listed, ~kq_reachable, margin > 0],
        [
            "sold",
            "no legal flow can serve it (see the hard rules)",
            "its unit margin does not pay the fixed costs it would add (listing or platform "
            "fee, node, channel or slotting cost, minimum fill rate)",
        ],
        "not profitable: price less commission, fees and returns is below its landed cost",
    )
    reason = np.where(kq_wanted > 0, reason, "no demand")
    kq_platform = np.where(sales.kq_platform >= 0, sales.kq_platform, len(platform_ids) - 1)
    listings = pd.DataFrame(
        {
            "sku_id": sku_ids[sales.kq_sku],
            "platform_id": platform_ids[kq_platform],
            "listed": listed,
            "units_demanded": kq_wanted,
            "units_served": kq_served,
            "listing_fee": np.where(listed, sales.kq_listing_fee, 0.0),
            "reason": reason,
        }
    )
    return {"sales": table.reset_index(drop=True), "listings": listings}
