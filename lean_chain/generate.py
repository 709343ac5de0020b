"""Generate valid, realistic instance folders of any size.

:func:`generate` writes the standard instance folder (``docs/instance-format.md``)
for a given number of SKUs, demand regions and stocking nodes, and loads it
with :func:`lean_chain.load_instance`. The network, channel definitions, tax
rules and carrier-rate style are those of the bundled instances
(``instances/generate.py``): China CBEC import (1210, 9610, postal, 0110) and
Chinese export (9610, 1210, 9810, 9710). Every assumption is a named constant,
below or, where the bundled instances use it too, in :mod:`lean_chain._catalog`,
and is explained in ``docs/generator.md``.

Everything per SKU or per demand row is drawn with vectorized numpy; Python
loops run over categories, nodes, regions and channels only, and lanes and
carrier rates are per (node, region) or per lane, never per SKU. The output is
a pure function of the arguments: one ``numpy.random.default_rng(seed)``
stream, fixed rounding and fixed row order.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from lean_chain._catalog import (
    BREAK_COLUMNS,
    CBEC_IMPORT_CODES,
    CHANNEL_COLUMNS,
    CN_CATEGORIES,
    CN_CONTAINER_LANES,
    CN_FREE_SHIPPING_CNY,
    CN_FREIGHT,
    CN_PLATFORM_FEES,
    CN_PLATFORM_MIX,
    CN_PLATFORM_RETURNS,
    CN_PLATFORMS,
    CN_PORT_HANDLING_CNY,
    CN_PORTS,
    CN_PROVINCES,
    CN_QUOTA_HEADROOM,
    CN_RAIL,
    CN_SHIPPING_FEE_CNY,
    CN_SLOTTING_CNY,
    CN_STORE_CATEGORIES,
    CN_STORE_MIN_UNITS,
    CN_SUPPLIERS,
    CN_TIER_TARGETS,
    CN_TIERS,
    CN_TRUCK_CNY,
    DEMAND_COLUMNS,
    EX_1210_DISCOUNT,
    EX_B2B_SHARE,
    EX_BUYER_SEA,
    EX_BUYERS,
    EX_CATEGORIES,
    EX_ECONOMY,
    EX_FBA_NODES,
    EX_FCL_USD,
    EX_LOW_VALUE,
    EX_MARKET_SHARE,
    EX_MAX_PROMISE,
    EX_NO_INVOICE_SHARE,
    EX_PLATFORM_FEES,
    EX_PLATFORM_MIX,
    EX_PLATFORM_RETURNS,
    EX_PLATFORMS,
    EX_PORT_HANDLING_CNY,
    EX_REGIONS,
    EX_SEA,
    EX_SHIPPING,
    EX_SLOTTING_CNY,
    EX_TRUCK_CNY,
    EX_YIWU_PARCEL,
    EXPORT_CHANNELS,
    FX_TO_CNY,
    HIGH_END_WATCH_CNY,
    HIGH_END_WATCH_CT,
    HORIZON_DAYS,
    IMPORT_CHANNELS,
    LANE_COLUMNS,
    NODE_COLUMNS,
    PLATFORM_SPLIT_UNITS,
    RATE_COLUMNS,
    REGION_NOISE,
    SKU_COLUMNS,
    TAX_RULE_COLUMNS,
    NetworkTables,
    channel_codes,
    channel_rows,
    cn_gateway_km,
    demand_std,
    export_tax_rules,
    fx_table,
    great_circle_km,
    half_days,
    import_tax_rules,
    node_row,
    platform_tables,
    port_row,
    short_name,
)
from lean_chain.load import load_instance
from lean_chain.model.instance import Instance

Kind = Literal["import", "export", "mixed"]
KINDS = ("import", "export", "mixed")

# ---------------------------------------------------------------------------
# assumptions (see docs/generator.md); the catalogue shared with the bundled
# instances (currencies, geography, categories, channels, tax rules, tariffs) is
# lean_chain/_catalog.py
# ---------------------------------------------------------------------------

#: Currencies of fx.csv (all a generated instance may use).
CURRENCIES = ["CNY", "USD", "EUR", "GBP", "JPY", "AUD", "CAD", "AED"]
#: Pareto (Lomax + 1) shape of yearly units per SKU: the top 20 % of SKUs carry about
#: 0.2 ** (1 - 1 / shape) = 77 % of units. Draws are scaled so that the category's
#: median SKU sells the category's median units, and capped at PARETO_CAP x that median.
PARETO_SHAPE = 1.15
PARETO_CAP = 400.0
#: A SKU is sold in round(units / UNITS_PER_REGION) regions (1 ... regions).
UNITS_PER_REGION = 80.0
#: Weight and packed volume per unit: bivariate log-normal, correlation of the logs.
WEIGHT_VOLUME_CORRELATION = 0.85
#: Capacity sizing: a node's fair share of the stock need of the regions it reaches
#: (each region's need split equally over the nodes that reach it) / utilisation u.
DESIGN_UTILISATION = (0.6, 0.9)
#: Inbound lead time (mean, std, days) assumed when sizing storage (cycle + safety stock).
SIZING_LEAD_DAYS = (15.0, 3.0)
SERVICE_LEVEL = 0.95
REVIEW_PERIOD_DAYS = 14.0
#: A node's yearly fixed cost scales with its storage as (m3 / base m3) ** 0.6, at least
#: FIXED_COST_FLOOR x the base (economies of scale of a 3PL contract).
FIXED_COST_EXPONENT, FIXED_COST_FLOOR = 0.6, 0.3
#: Share of SKUs that are imports in a ``mixed`` instance (also the share of regions and
#: stocking nodes given to the import side).
MIXED_IMPORT_SHARE = 0.5

# fmt: off
# ---- import (China as destination) ---------------------------------------------------------
#: Stocking nodes in the order they are taken: id, kind, name, lat, lon, sea (coastal),
#: air hub, fixed CNY/yr, handling CNY/unit, base storage m3 (for the fixed-cost scale),
#: feeding port (domestic DCs).
IM_NODES = [
    ("DC_SH_KUNSHAN", "domestic_dc", "Kunshan domestic DC", 31.38, 120.98, False, True, 300_000,
     3.5, 60, "PORT_SH_YANGSHAN"),
    ("BZ_SH_WGQ", "bonded_zone", "Shanghai Waigaoqiao bonded zone", 31.35, 121.60, True, True,
     150_000, 5.0, 80, ""),
    ("BZ_GZ_NANSHA", "bonded_zone", "Guangzhou Nansha bonded port", 22.75, 113.60, True, False,
     140_000, 4.5, 60, ""),
    ("BZ_TJ_DONGJIANG", "bonded_zone", "Tianjin Dongjiang bonded port", 38.97, 117.80, True,
     False, 130_000, 4.5, 60, ""),
    ("DC_GZ_HUANGPU", "domestic_dc", "Guangzhou Huangpu domestic DC", 23.10, 113.45, False, False,
     280_000, 3.5, 60, "PORT_SZ_YANTIAN"),
    ("BZ_ZZ_XINZHENG", "bonded_zone", "Zhengzhou Xinzheng comprehensive bonded zone", 34.53,
     113.84, False, True, 260_000, 4.0, 50, ""),
    ("BZ_CD_SHUANGLIU", "bonded_zone", "Chengdu Shuangliu comprehensive bonded zone", 30.57,
     103.95, False, True, 200_000, 4.0, 50, ""),
    ("BZ_NB_MEISHAN", "bonded_zone", "Ningbo Meishan bonded port", 29.77, 121.97, True, False,
     140_000, 4.5, 60, ""),
    ("BZ_CQ_XIYONG", "bonded_zone", "Chongqing Xiyong comprehensive bonded zone", 29.60, 106.30,
     False, True, 210_000, 4.0, 50, ""),
    ("BZ_QD_QIANWAN", "bonded_zone", "Qingdao Qianwan bonded port", 36.00, 120.20, True, False,
     135_000, 4.5, 60, ""),
    ("DC_TJ_WUQING", "domestic_dc", "Tianjin Wuqing domestic DC", 39.38, 117.05, False, False,
     260_000, 3.5, 60, "PORT_TJ_XINGANG"),
    ("BZ_XM_HAICANG", "bonded_zone", "Xiamen Haicang bonded port", 24.49, 118.05, True, False,
     135_000, 4.5, 60, ""),
]

# ---- export (China as origin) --------------------------------------------------------------
EX_FACTORIES = [
    ("F_SZ_SHENZHEN", "Shenzhen electronics factory", 22.54, 114.06, "PORT_SZ_YANTIAN"),
    ("F_GZ_GUANGZHOU", "Guangzhou apparel and beauty factory", 23.13, 113.26, "PORT_SZ_YANTIAN"),
    ("F_YW_YIWU", "Yiwu small-commodities supplier", 29.31, 120.08, "PORT_NB_NINGBO"),
]
EX_PORTS = {
    "PORT_SZ_YANTIAN": ("Shenzhen Yantian port", 22.58, 114.27),
    "PORT_NB_NINGBO": ("Ningbo-Zhoushan port", 29.87, 121.85),
}
#: Stocking nodes in the order they are taken (overseas warehouses of markets without a
#: selected region are skipped): id, kind, name, country, currency, lat, lon, fixed / yr,
#: handling / unit (local currency), base storage m3, market.
EX_NODES = [
    ("OW_US_ONTARIO", "overseas_warehouse", "3PL warehouse Ontario, California", "US", "USD", 34.06, -117.65, 65_000, 1.6, 150, "US"),
    ("BZ_NANSHA", "bonded_zone", "Guangzhou Nansha bonded port (1210 export)", "CN", "CNY", 22.75, 113.60, 220_000, 3.0, 40, ""),
    ("OW_DE_DUISBURG", "overseas_warehouse", "3PL warehouse Duisburg", "DE", "EUR", 51.43, 6.76, 48_000, 1.3, 120, "EU"),
    ("OW_US_EDISON", "overseas_warehouse", "3PL warehouse Edison, New Jersey", "US", "USD", 40.52, -74.41, 70_000, 1.7, 150, "US"),
    ("OW_GB_COVENTRY", "overseas_warehouse", "3PL warehouse Coventry", "GB", "GBP", 52.41, -1.51, 38_000, 1.2, 80, "GB"),
    ("OW_JP_ICHIKAWA", "overseas_warehouse", "3PL warehouse Ichikawa, Chiba", "JP", "JPY", 35.72, 139.93, 8_000_000, 180, 60, "JP"),
    ("BZ_YIWU", "bonded_zone", "Yiwu bonded logistics centre (1210 export)", "CN", "CNY", 29.33, 120.10, 180_000, 3.0, 30, ""),
    ("OW_AU_SYDNEY", "overseas_warehouse", "3PL warehouse Western Sydney", "AU", "AUD", -33.82, 150.87, 70_000, 2.2, 60, "AU"),
    ("OW_PL_POZNAN", "overseas_warehouse", "3PL warehouse Poznan", "PL", "EUR", 52.41, 16.93, 32_000, 0.9, 120, "EU"),
    ("OW_CA_MISSISSAUGA", "overseas_warehouse", "3PL warehouse Mississauga, Ontario", "CA", "CAD", 43.68, -79.62, 75_000, 1.9, 60, "CA"),
    ("OW_US_DALLAS", "overseas_warehouse", "3PL warehouse Dallas, Texas", "US", "USD", 32.90, -97.04, 55_000, 1.5, 150, "US"),
    ("OW_ES_MADRID", "overseas_warehouse", "3PL warehouse Madrid", "ES", "EUR", 40.40, -3.60, 36_000, 1.1, 100, "EU"),
]
#: The largest region of each market gets a service target (days T, share alpha).
EX_SERVICE = (5, 0.35)
#: The sea lanes into the first EX_CONTAINER_WAREHOUSES warehouses (from each port) offer LCL
#: (min 1 m3 + USD 40, weekly) and FCL 20' / 40' (EX_FCL_USD) instead of the linear rate.
EX_CONTAINER_WAREHOUSES = 2
#: China-Europe rail from Yiwu to any EU warehouse: USD/m3, days, std.
EX_RAIL_EU = (255, 19, 3)
#: The generated low-value rules are EX_LOW_VALUE, with these shorter notes as source.
EX_LOW_VALUE_NOTES = {
    "EU": "EU IOSS <= EUR 150; EUR 3 flat duty per parcel < EUR 150 from 2026-07-01",
    "JP": "Japan: exempt if taxable value (60 % of retail) <= JPY 10,000",
    "AU": "Australia: GST 10 % at sale on goods <= AUD 1,000, duty free",
    "CA": "Canada: duty and tax free <= CAD 20",
}
# fmt: on
# fmt: off
#: Limits of some stocking nodes in the bundled instances (presets): Zhengzhou, an airport zone without a designated inspection site for
#: imported food, stocks no formula or food; Chengdu serves western China only; the Edison
#: 3PL contract picks at most 150 orders a day; the Yiwu bonded logistics centre takes no
#: electronics (lithium batteries are dangerous goods its warehouse is not approved for).
CN_WEST = "CN_SC|CN_CQ|CN_GZ|CN_YN|CN_XZ|CN_SN|CN_GS|CN_QH|CN_NX|CN_XJ|CN_GX"
CN_NODE_LIMITS = {
    "BZ_ZZ_XINZHENG": dict(allowed_categories="cosmetics|premium_cosmetics|health_supplements|"
                           "apparel|electronics|bags|watches|premium_watches"),
    "BZ_CD_SHUANGLIU": dict(serves=CN_WEST),
}
EX_NODE_LIMITS = {
    "OW_US_EDISON": dict(orders_per_day_capacity=150),
    "BZ_YIWU": dict(allowed_categories="home|apparel|toys|beauty|sports|accessories"),
}
# fmt: on
#: CBEC retail annual limit per person (parameters.cbec_annual_limit_per_person), CNY.
CBEC_ANNUAL_LIMIT_CNY = 26_000.0
#: Columns of nodes.csv that a preset's node_limits may set.
NODE_LIMIT_COLUMNS = ["orders_per_day_capacity", "allowed_categories", "serves"]
CBEC_NOTE = "Cai Guan Shui [2016] No.18, [2018] No.49: 0 % duty, 70 % of VAT + CT, 5,000 CNY cap"
BUYER_IMPORTS_NOTE = "buyer is importer of record"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _take(base: list, n: int) -> list[tuple[tuple, int]]:
    """The first ``n`` entries of ``base``, cycling with copy numbers 2, 3, ... beyond it."""
    return [(base[i % len(base)], i // len(base) + 1) for i in range(n)]


def _copy_id(node_id: str, copy: int) -> str:
    return node_id if copy == 1 else f"{node_id}_{copy}"


class _Network(NetworkTables):
    """Rows of nodes, lanes, rates and weight breaks, with the fastest promise per region."""

    def __init__(self) -> None:
        super().__init__(lane_id_digits=6)
        self.nodes: list[dict] = []
        self.offers: dict[tuple[str, str, str], float] = {}

    def node(self, row: dict) -> dict:
        """Add a node row once (by id); returns the stored row, which callers may update."""
        for existing in self.nodes:
            if existing["node_id"] == row["node_id"]:
                return existing
        self.nodes.append(row)
        return row

    def promise(self, region: str, days: float, supplier: str = "*", rule: str = "open") -> None:
        """Record a promise (days incl. processing) offered to ``region``: from ``supplier``
        ('*': from stock, any supplier), to the SKUs that ``rule`` admits (ELIGIBILITY)."""
        key = (rule, supplier, region)
        self.offers[key] = min(self.offers.get(key, np.inf), days)


def _lognormal(rng: np.random.Generator, n: int, median, sigma, lo, hi) -> np.ndarray:
    return np.clip(median * np.exp(sigma * rng.standard_normal(n)), lo, hi)


def _weight_volume(
    rng: np.random.Generator, n: int, kg_range, rho
) -> tuple[np.ndarray, np.ndarray]:
    """Weight kg and packed m3: log-normal, logs correlated WEIGHT_VOLUME_CORRELATION."""
    lo, hi = kg_range
    median, sigma = np.sqrt(lo * hi), max(np.log(hi / lo) / 4, 0.05)
    z1, z2 = rng.standard_normal(n), rng.standard_normal(n)
    c = WEIGHT_VOLUME_CORRELATION
    kg = np.clip(median * np.exp(sigma * z1), 0.7 * lo, 1.3 * hi)
    m3 = median / rho * np.exp(sigma * (c * z1 + np.sqrt(1 - c * c) * z2))
    m3 = np.clip(m3, kg / (3 * rho), 3 * kg / rho)  # density within a third to 3x the median
    return np.round(kg, 3), np.maximum(np.round(m3, 6), 1e-6)


def _yearly_units(rng: np.random.Generator, n: int, median: float) -> np.ndarray:
    """Pareto units with the category's median, capped at PARETO_CAP x the median."""
    draws = (1.0 + rng.pareto(PARETO_SHAPE, n)) / 2.0 ** (1.0 / PARETO_SHAPE)
    return np.round(np.clip(median * draws, 2.0, PARETO_CAP * median))


