"""Generate the bundled instances ``cn_import`` and ``global_export``.

Usage::

    python instances/generate.py [--out instances] [--seed 2026]

Writes two instance folders under ``--out`` (seven CSV tables each plus
``parameters.yaml``, the format of ``docs/instance-format.md``). The output is
a pure function of the seed: one ``numpy.random.default_rng`` stream per
instance, fixed rounding, fixed row order. Only pandas, numpy and PyYAML are
used, so the generator runs without lean_chain installed.

Where the numbers come from
---------------------------
Tax rules, thresholds, channel definitions and typical lead times follow
``../shared/DOMAIN.md`` (GACC announcements 2014 No.12 / No.57 / 2016 No.75,
Cai Guan Shui [2016] No.18 and [2018] No.49, the 2019 State Council postal
tax notice, destination low-value rules as of late 2025). Everything else is
a documented assumption, written as a named constant below so it can be
read and changed in one place:

* FX: approximate late-2025 mid-market rates into CNY (``FX_TO_CNY``).
* Geography: real latitude/longitude of supplier cities, bonded zones,
  ports, warehouses and of the capital (or largest city) of every demand
  region; population (millions, ~2023) and, for China, GDP per capita
  (thousand CNY, ~2023, National Bureau of Statistics, rounded).
* Prices: retail prices are drawn from a log-normal distribution per product
  category (medians and spreads in ``CN_CATEGORIES`` / ``EX_CATEGORIES``);
  procurement cost is a category-specific share of the retail price
  (brand wholesale for imports, ex-works factory price for exports).
* Freight: per-kg / per-m3 / per-unit rates per mode and origin region,
  in the currency the market quotes them in (USD for international
  freight, CNY for China last mile, local currency for overseas last
  mile); last-mile cost and lead time grow with great-circle distance.
  Volumetric weight for air and express is charged through ``cost_per_m3``
  (IATA 6,000 cm3/kg = 167 kg/m3).
* Stocking nodes: fixed cost per year (lease, staff, systems), handling per
  unit (pick, pack, declaration), storage and throughput capacity.
* Demand: total yearly units per SKU are log-normal (category medians);
  the SKU is sold in a subset of regions (more regions for faster movers),
  shared out by population x affluence weights. Daily demand std follows
  compound Poisson orders: sqrt(daily units x units per order) x an
  over-dispersion factor in [1.0, 1.5).

Design of the economics (each channel must win somewhere)
---------------------------------------------------------
cn_import: 1210 bonded stock wins fast movers on positive-list items
(cheap sea line-haul + short last mile, tax 9.1 % of the transaction value);
9610 direct mail wins slow movers (no slotting/holding/filing) whose postal
tax would exceed 50 CNY; postal wins slow, cheap, light items whose parcel
tax is at most 50 CNY (waived) in provinces whose promise limit allows 15-40
days; 0110 general trade wins items not on the positive list, multi-unit
orders above the 5,000 CNY CBEC cap, and single items above the cap (duty on
CIF and VAT on the sale beat full general-trade taxes on the transaction
value).

global_export: 9810 (overseas warehouse) wins fast movers in the US and EU
(the US has no de minimis and the EU charges a EUR 3 flat duty per parcel,
while 9810 pays duty on the lower CIF value); 9610 wins slow movers and
Japan/Canada where the low-value thresholds make parcels tax free; 1210
export wins mid movers with a 13 % rebate (rebate on entering the bonded
zone, stock close to the factory); 9710 is the only channel that reaches
business buyers.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

DEFAULT_SEED = 2026

#: Approximate mid-market rates, late 2025: CNY per unit of each currency.
FX_TO_CNY = {
    "CNY": 1.0,
    "USD": 7.10,
    "EUR": 8.25,
    "GBP": 9.40,
    "JPY": 0.0468,
    "KRW": 0.00500,
    "AUD": 4.65,
    "NZD": 4.08,
    "CAD": 5.07,
    "AED": 1.933,
}

# ---------------------------------------------------------------------------
# shared helpers
# ---------------------------------------------------------------------------


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance in km (arrays or scalars)."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def half_days(x: float) -> float:
    """Round a lead time to half days."""
    return float(round(x * 2) / 2)


def local_price(cny: float, currency: str) -> float:
    """A CNY amount restated in ``currency`` and rounded like a price tag."""
    value = cny / FX_TO_CNY[currency]
    if currency in ("JPY", "KRW"):
        step = 10 if currency == "JPY" else 100
        return float(max(step, round(value / step) * step))
    return float(round(value, 2))


def lognormal(rng: np.random.Generator, median: float, sigma: float, lo: float, hi: float):
    return float(np.clip(median * math.exp(sigma * rng.standard_normal()), lo, hi))


def write_instance(folder: Path, tables: dict[str, pd.DataFrame], params: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    text = yaml.safe_dump(params, sort_keys=False, allow_unicode=True, width=100)
    (folder / "parameters.yaml").write_text(text, encoding="utf-8")


def fx_table(currencies: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"currency": currencies, "rate_to_instance": [FX_TO_CNY[c] for c in currencies]}
    )


def allocate(rng: np.random.Generator, total: float, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` units over regions by ``weights`` (whole units, each >= 1)."""
    share = weights / weights.sum()
    noisy = share * rng.uniform(0.7, 1.3, len(share))
    units = np.maximum(1, np.round(total * noisy / noisy.sum()))
    return units


