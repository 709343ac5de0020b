"""Compile an instance into integer index arrays: the network, its paths, and
the (SKU, path) pairs the model may use.

The network is a :class:`networkx.MultiDiGraph` (nodes, lanes keyed by
``lane_id``). Paths follow each channel's ``path_shape`` over lanes that allow
the channel; they do not depend on the SKU, so they are enumerated once per
(supplier, channel) and then joined to demand rows with array operations. A
(SKU, path) *pair* exists when the path starts at the SKU's supplier, ends at
a demand node with demand for it, and breaks no hard rule (positive list,
maximum promise days, order-value cap, a tax rule exists).

Examples
--------
>>> from lean_chain.index import parse_shape
>>> parse_shape("supplier>port?>bonded_zone>region")
[('supplier', False), ('port', True), ('bonded_zone', False), ('region', False)]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from lean_chain.model.instance import Instance
from lean_chain.model.regimes import THRESHOLD_RTOL
from lean_chain.model.territories import territories

#: Why a candidate (SKU, path) pair was dropped; see :attr:`PairIndex.dropped`.
DROP_REASONS = (
    "positive_list",
    "promise_days",
    "node_not_allowed",
    "no_tax_rule",
    "order_value_cap",
    "annual_limit",
    "no_general_trade_rule",
    "service_not_allowed",
    "platform_rule",
    "offline_store_cbec",
    "fulfilment_size",
)
#: Channels of China's CBEC retail import (goods for the buyer's own use, never for resale
#: or offline sale): a mainland physical store may not be supplied through them.
CBEC_RETAIL_IMPORT_CHANNELS = ("1210", "1239", "9610")


def parse_shape(shape: str) -> list[tuple[str, bool]]:
    """Split a ``path_shape`` into (node kind, optional) steps."""
    steps = []
    for token in shape.split(">"):
        token = token.strip()
        optional = token.endswith("?")
        steps.append((token.rstrip("?").strip(), optional))
    return steps


def lane_allows(channels_cell: str, channel_id: str) -> bool:
    """True if a lane's ``channels`` cell ('*' or 'a|b|c') admits ``channel_id``."""
    tokens = {t.strip() for t in str(channels_cell).split("|")}
    return "*" in tokens or channel_id in tokens


#: Leg kinds: how a leg's cost beyond the lane's linear cost columns is priced.
LEG_LINEAR, LEG_PARCEL, LEG_PIECEWISE, LEG_LOADS, LEG_ORDER_BAND = 0, 1, 2, 3, 4
_RATE_KIND_TO_LEG = {
    "parcel": LEG_PARCEL,
    "order_weight_break": LEG_ORDER_BAND,
    "weight_break": LEG_PIECEWISE,
    "per_m3": LEG_PIECEWISE,
    "container": LEG_LOADS,
    "truckload": LEG_LOADS,
}


@dataclass(frozen=True, eq=False)
class Legs:
    """Ways to travel a lane, as arrays over leg ``g``.

    A lane without rates is one leg (``rate`` -1; containerised when the lane has
    ``container_m3``); a lane with rates has one leg per rate (carrier service).
    ``key`` is the lane id, or ``lane_id@rate_id``.
    """

    lane: np.ndarray
    rate: np.ndarray
    key: np.ndarray
    kind: np.ndarray  # LEG_* code
    lead_days: np.ndarray
    lead_std_days: np.ndarray

    def __len__(self) -> int:
        return len(self.lane)


def build_legs(instance: Instance) -> Legs:
    """One leg per lane without rates, one per rate on lanes with rates."""
    lanes, rates = instance.lanes, instance.rates
    lane_pos = {lane: i for i, lane in enumerate(lanes["lane_id"])}
    has_rates = lanes["lane_id"].isin(set(rates["lane_id"])).to_numpy(bool)
    plain = np.flatnonzero(~has_rates)
    rate_lane = rates["lane_id"].map(lane_pos).to_numpy(np.int64)
    lane_lead = lanes["lead_time_days"].to_numpy(np.float64)
    lane_std = lanes["lead_time_std_days"].to_numpy(np.float64)
    rate_lead = rates["lead_time_days"].to_numpy(np.float64)
    rate_std = rates["lead_time_std_days"].to_numpy(np.float64)
    containerised = ~np.isnan(lanes["container_m3"].to_numpy(np.float64))
    lane_ids = lanes["lane_id"].to_numpy(object)
    return Legs(
        lane=np.concatenate([plain, rate_lane]),
        rate=np.concatenate([np.full(len(plain), -1), np.arange(len(rates))]).astype(np.int64),
        key=np.concatenate(
            [lane_ids[plain], (rates["lane_id"] + "@" + rates["rate_id"]).to_numpy(object)]
        ),
        kind=np.concatenate(
            [
                np.where(containerised[plain], LEG_LOADS, LEG_LINEAR),
                rates["kind"].map(_RATE_KIND_TO_LEG).to_numpy(np.int64),
            ]
        ).astype(np.int64),
        lead_days=np.concatenate(
            [lane_lead[plain], np.where(np.isnan(rate_lead), lane_lead[rate_lane], rate_lead)]
        ),
        lead_std_days=np.concatenate(
            [lane_std[plain], np.where(np.isnan(rate_std), lane_std[rate_lane], rate_std)]
        ),
    )


