"""Everything the MIP and the plan evaluation need, as arrays over pairs and groups.

One :class:`CostModel` is built per instance and shared by the formulation
(which turns it into a sparse problem) and the evaluation (which prices a
plan with it), so both read the same numbers.

Stock (../shared/DOMAIN.md, FORMULATION.md constraint 5), per pair j that
ships from a stocking node, per unit of the share x_j:

- on hand = D_j b / H + z (sigma_j sqrt(L_j) + sigma_L,j D_j / H), with
  b = review period / 2 (cycle stock) and the linear, no-pooling bound on
  safety stock; it occupies storage and is held at ``held_value_kh``;
- pipeline = D_j L_j / H, in transit to the node, held at the pair's value
  but not occupying the node.

Groups: ``kh`` = (SKU, stocking node), ``kc`` = (SKU, channel),
``kr`` = demand rows, ``lanes`` = containerised lanes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lean_chain.costs.landed import COMPONENTS, LandedCost, landed_cost
from lean_chain.index import Index, build_index
from lean_chain.model.instance import Instance


@dataclass(frozen=True, eq=False)
class CostModel:
    """Arrays over pairs j, (SKU, node) groups kh, (SKU, channel) groups kc,
    demand rows kr, stocking nodes h and containerised lanes."""

    instance: Instance
    index: Index
    landed: LandedCost
    demand_units: np.ndarray  # D_j
    unit_cost: np.ndarray  # a_j, total landed cost per unit
    on_hand_per_share: np.ndarray
    pipeline_per_share: np.ndarray
    pipeline_holding_per_share: np.ndarray  # cost of pipeline stock per unit share
    safety_per_share: np.ndarray  # linear safety-stock part of on_hand_per_share
    holding_factor: float  # holding rate x horizon / 365
    # demand rows kr
    kr_of_pair: np.ndarray
    kr_demand_row: np.ndarray
    # (SKU, stocking node)
    kh_of_pair: np.ndarray  # -1 for pairs that are not stocked
    kh_sku: np.ndarray
    kh_node: np.ndarray
    kh_held_value: np.ndarray
    kh_min_stock: np.ndarray
    kh_slotting_cost: np.ndarray
    # (SKU, channel)
    kc_of_pair: np.ndarray
    kc_sku: np.ndarray
    kc_channel: np.ndarray
    kc_fixed_cost: np.ndarray
    sku_max_channels: np.ndarray
    # stocking nodes that some pair uses
    h_node: np.ndarray
    h_of_pair: np.ndarray  # -1 if not stocked
    h_fixed_cost: np.ndarray
    h_storage_m3: np.ndarray  # nan = unlimited
    h_throughput_units: np.ndarray  # nan = unlimited
    kh_h: np.ndarray  # h index of each kh group
    # containerised lanes
    ct_lane: np.ndarray  # lane index of each containerised lane used by some pair
    ct_size_m3: np.ndarray
    ct_cost: np.ndarray
    ct_pair: np.ndarray  # incidence: pair ct_pair[i] travels containerised lane ct_of[i]
    ct_of: np.ndarray
    pair_volume_m3: np.ndarray  # volume per unit of the pair's SKU
    sku_volume_m3: np.ndarray

    @property
    def n_pairs(self) -> int:
        return len(self.demand_units)

    @property
    def variable_components(self) -> tuple[str, ...]:
        return COMPONENTS


def _group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the group index of each element."""
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, inverse.astype(np.int64)