def demand_std(units: np.ndarray, upo: np.ndarray, horizon: float, rng) -> np.ndarray:
    """Daily std of compound-Poisson orders, with over-dispersion."""
    daily = units / horizon
    return np.round(np.sqrt(daily * upo) * rng.uniform(1.0, 1.5, len(units)), 4)


# ---------------------------------------------------------------------------
# cn_import: a China CBEC import platform
# ---------------------------------------------------------------------------

#: Foreign suppliers (brand owners / distributors): id, city, country, currency, lat, lon,
#: region group for freight rates.
CN_SUPPLIERS = [
    ("S_JP_TOKYO", "Tokyo", "JP", "JPY", 35.68, 139.69, "near"),
    ("S_KR_SEOUL", "Seoul", "KR", "KRW", 37.57, 126.98, "near"),
    ("S_US_LA", "Los Angeles", "US", "USD", 34.05, -118.24, "us"),
    ("S_DE_HAMBURG", "Hamburg", "DE", "EUR", 53.55, 9.99, "eu"),
    ("S_FR_PARIS", "Paris", "FR", "EUR", 48.86, 2.35, "eu"),
    ("S_AU_SYDNEY", "Sydney", "AU", "AUD", -33.87, 151.21, "oce"),
    ("S_NZ_AUCKLAND", "Auckland", "NZ", "NZD", -36.85, 174.76, "oce"),
]

#: Bonded zones (1210 stock): id, name, lat, lon, coastal (sea reachable), fixed cost CNY/yr,
#: handling CNY/unit, storage m3, throughput units/yr.
CN_BONDED = [
    ("BZ_SH_WGQ", "Shanghai Waigaoqiao FTZ bonded zone", 31.35, 121.60, True, 900_000, 5.0, 30,
     90_000),
    ("BZ_GZ_NANSHA", "Guangzhou Nansha bonded port", 22.75, 113.60, True, 800_000, 4.5, 30,
     120_000),
    ("BZ_HZ_XIASHA", "Hangzhou Xiasha comprehensive bonded zone", 30.31, 120.33, True, 650_000,
     4.5, 25, 80_000),
    ("BZ_TJ_DONGJIANG", "Tianjin Dongjiang bonded port", 38.97, 117.80, True, 600_000, 4.5, 25,
     80_000),
    ("BZ_ZZ_XINZHENG", "Zhengzhou Xinzheng comprehensive bonded zone", 34.53, 113.84, False,
     500_000, 4.0, 25, 80_000),
    ("BZ_CD_SHUANGLIU", "Chengdu Shuangliu comprehensive bonded zone", 30.57, 103.95, False,
     550_000, 4.0, 25, 80_000),
]

#: Domestic DCs (0110 duty-paid stock) and the port that feeds each.
CN_DCS = [
    ("DC_SH_KUNSHAN", "Kunshan domestic DC (Shanghai area)", 31.38, 120.98, 700_000, 3.5, 60,
     250_000, "PORT_SH_YANGSHAN"),
    ("DC_GZ_HUANGPU", "Guangzhou Huangpu domestic DC", 23.10, 113.45, 650_000, 3.5, 60, 250_000,
     "PORT_SZ_YANTIAN"),
]
CN_PORTS = [
    ("PORT_SH_YANGSHAN", "Shanghai Yangshan deep-water port", 30.63, 122.07),
    ("PORT_SZ_YANTIAN", "Shenzhen Yantian port", 22.58, 114.27),
]