def build_graph(instance: Instance, legs: Legs | None = None) -> nx.MultiDiGraph:
    """The network as a directed multigraph: nodes with their attributes, one
    edge per leg (a lane, or a carrier service on it) keyed by the leg's key."""
    legs = legs if legs is not None else build_legs(instance)
    graph = nx.MultiDiGraph()
    for row in instance.nodes.itertuples(index=False):
        graph.add_node(row.node_id, kind=row.kind, country=row.country, lat=row.lat, lon=row.lon)
    lanes = instance.lanes
    from_node = lanes["from_node"].to_numpy(object)[legs.lane]
    to_node = lanes["to_node"].to_numpy(object)[legs.lane]
    mode = lanes["mode"].to_numpy(object)[legs.lane]
    channels = lanes["channels"].to_numpy(object)[legs.lane]
    lane_ids = lanes["lane_id"].to_numpy(object)[legs.lane]
    for g in range(len(legs)):
        graph.add_edge(
            from_node[g],
            to_node[g],
            key=legs.key[g],
            position=g,
            mode=mode[g],
            channels=channels[g],
            lane_id=lane_ids[g],
        )
    return graph


@dataclass(frozen=True, eq=False)
class Paths:
    """Every channel path of the network, as arrays over path index ``p``.

    Lanes of path p are ``lane[lane_ptr[p]:lane_ptr[p+1]]`` in travel order
    (and ``leg[...]`` the carrier service taken on each);
    ``border_lane_count[p]`` of them are travelled before the goods enter the
    destination country (they make up the CIF value).
    """

    channel: np.ndarray  # int, index into instance.channels
    origin: np.ndarray  # int, node index of the supplier
    destination: np.ndarray  # int, node index of the demand node
    stock_node: np.ndarray  # int, node index, -1 if not stocked
    lane_ptr: np.ndarray
    lane: np.ndarray
    leg: np.ndarray  # leg of each step (same layout as ``lane``)
    step_inbound: np.ndarray  # bool per step: travelled before the stock node
    step_to_border: np.ndarray  # bool per step: up to and including the border crossing
    node_ptr: np.ndarray
    node: np.ndarray
    promise_days: np.ndarray  # order to delivery
    promise_std_days: np.ndarray
    inbound_days: np.ndarray  # origin to stock node (0 if not stocked)
    inbound_std_days: np.ndarray
    freight_per_kg: np.ndarray
    freight_per_m3: np.ndarray
    freight_per_unit: np.ndarray
    border_freight_per_kg: np.ndarray
    border_freight_per_m3: np.ndarray
    border_freight_per_unit: np.ndarray
    inbound_freight_per_kg: np.ndarray
    inbound_freight_per_m3: np.ndarray
    inbound_freight_per_unit: np.ndarray
    handling_per_unit: np.ndarray
    key: np.ndarray  # object: "channel|lane>lane>..." stable identifier

    def __len__(self) -> int:
        return len(self.channel)


@dataclass(frozen=True, eq=False)
class PairIndex:
    """The (SKU, path) pairs the model may use, as parallel arrays over pair ``j``.

    ``demand_row`` indexes ``instance.demand``; ``rule`` indexes
    ``instance.tax_rules``. ``dropped`` counts candidate pairs removed per
    reason; ``unserved_rows`` lists demand rows (units > 0) left without any
    pair. The ``excluded_*`` arrays list every dropped candidate (demand row,
    path) with the first hard rule it breaks (an index into
    :data:`DROP_REASONS`), so a report can say why a path was never an option.
    """

    sku: np.ndarray
    path: np.ndarray
    demand_row: np.ndarray
    region: np.ndarray
    channel: np.ndarray
    stock_node: np.ndarray
    rule: np.ndarray
    single_item_over_cap: np.ndarray  # bool: taxed under the single-item rule
    #: duty rate of a single item above the cap (NaN for other pairs): the rule's
    #: over_cap_duty_rate, else the general-trade rule's duty for the same key
    over_cap_duty_rate: np.ndarray = field(default_factory=lambda: np.zeros(0))
    dropped: dict[str, int] = field(default_factory=dict)
    unserved_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    missing_rules: pd.DataFrame | None = None
    excluded_demand_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    excluded_path: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    excluded_reason: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    def __len__(self) -> int:
        return len(self.sku)


