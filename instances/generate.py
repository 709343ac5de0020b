"""Generate the bundled instances ``cn_import`` and ``global_export``.

Usage::

    python instances/generate.py [--out instances] [--seed 2026]

Writes two instance folders under ``--out`` (default: the folder of this
script): nine CSV tables each plus ``parameters.yaml``, the format of
``docs/instance-format.md``. The output is a pure function of the seed: one
``numpy.random.default_rng([seed, i])`` stream per instance, fixed rounding,
fixed row order. ``instances/README.md`` describes both instances in full; this
docstring lists the assumptions, each of which is a named constant below or, where
``lean_chain.generate`` uses it too (currencies, geography, categories, channels,
tax rules, tariffs and the builder of lanes and carrier rates), in
``lean_chain/_catalog.py``: one rule in one place for both generators.

Sources
-------
Channels, tax formulas, thresholds and typical lead times follow
``../shared/DOMAIN.md`` (GACC announcements 2014 No.12 / No.57 / 2016 No.75;
Cai Guan Shui [2016] No.18 and [2018] No.49; the 2019 State Council postal tax
notice; destination low-value rules as of late 2025). Everything else is an
assumption of realistic magnitude, not a quote:

* ``FX_TO_CNY``: approximate late-2025 mid-market rates into CNY.
* Geography: real latitude/longitude of cities, zones, ports and warehouses
  and of each region's capital (or largest city); population (millions,
  ~2023) and China GDP per capita (thousand CNY, ~2023, NBS), rounded.
* Money is stated in the currency the market quotes it in: import SKUs in the
  supplier's currency, international freight in USD, China last mile and nodes
  in CNY, overseas warehouses and last mile in local currency, thresholds in
  the destination currency (the tax rule's ``currency`` column).
* Prices (``CN_CATEGORIES``, ``EX_CATEGORIES``): log-normal retail prices per
  category; procurement a category share of retail (brand wholesale for
  imports, ex-works excl. VAT for exports). Watches from 10,000 CNY are
  ``premium_watches`` (consumption tax 20 %); premium cosmetics carry 15 %.
* Tax data: CBEC retail (VAT 13 %, factor 0.7, cap 5,000 CNY, single-item
  exception); postal 13 / 20 / 50 % by category, waived at <= 50 CNY, cap
  1,000 CNY; general-trade duty by category on CIF, VAT on the retail sale
  (credited import VAT). Export: ``EX_LOW_VALUE`` (US no de minimis; EU VAT on
  every parcel and EUR 3 flat duty below EUR 150; UK GBP 135; Japan JPY
  10,000 on 60 % of the value; Australia AUD 1,000 and GST always; Canada
  CAD 20), ``EX_VAT`` per country, ``EX_DUTY`` per market and category (US:
  MFN + Section 301 + 20 % IEEPA; Australia 0 under ChAFTA), rebate 13 %
  (beauty 9 %; 40 % of Yiwu SKUs none: no special VAT invoice).
* Linear freight (``CN_FREIGHT``, ``CN_RAIL``, ``EX_SEA``, ``EX_RAIL``,
  ``EX_LAST_MILE``, last mile from stock): per kg / per m3 / per unit by mode
  and origin group on the lanes without carrier rates (sea lanes without FCL
  keep a forwarder's all-in rate per m3; last-mile cost and days grow with
  great-circle distance). Promise days with processing: bonded stock to
  consumer 2-7.5, cn_import 9610 direct mail 4-11.5 (priority) / 7-16.5
  (economy), postal 9-18.5 (EMS) / 16-37 (SAL); export parcels 4-8 (express)
  / 6-13 (e-packet); inbound sea 4-38 days, China-Europe rail 18-20, warehouse
  to consumer 1-5 (DOMAIN.md ranges).
* Carrier rates (``rates.csv``, ``weight_breaks.csv``; the ``NetworkTables`` class).
  Parcels are priced per order (units per order x the SKU) on chargeable
  weight = max(actual, cm3 / divisor), the first charge covering the first
  weight and each started step after it charged in full:

  - cn_import 9610 (``CN_EXPRESS_SERVICES``): an economy CBEC express line and
    a priority international express per lane, first 0.5 kg + per 0.5 kg,
    divisor 5000, USD 3.6 + 1.5 (Japan / Korea) to 6.2 + 3.0 (EU) economy,
    about 1.6x for priority, 3-5 days faster; plus USD 0.0002 per km of the
    domestic leg per parcel. Postal (``CN_POSTAL_SERVICES``): SAL parcel
    (actual weight, domestic post) and EMS (divisor 6000, domestic express),
    first 0.5 kg + per 0.5 kg, USD 4.6 + 2.2 (near) to 12.5 + 4.2 (EMS, EU).
  - global_export 9610 (``EX_ECONOMY``, ``EX_PRIORITY``): a postal e-packet /
    special line per market (CNY per parcel + per kg billed per started
    100 g, actual weight; e.g. US 22 + 62/kg, 9 days) and international
    express (first 0.5 kg + per 0.5 kg, divisor 5000; e.g. US CNY 105 + 32,
    4 days); Yiwu +CNY 1.5 and +1 day. 1210 parcels: the e-packet tariff at
    92 %, a day faster.
  - Air (``CN_AIR_TARIFF``, ``EX_AIR``): every air lane is priced by weight
    breaks N / +45 / +100 / +300 / +500 / +1000 kg per shipment (rate per kg
    falling by 40-57 % from N to +1000), IATA divisor 6000, a minimum
    charge of USD 45-90 per shipment, 52 shipments a year (104 from Japan and
    Korea); the lane adds USD 0.05/kg terminal handling.
  - Sea (``CN_CONTAINER_LANES``, ``EX_CONTAINER_LANES``): on 4 lanes of each
    instance the shipper chooses LCL (per m3, minimum 1 m3 + USD 35-40 of
    documents per consolidation, 26-52 a year) or whole containers (20' GP
    33 m3 / 21 t, 40' HC 67 m3 / 26 t, USD 800-5,200 per box, a day faster).
  - Trucks (``CN_TRUCK_CNY``, ``EX_TRUCK_CNY``): port -> domestic DC (0110) and
    factory -> export port (9810) in whole 9.6 m box trucks (55 m3 / 15 t),
    CNY 900-1,400 + 4-6 per km per truck.

  Lanes with rates leave ``container_m3`` blank; their own cost columns are
  0 or small handling amounts, since they are added to every service.
  Consolidated charges (air, LCL, containers, trucks) are not in the CIF
  value, as documented in docs/instance-format.md.
* Stocking nodes (``CN_BONDED``, ``CN_DCS``, ``EX_BONDED``, ``EX_WAREHOUSES``):
  yearly fixed cost of a 3PL contract, handling per unit, storage m3 and
  throughput units per year; slotting per (SKU, node) and minimum stock.
  ``CN_NODE_LIMITS`` / ``EX_NODE_LIMITS``: orders a day in Tianjin (200) and
  Edison (150); Zhengzhou stocks no food or formula, Chengdu serves western
  China only, the Yiwu bonded centre takes no electronics.
* Demand: yearly units per SKU log-normal (category median); sold in
  round(units / 60) regions drawn by population (x affluence in China, x
  market share abroad); daily std = sqrt(daily units x units per order) x
  U(1.0, 1.5) (compound-Poisson orders, over-dispersed); consumer shipping
  free above a price point. ``consumers`` (the CBEC quota) is calibrated, not
  observed: eligible demand value / 26,000 x ``CN_QUOTA_HEADROOM`` x (GDP per
  capita / 100 k)^2, so the quota binds in a few poorer provinces.

Design of the economics: every channel wins somewhere
-----------------------------------------------------
cn_import: 1210 wins positive-list fast movers (sea line-haul, short last
mile, 9.1 % tax; tier-1 service targets need stock nearby); postal wins cheap,
light items whose parcel tax is at most 50 CNY where the promise limit allows
15-40 days, and slow non-positive-list items; 9610 wins positive-list slow
movers (no filing, slotting or holding) whose postal tax is not waived, and
multi-unit orders (a parcel pays its first 0.5 kg once per order); 0110
wins non-positive-list items, multi-unit orders above 5,000 CNY, single items
above the cap and premium cosmetics (CT on CIF instead of the retail price).
Bonded-zone fixed costs are low enough that opening the coastal zones is
clearly worth it, which keeps the LP relaxation tight (the MIP solves in
seconds rather than minutes). Parcel rates are per pair and cost the MIP
nothing but more pairs; weight breaks and LCL minimum charges relax to their
cheapest rate in the LP, so LCL is offered only next to FCL on the container
lanes (LCL with minimums on every sea lane made the 0.5 % solve 4-9 times
slower), and no orders-a-day limit binds in cn_import (a binding one in
Tianjin made the proof of optimality five times slower).

global_export: 9810 wins fast movers in the US and the EU (duty on CIF instead
of on every parcel's value; no EUR 3 per parcel); 1210 wins mid movers with a
rebate where parcels stay under generous thresholds (Japan, Canada, UK); 9610
wins slow movers and SKUs with no or a low rebate; 9710 is the only channel to
business buyers.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd

import lean_chain._catalog as catalog
from lean_chain.generate import write_tables

DEFAULT_SEED = 2026
#: The tables of an instance folder, in the order they are written.
TABLES = (
    "skus",
    "nodes",
    "lanes",
    "demand",
    "channels",
    "tax_rules",
    "fx",
    "rates",
    "weight_breaks",
)
#: Container sizes as named in the FCL services of the bundled instances.
FCL_SIZES = ("20' GP", "40' HC")

# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def local_price(cny: float, currency: str) -> float:
    """A CNY amount restated in ``currency`` and rounded like a price tag."""
    value = cny / catalog.FX_TO_CNY[currency]
    if currency in ("JPY", "KRW"):
        step = 10 if currency == "JPY" else 100
        return float(max(step, round(value / step) * step))
    return float(round(value, 2))


def lognormal(rng: np.random.Generator, median: float, sigma: float, lo: float, hi: float):
    """A log-normal draw with the given median and log-sd, clipped to [lo, hi]."""
    return float(np.clip(median * math.exp(sigma * rng.standard_normal()), lo, hi))


def allocate(rng: np.random.Generator, total: float, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` units over regions by ``weights`` (whole units, each >= 1)."""
    share = weights / weights.sum()
    noisy = share * rng.uniform(*catalog.REGION_NOISE, len(share))
    units = np.maximum(1, np.round(total * noisy / noisy.sum()))
    return units