def _choice(rng: np.random.Generator, n: int, weights: dict) -> np.ndarray:
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _spread(
    rng: np.random.Generator, totals: np.ndarray, weights: np.ndarray, k: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split each total over ``k`` of the columns, drawn by ``weights`` without replacement.

    Gumbel top-k sampling, in chunks of rows; returns (row, column, units) sorted by
    row then column, every units >= 1.
    """
    n_cols = len(weights)
    if len(totals) == 0:  # e.g. no SKU drawn for business buyers in a tiny instance
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), np.zeros(0)
    log_w = np.log(weights)
    rows, cols, units = [], [], []
    chunk = max(1, 2_000_000 // n_cols)
    for start in range(0, len(totals), chunk):
        t, kk = totals[start : start + chunk], k[start : start + chunk]
        keys = log_w[None, :] + rng.gumbel(size=(len(t), n_cols))
        rank = np.argsort(np.argsort(-keys, axis=1, kind="stable"), axis=1, kind="stable")
        chosen = rank < kk[:, None]
        share = np.where(chosen, weights[None, :] * rng.uniform(*REGION_NOISE, keys.shape), 0.0)
        share /= share.sum(axis=1, keepdims=True)
        r, c = np.nonzero(chosen)
        rows.append(r + start)
        cols.append(c)
        units.append(np.maximum(1.0, np.round(t[r] * share[r, c])))
    return np.concatenate(rows), np.concatenate(cols), np.concatenate(units)


def _n_regions(units: np.ndarray, n_regions: int) -> np.ndarray:
    return np.clip(np.round(units / UNITS_PER_REGION), 1, n_regions).astype(np.int64)


# ---------------------------------------------------------------------------
# regions and stocking nodes
# ---------------------------------------------------------------------------


def _jitter(rng: np.random.Generator, lat: float, lon: float, copy: int) -> tuple[float, float]:
    if copy == 1:
        return lat, lon
    d = rng.uniform(-0.8, 0.8, 2)
    return round(float(np.clip(lat + d[0], -89, 89)), 2), round(float(lon + d[1]), 2)


def _site(net, rng, copy, node_id, kind, name, country, lat, lon, currency, handling) -> dict:
    """Add the ``copy``-th site of a stocking node (own id, name, jittered position)."""
    lat, lon = _jitter(rng, lat, lon, copy)
    name = name if copy == 1 else f"{name} (site {copy})"
    cols = dict(currency=currency, handling_cost_per_unit=handling)
    return net.node(node_row(_copy_id(node_id, copy), kind, name, country, lat, lon, **cols))


def _cn_regions(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The ``n`` most affluent provinces (population x (GDP per capita / 100 k)^1.5);
    beyond 31, further cities of the provinces in the same order (half the population)."""
    base = sorted(CN_PROVINCES, key=lambda p: -p[4] * (p[5] / 100) ** 1.5)
    name_of = {p[0]: short_name(p[1]) for p in CN_PROVINCES}
    rows = []
    for p, copy in _take(base, n):
        lat, lon = _jitter(rng, p[2], p[3], copy)
        rows.append(
            dict(
                node_id=_copy_id(p[0], copy),
                name=name_of[p[0]] if copy == 1 else f"{name_of[p[0]]} (city cluster {copy})",
                country="CN",
                currency="CNY",
                lat=lat,
                lon=lon,
                pop=p[4] * 0.5 ** (copy - 1),
                gdp=p[5],
                tier=CN_TIERS.get(p[0], 3),
                market="CN",
            )
        )
    frame = pd.DataFrame(rows)
    frame["weight"] = frame["pop"] * (frame["gdp"] / 100.0) ** 1.5
    return frame


def _foreign_regions(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The largest region of each market (by market share), then the others by demand weight."""
    base = pd.DataFrame(
        EX_REGIONS,
        columns=["node_id", "name", "country", "currency", "lat", "lon", "pop", "market"],
    )
    base["name"] = base["name"].map(short_name)
    base["weight"] = (
        base["market"].map(EX_MARKET_SHARE)
        * base["pop"]
        / base.groupby("market")["pop"].transform("sum")
    )
    first = base.sort_values("pop", ascending=False, kind="stable").drop_duplicates("market")
    first = first.sort_values("market", key=lambda m: -m.map(EX_MARKET_SHARE), kind="stable")
    rest = base.drop(first.index).sort_values("weight", ascending=False, kind="stable")
    order = list(pd.concat([first, rest]).itertuples(index=False))
    rows = []
    for r, copy in _take(order, n):
        lat, lon = _jitter(rng, r.lat, r.lon, copy)
        rows.append(
            dict(
                node_id=_copy_id(r.node_id, copy),
                name=r.name if copy == 1 else f"{r.name} (area {copy})",
                country=r.country,
                currency=r.currency,
                lat=lat,
                lon=lon,
                pop=r.pop * 0.5 ** (copy - 1),
                market=r.market,
                weight=r.weight * 0.5 ** (copy - 1),
            )
        )
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------
# SKUs and demand
# ---------------------------------------------------------------------------


def _category_draw(rng: np.random.Generator, n: int, categories: dict) -> np.ndarray:
    names = list(categories)
    p = np.array([categories[c]["n"] for c in names], dtype=float)
    return rng.choice(len(names), size=n, p=p / p.sum())


def _sku_arrays(n: int, numeric: tuple[str, ...]) -> tuple[dict, dict]:
    """Empty text and numeric columns of ``n`` SKUs: the common ones and ``numeric``."""
    out = {
        c: np.empty(n, dtype=object) for c in ("category", "hs_code", "supplier_id", "x_product")
    }
    common = ("procurement_cost", "retail_price", "weight_kg", "volume_m3")
    num = {c: np.zeros(n) for c in (*common, *numeric, "_units", "_upo")}
    return out, num


def _price_and_size(rng: np.random.Generator, num: dict, idx: np.ndarray, retail, spec) -> None:
    """Retail price, procurement cost (a share of retail) and weight / volume of SKUs ``idx``."""
    m = len(idx)
    num["retail_price"][idx] = retail
    num["procurement_cost"][idx] = np.round(retail * rng.uniform(*spec["proc"], m), 2)
    num["weight_kg"][idx], num["volume_m3"][idx] = _weight_volume(rng, m, spec["kg"], spec["rho"])


def _import_skus(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Import SKUs (money in CNY) with hidden columns _units and _upo."""
    cat_idx = _category_draw(rng, n, CN_CATEGORIES)
    out, num = _sku_arrays(n, ("consumption_tax_rate", "min_stock_units"))
    positive = np.zeros(n, dtype=bool)
    for k, (cat, spec) in enumerate(CN_CATEGORIES.items()):
        idx = np.flatnonzero(cat_idx == k)
        m = len(idx)
        if m == 0:
            continue
        out["supplier_id"][idx] = _choice(rng, m, spec["sup"])
        retail = np.round(_lognormal(rng, m, *spec["price"]), 2)
        _price_and_size(rng, num, idx, retail, spec)
        category = np.full(m, cat, dtype=object)
        ct = np.full(m, spec["ct"])
        if cat == "watches":
            premium = retail >= HIGH_END_WATCH_CNY
            category[premium] = "premium_watches"
            ct[premium] = HIGH_END_WATCH_CT
        out["category"][idx] = category
        out["hs_code"][idx], out["x_product"][idx] = spec["hs"], spec["name"]
        num["consumption_tax_rate"][idx] = ct
        positive[idx] = rng.random(m) < spec["pos"]
        values, p = spec["upo"]
        num["_upo"][idx] = np.asarray(values, dtype=float)[rng.choice(len(values), size=m, p=p)]
        num["_units"][idx] = _yearly_units(rng, m, spec["units"])
        num["min_stock_units"][idx] = spec["min_stock"]
    frame = pd.DataFrame(out | num)
    frame["positive_list"] = np.where(positive, "true", "false")
    frame["currency"] = "CNY"
    frame["export_rebate_rate"] = 0.0
    frame["slotting_cost"] = float(CN_SLOTTING_CNY)
    return frame


def _export_skus(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Export SKUs (money in CNY; one USD price point per SKU)."""
    cat_idx = _category_draw(rng, n, EX_CATEGORIES)
    out, num = _sku_arrays(n, ("export_rebate_rate",))
    for k, (cat, spec) in enumerate(EX_CATEGORIES.items()):
        idx = np.flatnonzero(cat_idx == k)
        m = len(idx)
        if m == 0:
            continue
        factory = _choice(rng, m, spec["fac"])
        out["supplier_id"][idx] = factory
        out["category"][idx] = cat
        out["hs_code"][idx], out["x_product"][idx] = spec["hs"], spec["name"]
        usd = np.round(_lognormal(rng, m, *spec["price"])) - 0.01
        retail = np.round(usd * FX_TO_CNY["USD"], 2)
        _price_and_size(rng, num, idx, retail, spec)
        no_invoice = (factory == "F_YW_YIWU") & (rng.random(m) < EX_NO_INVOICE_SHARE)
        num["export_rebate_rate"][idx] = np.where(no_invoice, 0.0, spec["rebate"])
        num["_units"][idx] = _yearly_units(rng, m, spec["units"])
        num["_upo"][idx] = np.array([1.0, 1.0, 1.0, 1.0, 1.5, 2.0])[rng.integers(0, 6, m)]
    frame = pd.DataFrame(out | num)
    frame["positive_list"] = "true"
    frame["currency"] = "CNY"
    frame["consumption_tax_rate"] = 0.0
    frame["min_stock_units"] = 0.0
    frame["slotting_cost"] = float(EX_SLOTTING_CNY)
    return frame


def _demand_frame(rng, sku_ids, region_ids, units, upo, currency, shipping) -> pd.DataFrame:
    """Demand rows (DEMAND_COLUMNS); draws their daily std."""
    std = demand_std(rng, units, upo)
    return pd.DataFrame(
        dict(
            sku_id=sku_ids,
            region_id=region_ids,
            units=units,
            units_per_order=upo,
            demand_std_daily=std,
            currency=currency,
            shipping_per_order=shipping,
        )
    )


def _import_demand(
    rng: np.random.Generator, skus: pd.DataFrame, regions: pd.DataFrame
) -> pd.DataFrame:
    totals = skus["_units"].to_numpy()
    weights = regions["weight"].to_numpy(float)
    row, col, units = _spread(rng, totals, weights, _n_regions(totals, len(regions)))
    upo = skus["_upo"].to_numpy()[row]
    # 15 % of rows order one unit more or less than the SKU's usual
    vary = rng.random(len(row)) < 0.15
    upo = np.where(vary, np.maximum(1.0, upo + rng.choice([-1.0, 1.0], len(row))), upo)
    retail = skus["retail_price"].to_numpy()[row]
    shipping = np.where(retail * upo >= CN_FREE_SHIPPING_CNY, 0.0, float(CN_SHIPPING_FEE_CNY))
    sku_ids, region_ids = skus["sku_id"].to_numpy()[row], regions["node_id"].to_numpy()[col]
    return _demand_frame(rng, sku_ids, region_ids, units, upo, "CNY", shipping)


def _export_demand(
    rng: np.random.Generator, skus: pd.DataFrame, regions: pd.DataFrame, buyers: list[tuple]
) -> pd.DataFrame:
    totals = skus["_units"].to_numpy()
    weights = regions["weight"].to_numpy(float)
    row, col, units = _spread(rng, totals, weights, _n_regions(totals, len(regions)))
    upo = skus["_upo"].to_numpy()[row]
    currency = regions["currency"].to_numpy(object)[col]
    region_currency = regions["currency"].to_numpy(object)
    fx = np.array([FX_TO_CNY[c] for c in region_currency])[col]
    free_from = np.array([EX_SHIPPING[c][0] for c in region_currency])[col]
    fee = np.array([EX_SHIPPING[c][1] for c in region_currency])[col]
    local = skus["retail_price"].to_numpy()[row] / fx
    sku_ids, region_ids = skus["sku_id"].to_numpy()[row], regions["node_id"].to_numpy()[col]
    shipping = np.where(local * upo >= free_from, 0.0, fee)
    consumer = _demand_frame(rng, sku_ids, region_ids, units, upo, currency, shipping)
    consumer["_order"] = row * 2
    if not buyers:
        return consumer.drop(columns="_order")
    # B2B: some SKUs also sell to 1-3 business buyers in orders of 100-500 units
    b2b = np.flatnonzero(rng.random(len(skus)) < EX_B2B_SHARE)
    n_buyers = rng.integers(1, min(3, len(buyers)) + 1, len(b2b))
    volume = totals[b2b] * rng.uniform(0.4, 2.0, len(b2b))
    r, c, u = _spread(rng, volume, np.ones(len(buyers)), n_buyers)
    u = np.round(u / 10) * 10 + 50
    b_upo = np.array([100.0, 200.0, 300.0, 500.0])[rng.integers(0, 4, len(r))]
    buyer_ids = np.array([b[0] for b in buyers], dtype=object)[c]
    currency = np.array([b[3] for b in buyers], dtype=object)[c]
    sku_ids = skus["sku_id"].to_numpy()[b2b[r]]
    b2b_rows = _demand_frame(rng, sku_ids, buyer_ids, u, b_upo, currency, 0.0)
    b2b_rows["_order"] = b2b[r] * 2 + 1
    both = pd.concat([consumer, b2b_rows], ignore_index=True)
    return both.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


# ---------------------------------------------------------------------------
# sales platforms (issue 18)
# ---------------------------------------------------------------------------


def _on_platforms(
    rng: np.random.Generator,
    demand: pd.DataFrame,
    weights: np.ndarray,
    factors: np.ndarray,
    platform_ids: list[str],
    price_cny: np.ndarray,
) -> pd.DataFrame:
    """Put each demand row on a platform drawn by ``weights`` (rows x platforms, 0: not
    eligible; Gumbel-max); a row of PLATFORM_SPLIT_UNITS or more gives U(0.2, 0.5) of its
    units to the next-drawn eligible platform. Adds ``platform_id`` and ``price`` (the CNY
    price x the platform's factor, in the row's currency); daily std splits as sqrt(units)."""
    n = len(demand)
    keys = np.where(weights > 0, np.log(np.maximum(weights, 1e-300)), -np.inf)
    keys = keys + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    first = order[:, 0]
    second = order[:, min(1, weights.shape[1] - 1)]
    units = demand["units"].to_numpy(float)
    split = (units >= PLATFORM_SPLIT_UNITS) & np.isfinite(keys[np.arange(n), second])
    split &= second != first
    moved = np.where(split, np.round(units * rng.uniform(0.2, 0.5, n)), 0.0)
    parts = []
    for rank, (which, part) in enumerate(((first, units - moved), (second, moved))):
        keep = np.ones(n, dtype=bool) if rank == 0 else split
        frame = demand[keep].copy()
        frame["units"] = part[keep]
        frame["demand_std_daily"] = np.round(
            frame["demand_std_daily"].to_numpy(float) * np.sqrt(part[keep] / units[keep]), 4
        )
        frame["platform_id"] = np.asarray(platform_ids, dtype=object)[which[keep]]
        fx = np.array([FX_TO_CNY[c] for c in frame["currency"]])
        local = price_cny[keep] * factors[keep, which[keep]] / fx
        whole = np.isin(frame["currency"].to_numpy(object), ["JPY", "KRW"])
        frame["price"] = np.where(whole, np.round(local), np.round(local, 2))
        frame["_order"] = np.flatnonzero(keep) * 2 + rank
        parts.append(frame)
    both = pd.concat(parts, ignore_index=True).sort_values("_order", kind="stable")
    return both.drop(columns="_order").reset_index(drop=True)


def _import_platforms(
    rng: np.random.Generator, skus: pd.DataFrame, regions: pd.DataFrame, demand: pd.DataFrame
) -> pd.DataFrame:
    """Import demand on CN_PLATFORMS: CBEC marketplaces take CBEC-eligible orders only,
    department-store counters sell in tier-1 / tier-2 provinces the categories and fast
    movers they carry (general-trade stock only, a built-in rule); shipping by the price."""
    pos = _sku_positions(skus, demand)
    platform_ids = list(CN_PLATFORM_MIX)
    share = np.array([CN_PLATFORM_MIX[p][0] for p in platform_ids])
    factor = np.array([CN_PLATFORM_MIX[p][1] for p in platform_ids])
    retail = skus["retail_price"].to_numpy(float)[pos]
    upo = demand["units_per_order"].to_numpy(float)
    positive = (skus["positive_list"].to_numpy(object) == "true")[pos]
    cbec_ok = positive & ((upo <= 1.0) | (retail * upo <= ELIGIBILITY["cbec"][1]))
    cbec_ok &= retail * upo <= CBEC_ANNUAL_LIMIT_CNY  # no single order above a year's limit
    tier = regions["tier"].to_numpy()[pd.Index(regions["node_id"]).get_indexer(demand["region_id"])]
    sku_units = np.bincount(pos, demand["units"].to_numpy(float), len(skus))[pos]
    store_ok = (
        (tier <= 2)
        & np.isin(skus["category"].to_numpy(object)[pos], CN_STORE_CATEGORIES)
        & (sku_units >= CN_STORE_MIN_UNITS)
    )
    allowed = {p: channels for p, *_rest, channels in CN_PLATFORMS}
    eligible = np.ones((len(demand), len(platform_ids)), dtype=bool)
    for j, p in enumerate(platform_ids):
        if set(channel_codes(allowed[p])) <= set(CBEC_IMPORT_CODES):
            eligible[:, j] = cbec_ok
        elif p == "STORE":
            eligible[:, j] = store_ok
    factors = np.broadcast_to(factor, eligible.shape)
    out = _on_platforms(rng, demand, eligible * share, factors, platform_ids, retail)
    price, upo = out["price"].to_numpy(float), out["units_per_order"].to_numpy(float)
    free = (price * upo >= CN_FREE_SHIPPING_CNY) | (out["platform_id"] == "STORE").to_numpy()
    out["shipping_per_order"] = np.where(free, 0.0, float(CN_SHIPPING_FEE_CNY))
    return out


def _export_platforms(
    rng: np.random.Generator, skus: pd.DataFrame, regions: pd.DataFrame, demand: pd.DataFrame
) -> pd.DataFrame:
    """Export demand on EX_PLATFORMS by each market's mix (EX_PLATFORM_MIX); business
    buyers on the B2B platform; consumer shipping by the platform's price."""
    pos = _sku_positions(skus, demand)
    platform_ids = [p[0] for p in EX_PLATFORMS]
    market_of_region = dict(zip(regions["node_id"], regions["market"], strict=True))
    market = demand["region_id"].map(market_of_region).to_numpy(object)
    weights = np.zeros((len(demand), len(platform_ids)))
    factors = np.ones_like(weights)
    for j, p in enumerate(platform_ids):
        for m, mix in EX_PLATFORM_MIX.items():
            if p in mix:
                weights[market == m, j], factors[market == m, j] = mix[p]
    weights[pd.isna(market), platform_ids.index("B2B")] = 1.0
    retail = skus["retail_price"].to_numpy(float)[pos]
    out = _on_platforms(rng, demand, weights, factors, platform_ids, retail)
    consumer = out["platform_id"].to_numpy(object) != "B2B"
    currency = out["currency"].to_numpy(object)
    free_from = np.array([EX_SHIPPING.get(c, (0.0, 0.0))[0] for c in currency])
    fee = np.array([EX_SHIPPING.get(c, (0.0, 0.0))[1] for c in currency])
    paid = consumer & (out["price"].to_numpy(float) * out["units_per_order"] < free_from)
    out["shipping_per_order"] = np.where(paid, fee, 0.0)
    return out


def _platform_tables(demand: pd.DataFrame, side: str, ch: dict[str, str]) -> dict:
    """The platform tables of one side, keeping the platforms its demand uses."""
    catalogue = (
        (CN_PLATFORMS, CN_PLATFORM_FEES, CN_PLATFORM_RETURNS)
        if side == "import"
        else (EX_PLATFORMS, EX_PLATFORM_FEES, EX_PLATFORM_RETURNS)
    )
    used = set(demand["platform_id"])
    rows = [[r for r in table if r[0] in used] for table in catalogue]
    return platform_tables(*rows, ch)


# ---------------------------------------------------------------------------
# networks: lanes and carrier rates per (node, region) or per lane
# ---------------------------------------------------------------------------


def _im_sea(net, rng, sid, to, channel, group, days, key, copy) -> None:
    """Sea into China: LCL and FCL on CN_CONTAINER_LANES (first site only), else a
    forwarder's rate per m3 x U(0.93, 1.07)."""
    sea_m3, sea_kg, _days, std = CN_FREIGHT[group]["sea"]
    noise = rng.uniform(0.93, 1.07)
    fcl = CN_CONTAINER_LANES.get(key) if copy == 1 else None
    per_m3 = sea_m3 if fcl is not None else sea_m3 * noise
    net.cn_sea(sid, to, channel, group, per_m3=per_m3, per_kg=sea_kg, days=days, std=std, fcl=fcl)


def _im_air(net, rng, sid, to, channel, group, days) -> None:
    """Air into China, priced by weight breaks (x U(0.93, 1.07) per lane)."""
    noise = rng.uniform(0.93, 1.07)
    net.cn_air(sid, to, channel, group, days=days, std=CN_FREIGHT[group]["air"][1], noise=noise)


def _import_network(
    rng: np.random.Generator,
    net: _Network,
    regions: pd.DataFrame,
    n_nodes: int,
    suppliers: list[str],
    ch: dict[str, str],
) -> list[tuple[dict, list[str], float, float]]:
    """Suppliers abroad, bonded zones, DCs, ports and CN regions; returns the stocking nodes
    as (node row, region ids it reaches, base fixed cost, base m3)."""
    sup = [s for s in CN_SUPPLIERS if s[0] in suppliers]
    for sid, city, country, _currency, lat, lon, _ in sup:
        net.node(node_row(sid, "supplier", f"{city} supplier", country, lat, lon))
    stock = []
    for (nid, kind, name, lat, lon, sea, air, fixed, handling, base_m3, port), copy in _take(
        IM_NODES, n_nodes
    ):
        row = _site(net, rng, copy, nid, kind, name, "CN", lat, lon, "CNY", handling)
        stock.append((row, list(regions["node_id"]), fixed, base_m3, sea, air, port, nid, copy))
    sea_to_port = set()
    for sid, _, country, _currency, slat, slon, group in sup:
        f = CN_FREIGHT[group]
        sea_days, air_days = f["sea"][2], f["air"][0]
        for row, _reach, _f, _m, sea, air, port, base_id, copy in stock:
            nid = row["node_id"]
            if row["kind"] == "bonded_zone":
                if sea:
                    _im_sea(
                        net, rng, sid, nid, ch["1210"], group, sea_days + 2, (sid, base_id), copy
                    )
                if air or not sea:
                    _im_air(
                        net, rng, sid, nid, ch["1210"], group, air_days + 1 + (0 if sea else 0.5)
                    )
                if not sea and country == "DE":
                    rail_m3, rail_days, rail_std = CN_RAIL
                    km = great_circle_km(slat, slon, row["lat"], row["lon"])
                    days = half_days(rail_days + km / 4000)
                    net.rail(sid, nid, ch["1210"], per_m3=rail_m3, days=days, std=rail_std)
            else:
                if (sid, port) not in sea_to_port:
                    sea_to_port.add((sid, port))
                    _im_sea(net, rng, sid, port, ch["0110"], group, sea_days, (sid, port), 1)
                if air:
                    _im_air(net, rng, sid, nid, ch["0110"], group, air_days + 1)
        # direct mail (9610) and postal parcels to every region
        for r in regions.itertuples(index=False):
            km = cn_gateway_km(r.lat, r.lon)
            express_days, postal_days = net.cn_parcels(
                sid, r.node_id, group, km, express_channel=ch["9610"], postal_channel=ch["postal"]
            )
            net.promise(r.node_id, express_days + 1, sid, "cbec")
            net.promise(r.node_id, postal_days + 2, sid, "postal")
    # ports -> DCs in whole trucks
    for row, _reach, _f, _m, _sea, _air, port, _base, _copy in stock:
        if row["kind"] != "domestic_dc":
            continue
        name, plat, plon = CN_PORTS[port]
        net.node(port_row(port, name, plat, plon, CN_PORT_HANDLING_CNY))
        km = great_circle_km(plat, plon, row["lat"], row["lon"])
        cost = CN_TRUCK_CNY[0] + CN_TRUCK_CNY[1] * km
        net.truckload(port, row["node_id"], ch["0110"], days=half_days(1.5 + km / 500), cost=cost)
    # last mile from stock
    for row, *_ in stock:
        channel = ch["1210"] if row["kind"] == "bonded_zone" else ch["0110"]
        for r in regions.itertuples(index=False):
            km = great_circle_km(row["lat"], row["lon"], r.lat, r.lon)
            days = net.cn_last_mile(row["node_id"], r.node_id, channel, km)
            net.promise(
                r.node_id, days + 1, "*", "cbec" if row["kind"] == "bonded_zone" else "open"
            )
    return [(row, reach, fixed, base_m3) for row, reach, fixed, base_m3, *_ in stock]


def _export_network(
    rng: np.random.Generator,
    net: _Network,
    regions: pd.DataFrame,
    buyers: list[tuple],
    n_nodes: int,
    factories: list[str],
    ch: dict[str, str],
    fulfilment_centres: bool = False,
) -> list[tuple[dict, list[str], float, float]]:
    """Chinese factories, export bonded zones, ports, overseas warehouses, foreign regions
    and business buyers, plus the marketplace's fulfilment centres (EX_FBA_NODES) of the
    markets present if ``fulfilment_centres``; returns the stocking nodes as in
    :func:`_import_network`."""
    markets = set(regions["market"])
    candidates = [n for n in EX_NODES if n[1] == "bonded_zone" or n[10] in markets]
    stock = []
    for (
        nid,
        kind,
        name,
        country,
        currency,
        lat,
        lon,
        fixed,
        handling,
        base_m3,
        market,
    ), copy in _take(candidates, n_nodes):
        row = _site(net, rng, copy, nid, kind, name, country, lat, lon, currency, handling)
        reach = regions if kind == "bonded_zone" else regions[regions["market"] == market]
        stock.append((row, list(reach["node_id"]), fixed, base_m3, market, copy))
    for nid, kind, name, country, currency, lat, lon, fixed, handling, base_m3, market in (
        EX_FBA_NODES if fulfilment_centres else []
    ):
        if market in markets:
            row = _site(net, rng, 1, nid, kind, name, country, lat, lon, currency, handling)
            reach = regions[regions["market"] == market]
            stock.append((row, list(reach["node_id"]), fixed, base_m3, market, 1))
    fac = [f for f in EX_FACTORIES if f[0] in factories]
    for fid, name, lat, lon, _ in fac:
        net.node(node_row(fid, "supplier", name, "CN", lat, lon))
    for bid, name, country, currency, lat, lon in buyers:
        buyer = node_row(
            bid, "business_buyer", short_name(name), country, lat, lon, currency=currency
        )
        net.node(buyer)
    warehouses = [s for s in stock if s[0]["kind"] == "overseas_warehouse"]
    container_ws = {s[0]["node_id"] for s in warehouses[:EX_CONTAINER_WAREHOUSES] if s[5] == 1}
    ports_used = set()
    for fid, _, flat, flon, port in fac:
        yiwu = fid == "F_YW_YIWU"
        extra_cny, extra_days = EX_YIWU_PARCEL if yiwu else (0.0, 0.0)
        for r in regions.itertuples(index=False):
            days = EX_ECONOMY[r.market][2] + extra_days
            noise = rng.uniform(0.95, 1.05)
            lane_id = net.lane(fid, r.node_id, "express", ch["9610"], "CNY", days=days, std=2.0)
            net.ex_economy_parcel(
                lane_id, r.market, noise=noise, days=days, std=2.0, extra_cny=extra_cny
            )
            fast = net.ex_priority_parcel(
                lane_id, r.market, noise=noise, extra_cny=extra_cny, extra_days=extra_days
            )
            net.promise(r.node_id, fast + 2, fid)
        for row, *_ in stock:
            if row["kind"] == "bonded_zone":
                km = great_circle_km(flat, flon, row["lat"], row["lon"])
                net.ex_bonded_truck(fid, row["node_id"], ch["1210"], km)
        if warehouses:
            ports_used.add(port)
            pname, plat, plon = EX_PORTS[port]
            net.node(port_row(port, pname, plat, plon, EX_PORT_HANDLING_CNY))
            km = great_circle_km(flat, flon, plat, plon)
            cost = EX_TRUCK_CNY[0] + EX_TRUCK_CNY[1] * km
            net.truckload(fid, port, ch["9810"], days=half_days(1 + km / 600), cost=cost)
        for row, _reach, _f, _m, market, _copy in warehouses:
            net.ex_air(fid, row["node_id"], ch["9810"], market)
            if yiwu and market == "EU":
                usd_m3, rdays, rstd = EX_RAIL_EU
                net.rail(fid, row["node_id"], ch["9810"], per_m3=usd_m3, days=rdays, std=rstd)
        for bid, _, country, *_ in buyers:
            net.ex_b2b_sea(fid, bid, ch["9710"], EX_BUYER_SEA[country])
    # bonded zone -> consumers (1210 export parcels)
    for row, *_ in stock:
        if row["kind"] != "bonded_zone":
            continue
        for r in regions.itertuples(index=False):
            days = EX_ECONOMY[r.market][2] - 1
            noise = rng.uniform(0.95, 1.05)
            lane_id = net.lane(
                row["node_id"], r.node_id, "express", ch["1210"], "CNY", days=days, std=1.5
            )
            net.ex_economy_parcel(
                lane_id, r.market, noise=noise, days=days, std=1.5, share=EX_1210_DISCOUNT
            )
            net.promise(r.node_id, days + 1)
    # port -> overseas warehouse by sea; warehouse -> consumers of its market
    for row, reach, _f, _m, market, _copy in warehouses:
        key = ("US_W" if row["lon"] < -100 else "US_E") if market == "US" else market
        for port in sorted(ports_used):
            days = EX_SEA[key][1] + (0 if (port == "PORT_SZ_YANTIAN") == (key != "JP") else 1)
            if row["node_id"] in container_ws:
                fcl = EX_FCL_USD[key]
                net.ex_sea(port, row["node_id"], ch["9810"], key, days=days, fcl=fcl)
            else:
                noise = rng.uniform(0.95, 1.05)
                net.ex_sea(port, row["node_id"], ch["9810"], key, days=days, noise=noise)
        for r in regions[regions["node_id"].isin(reach)].itertuples(index=False):
            km = great_circle_km(row["lat"], row["lon"], r.lat, r.lon)
            days = net.ex_last_mile(
                row["node_id"], r.node_id, ch["9810"], row["currency"], market, km
            )
            net.promise(r.node_id, days + 1)
    return [(row, reach, fixed, base_m3) for row, reach, fixed, base_m3, *_ in stock]


# ---------------------------------------------------------------------------
# channels and tax rules (as the bundled instances)
# ---------------------------------------------------------------------------


def _import_channels(ch: dict[str, str]) -> list[dict]:
    return channel_rows(IMPORT_CHANNELS, ch)


def _export_channels(ch: dict[str, str]) -> list[dict]:
    # the import side's positive-list and quota columns are "false" for exports
    base = dict(requires_positive_list="false", counts_toward_cbec_quota="false")
    return [base | row for row in channel_rows(EXPORT_CHANNELS, ch)]


def _import_rules(ch: dict[str, str]) -> list[dict]:
    return import_tax_rules(ch, cbec_source=CBEC_NOTE)


def _export_rules(ch: dict[str, str], countries: list[str], buyers: list[tuple]) -> list[dict]:
    low_value = {
        market: rule | {"source": EX_LOW_VALUE_NOTES.get(market, rule["source"])}
        for market, rule in EX_LOW_VALUE.items()
    }
    buyer_countries = sorted({b[2] for b in buyers})
    return export_tax_rules(
        ch, countries, buyer_countries, low_value=low_value, buyer_source=BUYER_IMPORTS_NOTE
    )


# ---------------------------------------------------------------------------
# capacities, regions' targets, assembly
# ---------------------------------------------------------------------------


def _stock_need(skus: pd.DataFrame, demand: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Per demand row: throughput units and storage m3 (cycle + safety stock) if stocked."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(SERVICE_LEVEL)
    lead, lead_std = SIZING_LEAD_DAYS
    volume = skus["volume_m3"].to_numpy(float)[_sku_positions(skus, demand)]
    units = demand["units"].to_numpy(float)
    rate = units / HORIZON_DAYS
    on_hand = rate * REVIEW_PERIOD_DAYS / 2 + z * (
        demand["demand_std_daily"].to_numpy(float) * np.sqrt(lead) + lead_std * rate
    )
    return units, on_hand * volume


#: Which SKUs and orders a promise reaches (requires the positive list, order-value cap in
#: CNY with the single-item exception): 1210 / 9610 import (CBEC retail), postal, the rest.
ELIGIBILITY = {"cbec": (True, 5000.0), "postal": (False, 1000.0), "open": (False, np.inf)}
#: A service target asks for alpha of a region's units within T days; T is raised until
#: alpha + SERVICE_MARGIN of the units have a path that fast (so targets stay feasible).
SERVICE_MARGIN = 0.1


def _sku_positions(skus: pd.DataFrame, demand: pd.DataFrame) -> np.ndarray:
    """Row of ``skus`` of each demand row (integer indexing instead of string maps)."""
    return pd.Index(skus["sku_id"]).get_indexer(demand["sku_id"])


def _fastest_promise(net: _Network, skus: pd.DataFrame, demand: pd.DataFrame) -> np.ndarray:
    """Per demand row: the fastest promise (days) of any channel that may serve it."""
    pos = _sku_positions(skus, demand)
    s_codes, s_names = pd.factorize(skus["supplier_id"].to_numpy(object)[pos])
    r_codes, r_names = pd.factorize(demand["region_id"].to_numpy(object))
    s_of = {name: i for i, name in enumerate(s_names)}
    r_of = {name: i for i, name in enumerate(r_names)}
    positive = (skus["positive_list"].to_numpy(object) == "true")[pos]
    upo = demand["units_per_order"].to_numpy(float)
    fx = np.array(list(FX_TO_CNY.values()))[
        pd.Index(list(FX_TO_CNY)).get_indexer(demand["currency"])
    ]
    shipping = demand["shipping_per_order"].to_numpy(float) * fx
    value = upo * skus["retail_price"].to_numpy(float)[pos] + shipping
    best = np.full(len(demand), np.inf)
    for rule, (needs_positive, cap) in ELIGIBILITY.items():
        from_stock = np.full(len(r_names), np.inf)
        direct = np.full((len(s_names), len(r_names)), np.inf)
        for (offer_rule, supplier, region), days in net.offers.items():
            if offer_rule != rule or region not in r_of:
                continue
            if supplier == "*":
                from_stock[r_of[region]] = days
            elif supplier in s_of:
                direct[s_of[supplier], r_of[region]] = days
        ok = (positive | (not needs_positive)) & ((value <= cap) | (upo <= 1.0))
        days = np.minimum(from_stock[r_codes], direct[s_codes, r_codes])
        best = np.minimum(best, np.where(ok, days, np.inf))
    return best


def _cbec_consumers(skus: pd.DataFrame, regions: pd.DataFrame, demand: pd.DataFrame) -> np.ndarray:
    """``consumers`` of each region (the CBEC quota): the positive-list demand value x
    CN_QUOTA_HEADROOM x (GDP per capita / 100 k)^2 / 26,000, so the quota binds in poorer
    regions; never below the value of the orders that only CBEC channels may serve
    (platforms limited to them) + 5 %, so the quota leaves them a feasible plan."""
    pos = _sku_positions(skus, demand)
    eligible = (skus["positive_list"].to_numpy(object) == "true")[pos]
    price = (
        demand["price"].to_numpy(float)
        if "price" in demand.columns
        else skus["retail_price"].to_numpy(float)[pos]
    )
    value = demand["units"].to_numpy(float) * price
    at = pd.Index(regions["node_id"]).get_indexer(demand["region_id"])
    eligible_value = np.bincount(at, np.where(eligible, value, 0.0), len(regions))
    headroom = CN_QUOTA_HEADROOM * (regions["gdp"].to_numpy(float) / 100.0) ** 2
    cbec_only = {
        p
        for p, *_rest, channels in CN_PLATFORMS
        if set(channel_codes(channels)) <= set(CBEC_IMPORT_CODES)
    }
    on_cbec_only = demand.get("platform_id", pd.Series("", index=demand.index)).isin(cbec_only)
    forced = np.bincount(at, np.where(on_cbec_only.to_numpy(), value, 0.0), len(regions))
    need = np.maximum(eligible_value * headroom, forced * 1.05)
    return np.maximum(50.0, np.ceil(need / 26_000 / 10) * 10)


def _days_for_share(best: np.ndarray, units: np.ndarray, share: float) -> float:
    """Smallest T such that ``share`` of ``units`` have best <= T (inf if none)."""
    order = np.argsort(best, kind="stable")
    cum = np.cumsum(units[order]) / max(units.sum(), 1e-12)
    i = int(np.searchsorted(cum, min(share, 1.0) - 1e-9))
    return float(best[order][min(i, len(order) - 1)]) if len(order) else np.inf


def _size_capacities(
    rng: np.random.Generator,
    stock: list[tuple[dict, list[str], float, float]],
    demand: pd.DataFrame,
    need_units: np.ndarray,
    need_m3: np.ndarray,
    utilisation: tuple[float, float] = DESIGN_UTILISATION,
    scale_fixed_costs: bool = True,
) -> None:
    """Capacity = the node's fair share of the need of the regions it reaches / u, u drawn
    from ``utilisation``; the fixed cost scales with the storage capacity unless not
    ``scale_fixed_costs`` (then it is the node's base fixed cost)."""
    region_units = pd.Series(need_units).groupby(demand["region_id"].to_numpy()).sum()
    region_m3 = pd.Series(need_m3).groupby(demand["region_id"].to_numpy()).sum()
    reach_count: dict[str, int] = {}
    for _row, reach, *_ in stock:
        for r in reach:
            reach_count[r] = reach_count.get(r, 0) + 1
    for row, reach, fixed, base_m3 in stock:
        share = pd.Series([1.0 / reach_count[r] for r in reach], index=reach, dtype=float)
        units = float((region_units.reindex(reach, fill_value=0.0) * share).sum())
        m3 = float((region_m3.reindex(reach, fill_value=0.0) * share).sum())
        u = rng.uniform(*utilisation)
        row["storage_capacity_m3"] = max(0.5, round(m3 / u, 1))
        row["throughput_capacity_units"] = float(max(10, np.ceil(units / u)))
        scale = max(FIXED_COST_FLOOR, (row["storage_capacity_m3"] / base_m3) ** FIXED_COST_EXPONENT)
        scale = scale if scale_fixed_costs else 1.0
        row["fixed_cost"] = float(round(fixed * scale, -2 if fixed < 1e6 else -4))


def generate_tables(
    skus: int,
    regions: int = 30,
    nodes: int = 10,
    seed: int = 0,
    *,
    kind: Kind = "mixed",
    platforms: bool = False,
    sku_prefix: str = "SKU",
    node_limits: dict[str, dict] | None = None,
    utilisation: tuple[float, float] = DESIGN_UTILISATION,
    scale_fixed_costs: bool = True,
) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables and parameters of a generated instance, without writing them.

    Same arguments as :func:`generate`, plus the options of a :class:`Preset`:
    ``sku_prefix`` of the SKU ids, ``node_limits`` (node id -> extra columns of its
    nodes.csv row, e.g. ``orders_per_day_capacity``), the range ``utilisation`` that
    capacities are sized for and ``scale_fixed_costs`` (False: every stocking node keeps
    its base fixed cost, whatever its capacity). Returns ``(tables, params)`` ready for :func:`write_tables`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    least = 2 if kind == "mixed" else 1
    for name, value in (("skus", skus), ("regions", regions), ("nodes", nodes)):
        if int(value) != value or value < least:
            raise ValueError(
                f"{name} must be a whole number >= {least} for kind {kind!r}, got {value}"
            )
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    rng = np.random.default_rng(seed)
    if kind == "mixed":
        split = lambda n: int(np.clip(round(n * MIXED_IMPORT_SHARE), 1, n - 1))  # noqa: E731
        sides = {"import": (split(skus), split(regions), split(nodes))}
        sides["export"] = (
            skus - sides["import"][0],
            regions - sides["import"][1],
            nodes - sides["import"][2],
        )
        ch_im = {"1210": "1210", "9610": "9610", "postal": "postal", "0110": "0110"}
        ch_ex = {"9610": "9610-export", "1210": "1210-export", "9810": "9810", "9710": "9710"}
    else:
        sides = {kind: (skus, regions, nodes)}
        ch_im = {"1210": "1210", "9610": "9610", "postal": "postal", "0110": "0110"}
        ch_ex = {"9610": "9610", "1210": "1210", "9810": "9810", "9710": "9710"}

    net = _Network()
    sku_frames, demand_frames, channels, rules, region_frames = [], [], [], [], []
    platform_frames: list[dict[str, pd.DataFrame]] = []
    stock_all, need_units, need_m3 = [], [], []
    width = len(str(skus))
    offset = 0
    for side, (n_skus, n_regions, n_nodes) in sides.items():
        if side == "import":
            reg = _cn_regions(rng, n_regions)
            sk = _import_skus(rng, n_skus)
        else:
            reg = _foreign_regions(rng, n_regions)
            sk = _export_skus(rng, n_skus)
        sk.insert(
            0,
            "sku_id",
            [f"{sku_prefix}{i:0{width}d}" for i in range(offset + 1, offset + n_skus + 1)],
        )
        offset += n_skus
        suppliers = sorted(set(sk["supplier_id"]))
        if side == "import":
            dem = _import_demand(rng, sk, reg)
            if platforms:
                dem = _import_platforms(rng, sk, reg, dem)
            stock = _import_network(rng, net, reg, n_nodes, suppliers, ch_im)
            channels += _import_channels(ch_im)
            rules += _import_rules(ch_im)
            reg["consumers"] = _cbec_consumers(sk, reg, dem)
        else:
            buyers = EX_BUYERS[: min(len(EX_BUYERS), -(-n_regions // 8))]
            dem = _export_demand(rng, sk, reg, buyers)
            if platforms:
                dem = _export_platforms(rng, sk, reg, dem)
            stock = _export_network(
                rng, net, reg, buyers, n_nodes, suppliers, ch_ex, fulfilment_centres=platforms
            )
            channels += _export_channels(ch_ex)
            rules += _export_rules(ch_ex, sorted(set(reg["country"])), buyers)
        if platforms:
            platform_frames.append(
                _platform_tables(dem, side, ch_im if side == "import" else ch_ex)
            )
        units, m3 = _stock_need(sk, dem)
        consumer = dem["region_id"].isin(set(reg["node_id"])).to_numpy()
        # a marketplace's fulfilment centre holds the stock of its platform's demand only
        centre_of = {n[0]: p[0] for p in EX_PLATFORMS for n in EX_FBA_NODES if p[11] == n[0]}
        centres = [s for s in stock if s[0]["node_id"] in centre_of]
        stock = [s for s in stock if s[0]["node_id"] not in centre_of]
        sizing = (utilisation, scale_fixed_costs)
        _size_capacities(rng, stock, dem[consumer], units[consumer], m3[consumer], *sizing)
        for centre in centres:
            mine = consumer & (dem["platform_id"] == centre_of[centre[0]["node_id"]]).to_numpy()
            _size_capacities(rng, [centre], dem[mine], units[mine], m3[mine], *sizing)
        stock += centres
        stock_all += stock
        need_units.append(units[consumer])
        need_m3.append(m3[consumer])
        sku_frames.append(sk)
        demand_frames.append(dem)
        region_frames.append((side, reg))

    # regions: promise limits and service targets, feasible for the SKUs each region buys
    for (side, reg), sk, dem in zip(region_frames, sku_frames, demand_frames, strict=True):
        best = _fastest_promise(net, sk, dem)
        codes = pd.Index(reg["node_id"]).get_indexer(dem["region_id"])  # -1: business buyers
        units = dem["units"].to_numpy(float)
        for i, r in enumerate(reg.itertuples(index=False)):
            mine = codes == i
            slowest = float(best[mine].max()) if mine.any() else 0.0
            row = node_row(
                r.node_id, "region", r.name, r.country, r.lat, r.lon, currency=r.currency
            )
            if side == "import":
                row["consumers"] = r.consumers
                target = CN_TIER_TARGETS.get(r.tier)
            else:
                first = i == reg.index[reg["market"] == r.market][0]  # largest of its market
                target = (EX_MAX_PROMISE.get(r.market), *EX_SERVICE) if first else None
                if r.market in EX_MAX_PROMISE:
                    row["max_promise_days"] = max(EX_MAX_PROMISE[r.market], slowest)
            if target is not None:
                limit, days, share = target
                if limit is not None:
                    row["max_promise_days"] = max(limit, slowest)
                needed = _days_for_share(best[mine], units[mine], share + SERVICE_MARGIN)
                if np.isfinite(needed):
                    row.update(service_days=max(days, needed), service_share=share)
            net.node(row)

    sku_table = pd.concat(sku_frames, ignore_index=True)
    for row in net.nodes:
        row.update((node_limits or {}).get(row["node_id"], {}))
    limit_columns = [c for c in NODE_LIMIT_COLUMNS if any(c in row for row in net.nodes)]
    demand_columns = DEMAND_COLUMNS + (["platform_id", "price"] if platforms else [])
    tables = dict(
        skus=sku_table[[*SKU_COLUMNS, "x_product"]],
        nodes=pd.DataFrame(net.nodes).reindex(columns=NODE_COLUMNS + limit_columns),
        lanes=pd.DataFrame(net.lanes).reindex(columns=LANE_COLUMNS),
        demand=pd.concat(demand_frames, ignore_index=True)[demand_columns],
        channels=pd.DataFrame(channels).reindex(columns=CHANNEL_COLUMNS),
        tax_rules=pd.DataFrame(rules).reindex(columns=TAX_RULE_COLUMNS),
        fx=fx_table(CURRENCIES),
        rates=pd.DataFrame(net.rates).reindex(columns=RATE_COLUMNS),
        weight_breaks=pd.DataFrame(net.breaks).reindex(columns=BREAK_COLUMNS),
    )
    for name in ("platforms", "platform_fees", "platform_returns"):
        if platform_frames:
            tables[name] = pd.concat([f[name] for f in platform_frames], ignore_index=True)
    n_stock = len(stock_all)
    params = dict(
        name=f"generated_{kind}_{skus}x{regions}x{nodes}_seed{seed}",
        description=(
            f"Generated by lean_chain.generate: {kind} instance, {skus} SKUs, {regions} demand "
            f"regions, {n_stock} stocking nodes, seed {seed}. Assumptions in docs/generator.md."
        ),
        currency="CNY",
        horizon_days=HORIZON_DAYS,
        holding_rate_per_year=0.2,
        service_level=SERVICE_LEVEL,
        review_period_days=REVIEW_PERIOD_DAYS,
        max_channels_per_sku=2 if kind == "import" else 3,
        single_sourcing=False,
        cbec_annual_limit_per_person=26000.0,
    )
    return tables, params


@dataclass(frozen=True)
class Preset:
    """A named parameter set of :func:`generate_tables`: a bundled instance."""

    name: str
    kind: Kind
    #: SKUs, demand regions, stocking nodes.
    size: tuple[int, int, int]
    #: Seed of the bundled folder (instances/generate.py without --seed).
    seed: int
    sku_prefix: str
    holding_rate: float
    node_limits: dict[str, dict]
    description: str
    platforms: bool = True
    #: Capacities sized for 12-20 % use (each node could hold about a third of all demand, as
    #: the 3PL contracts of the bundled instances always did): they rarely bind, so the
    #: bundled instances solve to 0.5 % in seconds (at 60-90 % the cn_import preset took
    #: 3.5 min, at 35-50 % over 7 min).
    utilisation: tuple[float, float] = (0.12, 0.2)
    #: Fixed costs of the 3PL contracts as listed (IM_NODES, EX_NODES), not scaled up with
    #: the large capacities (scaled, the bonded zones cost too much for 1210 to win).
    scale_fixed_costs: bool = False


#: Options of :func:`generate_tables` that a preset sets.
PRESET_OPTIONS = (
    "kind",
    "platforms",
    "sku_prefix",
    "node_limits",
    "utilisation",
    "scale_fixed_costs",
)
CN_IMPORT_DESCRIPTION = (
    "A China cross-border e-commerce import business: 7 foreign suppliers, 5 bonded zones "
    "(1210), 2 domestic DCs (0110 general trade), direct mail (9610) and personal postal "
    "parcels to the 31 mainland provinces; sold on two cross-border import marketplaces, live "
    "commerce, an own mini-program store and department-store counters (general-trade stock "
    "only). Generated by instances/generate.py (a lean_chain.generate preset); assumptions in "
    "instances/README.md."
)
GLOBAL_EXPORT_DESCRIPTION = (
    "A Chinese seller exporting from 3 factories: 9610 parcels, 1210 bonded export stock in 2 "
    "Chinese bonded zones, 9810 stock in 7 overseas 3PL warehouses and 3 marketplace "
    "fulfilment centres (US, DE, JP), 9710 B2B sea freight to 5 business buyers; 44 consumer "
    "regions in the US, EU, UK, Japan, Australia and Canada, sold on an own web store, a "
    "marketplace fulfilled by its own centres and a short-video marketplace. Generated by "
    "instances/generate.py (a lean_chain.generate preset); assumptions in instances/README.md."
)
#: The bundled instances (``instances/generate.py`` writes them with their seeds). Seeds:
#: global_export 2026 (as before); cn_import 7, the fastest of the three seeds tried for
#: the README's quick start (``solve --gap 0.005``: seed 7 11 s of CPU, seed 2026 45 s;
#: seed 1 was infeasible before the annual-limit check of the CBEC marketplaces).
# fmt: off
PRESETS = {
    "cn_import": Preset("cn_import", "import", (234, 31, 7), 7, "CN", 0.18, CN_NODE_LIMITS, CN_IMPORT_DESCRIPTION),
    "global_export": Preset("global_export", "export", (130, 44, 9), 2026, "EX", 0.20, EX_NODE_LIMITS, GLOBAL_EXPORT_DESCRIPTION),
}
# fmt: on


def preset_tables(name: str, seed: int | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables and parameters of the preset ``name`` (a key of :data:`PRESETS`), drawn
    with ``seed`` (default: the preset's).

    Examples
    --------
    >>> tables, params = preset_tables("global_export")
    >>> params["name"], len(tables["skus"]), sorted(tables["platforms"]["kind"].unique())
    ('global_export', 130, ['b2b', 'marketplace', 'own_store'])
    """
    preset = PRESETS[name]
    options = {option: getattr(preset, option) for option in PRESET_OPTIONS}
    seed = preset.seed if seed is None else seed
    tables, params = generate_tables(*preset.size, seed, **options)
    params.update(name=name, description=preset.description)
    params.update(holding_rate_per_year=preset.holding_rate)
    return tables, params


def write_tables(
    folder: str | Path, tables: dict[str, pd.DataFrame], params: dict, *, overwrite: bool = False
) -> Path:
    """Write ``tables`` and ``params`` as an instance folder; refuse a non-empty folder
    unless ``overwrite`` (then files of the same names are replaced).

    Raises
    ------
    FileExistsError
        If ``folder`` exists and is not an empty directory (nothing is overwritten).
    """
    folder = Path(folder)
    if not overwrite and folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(f"{folder} exists and is not an empty directory; choose a new --out")
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    text = yaml.safe_dump(params, sort_keys=False, allow_unicode=True, width=100)
    (folder / "parameters.yaml").write_text(text, encoding="utf-8")
    return folder


def summary(tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Row counts of the generated tables (for the command line)."""
    return {name: len(frame) for name, frame in tables.items()}


def generate(
    skus: int,
    regions: int = 30,
    nodes: int = 10,
    seed: int = 0,
    out: str | Path | None = None,
    *,
    kind: Kind = "mixed",
) -> Instance:
    """Generate a realistic instance of any size, write it and load it.

    Parameters
    ----------
    skus : int
        Number of SKUs (split between import and export SKUs for ``kind="mixed"``).
    regions : int
        Consumer demand regions (Chinese provinces for imports; US states, EU
        countries, UK, Japan, Australia and Canada regions for exports; beyond the
        real list, further city clusters). Export instances add up to 5 business
        buyers on top.
    nodes : int
        Stocking nodes (bonded zones, domestic DCs, overseas warehouses). Suppliers
        and ports are added as the channels need them.
    seed : int
        Seed of ``numpy.random.default_rng``; the same arguments give byte-identical
        files.
    out : str or Path, optional
        Folder to write (must not exist or be empty). ``None`` writes to a
        temporary folder that is removed once the instance is loaded.
    kind : {"import", "export", "mixed"}
        China CBEC import (1210, 9610, postal, 0110), Chinese export (9610, 1210,
        9810, 9710), or both (the export 9610 and 1210 are then ``9610-export`` and
        ``1210-export``).

    Returns
    -------
    Instance
        The written folder, loaded and validated by :func:`lean_chain.load_instance`.

    Raises
    ------
    ValueError
        On a bad size, seed or kind.
    FileExistsError
        If ``out`` exists and is not an empty directory.

    Examples
    --------
    >>> import lean_chain
    >>> inst = lean_chain.generate(30, regions=4, nodes=2, seed=1, kind="import")
    >>> len(inst.skus), sorted(inst.channels["channel_id"])
    (30, ['0110', '1210', '9610', 'postal'])
    """
    tables, params = generate_tables(skus, regions, nodes, seed, kind=kind)
    if out is not None:
        folder = write_tables(out, tables, params)
        return load_instance(folder)
    with tempfile.TemporaryDirectory(prefix="lean_chain_generate_") as tmp:
        folder = write_tables(Path(tmp) / params["name"], tables, params)
        instance = load_instance(folder)
    return instance


__all__ = [
    "PRESETS",
    "Preset",
    "generate",
    "generate_tables",
    "preset_tables",
    "summary",
    "write_tables",
]