#: 31 mainland provinces: id, name, capital lat, lon, population (millions, ~2023),
#: GDP per capita (thousand CNY, ~2023).
CN_PROVINCES = [
    ("CN_BJ", "Beijing", 39.90, 116.41, 21.9, 200),
    ("CN_TJ", "Tianjin", 39.13, 117.20, 13.6, 123),
    ("CN_HE", "Hebei (Shijiazhuang)", 38.04, 114.51, 74.0, 59),
    ("CN_SX", "Shanxi (Taiyuan)", 37.87, 112.55, 34.7, 74),
    ("CN_NM", "Inner Mongolia (Hohhot)", 40.84, 111.75, 23.9, 103),
    ("CN_LN", "Liaoning (Shenyang)", 41.81, 123.43, 41.8, 72),
    ("CN_JL", "Jilin (Changchun)", 43.82, 125.32, 23.4, 57),
    ("CN_HL", "Heilongjiang (Harbin)", 45.80, 126.53, 30.6, 51),
    ("CN_SH", "Shanghai", 31.23, 121.47, 24.9, 190),
    ("CN_JS", "Jiangsu (Nanjing)", 32.06, 118.80, 85.3, 150),
    ("CN_ZJ", "Zhejiang (Hangzhou)", 30.27, 120.16, 66.3, 125),
    ("CN_AH", "Anhui (Hefei)", 31.82, 117.23, 61.2, 76),
    ("CN_FJ", "Fujian (Fuzhou)", 26.07, 119.30, 41.8, 129),
    ("CN_JX", "Jiangxi (Nanchang)", 28.68, 115.86, 45.2, 71),
    ("CN_SD", "Shandong (Jinan)", 36.65, 117.12, 101.2, 91),
    ("CN_HA", "Henan (Zhengzhou)", 34.75, 113.63, 98.2, 60),
    ("CN_HB", "Hubei (Wuhan)", 30.59, 114.31, 58.4, 95),
    ("CN_HN", "Hunan (Changsha)", 28.23, 112.94, 65.7, 76),
    ("CN_GD", "Guangdong (Guangzhou)", 23.13, 113.26, 127.1, 107),
    ("CN_GX", "Guangxi (Nanning)", 22.82, 108.37, 50.3, 54),
    ("CN_HI", "Hainan (Haikou)", 20.04, 110.20, 10.4, 73),
    ("CN_CQ", "Chongqing", 29.56, 106.55, 31.9, 95),
    ("CN_SC", "Sichuan (Chengdu)", 30.57, 104.07, 83.7, 72),
    ("CN_GZ", "Guizhou (Guiyang)", 26.65, 106.63, 38.7, 54),
    ("CN_YN", "Yunnan (Kunming)", 24.88, 102.83, 46.7, 64),
    ("CN_XZ", "Tibet (Lhasa)", 29.65, 91.14, 3.7, 65),
    ("CN_SN", "Shaanxi (Xi'an)", 34.34, 108.94, 39.5, 85),
    ("CN_GS", "Gansu (Lanzhou)", 36.06, 103.83, 24.7, 48),
    ("CN_QH", "Qinghai (Xining)", 36.62, 101.78, 5.9, 64),
    ("CN_NX", "Ningxia (Yinchuan)", 38.49, 106.23, 7.3, 73),
    ("CN_XJ", "Xinjiang (Urumqi)", 43.83, 87.62, 26.2, 77),
]
#: Consumers there will not wait for 15-40 day postal parcels from far away.
CN_TIER1 = {"CN_BJ", "CN_SH", "CN_GD", "CN_ZJ", "CN_JS"}
CN_TIER2 = {"CN_TJ", "CN_SD", "CN_FJ", "CN_HB", "CN_SC", "CN_CQ", "CN_HN", "CN_AH"}