def stock_node_row(
    node_id, kind, name, country, lat, lon, currency, storage, throughput, fixed, handling, limits
) -> dict:
    """A stocking node's row of nodes.csv, with its entry of ``limits`` (CN_NODE_LIMITS,
    EX_NODE_LIMITS) if any."""
    return catalog.node_row(
        node_id,
        kind,
        name,
        country,
        lat,
        lon,
        currency=currency,
        storage_capacity_m3=storage,
        throughput_capacity_units=throughput,
        fixed_cost=fixed,
        handling_cost_per_unit=handling,
        **limits.get(node_id, {}),
    )


def instance_params(horizon: float, *, holding_rate: float, max_channels: int) -> dict:
    """parameters.yaml after the name and description."""
    return dict(
        currency="CNY",
        horizon_days=horizon,
        holding_rate_per_year=holding_rate,
        service_level=0.95,
        review_period_days=14,
        max_channels_per_sku=max_channels,
        single_sourcing=False,
        cbec_annual_limit_per_person=26000,
    )


def tax_rule_table(rules: list[dict]) -> pd.DataFrame:
    """tax_rules.csv: the columns of catalog.TAX_RULE_COLUMNS that some rule fills."""
    frame = pd.DataFrame(rules)
    return frame[[c for c in catalog.TAX_RULE_COLUMNS if c in frame.columns]]