def build_cost_model(instance: Instance) -> CostModel:
    """Build (and cache on the instance) the arrays shared by the MIP and the evaluation.

    Examples
    --------
    >>> import lean_chain  # doctest: +SKIP
    >>> model = build_cost_model(lean_chain.load_instance("instances/cn_import"))  # doctest: +SKIP
    """
    cached = instance._cache.get("cost_model")
    if cached is not None:
        return cached
    index = build_index(instance)
    pairs, paths = index.pairs, index.paths
    params = instance.params
    landed = landed_cost(instance, index)
    n_nodes = len(instance.nodes)
    n_channels = len(instance.channels)
    horizon = float(params["horizon_days"])
    holding_factor = float(params["holding_rate_per_year"]) * horizon / 365.0
    z = instance.safety_factor

    demand_units = instance.demand["units"].to_numpy(np.float64)[pairs.demand_row]
    sigma = instance.demand["demand_std_daily"].to_numpy(np.float64)[pairs.demand_row]
    stocked = pairs.stock_node >= 0
    lead = paths.inbound_days[pairs.path]
    lead_std = paths.inbound_std_days[pairs.path]
    cycle = demand_units * (float(params["review_period_days"]) / 2.0) / horizon
    safety = z * (sigma * np.sqrt(lead) + lead_std * demand_units / horizon)
    on_hand = np.where(stocked, cycle + safety, 0.0)
    pipeline = np.where(stocked, demand_units * lead / horizon, 0.0)

    kr_rows, kr_of_pair = _group(pairs.demand_row)

    kh_key = np.where(stocked, pairs.sku * n_nodes + pairs.stock_node, -1)
    kh_keys, kh_inverse = _group(kh_key[stocked])
    kh_of_pair = np.full(len(pairs), -1, dtype=np.int64)
    kh_of_pair[stocked] = kh_inverse
    kh_sku = kh_keys // n_nodes
    kh_node = kh_keys % n_nodes
    kh_held_value = np.full(len(kh_keys), -np.inf)
    np.maximum.at(kh_held_value, kh_inverse, landed.held_value[stocked])
    skus = instance.skus
    kh_min_stock = skus["min_stock_units"].to_numpy(np.float64)[kh_sku]
    kh_slotting = skus["slotting_cost"].to_numpy(np.float64)[kh_sku]

    kc_keys, kc_of_pair = _group(pairs.sku * n_channels + pairs.channel)
    kc_sku = kc_keys // n_channels
    kc_channel = kc_keys % n_channels
    kc_fixed = instance.channels["fixed_cost_per_sku"].to_numpy(np.float64)[kc_channel]
    max_channels = skus["max_channels"].to_numpy(np.float64)
    max_channels = np.where(np.isnan(max_channels), params["max_channels_per_sku"], max_channels)

    h_node, kh_h = (
        _group(kh_node) if len(kh_node) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )
    h_pos = np.full(n_nodes, -1, dtype=np.int64)
    h_pos[h_node] = np.arange(len(h_node))
    h_of_pair = np.where(stocked, h_pos[np.maximum(pairs.stock_node, 0)], -1)
    nodes = instance.nodes

    # containerised lanes travelled by pairs: expand each pair's path lanes
    lanes = instance.lanes
    container = ~np.isnan(lanes["container_m3"].to_numpy(np.float64))
    path_lengths = np.diff(paths.lane_ptr)
    lengths = path_lengths[pairs.path]
    pair_rep = np.repeat(np.arange(len(pairs)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    lane_of = (
        paths.lane[paths.lane_ptr[pairs.path][pair_rep] + offsets] if len(pair_rep) else pair_rep
    )
    on_container = container[lane_of] if len(lane_of) else np.zeros(0, dtype=bool)
    ct_pair = pair_rep[on_container]
    ct_lane, ct_of = (
        _group(lane_of[on_container])
        if on_container.any()
        else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    )
    sku_volume = skus["volume_m3"].to_numpy(np.float64)

    model = CostModel(
        instance=instance,
        index=index,
        landed=landed,
        demand_units=demand_units,
        unit_cost=landed.total,
        on_hand_per_share=on_hand,
        pipeline_per_share=pipeline,
        pipeline_holding_per_share=holding_factor * landed.held_value * pipeline,
        safety_per_share=np.where(stocked, safety, 0.0),
        holding_factor=holding_factor,
        kr_of_pair=kr_of_pair,
        kr_demand_row=kr_rows,
        kh_of_pair=kh_of_pair,
        kh_sku=kh_sku,
        kh_node=kh_node,
        kh_held_value=kh_held_value,
        kh_min_stock=kh_min_stock,
        kh_slotting_cost=kh_slotting,
        kc_of_pair=kc_of_pair,
        kc_sku=kc_sku,
        kc_channel=kc_channel,
        kc_fixed_cost=kc_fixed,
        sku_max_channels=max_channels,
        h_node=h_node,
        h_of_pair=h_of_pair,
        h_fixed_cost=nodes["fixed_cost"].to_numpy(np.float64)[h_node],
        h_storage_m3=nodes["storage_capacity_m3"].to_numpy(np.float64)[h_node],
        h_throughput_units=nodes["throughput_capacity_units"].to_numpy(np.float64)[h_node],
        kh_h=kh_h,
        ct_lane=ct_lane,
        ct_size_m3=lanes["container_m3"].to_numpy(np.float64)[ct_lane],
        ct_cost=lanes["cost_per_container"].to_numpy(np.float64)[ct_lane],
        ct_pair=ct_pair,
        ct_of=ct_of,
        pair_volume_m3=sku_volume[pairs.sku],
        sku_volume_m3=sku_volume,
    )
    instance._cache["cost_model"] = model
    return model


def service_targets(model: CostModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regions (node index) with a service target, their T days and alpha."""
    nodes = model.instance.nodes
    days = nodes["service_days"].to_numpy(np.float64)
    share = nodes["service_share"].to_numpy(np.float64)
    regions = np.unique(model.index.pairs.region)
    regions = regions[~np.isnan(days[regions]) & (share[regions] > 0)]
    return regions, days[regions], share[regions]


def quota_limits(model: CostModel) -> tuple[np.ndarray, np.ndarray]:
    """Regions (node index) with a CBEC quota and the quota value per horizon."""
    inst = model.instance
    consumers = inst.nodes["consumers"].to_numpy(np.float64)
    regions = np.unique(model.index.pairs.region)
    regions = regions[~np.isnan(consumers[regions])]
    quota = (
        consumers[regions]
        * inst.params["cbec_annual_limit_per_person"]
        * inst.params["horizon_days"]
        / 365.0
    )
    return regions, quota


def quota_pairs(model: CostModel) -> np.ndarray:
    """Pairs whose transaction value counts toward their region's CBEC quota."""
    counts = model.instance.channels["counts_toward_cbec_quota"].to_numpy(bool)
    return counts[model.index.pairs.channel]