@dataclass(frozen=True, eq=False)
class Index:
    """Everything compiled from an instance before costs are computed."""

    node_ids: np.ndarray
    node_pos: dict[str, int]
    sku_pos: dict[str, int]
    lane_pos: dict[str, int]
    channel_pos: dict[str, int]
    graph: nx.MultiDiGraph
    legs: Legs
    paths: Paths
    pairs: PairIndex


def _enumerate_node_paths(
    graph: nx.MultiDiGraph, start: str, steps: list[tuple[str, bool]], channel_id: str
) -> list[list[str]]:
    """All lane sequences from ``start`` following ``steps`` (depth-first)."""
    found: list[list[str]] = []
    kinds = nx.get_node_attributes(graph, "kind")

    def next_positions(position: int) -> list[int]:
        out = []
        for j in range(position + 1, len(steps)):
            out.append(j)
            if not steps[j][1]:
                break
        return out

    def walk(node: str, position: int, lanes: list[str], visited: set[str]) -> None:
        if position == len(steps) - 1:
            found.append(list(lanes))
            return
        targets = next_positions(position)
        for _, succ, lane_id, data in graph.out_edges(node, keys=True, data=True):
            if succ in visited or not lane_allows(data["channels"], channel_id):
                continue
            for j in targets:
                if kinds[succ] == steps[j][0]:
                    lanes.append(lane_id)
                    visited.add(succ)
                    walk(succ, j, lanes, visited)
                    visited.discard(succ)
                    lanes.pop()
                    break

    walk(start, 0, [], {start})
    return found