# ---------------------------------------------------------------------------
# cn_import: a China CBEC import platform
# ---------------------------------------------------------------------------

# fmt: off
#: Bonded zones (1210 stock): id, name, lat, lon, coastal (sea reachable), fixed cost CNY/yr,
#: handling CNY/unit, storage m3, throughput units/yr.
CN_BONDED = [
    ("BZ_SH_WGQ", "Shanghai Waigaoqiao FTZ bonded zone", 31.35, 121.60, True, 150_000, 5.0, 80,
     250_000),
    ("BZ_GZ_NANSHA", "Guangzhou Nansha bonded port", 22.75, 113.60, True, 140_000, 4.5, 60,
     200_000),
    ("BZ_TJ_DONGJIANG", "Tianjin Dongjiang bonded port", 38.97, 117.80, True, 130_000, 4.5, 60,
     200_000),
    ("BZ_ZZ_XINZHENG", "Zhengzhou Xinzheng comprehensive bonded zone", 34.53, 113.84, False,
     260_000, 4.0, 50, 150_000),
    ("BZ_CD_SHUANGLIU", "Chengdu Shuangliu comprehensive bonded zone", 30.57, 103.95, False,
     200_000, 4.0, 50, 150_000),
]

#: Coastal bonded zones that also receive air freight (next to Pudong airport); inland zones
#: are served by air (and rail from Hamburg) only.
CN_AIR_HUBS = {"BZ_SH_WGQ", "DC_SH_KUNSHAN"}

#: Limits of some stocking nodes (nodes.csv): a smaller pick-and-pack contract in Tianjin
#: (orders a day; a binding limit here makes the proof of optimality much slower);
#: Zhengzhou, an airport zone without a designated inspection site for imported food and
#: formula, stocks the other categories; Chengdu fulfils western China only.
CN_WEST = ("CN_SC", "CN_CQ", "CN_GZ", "CN_YN", "CN_XZ", "CN_SN", "CN_GS", "CN_QH", "CN_NX",
           "CN_XJ", "CN_GX")
CN_NODE_LIMITS = {
    "BZ_TJ_DONGJIANG": dict(orders_per_day_capacity=200),
    "BZ_ZZ_XINZHENG": dict(allowed_categories="cosmetics|premium_cosmetics|health_supplements|"
                           "apparel|electronics|bags|watches|premium_watches"),
    "BZ_CD_SHUANGLIU": dict(serves="|".join(CN_WEST)),
}

#: Domestic DCs (0110 duty-paid stock) and the port that feeds each.
CN_DCS = [
    ("DC_SH_KUNSHAN", "Kunshan domestic DC (Shanghai area)", 31.38, 120.98, 300_000, 3.5, 60,
     250_000, "PORT_SH_YANGSHAN"),
    ("DC_GZ_HUANGPU", "Guangzhou Huangpu domestic DC", 23.10, 113.45, 280_000, 3.5, 60, 250_000,
     "PORT_SZ_YANTIAN"),
]
# fmt: on


