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
``kr`` = demand rows; legs with loads (``ct``), piecewise tariffs (``pw``)
and fixed charges per shipment (``fx``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from lean_chain.costs.landed import COMPONENTS, LandedCost, landed_cost
from lean_chain.costs.platforms import SalesTerms, pair_returns_cost, sales_terms
from lean_chain.costs.rates import CM3_PER_M3, pair_steps
from lean_chain.index import LEG_LOADS, LEG_ORDER_BAND, LEG_PIECEWISE, Index, build_index
from lean_chain.model.instance import Instance


@dataclass(frozen=True, eq=False)
class CostModel:
    """Arrays over pairs j, (SKU, node) groups kh, (SKU, channel) groups kc,
    demand rows kr, stocking nodes h and containerised lanes."""

    instance: Instance
    index: Index
    landed: LandedCost
    demand_units: np.ndarray  # D_j
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
    h_orders_per_day: np.ndarray  # nan = unlimited
    # loads: containers and trucks on legs (integer count per leg)
    ct_leg: np.ndarray  # leg index of each load leg used by some pair
    ct_lane: np.ndarray
    ct_size_m3: np.ndarray  # nan = not limited by volume
    ct_size_kg: np.ndarray  # nan = not limited by weight
    ct_cost: np.ndarray  # cost of one load per shipment over the horizon: cost x shipments
    ct_shipments: np.ndarray  # shipments per horizon; loads are counted per shipment
    ct_pair: np.ndarray  # incidence: pair ct_pair[i] travels load leg ct_of[i]
    ct_of: np.ndarray
    # piecewise (weight-break, per-m3) legs: cost S f(Q / S) of the leg's quantity Q
    pw_leg: np.ndarray
    pw_pair: np.ndarray  # incidence, as for loads
    pw_of: np.ndarray
    pw_actual_per_unit: np.ndarray  # per incidence: kg (or m3 for per_m3) per unit
    pw_volumetric_per_unit: np.ndarray  # per incidence: volumetric kg per unit (0 if none)
    pw_breaks: tuple  # per leg: break quantities
    pw_rates: tuple  # per leg: rate per unit of quantity from each break
    pw_min_charge: np.ndarray
    pw_shipments: np.ndarray
    pw_band_hi: tuple  # per leg: each band's upper limit per shipment (nan = blank)
    pw_band_min: tuple  # per leg: each band's own minimum charge
    # order bands (order_weight_break): the lane's weight per shipment picks the band,
    # each order pays max(band minimum, band rate x its chargeable kg)
    ob_leg: np.ndarray
    ob_pair: np.ndarray  # incidence, as for loads
    ob_of: np.ndarray
    ob_kg_per_unit: np.ndarray  # per incidence: chargeable kg per unit
    ob_shipments: np.ndarray  # per leg
    ob_band_leg: np.ndarray  # per band (all legs' bands concatenated): its leg group
    ob_band_lo: np.ndarray  # per shipment
    ob_band_hi: np.ndarray  # per shipment (inf = no limit)
    ob_cell_inc: np.ndarray  # per (incidence, band of its leg): the incidence
    ob_cell_band: np.ndarray  # ... and the band
    ob_cell_cost: np.ndarray  # ... cost per unit in that band
    # lane and service capacity: one limit per (lane or service, quantity)
    cap_lane: np.ndarray  # lane of each limit
    cap_leg: np.ndarray  # the service's leg, -1 for the whole lane
    cap_quantity: np.ndarray  # 0 kg, 1 m3, 2 units
    cap_limit: np.ndarray  # per horizon
    cap_pair: np.ndarray  # incidence: pair cap_pair[i] counts toward limit cap_of[i]
    cap_of: np.ndarray
    cap_per_unit: np.ndarray  # per incidence: kg, m3 or 1 per unit
    # fixed charge per shipment on legs that carry anything
    fx_leg: np.ndarray
    fx_pair: np.ndarray
    fx_of: np.ndarray
    fx_cost: np.ndarray  # fixed charge x shipments per horizon
    pair_volume_m3: np.ndarray  # volume per unit of the pair's SKU
    pair_weight_kg: np.ndarray
    sku_volume_m3: np.ndarray
    #: "cost" (minimise cost, serve all demand) or "profit" (minimise -contribution;
    #: serving demand is a choice); see :func:`build_cost_model`
    objective: str = "cost"
    #: price and fees per demand row (lean_chain.costs.platforms); None: not computed
    sales: SalesTerms | None = None
    #: returns cost per unit sold, per pair (lean_chain.costs.platforms.pair_returns_cost)
    pair_returns_per_unit: np.ndarray | None = None

    @property
    def n_pairs(self) -> int:
        return len(self.demand_units)

    @cached_property
    def unit_cost(self) -> np.ndarray:
        """a_j, the total landed cost per unit of each pair (``landed.total``)."""
        return self.landed.total

    @property
    def profit_mode(self) -> bool:
        return self.objective == "profit"

    @property
    def pair_net_price(self) -> np.ndarray:
        """Price less commission, platform fees and returns cost per unit sold, per pair
        (0 without sales)."""
        if self.sales is None:
            return np.zeros(self.n_pairs)
        net = self.sales.net_price[self.index.pairs.demand_row]
        if self.pair_returns_per_unit is not None:
            net = net - self.pair_returns_per_unit
        return net

    @property
    def pair_kq(self) -> np.ndarray:
        """Listing group (SKU, platform) of each pair."""
        return self.sales.row_kq[self.index.pairs.demand_row]

    @property
    def variable_components(self) -> tuple[str, ...]:
        return COMPONENTS


def _group(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unique keys and the group index of each element.

    Non-negative integer keys of a range within a few times their count are
    grouped by counting (linear time); others by sorting.

    >>> [a.tolist() for a in _group(np.array([7, 3, 7, 5]))]
    [[3, 5, 7], [2, 0, 2, 1]]
    """
    keys = np.asarray(keys)
    if (
        len(keys)
        and np.issubdtype(keys.dtype, np.integer)
        and keys.min() >= 0
        and keys.max() < 4 * len(keys) + 1024
    ):
        present = np.bincount(keys) > 0
        position = np.cumsum(present) - 1
        return np.flatnonzero(present), position[keys].astype(np.int64)
    unique, inverse = np.unique(keys, return_inverse=True)
    return unique, inverse.astype(np.int64)


#: Objectives of :func:`build_cost_model` (``lean-chain solve --objective``).
OBJECTIVES = ("cost", "profit")


def build_cost_model(instance: Instance, objective: str = "cost") -> CostModel:
    """Build (and cache on the instance) the arrays shared by the MIP and the evaluation.

    ``objective="profit"`` gives the same arrays for profit mode: the MIP and the
    evaluation then minimise cost + commissions and fees + listing and platform fees
    - revenue (= -contribution), and serving a demand row is a choice.

    Examples
    --------
    >>> import lean_chain
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> model.n_pairs  # 2 SKUs x (bonded zone, direct mail)
    4
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {', '.join(OBJECTIVES)}; got {objective!r}")
    if objective != "cost":
        key = f"cost_model_{objective}"
        if key not in instance._cache:
            base = build_cost_model(instance)
            instance._cache[key] = dataclasses.replace(base, objective=objective)
        return instance._cache[key]
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

    legs = index.legs
    sku_volume = skus["volume_m3"].to_numpy(np.float64)
    sku_weight = skus["weight_kg"].to_numpy(np.float64)
    leg_kind = legs.kind[paths.leg]
    lanes, rates = instance.lanes, instance.rates

    def incidence(kind: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(legs of this kind used by pairs, pair of each incidence, leg group of each)."""
        pair, step = pair_steps(index, leg_kind == kind)
        if len(pair) == 0:
            empty = np.zeros(0, np.int64)
            return empty, empty, empty
        used, of = _group(paths.leg[step])
        return used, pair, of

    def rate_col(name: str, leg: np.ndarray) -> np.ndarray:
        values = rates[name].to_numpy(np.float64) if len(rates) else np.zeros(0)
        return values[np.maximum(legs.rate[leg], 0)] if len(values) else np.full(len(leg), np.nan)

    # loads: containers (lanes.container_m3, or container rates) and truckloads
    ct_leg, ct_pair, ct_of = incidence(LEG_LOADS)
    is_rate = legs.rate[ct_leg] >= 0
    ct_lane = legs.lane[ct_leg]
    ct_size_m3 = np.where(
        is_rate,
        rate_col("capacity_m3", ct_leg),
        lanes["container_m3"].to_numpy(np.float64)[ct_lane],
    )
    ct_size_kg = np.where(is_rate, rate_col("capacity_kg", ct_leg), np.nan)
    ct_cost = np.where(
        is_rate,
        rate_col("cost_per_load", ct_leg),
        lanes["cost_per_container"].to_numpy(np.float64)[ct_lane],
    )
    ct_shipments = np.where(is_rate, rate_col("shipments_per_horizon", ct_leg), 1.0)

    # piecewise: weight-break and per-m3 rates on consolidated lanes
    pw_leg, pw_pair, pw_of = incidence(LEG_PIECEWISE)
    pw_kind = rates["kind"].to_numpy(object)[legs.rate[pw_leg]] if len(pw_leg) else np.zeros(0)
    pw_breaks, pw_rates, pw_band_hi, pw_band_min = [], [], [], []
    breaks = instance.weight_breaks
    for g, kind in zip(pw_leg, pw_kind, strict=True):
        if kind == "per_m3":
            pw_breaks.append(np.zeros(1))
            pw_rates.append(np.array([rates["cost_per_m3"].iat[legs.rate[g]]]))
            pw_band_hi.append(np.full(1, np.nan))
            pw_band_min.append(np.zeros(1))
        else:
            rows = _bands_of(breaks, rates["rate_id"].iat[legs.rate[g]])
            pw_breaks.append(rows["min_weight_kg"].to_numpy(np.float64))
            pw_rates.append(rows["rate_per_kg"].to_numpy(np.float64))
            pw_band_hi.append(rows["max_weight_kg"].to_numpy(np.float64))
            pw_band_min.append(rows["min_charge"].to_numpy(np.float64))
    # quantity per unit of each incidence: chargeable kg (actual and volumetric), or m3
    divisor = rate_col("volumetric_divisor", pw_leg)[pw_of] if len(pw_of) else np.zeros(0)
    k_of = pairs.sku[pw_pair]
    by_m3 = pw_kind[pw_of] == "per_m3" if len(pw_of) else np.zeros(0, dtype=bool)
    pw_actual = np.where(by_m3, sku_volume[k_of], sku_weight[k_of])
    with np.errstate(invalid="ignore"):
        pw_volumetric = np.where(
            by_m3 | np.isnan(divisor), 0.0, sku_volume[k_of] * CM3_PER_M3 / divisor
        )

    # fixed charge per shipment on any leg that has one
    fixed = np.zeros(len(legs))
    has_rate = legs.rate >= 0
    if len(rates):
        fixed[has_rate] = rates["fixed_per_shipment"].to_numpy(np.float64)[legs.rate[has_rate]]
    shipments = np.ones(len(legs))
    if len(rates):
        shipments[has_rate] = rates["shipments_per_horizon"].to_numpy(np.float64)[
            legs.rate[has_rate]
        ]
    ob = _order_bands(instance, index, incidence, rate_col, shipments)
    cap = _capacities(instance, index, sku_weight, sku_volume, shipments)
    fx_pair, fx_step = pair_steps(index, fixed[paths.leg] > 0)
    fx_leg, fx_of = _group(paths.leg[fx_step]) if len(fx_step) else (np.zeros(0, np.int64),) * 2

    model = CostModel(
        instance=instance,
        index=index,
        landed=landed,
        demand_units=demand_units,
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
        h_orders_per_day=nodes["orders_per_day_capacity"].to_numpy(np.float64)[h_node],
        ct_leg=ct_leg,
        ct_lane=ct_lane,
        ct_size_m3=ct_size_m3,
        ct_size_kg=ct_size_kg,
        ct_cost=ct_cost * ct_shipments,
        ct_shipments=ct_shipments,
        ct_pair=ct_pair,
        ct_of=ct_of,
        pw_leg=pw_leg,
        pw_pair=pw_pair,
        pw_of=pw_of,
        pw_actual_per_unit=pw_actual,
        pw_volumetric_per_unit=pw_volumetric,
        pw_breaks=tuple(pw_breaks),
        pw_rates=tuple(pw_rates),
        pw_min_charge=rate_col("min_charge", pw_leg),
        pw_shipments=shipments[pw_leg],
        pw_band_hi=tuple(pw_band_hi),
        pw_band_min=tuple(pw_band_min),
        **ob,
        **cap,
        fx_leg=fx_leg,
        fx_pair=fx_pair,
        fx_of=fx_of,
        fx_cost=fixed[fx_leg] * shipments[fx_leg],
        pair_volume_m3=sku_volume[pairs.sku],
        pair_weight_kg=sku_weight[pairs.sku],
        sku_volume_m3=sku_volume,
        sales=sales_terms(instance),
        pair_returns_per_unit=pair_returns_cost(
            instance, sales_terms(instance), pairs, landed.component("procurement")
        ),
    )
    instance._cache["cost_model"] = model
    return model


def _bands_of(breaks, rate_id: str):
    """The weight_breaks rows of one rate, lowest band first."""
    return breaks[breaks["rate_id"] == rate_id].sort_values("min_weight_kg")


def _order_bands(instance: Instance, index: Index, incidence, rate_col, shipments) -> dict:
    """Arrays of the order-band (order_weight_break) legs, their bands and cells."""
    from lean_chain.costs.rates import _bands, chargeable_kg

    legs, pairs = index.legs, index.pairs
    ob_leg, ob_pair, ob_of = incidence(LEG_ORDER_BAND)
    skus = instance.skus
    divisor = rate_col("volumetric_divisor", ob_leg)[ob_of] if len(ob_of) else np.zeros(0)
    k = pairs.sku[ob_pair]
    kg = chargeable_kg(
        skus["weight_kg"].to_numpy(np.float64)[k],
        skus["volume_m3"].to_numpy(np.float64)[k],
        divisor,
    )
    band_leg, lo, hi, rate, minimum = [], [], [], [], []
    rate_ids = instance.rates["rate_id"].to_numpy(object)
    min_charge = rate_col("min_charge", ob_leg)
    for g, leg in enumerate(ob_leg):
        rows = _bands_of(instance.weight_breaks, rate_ids[legs.rate[leg]])
        breaks = rows["min_weight_kg"].to_numpy(np.float64)
        own_hi = rows["max_weight_kg"].to_numpy(np.float64)
        # an order band ends where the next begins unless it says otherwise
        own_hi = np.where(np.isnan(own_hi), np.append(breaks[1:], np.inf), own_hi)
        band_hi, band_min = _bands(
            breaks,
            rows["rate_per_kg"].to_numpy(np.float64),
            min_charge[g],
            own_hi,
            rows["min_charge"].to_numpy(np.float64),
        )
        band_leg.append(np.full(len(breaks), g))
        lo.append(breaks)
        hi.append(band_hi)
        rate.append(rows["rate_per_kg"].to_numpy(np.float64))
        minimum.append(band_min)

    def cat(parts: list, dtype=np.float64) -> np.ndarray:
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    band_leg_arr = cat(band_leg, np.int64)
    first = np.searchsorted(band_leg_arr, np.arange(len(ob_leg)))
    count = np.bincount(band_leg_arr, minlength=len(ob_leg))
    per_inc = count[ob_of]
    cell_inc = np.repeat(np.arange(len(ob_of)), per_inc)
    cell_band = np.repeat(first[ob_of], per_inc) + (
        np.arange(per_inc.sum()) - np.repeat(np.cumsum(per_inc) - per_inc, per_inc)
    )
    units_per_order = instance.demand["units_per_order"].to_numpy(np.float64)[
        pairs.demand_row[ob_pair]
    ]
    band_rate, band_min = cat(rate), cat(minimum)
    cell_cost = np.maximum(
        band_min[cell_band] / units_per_order[cell_inc], band_rate[cell_band] * kg[cell_inc]
    )
    return dict(
        ob_leg=ob_leg,
        ob_pair=ob_pair,
        ob_of=ob_of,
        ob_kg_per_unit=kg,
        ob_shipments=shipments[ob_leg],
        ob_band_leg=band_leg_arr,
        ob_band_lo=cat(lo),
        ob_band_hi=cat(hi),
        ob_cell_inc=cell_inc,
        ob_cell_band=cell_band,
        ob_cell_cost=cell_cost,
    )


#: Quantities a lane or service limit counts, in ``CostModel.cap_quantity`` order.
CAPACITY_QUANTITIES = ("kg", "m3", "units")


def _capacities(
    instance: Instance, index: Index, sku_weight: np.ndarray, sku_volume: np.ndarray, shipments
) -> dict:
    """Lane limits (all services together) and service limits, per horizon."""
    legs, paths, pairs = index.legs, index.paths, index.pairs
    horizon = float(instance.params["horizon_days"])
    parts: dict[str, list] = {k: [] for k in ("lane", "leg", "q", "limit", "pair", "of", "per")}
    n_rows = 0
    per_unit = (sku_weight, sku_volume, np.ones(len(sku_weight)))
    sources = [(instance.lanes, paths.lane, None)]
    if len(instance.rates):
        leg_of_rate = np.full(len(instance.rates), -1, dtype=np.int64)
        leg_of_rate[legs.rate[legs.rate >= 0]] = np.flatnonzero(legs.rate >= 0)
        sources.append((instance.rates, legs.rate[paths.leg], leg_of_rate))
    for table, key_of_step, leg_of_row in sources:
        period = table["limit_per"].astype(str).to_numpy(object)
        factor = np.where(period == "day", horizon, 1.0)
        if leg_of_row is not None:
            factor = np.where(period == "shipment", shipments[leg_of_row], factor)
        for q, name in enumerate(CAPACITY_QUANTITIES):
            limit = table[f"max_{name}"].to_numpy(np.float64) * factor
            limited = np.flatnonzero(~np.isnan(limit))
            if len(limited) == 0:
                continue
            row_of = np.full(len(table), -1, dtype=np.int64)
            row_of[limited] = n_rows + np.arange(len(limited))
            mask = np.zeros(len(key_of_step), dtype=bool)
            valid = key_of_step >= 0
            mask[valid] = row_of[key_of_step[valid]] >= 0
            pair, step = pair_steps(index, mask)
            if leg_of_row is None:
                parts["lane"].append(limited)
                parts["leg"].append(np.full(len(limited), -1, dtype=np.int64))
            else:
                parts["lane"].append(legs.lane[leg_of_row[limited]])
                parts["leg"].append(leg_of_row[limited])
            parts["q"].append(np.full(len(limited), q, dtype=np.int64))
            parts["limit"].append(limit[limited])
            parts["pair"].append(pair)
            parts["of"].append(row_of[key_of_step[step]])
            parts["per"].append(per_unit[q][pairs.sku[pair]])
            n_rows += len(limited)

    def cat(key: str, dtype) -> np.ndarray:
        return np.concatenate(parts[key]).astype(dtype) if parts[key] else np.zeros(0, dtype)

    return dict(
        cap_lane=cat("lane", np.int64),
        cap_leg=cat("leg", np.int64),
        cap_quantity=cat("q", np.int64),
        cap_limit=cat("limit", np.float64),
        cap_pair=cat("pair", np.int64),
        cap_of=cat("of", np.int64),
        cap_per_unit=cat("per", np.float64),
    )


def capacity_use(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Per lane or service limit: the kg, m3 or units the plan puts on it per horizon."""
    units = model.demand_units[model.cap_pair] * share[model.cap_pair]
    return np.bincount(
        model.cap_of, weights=model.cap_per_unit * units, minlength=len(model.cap_limit)
    ).astype(np.float64)


def order_band_costs(model: CostModel, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per order-band leg: its cost under ``share`` and the band it falls in (-1: none).

    The band is the one whose range holds the lane's chargeable kg per shipment
    (the cheaper one on a shared boundary); outside every band the cheapest band
    prices it and the band is -1 (a violation).
    """
    n = len(model.ob_leg)
    units = model.demand_units[model.ob_pair] * share[model.ob_pair]
    kg = np.bincount(model.ob_of, weights=model.ob_kg_per_unit * units, minlength=n)
    per_band = np.bincount(
        model.ob_cell_band,
        weights=model.ob_cell_cost * units[model.ob_cell_inc],
        minlength=len(model.ob_band_leg),
    )
    per_shipment = (kg / model.ob_shipments)[model.ob_band_leg]
    slack = 1e-6 * np.maximum(1.0, per_shipment)
    inside = (per_shipment >= model.ob_band_lo - slack) & (per_shipment <= model.ob_band_hi + slack)
    cost, band = np.zeros(n), np.full(n, -1, dtype=np.int64)
    for g in np.flatnonzero(kg > 0):
        mine = np.flatnonzero(model.ob_band_leg == g)
        ok = mine[inside[mine]]
        pick = ok if len(ok) else mine
        best = pick[np.argmin(per_band[pick])]
        cost[g] = per_band[best]
        band[g] = best if len(ok) else -1
    return cost, band


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


def leg_quantities(model: CostModel, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per piecewise leg: the horizon quantity (chargeable kg, or m3) and its actual part."""
    units = model.demand_units[model.pw_pair] * share[model.pw_pair]
    n = len(model.pw_leg)
    actual = np.bincount(model.pw_of, weights=model.pw_actual_per_unit * units, minlength=n)
    volumetric = np.bincount(model.pw_of, weights=model.pw_volumetric_per_unit * units, minlength=n)
    return np.maximum(actual, volumetric).astype(np.float64), actual.astype(np.float64)


def leg_most_quantity(model: CostModel) -> np.ndarray:
    """Per piecewise leg: the most it could carry over the horizon (every pair's whole
    share, each at the larger of its actual and volumetric quantity)."""
    return np.bincount(
        model.pw_of,
        weights=np.maximum(model.pw_actual_per_unit, model.pw_volumetric_per_unit)
        * model.demand_units[model.pw_pair],
        minlength=len(model.pw_leg),
    )


def piecewise_table(model: CostModel) -> dict[str, np.ndarray]:
    """The pieces of every piecewise leg's per-shipment cost function, concatenated.

    Keys: ``leg`` (piecewise-leg group), ``lo``, ``hi`` (per-shipment quantity),
    ``slope``, ``intercept``. The last piece of a leg reaches the most the leg
    could carry per shipment.
    """
    from lean_chain.costs.rates import piecewise_pieces

    most = leg_most_quantity(model)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("leg", "lo", "hi", "slope", "intercept")}
    for g in range(len(model.pw_leg)):
        lo, hi, slope, intercept = piecewise_pieces(
            model.pw_breaks[g],
            model.pw_rates[g],
            float(model.pw_min_charge[g]),
            most[g] / model.pw_shipments[g] * (1 + 1e-9) + 1e-9,
            model.pw_band_hi[g],
            model.pw_band_min[g],
        )
        for key, values in zip(parts, (np.full(len(lo), g), lo, hi, slope, intercept), strict=True):
            parts[key].append(values)
    return {
        key: (np.concatenate(values) if values else np.zeros(0)) for key, values in parts.items()
    }


def piecewise_leg_cost(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Cost S f(Q / S) of every piecewise leg under ``share``."""
    from lean_chain.costs.rates import piecewise_cost

    quantity, _ = leg_quantities(model, share)
    cost = np.zeros(len(model.pw_leg))
    for g in range(len(model.pw_leg)):
        per_shipment = quantity[g] / model.pw_shipments[g]
        cost[g] = model.pw_shipments[g] * float(
            piecewise_cost(
                per_shipment,
                model.pw_breaks[g],
                model.pw_rates[g],
                float(model.pw_min_charge[g]),
                model.pw_band_hi[g],
                model.pw_band_min[g],
            )
        )
    return cost


def fixed_leg_used(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Per fixed-charge leg: does the plan put any flow on it."""
    units = np.bincount(
        model.fx_of,
        weights=model.demand_units[model.fx_pair] * share[model.fx_pair],
        minlength=len(model.fx_leg),
    )
    return units > 0


def load_requirements(model: CostModel, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per load leg: volume (m3) and weight (kg) carried under ``share``."""
    j = model.ct_pair
    units = model.demand_units[j] * share[j]
    n = len(model.ct_leg)
    volume = np.bincount(model.ct_of, weights=model.pair_volume_m3[j] * units, minlength=n)
    weight = np.bincount(model.ct_of, weights=model.pair_weight_kg[j] * units, minlength=n)
    return volume.astype(np.float64), weight.astype(np.float64)


def loads_needed(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Fewest containers/trucks per shipment on each load leg that hold what ``share``
    puts on it (each of the leg's shipments carries horizon load / shipments)."""
    volume, weight = load_requirements(model, share)
    volume, weight = volume / model.ct_shipments, weight / model.ct_shipments
    with np.errstate(invalid="ignore", divide="ignore"):
        by_volume = np.where(np.isnan(model.ct_size_m3), 0.0, volume / model.ct_size_m3)
        by_weight = np.where(np.isnan(model.ct_size_kg), 0.0, weight / model.ct_size_kg)
    return np.maximum(np.ceil(np.maximum(by_volume, by_weight) - 1e-6), 0.0)