def build_paths(
    instance: Instance, graph: nx.MultiDiGraph, node_pos: dict[str, int], legs: Legs
) -> Paths:
    """Enumerate every channel path and its lead-time and freight coefficients."""
    nodes, lanes, channels = instance.nodes, instance.lanes, instance.channels
    suppliers = nodes.loc[nodes["kind"] == "supplier", "node_id"].tolist()
    lane_to = lanes["to_node"].map(node_pos).to_numpy(np.int64)
    node_country = nodes["country"].to_numpy(object)

    leg_pos = {key: g for g, key in enumerate(legs.key)}
    rec_channel, rec_origin, rec_lanes = [], [], []
    for c, row in enumerate(channels.itertuples(index=False)):
        steps = parse_shape(row.path_shape)
        for supplier in suppliers:
            for lane_seq in _enumerate_node_paths(graph, supplier, steps, row.channel_id):
                rec_channel.append(c)
                rec_origin.append(node_pos[supplier])
                rec_lanes.append([leg_pos[leg] for leg in lane_seq])

    n_paths = len(rec_lanes)
    lengths = np.fromiter((len(seq) for seq in rec_lanes), dtype=np.int64, count=n_paths)
    lane_ptr = np.zeros(n_paths + 1, dtype=np.int64)
    np.cumsum(lengths, out=lane_ptr[1:])
    leg = np.fromiter((x for seq in rec_lanes for x in seq), dtype=np.int64, count=lane_ptr[-1])
    lane = legs.lane[leg]
    channel = np.asarray(rec_channel, dtype=np.int64)
    origin = np.asarray(rec_origin, dtype=np.int64)
    path_of_lane = np.repeat(np.arange(n_paths), lengths)
    step_in_path = np.arange(len(lane)) - lane_ptr[path_of_lane]
    last = lane_ptr[1:] - 1
    destination = lane_to[lane[last]] if n_paths else np.zeros(0, dtype=np.int64)

    # nodes visited: origin, then the head of each lane
    node_ptr = lane_ptr + np.arange(n_paths + 1)
    node = np.empty(node_ptr[-1], dtype=np.int64)
    node[node_ptr[:-1]] = origin
    node[np.arange(len(lane)) + path_of_lane + 1] = lane_to[lane]

    # stocking node: the node of the channel's stock kind (the first one visited)
    node_kind = nodes["kind"].to_numpy(object)
    stock_kind = channels["stock_node_kind"].to_numpy(object)[channel]
    path_of_node = np.repeat(np.arange(n_paths), lengths + 1)
    is_stock = (node_kind[node] == stock_kind[path_of_node]) & (stock_kind[path_of_node] != "")
    stock_node = np.full(n_paths, -1, dtype=np.int64)
    stock_step = np.full(n_paths, -1, dtype=np.int64)  # index of stock node within path nodes
    hit = np.flatnonzero(is_stock)
    if len(hit):
        first = hit[np.unique(path_of_node[hit], return_index=True)[1]]
        stock_node[path_of_node[first]] = node[first]
        stock_step[path_of_node[first]] = first - node_ptr[path_of_node[first]]

    # lane attributes, split into before / after the stock node and before the border
    lt = legs.lead_days[leg]
    lt_var = legs.lead_std_days[leg] ** 2
    per_kg = lanes["cost_per_kg"].to_numpy(np.float64)[lane]
    per_m3 = lanes["cost_per_m3"].to_numpy(np.float64)[lane]
    per_unit = lanes["cost_per_unit"].to_numpy(np.float64)[lane]
    # lane s of a path arrives at node s+1: it is inbound when s+1 <= stock_step
    inbound = (stock_step[path_of_lane] >= 0) & (step_in_path + 1 <= stock_step[path_of_lane])
    # the border is that of the destination's customs territory (the EU-27 is one)
    node_territory = territories(node_country)
    entered = node_territory[lane_to[lane]] == node_territory[destination][path_of_lane]
    # a lane is before (or at) the border if no earlier lane entered the destination territory
    entered_before = np.zeros(len(lane), dtype=bool)
    if len(lane):
        cum = np.cumsum(entered)
        start_cum = np.where(lane_ptr[:-1] > 0, cum[np.maximum(lane_ptr[:-1] - 1, 0)], 0)
        entered_so_far = cum - start_cum[path_of_lane]
        entered_before = (entered_so_far - entered) > 0
    to_border = ~entered_before

    def per_path(values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        weights = values if mask is None else np.where(mask, values, 0.0)
        return np.bincount(path_of_lane, weights=weights, minlength=n_paths)

    outbound = ~inbound
    processing = channels["processing_days"].to_numpy(np.float64)[channel]
    handling_node = nodes["handling_cost_per_unit"].to_numpy(np.float64)[node]
    channel_ids = channels["channel_id"].to_numpy(object)
    key = np.array(
        [
            f"{channel_ids[channel[p]]}|" + ">".join(legs.key[leg[lane_ptr[p] : lane_ptr[p + 1]]])
            for p in range(n_paths)
        ],
        dtype=object,
    )
    return Paths(
        channel=channel,
        origin=origin,
        destination=destination,
        stock_node=stock_node,
        lane_ptr=lane_ptr,
        lane=lane,
        leg=leg,
        step_inbound=inbound,
        step_to_border=to_border,
        node_ptr=node_ptr,
        node=node,
        promise_days=per_path(lt, outbound) + processing,
        promise_std_days=np.sqrt(per_path(lt_var, outbound)),
        inbound_days=per_path(lt, inbound),
        inbound_std_days=np.sqrt(per_path(lt_var, inbound)),
        freight_per_kg=per_path(per_kg),
        freight_per_m3=per_path(per_m3),
        freight_per_unit=per_path(per_unit),
        border_freight_per_kg=per_path(per_kg, to_border),
        border_freight_per_m3=per_path(per_m3, to_border),
        border_freight_per_unit=per_path(per_unit, to_border),
        inbound_freight_per_kg=per_path(per_kg, inbound),
        inbound_freight_per_m3=per_path(per_m3, inbound),
        inbound_freight_per_unit=per_path(per_unit, inbound),
        handling_per_unit=np.bincount(path_of_node, weights=handling_node, minlength=n_paths),
        key=key,
    )


def resolve_tax_rules(
    tax_rules: pd.DataFrame,
    channel_id: np.ndarray,
    destination_country: np.ndarray,
    origin_country: np.ndarray,
    category: np.ndarray,
) -> np.ndarray:
    """Row of ``tax_rules`` that applies to each query, -1 where none does.

    The most specific row wins: an exact category beats '*', then an exact
    origin country beats '*'.

    Examples
    --------
    >>> import pandas as pd, numpy as np
    >>> rules = pd.DataFrame({"channel_id": ["1210", "1210"], "destination_country": ["CN", "CN"],
    ...                       "origin_country": ["*", "*"], "category": ["*", "wine"]})
    >>> resolve_tax_rules(rules, np.array(["1210", "1210", "9610"]), np.array(["CN"] * 3),
    ...                   np.array(["JP"] * 3), np.array(["wine", "toys", "toys"])).tolist()
    [1, 0, -1]
    """
    query = pd.DataFrame(
        {
            "channel_id": channel_id,
            "destination_country": destination_country,
            "origin_country": origin_country,
            "category": category,
        }
    )
    unique = query.drop_duplicates().reset_index(drop=True)
    found = pd.Series(-1, index=unique.index, dtype=np.int64)
    rules = tax_rules[["channel_id", "destination_country", "origin_country", "category"]].copy()
    rules["rule_row"] = np.arange(len(rules))
    for category_exact, origin_exact in (
        (True, True),
        (True, False),
        (False, True),
        (False, False),
    ):
        probe = unique.copy()
        if not category_exact:
            probe["category"] = "*"
        if not origin_exact:
            probe["origin_country"] = "*"
        merged = probe.merge(rules, how="left", on=list(probe.columns), sort=False)
        merged = merged.groupby(level=0).first() if len(merged) != len(probe) else merged
        hit = merged["rule_row"].notna().to_numpy() & (found.to_numpy() < 0)
        found[hit] = merged["rule_row"].to_numpy()[hit].astype(np.int64)
    keyed = unique.assign(rule_row=found.to_numpy())
    back = query.merge(keyed, how="left", on=list(query.columns), sort=False)
    return back["rule_row"].to_numpy(np.int64)


def build_pairs(
    instance: Instance, paths: Paths, node_pos: dict[str, int], sku_pos: dict[str, int]
) -> PairIndex:
    """Join demand rows to the paths that can serve them and drop rule breakers."""
    skus, demand, nodes, channels = (
        instance.skus,
        instance.demand,
        instance.nodes,
        instance.channels,
    )
    n_nodes = len(nodes)
    active = np.flatnonzero(demand["units"].to_numpy(np.float64) > 0)
    d_sku = demand["sku_id"].map(sku_pos).to_numpy(np.int64)[active]
    d_region = demand["region_id"].map(node_pos).to_numpy(np.int64)[active]
    supplier = skus["supplier_id"].map(node_pos).to_numpy(np.int64)
    d_key = supplier[d_sku] * n_nodes + d_region

    p_key = paths.origin * n_nodes + paths.destination
    order = np.argsort(p_key, kind="stable")
    sorted_key = p_key[order]
    lo = np.searchsorted(sorted_key, d_key, side="left")
    hi = np.searchsorted(sorted_key, d_key, side="right")
    counts = hi - lo
    row = np.repeat(np.arange(len(active)), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    path = order[np.repeat(lo, counts) + offset]
    demand_row = active[row]
    sku = d_sku[row]
    region = d_region[row]
    channel = paths.channel[path]

    keep = np.ones(len(path), dtype=bool)
    dropped = {}
    reason = np.full(len(path), -1, dtype=np.int8)

    def drop(name: str, bad: np.ndarray) -> None:
        newly = bad & keep
        dropped[name] = dropped.get(name, 0) + int(newly.sum())
        reason[newly] = DROP_REASONS.index(name)
        keep[newly] = False

    # positive list
    bad = (
        channels["requires_positive_list"].to_numpy(bool)[channel]
        & ~skus["positive_list"].to_numpy(bool)[sku]
    )
    drop("positive_list", bad)
    # promise days
    max_days = nodes["max_promise_days"].to_numpy(np.float64)[region]
    bad = ~np.isnan(max_days) & (paths.promise_days[path] > max_days + 1e-9)
    drop("promise_days", bad)
    # stocking-node eligibility: which SKUs it may stock, which demand nodes it may serve
    stock = paths.stock_node[path]
    bad = ~_allowed(
        nodes["allowed_categories"].to_numpy(object),
        stock,
        [skus["category"].to_numpy(object)[sku], skus["sku_id"].to_numpy(object)[sku]],
    ) | ~_allowed(
        nodes["serves"].to_numpy(object),
        stock,
        [nodes["node_id"].to_numpy(object)[region], nodes["country"].to_numpy(object)[region]],
    )
    drop("node_not_allowed", bad)
    # the customer's services: the channels, carriers and service levels it accepts
    drop("service_not_allowed", ~_services_allowed(instance, paths, demand_row, region, path))
    # the platform's own rules: stock at a node it runs, its promise, its channels
    platforms = instance.table("platforms")
    platform = (
        pd.Index(platforms["platform_id"].astype(str))
        .get_indexer(demand["platform_id"].astype(str))
        .astype(np.int64)[demand_row]
        if "platform_id" in demand.columns and len(platforms)
        else np.full(len(path), -1, dtype=np.int64)
    )
    if len(platforms):
        node_names = np.append(nodes["node_id"].to_numpy(object), "")
        platform_max_days = np.append(platforms["max_promise_days"].to_numpy(np.float64), np.nan)
        too_slow = (
            paths.promise_days[path] > np.nan_to_num(platform_max_days[platform], nan=np.inf) + 1e-9
        )
        bad = (
            ~_allowed(platforms["stock_nodes"].to_numpy(object), platform, [node_names[stock]])
            | too_slow
            | ~_allowed(
                platforms["allowed_channels"].to_numpy(object),
                platform,
                [channels["channel_id"].astype(str).to_numpy(object)[channel]],
            )
        )
        drop("platform_rule", bad)
        # a unit larger or heavier than every size tier its platform fulfils
        drop("fulfilment_size", np.isinf(instance.row_fulfilment_fees())[demand_row])
        # CBEC retail imports are for consumers' own use: no mainland physical store may
        # sell them (Shang Cai Fa [2021] No. 39); such a store sells general-trade stock.
        # The exception: Hainan's offshore duty-free shops hand over bonded goods
        kind = np.append(platforms["kind"].to_numpy(object), "")
        duty_free = np.append(platforms["duty_free_pickup"].to_numpy(bool), False)
        offline_import = (
            (kind[platform] == "physical_store")
            & ~duty_free[platform]
            & (nodes["country"].to_numpy(object)[region] == "CN")
            & (channels["direction"] == "import").to_numpy(bool)[channel]
        )
        cbec_channel = np.isin(
            channels["channel_id"].astype(str).to_numpy(object), CBEC_RETAIL_IMPORT_CHANNELS
        ) | channels["counts_toward_cbec_quota"].to_numpy(bool)
        drop("offline_store_cbec", offline_import & cbec_channel[channel])
    else:
        offline_import = np.zeros(len(keep), dtype=bool)
    # tax rule
    # resolve once per distinct (channel, destination, origin, category), by integer codes:
    # a few hundred combinations, never a string per pair
    countries, node_country = np.unique(
        nodes["country"].astype(str).to_numpy(), return_inverse=True
    )
    categories, sku_category = np.unique(
        skus["category"].astype(str).to_numpy(), return_inverse=True
    )
    n_countries = len(countries)
    combination = (
        (channel.astype(np.int64) * n_countries + node_country[region]) * n_countries
        + node_country[supplier[sku]]
    ) * len(categories) + sku_category[sku]
    distinct, which = np.unique(combination, return_inverse=True)
    rest, c_category = np.divmod(distinct, len(categories))
    rest, c_origin = np.divmod(rest, n_countries)
    c_channel, c_destination = np.divmod(rest, n_countries)
    rule = resolve_tax_rules(
        instance.tax_rules,
        channels["channel_id"].to_numpy(object)[c_channel],
        countries[c_destination].astype(object),
        countries[c_origin].astype(object),
        categories[c_category].astype(object),
    )[which.reshape(-1)]
    missing = keep & (rule < 0)
    missing_rules = None
    if missing.any():
        missing_rules = (
            pd.DataFrame(
                {
                    "channel_id": channels["channel_id"].to_numpy(object)[channel[missing]],
                    "destination_country": countries[node_country[region[missing]]],
                    "origin_country": countries[node_country[supplier[sku[missing]]]],
                    "category": skus["category"].to_numpy(object)[sku[missing]],
                }
            )
            .drop_duplicates()
            .reset_index(drop=True)
        )
    drop("no_tax_rule", missing)
    # order value cap (the transaction value of a typical order)
    units_per_order = demand["units_per_order"].to_numpy(np.float64)[demand_row]
    order_value = (
        units_per_order * instance.row_prices()[demand_row]
        + demand["shipping_per_order"].to_numpy(np.float64)[demand_row]
    )
    has_rule = rule >= 0
    safe_rule = np.maximum(rule, 0)
    rules = instance.tax_rules
    cap = np.full(len(rule), np.nan)
    exception = np.zeros(len(rule), dtype=bool)
    if len(rules):
        cap[has_rule] = rules["order_value_cap"].to_numpy(np.float64)[safe_rule[has_rule]]
        exception[has_rule] = rules["single_item_exception"].to_numpy(bool)[safe_rule[has_rule]]
    over = ~np.isnan(cap) & (
        order_value > cap + THRESHOLD_RTOL * np.maximum(np.abs(np.nan_to_num(cap)), 1.0)
    )
    single = units_per_order <= 1.0
    allowed_single = over & single & exception
    drop("order_value_cap", over & ~allowed_single)
    # CBEC retail: an order worth more than a person's annual limit can never use it
    regime = np.full(len(rule), "", dtype=object)
    if len(rules):
        regime[has_rule] = rules["regime"].to_numpy(object)[safe_rule[has_rule]]
    cbec = regime == "cbec_retail"
    # ... nor goods that came in as personal articles (postal) or under any other import
    # regime than general trade: a mainland store is supplied from general-trade stock only
    drop("offline_store_cbec", offline_import & has_rule & (regime != "general_trade"))
    limit = np.full(len(rule), float(instance.params.get("cbec_annual_limit_per_person", np.inf)))
    if len(rules):
        own_limit = rules["annual_limit_per_person"].to_numpy(np.float64)[safe_rule]
        limit = np.where(has_rule & ~np.isnan(own_limit), own_limit, limit)
    drop("annual_limit", cbec & (order_value > limit + THRESHOLD_RTOL * np.maximum(limit, 1.0)))
    # a single CBEC item above the cap pays general-trade duty: the rule's own rate,
    # else the general-trade rule of the same destination, origin and category
    over_cap_duty = np.full(len(rule), np.nan)
    single_cbec = allowed_single & cbec & keep
    if single_cbec.any():
        own = rules["over_cap_duty_rate"].to_numpy(np.float64)[safe_rule[single_cbec]]
        general = _general_trade_duty(
            rules,
            countries[node_country[region[single_cbec]]].astype(object),
            countries[node_country[supplier[sku[single_cbec]]]].astype(object),
            skus["category"].to_numpy(object)[sku[single_cbec]],
        )
        over_cap_duty[single_cbec] = np.where(np.isnan(own), general, own)
    drop("no_general_trade_rule", single_cbec & np.isnan(over_cap_duty))

    served = np.zeros(len(demand), dtype=bool)
    served[demand_row[keep]] = True
    unserved = active[~served[active]]
    return PairIndex(
        sku=sku[keep],
        path=path[keep],
        demand_row=demand_row[keep],
        region=region[keep],
        channel=channel[keep],
        stock_node=paths.stock_node[path[keep]],
        rule=rule[keep],
        single_item_over_cap=allowed_single[keep],
        over_cap_duty_rate=over_cap_duty[keep],
        dropped=dropped,
        unserved_rows=unserved,
        missing_rules=missing_rules,
        excluded_demand_row=demand_row[~keep],
        excluded_path=path[~keep],
        excluded_reason=reason[~keep],
    )


def _general_trade_duty(
    rules: pd.DataFrame, destination: np.ndarray, origin: np.ndarray, category: np.ndarray
) -> np.ndarray:
    """Duty rate of the general-trade rule (any channel) for each (destination, origin,
    category), NaN where none applies; the first such row in table order wins a tie."""
    general = rules[rules["regime"] == "general_trade"]
    general = general.assign(channel_id="*").drop_duplicates(subset=list(_RULE_KEY))
    row = resolve_tax_rules(
        general, np.full(len(destination), "*", dtype=object), destination, origin, category
    )
    duty = general["duty_rate"].to_numpy(np.float64)
    return np.where(row >= 0, duty[np.maximum(row, 0)] if len(duty) else np.nan, np.nan)


_RULE_KEY = ("channel_id", "destination_country", "origin_country", "category")


def leg_service_attribute(instance: Instance, legs: Legs, column: str) -> np.ndarray:
    """Per leg: the rate's ``carrier`` or ``service_level``, else the lane's ('' = none)."""
    value = instance.lanes[column].astype(str).to_numpy(object)[legs.lane]
    rates = instance.rates
    if len(rates):
        has = legs.rate >= 0
        own = rates[column].astype(str).to_numpy(object)[legs.rate[has]]
        value[has] = np.where(own != "", own, value[has])
    return value


def _services_allowed(
    instance: Instance, paths: Paths, demand_row: np.ndarray, region: np.ndarray, path: np.ndarray
) -> np.ndarray:
    """Per candidate pair: do its demand row and demand node accept the path's channel,
    carriers and service levels (``allowed_*`` columns of demand.csv and nodes.csv)?

    One boolean mask over paths per distinct restricting cell (a handful), looked up
    by the pairs with that cell.
    """
    ok = np.ones(len(path), dtype=bool)
    n_paths = len(paths.channel)
    path_of_step = np.repeat(np.arange(n_paths), np.diff(paths.lane_ptr))
    legs = build_legs(instance)
    channel_of_path = instance.channels["channel_id"].astype(str).to_numpy(object)[paths.channel]
    named = {
        "carriers": leg_service_attribute(instance, legs, "carrier"),
        "service_levels": leg_service_attribute(instance, legs, "service_level"),
    }
    for what in ("channels", "carriers", "service_levels"):
        column = f"allowed_{what}"
        for table, owner in ((instance.demand, demand_row), (instance.nodes, region)):
            cells, cell_of = np.unique(table[column].astype(str).to_numpy(), return_inverse=True)
            cell_of = cell_of.reshape(-1)[owner]
            for c, cell in enumerate(cells):
                tokens = [t.strip() for t in cell.split("|")]
                if "*" in tokens or not np.any(cell_of == c):
                    continue
                if what == "channels":
                    path_ok = np.isin(channel_of_path, tokens)
                else:
                    leg_ok = (named[what] == "") | np.isin(named[what], tokens)
                    bad_steps = np.bincount(
                        path_of_step, weights=~leg_ok[paths.leg], minlength=n_paths
                    )
                    path_ok = bad_steps == 0
                rows = cell_of == c
                ok[rows] &= path_ok[path[rows]]
    return ok


def _allowed(cells: np.ndarray, node: np.ndarray, names: list[np.ndarray]) -> np.ndarray:
    """Per element: node < 0, or the node's '|' list is '*' or contains one of ``names``.

    Vectorized: the (node, token) pairs of restricted nodes are encoded as integers
    and looked up with ``np.isin``.
    """
    allowed = np.ones(len(node), dtype=bool)
    restricted = [
        (h, {t.strip() for t in str(cell).split("|")})
        for h, cell in enumerate(cells)
        if "*" not in {t.strip() for t in str(cell).split("|")}
    ]
    if not restricted or len(node) == 0:
        return allowed
    vocabulary = {t: i for i, t in enumerate(sorted({t for _, ts in restricted for t in ts}))}
    size = len(vocabulary) + 1
    allowed_keys = np.array([h * size + vocabulary[t] for h, ts in restricted for t in ts])
    is_restricted = np.zeros(len(cells), dtype=bool)
    is_restricted[[h for h, _ in restricted]] = True
    check = (node >= 0) & is_restricted[np.maximum(node, 0)]
    ok = np.zeros(int(check.sum()), dtype=bool)
    for values in names:
        codes = pd.Series(values[check]).map(vocabulary).fillna(-1).to_numpy(np.int64)
        ok |= (codes >= 0) & np.isin(node[check] * size + codes, allowed_keys)
    allowed[check] = ok
    return allowed


def build_index(instance: Instance) -> Index:
    """Compile ``instance`` into paths and pairs (cached on the instance)."""
    cached = instance._cache.get("index")
    if cached is not None:
        return cached
    node_ids = instance.nodes["node_id"].to_numpy(object)
    node_pos = {n: i for i, n in enumerate(node_ids)}
    sku_pos = {s: i for i, s in enumerate(instance.skus["sku_id"])}
    lane_pos = {lane: i for i, lane in enumerate(instance.lanes["lane_id"])}
    channel_pos = {c: i for i, c in enumerate(instance.channels["channel_id"])}
    legs = build_legs(instance)
    graph = build_graph(instance, legs)
    paths = build_paths(instance, graph, node_pos, legs)
    pairs = build_pairs(instance, paths, node_pos, sku_pos)
    index = Index(node_ids, node_pos, sku_pos, lane_pos, channel_pos, graph, legs, paths, pairs)
    instance._cache["index"] = index
    return index


#: A hard rule in a planner's words, by :data:`DROP_REASONS` name.
DROP_REASON_TEXT = {
    "positive_list": "the SKU is not on the positive list that the channel requires",
    "promise_days": "the path takes longer than the region's maximum promise days",
    "node_not_allowed": "the stocking node may not hold this SKU or serve this region",
    "no_tax_rule": "no tax rule covers the channel into this destination",
    "order_value_cap": "an order is worth more than the channel's per-order value cap",
    "annual_limit": "an order is worth more than a person may buy through CBEC retail in a year",
    "no_general_trade_rule": "a single item above the CBEC cap is taxed as general trade, "
    "and no general-trade rule (or over_cap_duty_rate) gives its duty",
    "service_not_allowed": "the customer does not accept this channel, carrier or service level",
    "platform_rule": "the sales platform requires stock at a node it runs, a shorter promise "
    "or another channel",
    "offline_store_cbec": "CBEC retail imports (1210/1239/9610) may not be sold in a mainland "
    "physical store; it needs general-trade stock",
    "fulfilment_size": "the SKU is heavier or larger than every fulfilment size tier of the "
    "sales platform",
}


def excluded_options(
    index: Index, instance: Instance, demand_rows: np.ndarray, within_days: np.ndarray | None = None
) -> pd.DataFrame:
    """Why the excluded paths of ``demand_rows`` could not be used, one row per
    (demand row, channel, rule), fastest path first.

    ``within_days`` (one value per demand row, NaN for no limit) keeps only the
    excluded paths that would have arrived within that many days. Columns:
    ``demand_row``, ``channel_id``, ``rule``, ``reason`` (the planner's words),
    ``promise_days`` (the fastest excluded path of that channel and rule).

    Examples
    --------
    >>> import lean_chain
    >>> instance = lean_chain.load_instance("tests/data/tiny")
    >>> index = build_index(instance)
    >>> excluded_options(index, instance, np.array([0])).columns.tolist()
    ['demand_row', 'channel_id', 'rule', 'reason', 'promise_days']
    """
    pairs = index.pairs
    demand_rows = np.asarray(demand_rows, dtype=np.int64)
    position = np.full(len(instance.demand), -1, dtype=np.int64)
    position[demand_rows] = np.arange(len(demand_rows))
    where = position[pairs.excluded_demand_row]
    chosen = where >= 0
    promise = index.paths.promise_days[pairs.excluded_path]
    if within_days is not None:
        limit = np.asarray(within_days, dtype=np.float64)[np.maximum(where, 0)]
        chosen &= np.isnan(limit) | (promise <= limit + 1e-9)
    reasons = np.array(DROP_REASONS, dtype=object)
    frame = pd.DataFrame(
        {
            "demand_row": pairs.excluded_demand_row[chosen],
            "channel_id": instance.channels["channel_id"].to_numpy(object)[
                index.paths.channel[pairs.excluded_path[chosen]]
            ],
            "rule": reasons[pairs.excluded_reason[chosen]],
            "promise_days": promise[chosen],
        }
    )
    frame = (
        frame.groupby(["demand_row", "channel_id", "rule"], as_index=False)["promise_days"]
        .min()
        .sort_values(["demand_row", "promise_days", "channel_id"], kind="stable")
    )
    frame.insert(3, "reason", frame["rule"].map(DROP_REASON_TEXT))
    return frame.reset_index(drop=True)