def build_cn_import(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """All tables of the China import platform."""
    horizon = 365.0
    sup = {s[0]: s for s in catalog.CN_SUPPLIERS}
    prov = pd.DataFrame(
        catalog.CN_PROVINCES, columns=["node_id", "name", "lat", "lon", "pop", "gdp"]
    )

    # ---- SKUs
    sku_rows, sku_meta = [], []
    counter = 0
    for cat, spec in catalog.CN_CATEGORIES.items():
        sup_ids = list(spec["sup"])
        sup_p = np.array(list(spec["sup"].values()))
        for _ in range(spec["n"]):
            counter += 1
            supplier = sup_ids[rng.choice(len(sup_ids), p=sup_p / sup_p.sum())]
            currency = sup[supplier][3]
            med, sd, lo, hi = spec["price"]
            retail_cny = lognormal(rng, med, sd, lo, hi)
            category, ct = cat, spec["ct"]
            if cat == "watches" and retail_cny >= catalog.HIGH_END_WATCH_CNY:
                category, ct = "premium_watches", catalog.HIGH_END_WATCH_CT
            retail = local_price(retail_cny, currency)
            proc = local_price(
                retail * catalog.FX_TO_CNY[currency] * rng.uniform(*spec["proc"]), currency
            )
            kg = round(rng.uniform(*spec["kg"]), 3)
            volume = round(kg / spec["rho"] * rng.uniform(0.8, 1.25), 6)
            positive = bool(rng.random() < spec["pos"])
            upo_values, upo_p = spec["upo"]
            upo = float(upo_values[rng.choice(len(upo_values), p=upo_p)])
            units = lognormal(rng, spec["units"], 1.35, 6, 40 * spec["units"])
            sku_id = f"CN{counter:03d}"
            sku_rows.append(
                dict(
                    sku_id=sku_id,
                    category=category,
                    hs_code=spec["hs"],
                    supplier_id=supplier,
                    procurement_cost=proc,
                    retail_price=retail,
                    currency=currency,
                    weight_kg=kg,
                    volume_m3=volume,
                    consumption_tax_rate=ct,
                    positive_list=str(positive).lower(),
                    min_stock_units=spec["min_stock"],
                    # the row's money is in its own currency (issue 11, defect 6)
                    slotting_cost=round(catalog.CN_SLOTTING_CNY / catalog.FX_TO_CNY[currency], 2),
                    x_product=f"{sup[supplier][2]} {spec['name']}",
                )
            )
            sku_meta.append((sku_id, retail * catalog.FX_TO_CNY[currency], upo, units, positive))
    skus = pd.DataFrame(sku_rows)

    # ---- nodes
    node_rows = []
    for sid, city, country, _currency, lat, lon, _ in catalog.CN_SUPPLIERS:
        node_rows.append(catalog.node_row(sid, "supplier", f"{city} supplier", country, lat, lon))
    for bid, name, lat, lon, _, fixed, handling, storage, throughput in CN_BONDED:
        node = (bid, "bonded_zone", name, "CN", lat, lon, "CNY")
        node_rows.append(
            stock_node_row(*node, storage, throughput, fixed, handling, CN_NODE_LIMITS)
        )
    for did, name, lat, lon, fixed, handling, storage, throughput, _ in CN_DCS:
        node = (did, "domestic_dc", name, "CN", lat, lon, "CNY")
        node_rows.append(stock_node_row(*node, storage, throughput, fixed, handling, {}))
    for pid in (dc[-1] for dc in CN_DCS):
        name, lat, lon = catalog.CN_PORTS[pid]
        node_rows.append(catalog.port_row(pid, name, lat, lon, catalog.CN_PORT_HANDLING_CNY))

    # ---- demand (needed before the regional quota)
    affluence = prov["pop"].to_numpy() * (prov["gdp"].to_numpy() / 100.0) ** 1.5
    demand_rows = []
    for sku_id, retail_cny, upo, total, _positive in sku_meta:
        n_regions = int(np.clip(round(total / 60), 1, 31))
        chosen = np.sort(
            rng.choice(31, size=n_regions, replace=False, p=affluence / affluence.sum())
        )
        units = allocate(rng, total, affluence[chosen])
        for r, u in zip(chosen, units, strict=True):
            row_upo = upo if rng.random() < 0.85 else max(1.0, upo + rng.choice([-1.0, 1.0]))
            shipping = (
                0.0
                if retail_cny * row_upo >= catalog.CN_FREE_SHIPPING_CNY
                else catalog.CN_SHIPPING_FEE_CNY
            )
            demand_rows.append(
                dict(
                    sku_id=sku_id,
                    region_id=prov["node_id"][r],
                    units=u,
                    units_per_order=row_upo,
                    shipping_per_order=shipping,
                )
            )
    demand = pd.DataFrame(demand_rows)
    demand["demand_std_daily"] = catalog.demand_std(
        rng, demand["units"].to_numpy(), demand["units_per_order"].to_numpy(), horizon
    )
    demand["currency"] = "CNY"
    demand = demand[catalog.DEMAND_COLUMNS]

    # regional CBEC quota: consumers sized from the CBEC-eligible demand value so the
    # quota binds only in a few low-income provinces
    retail_of = {m[0]: m[1] for m in sku_meta}
    positive_of = {m[0]: m[4] for m in sku_meta}
    value = demand["units"] * demand["sku_id"].map(retail_of)
    value = value.where(demand["sku_id"].map(positive_of), 0.0)
    value_by_region = value.groupby(demand["region_id"]).sum()
    for _, p in prov.iterrows():
        headroom = catalog.CN_QUOTA_HEADROOM * (p["gdp"] / 100.0) ** 2
        consumers = max(
            50, math.ceil(value_by_region.get(p["node_id"], 0.0) * headroom / 26_000 / 10) * 10
        )
        row = catalog.node_row(
            p["node_id"], "region", p["name"], "CN", p["lat"], p["lon"], currency="CNY"
        )
        row["consumers"] = consumers
        target = catalog.CN_TIER_TARGETS.get(catalog.CN_TIERS.get(p["node_id"], 3))
        if target is not None:
            limit, days, share = target
            row.update(max_promise_days=limit, service_days=days, service_share=share)
        node_rows.append(row)
    nodes = pd.DataFrame(node_rows)

    # ---- lanes and carrier rates
    net = catalog.NetworkTables(lane_id_digits=5, fcl_sizes=FCL_SIZES)

    coords = {r["node_id"]: (r["lat"], r["lon"]) for r in node_rows}
    for sid, _, country, _, lat, lon, group in catalog.CN_SUPPLIERS:
        f = catalog.CN_FREIGHT[group]
        sea_m3, sea_kg, sea_days, sea_std = f["sea"]
        air_days, air_std = f["air"]
        # line-haul into bonded zones (1210)
        for bid, _, blat, blon, coastal, *_ in CN_BONDED:
            km = catalog.great_circle_km(lat, lon, blat, blon)
            noise = rng.uniform(0.93, 1.07)
            if coastal:
                net.cn_sea(
                    sid,
                    bid,
                    "1210",
                    group,
                    per_m3=sea_m3 * noise,
                    per_kg=sea_kg,
                    days=sea_days + 2,
                    std=sea_std,
                    fcl=catalog.CN_CONTAINER_LANES.get((sid, bid)),
                )
            if not coastal or bid in CN_AIR_HUBS:
                days = air_days + 1 + (0 if coastal else 0.5)
                net.cn_air(sid, bid, "1210", group, days=days, std=air_std, noise=noise)
            if group == "eu" and not coastal and country == "DE":
                rail_m3, rail_days, rail_std = catalog.CN_RAIL
                days = catalog.half_days(rail_days + km / 4000)
                net.rail(sid, bid, "1210", per_m3=rail_m3, days=days, std=rail_std)
        # general trade: sea to a port then truck to the DC, or air into the DC
        for did, *_rest, port in CN_DCS:
            noise = 1.0 if (sid, port) in catalog.CN_CONTAINER_LANES else rng.uniform(0.93, 1.07)
            net.cn_sea(
                sid,
                port,
                "0110",
                group,
                per_m3=sea_m3 * noise,
                per_kg=sea_kg,
                days=sea_days,
                std=sea_std,
                fcl=catalog.CN_CONTAINER_LANES.get((sid, port)),
            )
            if did in CN_AIR_HUBS:
                net.cn_air(sid, did, "0110", group, days=air_days + 1, std=air_std, noise=1.0)
        # direct mail (9610, express) and personal postal articles, to every province
        for _, p in prov.iterrows():
            km = catalog.cn_gateway_km(p["lat"], p["lon"])
            net.cn_parcels(
                sid, p["node_id"], group, km, express_channel="9610", postal_channel="postal"
            )
    for did, _, dlat, dlon, *_rest, port in CN_DCS:
        _, plat, plon = catalog.CN_PORTS[port]
        km = catalog.great_circle_km(plat, plon, dlat, dlon)
        cost = catalog.CN_TRUCK_CNY[0] + catalog.CN_TRUCK_CNY[1] * km
        net.truckload(port, did, "0110", days=catalog.half_days(1.5 + km / 500), cost=cost)
    for hub_id, channel in [(b[0], "1210") for b in CN_BONDED] + [(d[0], "0110") for d in CN_DCS]:
        hlat, hlon = coords[hub_id]
        for _, p in prov.iterrows():
            km = catalog.great_circle_km(hlat, hlon, p["lat"], p["lon"])
            net.cn_last_mile(hub_id, p["node_id"], channel, km)
    lanes, rates, weight_breaks = net.tables()

    # ---- channels and tax rules
    channels = pd.DataFrame(catalog.channel_rows(catalog.IMPORT_CHANNELS))
    tax_rules = tax_rule_table(
        catalog.import_tax_rules({code: code for code in catalog.IMPORT_CHANNELS})
    )

    fx = catalog.fx_table(["CNY", "JPY", "KRW", "USD", "EUR", "AUD", "NZD"])
    params = dict(
        name="cn_import",
        description=(
            f"A China cross-border e-commerce import platform: {len(catalog.CN_SUPPLIERS)} foreign "
            f"suppliers, {len(CN_BONDED)} bonded zones (1210), {len(CN_DCS)} domestic DCs (0110 "
            "general trade), direct mail (9610) and personal postal parcels to all "
            f"{len(catalog.CN_PROVINCES)} mainland provinces. Generated by instances/generate.py; "
            "assumptions in instances/README.md."
        ),
        **instance_params(horizon, holding_rate=0.18, max_channels=2),
    )
    frames = (skus, nodes, lanes, demand, channels, tax_rules, fx, rates, weight_breaks)
    return dict(zip(TABLES, frames, strict=True)), params


# ---------------------------------------------------------------------------
# global_export: a Chinese seller exporting B2C and B2B
# ---------------------------------------------------------------------------

# fmt: off
EX_FACTORIES = [
    ("F_SZ_SHENZHEN", "Shenzhen electronics factory", 22.54, 114.06, "PORT_YANTIAN"),
    ("F_GZ_GUANGZHOU", "Guangzhou apparel and beauty factory", 23.13, 113.26, "PORT_YANTIAN"),
    ("F_YW_YIWU", "Yiwu small-commodities supplier", 29.31, 120.08, "PORT_NINGBO"),
]
EX_BONDED = [
    ("BZ_NANSHA", "Guangzhou Nansha bonded port (1210 export)", 22.75, 113.60, 220_000, 3.0, 40,
     150_000),
    ("BZ_YIWU", "Yiwu bonded logistics centre (type B, 1210 export)", 29.33, 120.10, 180_000, 3.0,
     30, 120_000),
]
EX_PORTS = [
    ("PORT_YANTIAN", "Shenzhen Yantian port", 22.58, 114.27),
    ("PORT_NINGBO", "Ningbo-Zhoushan port", 29.87, 121.85),
]
#: Overseas warehouses: id, name, country, currency, lat, lon, fixed cost / yr, handling / unit
#: (local currency), storage m3, throughput units, market.
EX_WAREHOUSES = [
    ("OW_US_ONTARIO", "3PL warehouse Ontario, California", "US", "USD", 34.06, -117.65, 65_000,
     1.6, 150, 150_000, "US"),
    ("OW_US_EDISON", "3PL warehouse Edison, New Jersey", "US", "USD", 40.52, -74.41, 70_000, 1.7,
     150, 150_000, "US"),
    ("OW_DE_DUISBURG", "3PL warehouse Duisburg (rail terminal)", "DE", "EUR", 51.43, 6.76,
     48_000, 1.3, 120, 120_000, "EU"),
    ("OW_PL_POZNAN", "3PL warehouse Poznan", "PL", "EUR", 52.41, 16.93, 32_000, 0.9, 120,
     120_000, "EU"),
    ("OW_GB_COVENTRY", "3PL warehouse Coventry", "GB", "GBP", 52.41, -1.51, 38_000, 1.2, 80,
     80_000, "GB"),
    ("OW_JP_ICHIKAWA", "3PL warehouse Ichikawa, Chiba", "JP", "JPY", 35.72, 139.93, 8_000_000,
     180, 60, 60_000, "JP"),
    ("OW_AU_SYDNEY", "3PL warehouse Western Sydney", "AU", "AUD", -33.82, 150.87, 70_000, 2.2,
     60, 60_000, "AU"),
]
#: Limits of some stocking nodes (nodes.csv): the Edison 3PL contract picks at most 150 orders
#: a day; the Yiwu bonded logistics centre takes no electronics (lithium batteries are
#: dangerous goods its warehouse is not approved for).
EX_NODE_LIMITS = {
    "OW_US_EDISON": dict(orders_per_day_capacity=150),
    "BZ_YIWU": dict(allowed_categories="home|apparel|toys|beauty|sports|accessories"),
}
#: Regions with a delivery-speed target (share of demand within service_days).
EX_SERVICE = {"US_CA": (5, 0.35), "US_NY": (5, 0.35), "US_TX": (5, 0.35), "EU_DE": (5, 0.35),
              "EU_FR": (5, 0.3), "GB_LDN": (4, 0.35), "JP_13": (5, 0.3), "AU_NSW": (5, 0.3)}
#: Sea lanes that also offer full containers (FCL, a day faster than LCL): (port, warehouse)
#: -> the catalog.EX_FCL_USD prices of the warehouse's sea rates.
EX_CONTAINER_LANES = {
    ("PORT_YANTIAN", "OW_US_ONTARIO"): catalog.EX_FCL_USD["US_W"],
    ("PORT_YANTIAN", "OW_US_EDISON"): catalog.EX_FCL_USD["US_E"],
    ("PORT_NINGBO", "OW_DE_DUISBURG"): catalog.EX_FCL_USD["EU"],
    ("PORT_NINGBO", "OW_GB_COVENTRY"): catalog.EX_FCL_USD["GB"],
}
#: China-Europe rail from Yiwu, USD per m3, days, std.
EX_RAIL = {"OW_DE_DUISBURG": (260, 20, 3), "OW_PL_POZNAN": (250, 18, 3)}
# fmt: on


def build_global_export(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """All tables of the Chinese exporter."""
    horizon = 365.0
    regions = pd.DataFrame(
        catalog.EX_REGIONS,
        columns=["node_id", "name", "country", "currency", "lat", "lon", "pop", "market"],
    )

    # ---- SKUs
    sku_rows, sku_meta = [], []
    counter = 0
    for cat, spec in catalog.EX_CATEGORIES.items():
        fac_ids = list(spec["fac"])
        fac_p = np.array(list(spec["fac"].values()))
        for _ in range(spec["n"]):
            counter += 1
            factory = fac_ids[rng.choice(len(fac_ids), p=fac_p / fac_p.sum())]
            med, sd, lo, hi = spec["price"]
            usd = round(lognormal(rng, med, sd, lo, hi)) - 0.01
            retail = round(usd * catalog.FX_TO_CNY["USD"], 2)
            proc = round(retail * rng.uniform(*spec["proc"]), 2)
            kg = round(rng.uniform(*spec["kg"]), 3)
            volume = round(kg / spec["rho"] * rng.uniform(0.8, 1.25), 6)
            rebate = spec["rebate"]
            if factory == "F_YW_YIWU" and rng.random() < catalog.EX_NO_INVOICE_SHARE:
                rebate = 0.0
            units = lognormal(rng, spec["units"], 1.3, 20, 30 * spec["units"])
            sku_id = f"EX{counter:03d}"
            sku_rows.append(
                dict(
                    sku_id=sku_id,
                    category=cat,
                    hs_code=spec["hs"],
                    supplier_id=factory,
                    procurement_cost=proc,
                    retail_price=retail,
                    currency="CNY",
                    weight_kg=kg,
                    volume_m3=volume,
                    export_rebate_rate=rebate,
                    slotting_cost=catalog.EX_SLOTTING_CNY,
                    x_retail_usd=usd,
                    x_product=spec["name"],
                )
            )
            sku_meta.append((sku_id, usd, units))
    skus = pd.DataFrame(sku_rows)

    # ---- nodes
    node_rows = []
    for fid, name, lat, lon, _ in EX_FACTORIES:
        node_rows.append(catalog.node_row(fid, "supplier", name, "CN", lat, lon))
    for bid, name, lat, lon, fixed, handling, storage, throughput in EX_BONDED:
        node = (bid, "bonded_zone", name, "CN", lat, lon, "CNY")
        node_rows.append(
            stock_node_row(*node, storage, throughput, fixed, handling, EX_NODE_LIMITS)
        )
    for pid, name, lat, lon in EX_PORTS:
        node_rows.append(catalog.port_row(pid, name, lat, lon, catalog.EX_PORT_HANDLING_CNY))
    for warehouse in EX_WAREHOUSES:
        wid, name, country, currency, lat, lon, fixed, handling, storage, throughput, _ = warehouse
        node = (wid, "overseas_warehouse", name, country, lat, lon, currency)
        node_rows.append(
            stock_node_row(*node, storage, throughput, fixed, handling, EX_NODE_LIMITS)
        )
    for _, r in regions.iterrows():
        row = catalog.node_row(
            r["node_id"],
            "region",
            r["name"],
            r["country"],
            r["lat"],
            r["lon"],
            currency=r["currency"],
        )
        if r["market"] in catalog.EX_MAX_PROMISE:
            row["max_promise_days"] = catalog.EX_MAX_PROMISE[r["market"]]
        if r["node_id"] in EX_SERVICE:
            days, share = EX_SERVICE[r["node_id"]]
            row.update(service_days=days, service_share=share)
        node_rows.append(row)
    for bid, name, country, currency, lat, lon in catalog.EX_BUYERS:
        node_rows.append(
            catalog.node_row(bid, "business_buyer", name, country, lat, lon, currency=currency)
        )
    nodes = pd.DataFrame(node_rows)

    # ---- demand
    market_pop = regions.groupby("market")["pop"].transform("sum")
    weights = (
        regions["market"].map(catalog.EX_MARKET_SHARE) * regions["pop"] / market_pop
    ).to_numpy()
    demand_rows = []
    for sku_id, usd, total in sku_meta:
        n_regions = int(np.clip(round(total / 60), 2, len(regions)))
        chosen = np.sort(
            rng.choice(len(regions), size=n_regions, replace=False, p=weights / weights.sum())
        )
        units = allocate(rng, total, weights[chosen])
        upo = float(rng.choice([1.0, 1.0, 1.0, 1.0, 1.5, 2.0]))
        for r, u in zip(chosen, units, strict=True):
            currency = regions["currency"][r]
            free_from, fee = catalog.EX_SHIPPING[currency]
            local = usd * catalog.FX_TO_CNY["USD"] / catalog.FX_TO_CNY[currency]
            demand_rows.append(
                dict(
                    sku_id=sku_id,
                    region_id=regions["node_id"][r],
                    units=u,
                    units_per_order=upo,
                    currency=currency,
                    shipping_per_order=0.0 if local * upo >= free_from else fee,
                )
            )
        if rng.random() < catalog.EX_B2B_SHARE:
            n_buyers = int(rng.integers(1, 4))
            for b in np.sort(rng.choice(len(catalog.EX_BUYERS), size=n_buyers, replace=False)):
                buyer = catalog.EX_BUYERS[b]
                demand_rows.append(
                    dict(
                        sku_id=sku_id,
                        region_id=buyer[0],
                        units=float(round(total * rng.uniform(0.4, 2.0) / n_buyers / 10) * 10 + 50),
                        units_per_order=float(rng.choice([100, 200, 300, 500])),
                        currency=buyer[3],
                        shipping_per_order=0.0,
                    )
                )
    demand = pd.DataFrame(demand_rows)
    demand["demand_std_daily"] = catalog.demand_std(
        rng, demand["units"].to_numpy(), demand["units_per_order"].to_numpy(), horizon
    )
    demand = demand[catalog.DEMAND_COLUMNS]

    # ---- lanes and carrier rates
    net = catalog.NetworkTables(lane_id_digits=5, fcl_sizes=FCL_SIZES)

    yiwu_cny, yiwu_days = catalog.EX_YIWU_PARCEL
    for fid, _, flat, flon, port in EX_FACTORIES:
        yiwu = fid == "F_YW_YIWU"
        extra_cny, extra_days = (yiwu_cny, yiwu_days) if yiwu else (0.0, 0.0)
        # 9610 parcels straight from the factory: economy and priority express
        for _, r in regions.iterrows():
            market = r["market"]
            days = catalog.EX_ECONOMY[market][2] + extra_days
            noise = rng.uniform(0.95, 1.05)
            lane_id = net.lane(fid, r["node_id"], "express", "9610", "CNY", days=days, std=2.0)
            net.ex_economy_parcel(
                lane_id, market, noise=noise, days=days, std=2.0, extra_cny=extra_cny
            )
            net.ex_priority_parcel(
                lane_id, market, noise=noise, extra_cny=extra_cny, extra_days=extra_days
            )
        # into the bonded zones (1210)
        for bid, _, blat, blon, *_ in EX_BONDED:
            net.ex_bonded_truck(fid, bid, "1210", catalog.great_circle_km(flat, flon, blat, blon))
        # to the port (9810), in full trucks
        plat, plon = next((p[2], p[3]) for p in EX_PORTS if p[0] == port)
        km = catalog.great_circle_km(flat, flon, plat, plon)
        cost = catalog.EX_TRUCK_CNY[0] + catalog.EX_TRUCK_CNY[1] * km
        net.truckload(fid, port, "9810", days=catalog.half_days(1 + km / 600), cost=cost)
        # air straight into the overseas warehouses (9810), priced by weight breaks
        for wid, _, country, *_rest in EX_WAREHOUSES:
            net.ex_air(fid, wid, "9810", catalog.market_of(country))
            if yiwu and wid in EX_RAIL:
                usd_m3, rdays, rstd = EX_RAIL[wid]
                net.rail(fid, wid, "9810", per_m3=usd_m3, days=rdays, std=rstd)
        # 9710 B2B sea freight to business buyers
        for bid, _, country, *_ in catalog.EX_BUYERS:
            net.ex_b2b_sea(fid, bid, "9710", catalog.EX_BUYER_SEA[country])
    # bonded zone -> consumers (1210 export parcels)
    for bid, *_ in EX_BONDED:
        for _, r in regions.iterrows():
            days = catalog.EX_ECONOMY[r["market"]][2] - 1
            noise = rng.uniform(0.95, 1.05)
            lane_id = net.lane(bid, r["node_id"], "express", "1210", "CNY", days=days, std=1.5)
            net.ex_economy_parcel(
                lane_id,
                r["market"],
                noise=noise,
                days=days,
                std=1.5,
                share=catalog.EX_1210_DISCOUNT,
            )
    # port -> overseas warehouse by sea (9810): LCL, and FCL on the busiest lanes
    for pid, *_ in EX_PORTS:
        for wid, _, country, _, _wlat, wlon, *_rest in EX_WAREHOUSES:
            if country == "US":
                key = "US_W" if wlon < -100 else "US_E"
            else:
                key = catalog.market_of(country)
            days = catalog.EX_SEA[key][1] + (0 if (pid == "PORT_YANTIAN") == (key != "JP") else 1)
            fcl = EX_CONTAINER_LANES.get((pid, wid))
            noise = 1.0 if fcl is not None else rng.uniform(0.95, 1.05)
            net.ex_sea(pid, wid, "9810", key, days=days, noise=noise, fcl=fcl)
    # overseas warehouse -> consumers of its market (9810 last mile)
    for wid, _, _country, currency, wlat, wlon, *_rest, market in EX_WAREHOUSES:
        for _, r in regions[regions["market"] == market].iterrows():
            km = catalog.great_circle_km(wlat, wlon, r["lat"], r["lon"])
            net.ex_last_mile(wid, r["node_id"], "9810", currency, market, km)
    lanes, rate_table, weight_breaks = net.tables()

    # ---- channels and tax rules
    channels = pd.DataFrame(catalog.channel_rows(catalog.EXPORT_CHANNELS))
    rules = catalog.export_tax_rules(
        {code: code for code in catalog.EXPORT_CHANNELS},
        sorted({r[2] for r in catalog.EX_REGIONS}),
        [b[2] for b in catalog.EX_BUYERS],
        warehouse_markets={w[-1] for w in EX_WAREHOUSES},
    )
    tax_rules = tax_rule_table(rules)

    fx = catalog.fx_table(["CNY", "USD", "EUR", "GBP", "JPY", "AUD", "CAD", "AED"])
    params = dict(
        name="global_export",
        description=(
            "A Chinese seller exporting from 3 factories: 9610 parcels, 1210 bonded export "
            "stock in 2 Chinese bonded zones, 9810 stock in 7 overseas warehouses (US, DE, PL, "
            "GB, JP, AU) and 9710 B2B sea freight to 5 distributors; 44 consumer regions in the "
            "US, EU, UK, Japan, Australia and Canada. Generated by instances/generate.py; "
            "assumptions in instances/README.md."
        ),
        **instance_params(horizon, holding_rate=0.20, max_channels=3),
    )
    frames = (skus, nodes, lanes, demand, channels, tax_rules, fx, rate_table, weight_breaks)
    return dict(zip(TABLES, frames, strict=True)), params


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parent),
        help="folder to write cn_import/ and global_export/ into "
        "(default: the folder of this script)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    args = parser.parse_args(argv)
    out = Path(args.out)
    for offset, (name, build) in enumerate(
        (("cn_import", build_cn_import), ("global_export", build_global_export))
    ):
        rng = np.random.default_rng([args.seed, offset])
        tables, params = build(rng)
        write_tables(out / name, tables, params, overwrite=True)
        sizes = ", ".join(f"{k} {len(v)}" for k, v in tables.items())
        print(f"{out / name}: {sizes}")


if __name__ == "__main__":
    main()