#: Product categories of cn_import. Prices in CNY (converted to the supplier's
#: currency on output). Keys: n SKUs, supplier weights, retail median / log-sd / clip,
#: procurement share of retail, weight kg range, packed density kg/m3, consumption-tax rate,
#: share on the CBEC positive list, units-per-order choices and probabilities, median yearly
#: units, HS heading, postal parcel-tax rate, general-trade duty rate.
CN_CATEGORIES = {
    "cosmetics": dict(
        n=55, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .35, "S_FR_PARIS": .2, "S_US_LA": .1},
        price=(220, 0.45, 60, 900), proc=(0.40, 0.55), kg=(0.10, 0.45), rho=250, ct=0.0,
        pos=0.96, upo=([1, 1.5, 2], [.7, .2, .1]), units=900, hs="3304.99", postal=0.20,
        duty=0.02, name="skincare / make-up"),
    "premium_cosmetics": dict(
        n=25, sup={"S_FR_PARIS": .5, "S_JP_TOKYO": .3, "S_US_LA": .2},
        price=(900, 0.5, 400, 3200), proc=(0.40, 0.50), kg=(0.10, 0.40), rho=220, ct=0.15,
        pos=1.0, upo=([1, 1.5], [.85, .15]), units=250, hs="3304.99", postal=0.50,
        duty=0.03, name="premium skincare (consumption tax 15 %)"),
    "infant_formula": dict(
        n=25, sup={"S_NZ_AUCKLAND": .35, "S_AU_SYDNEY": .3, "S_DE_HAMBURG": .25,
                   "S_FR_PARIS": .1},
        price=(260, 0.2, 150, 450), proc=(0.50, 0.62), kg=(0.85, 1.0), rho=320, ct=0.0,
        pos=1.0, upo=([1, 2, 3], [.35, .35, .3]), units=1500, hs="1901.10", postal=0.13,
        duty=0.0, name="infant formula 800-900 g"),
    "health_supplements": dict(
        n=35, sup={"S_AU_SYDNEY": .35, "S_US_LA": .3, "S_NZ_AUCKLAND": .15, "S_JP_TOKYO": .2},
        price=(230, 0.4, 70, 700), proc=(0.40, 0.55), kg=(0.15, 0.50), rho=300, ct=0.0,
        pos=0.9, upo=([1, 2, 3], [.6, .3, .1]), units=600, hs="2106.90", postal=0.13,
        duty=0.10, name="vitamins / supplements"),
    "food": dict(
        n=20, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .3, "S_AU_SYDNEY": .15, "S_NZ_AUCKLAND": .2},
        price=(90, 0.5, 25, 320), proc=(0.45, 0.60), kg=(0.20, 0.60), rho=400, ct=0.0,
        pos=1.0, upo=([1, 2, 3], [.55, .3, .15]), units=500, hs="1905.90", postal=0.13,
        duty=0.10, name="snacks / coffee / honey"),
    "apparel": dict(
        n=25, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .35, "S_US_LA": .3},
        price=(450, 0.5, 120, 2500), proc=(0.35, 0.50), kg=(0.20, 0.80), rho=150, ct=0.0,
        pos=0.92, upo=([1, 1.5], [.8, .2]), units=200, hs="6110.20", postal=0.20,
        duty=0.07, name="apparel"),
    "electronics": dict(
        n=25, sup={"S_JP_TOKYO": .45, "S_KR_SEOUL": .2, "S_US_LA": .2, "S_DE_HAMBURG": .15},
        price=(1500, 0.7, 200, 8000), proc=(0.55, 0.70), kg=(0.20, 2.5), rho=250, ct=0.0,
        pos=0.6, upo=([1, 2, 3], [.75, .15, .1]), units=150, hs="8518.30", postal=0.13,
        duty=0.05, name="consumer electronics"),
    "bags": dict(
        n=12, sup={"S_FR_PARIS": .6, "S_DE_HAMBURG": .2, "S_US_LA": .2},
        price=(9000, 0.6, 2500, 30000), proc=(0.45, 0.55), kg=(0.6, 1.6), rho=90, ct=0.0,
        pos=1.0, upo=([1, 2], [.85, .15]), units=30, hs="4202.21", postal=0.20,
        duty=0.10, name="leather handbags"),
    "watches": dict(
        n=12, sup={"S_DE_HAMBURG": .5, "S_JP_TOKYO": .5},
        price=(9000, 0.7, 1500, 40000), proc=(0.50, 0.60), kg=(0.25, 0.6), rho=150, ct=0.0,
        pos=1.0, upo=([1], [1.0]), units=20, hs="9102.11", postal=0.20,
        duty=0.08, name="watches"),
}
#: Watches at or above this unit price (CNY) are high-end: consumption tax 20 %, postal 50 %.
HIGH_END_WATCH_CNY = 10_000
CN_EXTRA_POSTAL = {"premium_watches": 0.50}
CN_EXTRA_DUTY = {"premium_watches": 0.08}

#: International freight (USD), by supplier group. sea: per m3, per kg, days, std;
#: air: per kg, days, std; 9610 express: per unit, per kg, days; postal: per unit, per kg, days.
CN_FREIGHT = {
    "near": dict(sea=(55, 0.02, 4, 1.0), air=(1.6, 2, 0.5), exp=(2.3, 3.8, 6),
                 post=(2.5, 4.8, 14)),
    "us": dict(sea=(95, 0.03, 20, 3.0), air=(3.4, 3, 0.7), exp=(3.9, 6.3, 10),
               post=(3.8, 7.6, 22)),
    "eu": dict(sea=(110, 0.03, 34, 4.0), air=(3.8, 3, 0.7), exp=(4.2, 6.8, 11),
               post=(4.0, 8.2, 24)),
    "oce": dict(sea=(80, 0.03, 16, 2.5), air=(3.0, 3, 0.7), exp=(3.7, 5.9, 10),
                post=(3.6, 7.2, 20)),
}
#: China-Europe rail (USD per m3, days, std) from Hamburg to the inland bonded zones.
CN_RAIL = (190, 18, 3.0)
#: Sea lanes with integer 40' HC containers: (from, to, usable m3, USD per container).
CN_CONTAINER_LANES = [
    ("S_KR_SEOUL", "BZ_SH_WGQ", 60, 1_300),
    ("S_JP_TOKYO", "BZ_SH_WGQ", 60, 1_500),
    ("S_DE_HAMBURG", "PORT_SH_YANGSHAN", 60, 3_600),
    ("S_NZ_AUCKLAND", "BZ_GZ_NANSHA", 60, 2_600),
]


def _cn_last_mile(km: float) -> tuple[float, float, float, float]:
    """China domestic express from a bonded zone or DC: CNY/unit, CNY/kg, days, std."""
    return (4.0 + 0.0015 * km, 0.8 + 0.0012 * km, half_days(1 + km / 700),
            round(0.3 + km / 3000, 2))


def build_cn_import(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """All tables of the China import platform."""
    horizon = 365.0
    sup = {s[0]: s for s in CN_SUPPLIERS}
    prov = pd.DataFrame(CN_PROVINCES, columns=["node_id", "name", "lat", "lon", "pop", "gdp"])

    # ---- SKUs
    sku_rows, sku_meta = [], []
    counter = 0
    for cat, spec in CN_CATEGORIES.items():
        sup_ids = list(spec["sup"])
        sup_p = np.array(list(spec["sup"].values()))
        for _ in range(spec["n"]):
            counter += 1
            supplier = sup_ids[rng.choice(len(sup_ids), p=sup_p / sup_p.sum())]
            currency = sup[supplier][3]
            med, sd, lo, hi = spec["price"]
            retail_cny = lognormal(rng, med, sd, lo, hi)
            category, ct = cat, spec["ct"]
            if cat == "watches" and retail_cny >= HIGH_END_WATCH_CNY:
                category, ct = "premium_watches", 0.20
            retail = local_price(retail_cny, currency)
            proc = local_price(retail * FX_TO_CNY[currency] * rng.uniform(*spec["proc"]),
                               currency)
            kg = round(rng.uniform(*spec["kg"]), 3)
            volume = round(kg / spec["rho"] * rng.uniform(0.8, 1.25), 6)
            positive = bool(rng.random() < spec["pos"])
            upo_values, upo_p = spec["upo"]
            upo = float(upo_values[rng.choice(len(upo_values), p=upo_p)])
            units = lognormal(rng, spec["units"], 1.2, 6, 40 * spec["units"])
            sku_id = f"CN{counter:03d}"
            min_stock = {"infant_formula": 24, "food": 12}.get(cat, 0)
            sku_rows.append(dict(
                sku_id=sku_id, category=category, hs_code=spec["hs"], supplier_id=supplier,
                procurement_cost=proc, retail_price=retail, currency=currency, weight_kg=kg,
                volume_m3=volume, consumption_tax_rate=ct, positive_list=str(positive).lower(),
                min_stock_units=min_stock, slotting_cost=1200,
                x_product=f"{sup[supplier][2]} {spec['name']}",
            ))
            sku_meta.append((sku_id, retail * FX_TO_CNY[currency], upo, units, positive))
    skus = pd.DataFrame(sku_rows)

    # ---- nodes
    node_rows = []
    for sid, city, country, currency, lat, lon, _ in CN_SUPPLIERS:
        node_rows.append(dict(node_id=sid, kind="supplier", name=f"{city} supplier",
                              country=country, lat=lat, lon=lon))
    for bid, name, lat, lon, _, fixed, handling, storage, throughput in CN_BONDED:
        node_rows.append(dict(node_id=bid, kind="bonded_zone", name=name, country="CN", lat=lat,
                              lon=lon, currency="CNY", storage_capacity_m3=storage,
                              throughput_capacity_units=throughput, fixed_cost=fixed,
                              handling_cost_per_unit=handling))
    for did, name, lat, lon, fixed, handling, storage, throughput, _ in CN_DCS:
        node_rows.append(dict(node_id=did, kind="domestic_dc", name=name, country="CN", lat=lat,
                              lon=lon, currency="CNY", storage_capacity_m3=storage,
                              throughput_capacity_units=throughput, fixed_cost=fixed,
                              handling_cost_per_unit=handling))
    for pid, name, lat, lon in CN_PORTS:
        node_rows.append(dict(node_id=pid, kind="port", name=name, country="CN", lat=lat,
                              lon=lon, currency="CNY", handling_cost_per_unit=0.5))

    # ---- demand (needed before the regional quota)
    affluence = prov["pop"].to_numpy() * (prov["gdp"].to_numpy() / 100.0) ** 1.5
    demand_rows = []
    for sku_id, retail_cny, upo, total, _positive in sku_meta:
        n_regions = int(np.clip(round(total / 30), 1, 31))
        chosen = np.sort(rng.choice(31, size=n_regions, replace=False,
                                    p=affluence / affluence.sum()))
        units = allocate(rng, total, affluence[chosen])
        for r, u in zip(chosen, units, strict=True):
            row_upo = upo if rng.random() < 0.85 else max(1.0, upo + rng.choice([-1.0, 1.0]))
            shipping = 0.0 if retail_cny * row_upo >= 199 else 10.0
            demand_rows.append(dict(sku_id=sku_id, region_id=prov["node_id"][r], units=u,
                                    units_per_order=row_upo, shipping_per_order=shipping))
    demand = pd.DataFrame(demand_rows)
    demand["demand_std_daily"] = demand_std(demand["units"].to_numpy(),
                                            demand["units_per_order"].to_numpy(), horizon, rng)
    demand["currency"] = "CNY"
    demand = demand[["sku_id", "region_id", "units", "units_per_order", "demand_std_daily",
                     "currency", "shipping_per_order"]]

    # regional CBEC quota: consumers sized from the CBEC-eligible demand value so the
    # quota binds only in a few low-income provinces (headroom 3 x (GDP per capita/100k)^2)
    retail_of = {m[0]: m[1] for m in sku_meta}
    positive_of = {m[0]: m[4] for m in sku_meta}
    value = demand["units"] * demand["sku_id"].map(retail_of)
    value = value.where(demand["sku_id"].map(positive_of), 0.0)
    value_by_region = value.groupby(demand["region_id"]).sum()
    for _, p in prov.iterrows():
        headroom = 3.0 * (p["gdp"] / 100.0) ** 2
        consumers = max(50, math.ceil(value_by_region.get(p["node_id"], 0.0) * headroom
                                      / 26_000 / 10) * 10)
        row = dict(node_id=p["node_id"], kind="region", name=p["name"], country="CN",
                   lat=p["lat"], lon=p["lon"], currency="CNY", consumers=consumers)
        if p["node_id"] in CN_TIER1:
            row.update(max_promise_days=25, service_days=5, service_share=0.5)
        elif p["node_id"] in CN_TIER2:
            row.update(max_promise_days=35, service_days=6, service_share=0.3)
        node_rows.append(row)
    nodes = pd.DataFrame(node_rows)

    # ---- lanes
    lanes = []

    def lane(frm, to, mode, channels, currency, per_kg=0.0, per_m3=0.0, per_unit=0.0,
             days=1.0, std=0.0, container_m3=None, per_container=None):
        lanes.append(dict(lane_id=f"L{len(lanes) + 1:05d}", from_node=frm, to_node=to, mode=mode,
                          channels=channels, currency=currency, cost_per_kg=round(per_kg, 4),
                          cost_per_m3=round(per_m3, 2), cost_per_unit=round(per_unit, 4),
                          lead_time_days=days, lead_time_std_days=std, container_m3=container_m3,
                          cost_per_container=per_container))

    containers = {(a, b): (m3, usd) for a, b, m3, usd in CN_CONTAINER_LANES}
    coords = {r["node_id"]: (r["lat"], r["lon"]) for r in node_rows}
    for sid, _, country, _, lat, lon, group in CN_SUPPLIERS:
        f = CN_FREIGHT[group]
        sea_m3, sea_kg, sea_days, sea_std = f["sea"]
        air_kg, air_days, air_std = f["air"]
        # line-haul into bonded zones (1210)
        for bid, _, blat, blon, coastal, *_ in CN_BONDED:
            km = great_circle_km(lat, lon, blat, blon)
            noise = rng.uniform(0.93, 1.07)
            if coastal:
                if (sid, bid) in containers:
                    m3, usd = containers[(sid, bid)]
                    lane(sid, bid, "sea", "1210", "USD", per_kg=sea_kg, days=sea_days + 2,
                         std=sea_std, container_m3=m3, per_container=usd)
                else:
                    lane(sid, bid, "sea", "1210", "USD", per_kg=sea_kg, per_m3=sea_m3 * noise,
                         days=sea_days + 2, std=sea_std)
            lane(sid, bid, "air", "1210", "USD", per_kg=air_kg * noise,
                 per_m3=air_kg * noise * 167 * 0.5, days=air_days + 1 + (0 if coastal else 0.5),
                 std=air_std)
            if group == "eu" and not coastal and country == "DE":
                rail_m3, rail_days, rail_std = CN_RAIL
                lane(sid, bid, "rail", "1210", "USD", per_kg=0.02, per_m3=rail_m3,
                     days=rail_days + km / 4000, std=rail_std)
        # general trade: sea to a port then truck to the DC, or air into the DC
        for did, _, dlat, dlon, *_rest, port in CN_DCS:
            if (sid, port) in containers:
                m3, usd = containers[(sid, port)]
                lane(sid, port, "sea", "0110", "USD", per_kg=sea_kg, days=sea_days,
                     std=sea_std, container_m3=m3, per_container=usd)
            else:
                lane(sid, port, "sea", "0110", "USD", per_kg=sea_kg,
                     per_m3=sea_m3 * rng.uniform(0.93, 1.07), days=sea_days, std=sea_std)
            lane(sid, did, "air", "0110", "USD", per_kg=air_kg, per_m3=air_kg * 167 * 0.5,
                 days=air_days + 1, std=air_std)
        # direct mail (9610, express) and personal postal articles, to every province
        e_unit, e_kg, e_days = f["exp"]
        p_unit, p_kg, p_days = f["post"]
        for _, p in prov.iterrows():
            # domestic leg from the nearest international gateway (Shanghai or Guangzhou)
            km = min(great_circle_km(31.23, 121.47, p["lat"], p["lon"]),
                     great_circle_km(23.13, 113.26, p["lat"], p["lon"]))
            lane(sid, p["node_id"], "express", "9610", "USD", per_kg=e_kg,
                 per_m3=e_kg * 167, per_unit=e_unit + km * 0.0002,
                 days=half_days(e_days + km / 600), std=round(1.5 + km / 1500, 2))
            lane(sid, p["node_id"], "postal", "postal", "USD", per_kg=p_kg, per_unit=p_unit,
                 days=half_days(p_days + km / 300), std=round(4 + km / 800, 2))
    for pid, _, plat, plon in CN_PORTS:
        for did, _, dlat, dlon, *_rest, port in CN_DCS:
            if port != pid:
                continue
            km = great_circle_km(plat, plon, dlat, dlon)
            lane(pid, did, "truck", "0110", "CNY", per_kg=0.05, per_m3=40 + km * 0.05,
                 days=half_days(1.5 + km / 500), std=0.5)
    for hub_id, channel in [(b[0], "1210") for b in CN_BONDED] + [(d[0], "0110") for d in CN_DCS]:
        hlat, hlon = coords[hub_id]
        for _, p in prov.iterrows():
            km = great_circle_km(hlat, hlon, p["lat"], p["lon"])
            per_unit, per_kg, days, std = _cn_last_mile(km)
            lane(hub_id, p["node_id"], "express", channel, "CNY", per_kg=per_kg,
                 per_unit=per_unit, days=days, std=std)
    lanes = pd.DataFrame(lanes)

    # ---- channels
    channels = pd.DataFrame([
        dict(channel_id="1210", name="bonded e-commerce import (1210 / 1239)", direction="import",
             path_shape="supplier>bonded_zone>region", stock_node_kind="bonded_zone",
             currency="CNY", fixed_cost_per_sku=1500, earns_export_rebate="false",
             requires_positive_list="true", counts_toward_cbec_quota="true", processing_days=1),
        dict(channel_id="9610", name="direct purchase import (9610 direct mail)",
             direction="import", path_shape="supplier>region", stock_node_kind="",
             currency="CNY", fixed_cost_per_sku=300, earns_export_rebate="false",
             requires_positive_list="true", counts_toward_cbec_quota="true", processing_days=1),
        dict(channel_id="postal", name="personal postal articles", direction="import",
             path_shape="supplier>region", stock_node_kind="", currency="CNY",
             fixed_cost_per_sku=0, earns_export_rebate="false", requires_positive_list="false",
             counts_toward_cbec_quota="false", processing_days=2),
        dict(channel_id="0110", name="general trade import", direction="import",
             path_shape="supplier>port?>domestic_dc>region", stock_node_kind="domestic_dc",
             currency="CNY", fixed_cost_per_sku=10_000, earns_export_rebate="false",
             requires_positive_list="false", counts_toward_cbec_quota="false",
             processing_days=1),
    ])

    # ---- tax rules
    cbec_src = "Cai Guan Shui [2016] No.18, [2018] No.49: 0 % duty, 70 % of VAT + CT, 5,000 cap"
    rules = []
    for ch in ("1210", "9610"):
        rules.append(dict(channel_id=ch, destination_country="CN", origin_country="*",
                          category="*", regime="cbec_retail", currency="CNY", vat_rate=0.13,
                          apply_consumption_tax="true", cbec_tax_factor=0.7,
                          order_value_cap=5000, single_item_exception="true", source=cbec_src))
    postal_rates = {c: s["postal"] for c, s in CN_CATEGORIES.items()} | CN_EXTRA_POSTAL
    for cat, rate in postal_rates.items():
        rules.append(dict(channel_id="postal", destination_country="CN", origin_country="*",
                          category=cat, regime="postal", currency="CNY", parcel_tax_rate=rate,
                          parcel_tax_exemption=50, order_value_cap=1000,
                          single_item_exception="true",
                          source="State Council Tariff Commission 2019 postal tax notice"))
    duty_rates = {c: s["duty"] for c, s in CN_CATEGORIES.items()} | CN_EXTRA_DUTY
    for cat, rate in duty_rates.items():
        rules.append(dict(channel_id="0110", destination_country="CN", origin_country="*",
                          category=cat, regime="general_trade", currency="CNY", duty_rate=rate,
                          vat_rate=0.13, apply_consumption_tax="true", customs_value_basis="cif",
                          vat_basis="retail_sale",
                          source="MFN / provisional duty (approx., 2025); import VAT credited"))
    tax_rules = pd.DataFrame(rules)

    fx = fx_table(["CNY", "JPY", "KRW", "USD", "EUR", "AUD", "NZD"])
    params = dict(
        name="cn_import",
        description=(
            "A China cross-border e-commerce import platform: 7 foreign suppliers, 6 bonded "
            "zones (1210), 2 domestic DCs (0110 general trade), direct mail (9610) and "
            "personal postal parcels to all 31 mainland provinces. Generated by "
            "instances/generate.py; assumptions in instances/README.md."),
        currency="CNY",
        horizon_days=horizon,
        holding_rate_per_year=0.18,
        service_level=0.95,
        review_period_days=14,
        max_channels_per_sku=2,
        single_sourcing=False,
        cbec_annual_limit_per_person=26000,
    )
    tables = dict(skus=skus, nodes=nodes, lanes=lanes, demand=demand, channels=channels,
                  tax_rules=tax_rules, fx=fx)
    return tables, params
