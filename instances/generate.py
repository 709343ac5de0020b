"""Generate the bundled instances ``cn_import`` and ``global_export``.

Usage::

    python instances/generate.py [--out instances] [--seed 2026]

Writes two instance folders under ``--out`` (default: the folder of this
script): nine CSV tables each plus ``parameters.yaml``, the format of
``docs/instance-format.md``. The output is a pure function of the seed: one
``numpy.random.default_rng([seed, i])`` stream per instance, fixed rounding,
fixed row order. Only pandas, numpy and PyYAML are used. ``instances/README.md``
describes both instances in full; this docstring lists the assumptions, each of
which is a named constant below.

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
* Carrier rates (``rates.csv``, ``weight_breaks.csv``; the ``Tariffs`` class).
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
  - global_export 9610 (``EX_EXPRESS``, ``EX_PRIORITY``): a postal e-packet /
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
  - Trucks (``CN_TRUCK``, ``EX_TRUCK``): port -> domestic DC (0110) and
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
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
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
    """A log-normal draw with the given median and log-sd, clipped to [lo, hi]."""
    return float(np.clip(median * math.exp(sigma * rng.standard_normal()), lo, hi))


def write_instance(folder: Path, tables: dict[str, pd.DataFrame], params: dict) -> None:
    """Write the CSV tables and parameters.yaml of one instance folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    text = yaml.safe_dump(params, sort_keys=False, allow_unicode=True, width=100)
    (folder / "parameters.yaml").write_text(text, encoding="utf-8")


def fx_table(currencies: list[str]) -> pd.DataFrame:
    """fx.csv: the rate into CNY of each currency used by the instance."""
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


#: Air weight breaks (kg per shipment): N (normal, below 45 kg), +45, +100, +300, +500, +1000.
AIR_BREAKS_KG = (0, 45, 100, 300, 500, 1000)
#: IATA volumetric divisor for air (cm3 per kg, 167 kg/m3) and the courier one for express.
AIR_VOLUMETRIC_DIVISOR = 6000
EXPRESS_VOLUMETRIC_DIVISOR = 5000
#: Containers: nominal cube (m3) and payload (kg) of a 20' GP and a 40' HC.
CONTAINER_20FT = (33, 21_000)
CONTAINER_40FT = (67, 26_000)

RATE_COLUMNS = (
    "rate_id",
    "lane_id",
    "service",
    "kind",
    "currency",
    "lead_time_days",
    "lead_time_std_days",
    "volumetric_divisor",
    "first_weight_kg",
    "first_charge",
    "step_weight_kg",
    "step_charge",
    "min_charge",
    "cost_per_m3",
    "capacity_m3",
    "capacity_kg",
    "cost_per_load",
    "fixed_per_shipment",
    "shipments_per_horizon",
)


class Tariffs:
    """The rows of ``rates.csv`` and ``weight_breaks.csv`` of one instance.

    A rate's id is ``<lane_id>-<code>`` (e.g. ``L00012-ECO``), so a path key
    ``L00012@L00012-ECO`` names the lane and the service.
    """

    def __init__(self) -> None:
        self.rates: list[dict] = []
        self.breaks: list[dict] = []

    def _add(self, lane_id: str, code: str, kind: str, service: str, currency: str, **cols) -> str:
        rate_id = f"{lane_id}-{code}"
        self.rates.append(
            dict(rate_id=rate_id, lane_id=lane_id, service=service, kind=kind, currency=currency)
            | cols
        )
        return rate_id

    def parcel(
        self,
        lane_id,
        code,
        service,
        currency,
        *,
        days,
        std,
        first_kg,
        first,
        step_kg,
        step,
        divisor=None,
    ) -> str:
        """First charge up to ``first_kg``, then ``step`` per started ``step_kg`` (per order)."""
        return self._add(
            lane_id,
            code,
            "parcel",
            service,
            currency,
            lead_time_days=days,
            lead_time_std_days=std,
            volumetric_divisor=divisor,
            first_weight_kg=first_kg,
            first_charge=round(first, 2),
            step_weight_kg=step_kg,
            step_charge=round(step, 2),
        )

    def weight_break(
        self, lane_id, code, service, currency, *, days, std, per_kg, min_charge, shipments
    ) -> str:
        """Air freight: rate per chargeable kg from each of ``AIR_BREAKS_KG``."""
        rate_id = self._add(
            lane_id,
            code,
            "weight_break",
            service,
            currency,
            lead_time_days=days,
            lead_time_std_days=std,
            volumetric_divisor=AIR_VOLUMETRIC_DIVISOR,
            min_charge=round(min_charge, 2),
            shipments_per_horizon=shipments,
        )
        for kg, rate in zip(AIR_BREAKS_KG, per_kg, strict=True):
            self.breaks.append(
                dict(
                    rate_id=rate_id, min_weight_kg=kg, currency=currency, rate_per_kg=round(rate, 2)
                )
            )
        return rate_id

    def lcl(self, lane_id, currency, *, days, std, per_m3, min_charge, shipments) -> str:
        """Less than container load: per m3 with a minimum charge per shipment."""
        return self._add(
            lane_id,
            "LCL",
            "per_m3",
            "sea LCL consolidation",
            currency,
            lead_time_days=days,
            lead_time_std_days=std,
            cost_per_m3=round(per_m3, 2),
            min_charge=round(min_charge, 2),
            shipments_per_horizon=shipments,
        )

    def lcl_and_fcl(
        self, lane_id, currency, *, days, std, per_m3, min_charge, shipments, fcl
    ) -> None:
        """LCL, and FCL (a day faster) in the sizes whose price ``fcl`` (20', 40') gives."""
        self.lcl(
            lane_id,
            currency,
            days=days,
            std=std,
            per_m3=per_m3,
            min_charge=min_charge,
            shipments=shipments,
        )
        sizes = (("20", "20' GP", CONTAINER_20FT), ("40", "40' HC", CONTAINER_40FT))
        for (size, label, (m3, kg)), price in zip(sizes, fcl, strict=True):
            if price is not None:
                self.loads(
                    lane_id,
                    f"FCL{size}",
                    "container",
                    f"sea FCL {label}",
                    currency,
                    days=days - 1,
                    std=std,
                    m3=m3,
                    kg=kg,
                    cost=price,
                )

    def loads(self, lane_id, code, kind, service, currency, *, days, std, m3, kg, cost) -> str:
        """Whole containers or trucks: ``cost`` per load of ``m3`` / ``kg``."""
        return self._add(
            lane_id,
            code,
            kind,
            service,
            currency,
            lead_time_days=days,
            lead_time_std_days=std,
            capacity_m3=m3,
            capacity_kg=kg,
            cost_per_load=round(cost, 2),
        )

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        rates = pd.DataFrame(self.rates).reindex(columns=list(RATE_COLUMNS))
        breaks = pd.DataFrame(self.breaks).reindex(
            columns=["rate_id", "min_weight_kg", "currency", "rate_per_kg"]
        )
        return rates, breaks


# ---------------------------------------------------------------------------
# cn_import: a China CBEC import platform
# ---------------------------------------------------------------------------

# fmt: off
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
        pos=1.0, upo=([1, 1.5], [.85, .15]), units=180, hs="3304.99", postal=0.50,
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
        pos=0.92, upo=([1, 1.5], [.8, .2]), units=150, hs="6110.20", postal=0.20,
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
#: Fixed cost per (SKU, stocking node) and year: WMS set-up, bin, cycle counts (CNY).
CN_SLOTTING_CNY = 200
#: Regional CBEC quota calibration: consumers = CBEC-eligible demand value / 26,000 CNY x
#: CN_QUOTA_HEADROOM x (GDP per capita / 100k CNY)^2, so the quota binds in poorer provinces.
CN_QUOTA_HEADROOM = 2.4
#: Watches at or above this unit price (CNY) are high-end: consumption tax 20 %, postal 50 %.
HIGH_END_WATCH_CNY = 10_000
CN_EXTRA_POSTAL = {"premium_watches": 0.50}
CN_EXTRA_DUTY = {"premium_watches": 0.08}

#: International line-haul (USD), by supplier group. sea: per m3, per kg, days, std (per m3 on
#: the lanes without rates and for LCL); air: days, std (tariff in CN_AIR_TARIFF). Express and
#: postal parcels: CN_EXPRESS_SERVICES, CN_POSTAL_SERVICES.
CN_FREIGHT = {
    "near": dict(sea=(55, 0.02, 4, 1.0), air=(2, 0.5)),
    "us": dict(sea=(95, 0.03, 20, 3.0), air=(3, 0.7)),
    "eu": dict(sea=(110, 0.03, 34, 4.0), air=(3, 0.7)),
    "oce": dict(sea=(80, 0.03, 16, 2.5), air=(3, 0.7)),
}
#: China-Europe rail (USD per m3, days, std) from Hamburg to the inland bonded zones.
CN_RAIL = (190, 18, 3.0)
#: Sea lanes that also offer full containers (FCL) next to LCL: (from, to) -> USD per 20' GP
#: and per 40' HC (None: that size is not offered), incl. THC at both ends.
CN_CONTAINER_LANES = {
    ("S_KR_SEOUL", "BZ_SH_WGQ"): (800, 1_300),
    ("S_JP_TOKYO", "BZ_SH_WGQ"): (900, 1_500),
    ("S_DE_HAMBURG", "PORT_SH_YANGSHAN"): (None, 3_600),
    ("S_NZ_AUCKLAND", "BZ_GZ_NANSHA"): (1_700, 2_600),
}
#: Sea LCL (rates.csv kind per_m3, the CN_FREIGHT sea rate per m3): minimum charge per
#: shipment = 1 m3 + USD 35 documentation; consolidations per year by supplier group. FCL
#: sails a day faster than LCL (no CFS stuffing and devanning).
CN_LCL_MIN_M3, CN_LCL_DOC_USD = 1.0, 35
CN_LCL_SHIPMENTS = {"near": 52, "us": 26, "eu": 26, "oce": 26}
#: Air freight into China (rates.csv kind weight_break), USD per chargeable kg from each of
#: AIR_BREAKS_KG, minimum charge per shipment (USD), shipments per year. The lane itself
#: charges USD 0.05/kg terminal handling.
CN_AIR_TARIFF = {
    "near": ((3.0, 2.3, 1.9, 1.6, 1.45, 1.3), 45, 104),
    "us": ((6.4, 4.9, 4.1, 3.5, 3.2, 2.9), 75, 52),
    "eu": ((7.0, 5.4, 4.5, 3.9, 3.6, 3.3), 80, 52),
    "oce": ((6.0, 4.6, 3.8, 3.2, 2.95, 2.7), 70, 52),
}
CN_AIR_HANDLING_USD_PER_KG = 0.05
#: 9610 direct mail (rates.csv kind parcel, volumetric divisor 5000), USD per parcel by
#: supplier group: (code, service, first 0.5 kg, each further 0.5 kg, days to the gateway).
#: Parcels to provinces far from the Shanghai / Guangzhou gateway pay CN_DOMESTIC_USD_PER_KM
#: more per parcel and take a day more per 600 km.
CN_EXPRESS_SERVICES = {
    "near": [("ECO", "CBEC express line (economy)", 3.6, 1.5, 6),
             ("PRI", "international express (priority)", 6.0, 2.2, 3)],
    "us": [("ECO", "CBEC express line (economy)", 5.8, 2.8, 9),
           ("PRI", "international express (priority)", 9.5, 3.8, 5)],
    "eu": [("ECO", "CBEC express line (economy)", 6.2, 3.0, 10),
           ("PRI", "international express (priority)", 10.0, 4.0, 5)],
    "oce": [("ECO", "CBEC express line (economy)", 5.6, 2.6, 9),
            ("PRI", "international express (priority)", 9.0, 3.6, 5)],
}
CN_DOMESTIC_USD_PER_KM = 0.0002
#: Personal postal articles (rates.csv kind parcel), USD per parcel: (code, service, first
#: 0.5 kg, each further 0.5 kg, days to the gateway, volumetric divisor). Surface / SAL parcels
#: go by actual weight and the domestic post (a day per 300 km); EMS is volumetric at 6000
#: and handed to domestic express (a day per 600 km).
CN_POSTAL_SERVICES = {
    "near": [("SAL", "postal parcel SAL (economy)", 4.6, 2.2, 14, None),
             ("EMS", "EMS (priority)", 8.0, 2.6, 7, 6000)],
    "us": [("SAL", "postal parcel SAL (economy)", 7.2, 3.6, 22, None),
           ("EMS", "EMS (priority)", 12.0, 4.0, 10, 6000)],
    "eu": [("SAL", "postal parcel SAL (economy)", 7.6, 3.9, 24, None),
           ("EMS", "EMS (priority)", 12.5, 4.2, 11, 6000)],
    "oce": [("SAL", "postal parcel SAL (economy)", 6.8, 3.4, 20, None),
            ("EMS", "EMS (priority)", 11.0, 3.8, 9, 6000)],
}
#: Port -> domestic DC (0110): 9.6 m box trucks, m3 and kg per truck, CNY per truck + per km.
CN_TRUCK = (55, 15_000, 900, 4.0)


# fmt: on


def _cn_last_mile(km: float) -> tuple[float, float, float, float]:
    """China domestic express from a bonded zone or DC: CNY/unit, CNY/kg, days, std."""
    return (3.5 + 0.005 * km, 0.5 + 0.003 * km, half_days(1 + km / 600), round(0.3 + km / 3000, 2))


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
            proc = local_price(retail * FX_TO_CNY[currency] * rng.uniform(*spec["proc"]), currency)
            kg = round(rng.uniform(*spec["kg"]), 3)
            volume = round(kg / spec["rho"] * rng.uniform(0.8, 1.25), 6)
            positive = bool(rng.random() < spec["pos"])
            upo_values, upo_p = spec["upo"]
            upo = float(upo_values[rng.choice(len(upo_values), p=upo_p)])
            units = lognormal(rng, spec["units"], 1.35, 6, 40 * spec["units"])
            sku_id = f"CN{counter:03d}"
            min_stock = {"infant_formula": 24, "food": 12}.get(cat, 0)
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
                    min_stock_units=min_stock,
                    slotting_cost=CN_SLOTTING_CNY,
                    x_product=f"{sup[supplier][2]} {spec['name']}",
                )
            )
            sku_meta.append((sku_id, retail * FX_TO_CNY[currency], upo, units, positive))
    skus = pd.DataFrame(sku_rows)

    # ---- nodes
    node_rows = []
    for sid, city, country, _currency, lat, lon, _ in CN_SUPPLIERS:
        node_rows.append(
            dict(
                node_id=sid,
                kind="supplier",
                name=f"{city} supplier",
                country=country,
                lat=lat,
                lon=lon,
            )
        )
    for bid, name, lat, lon, _, fixed, handling, storage, throughput in CN_BONDED:
        node_rows.append(
            dict(
                node_id=bid,
                kind="bonded_zone",
                name=name,
                country="CN",
                lat=lat,
                lon=lon,
                currency="CNY",
                storage_capacity_m3=storage,
                throughput_capacity_units=throughput,
                fixed_cost=fixed,
                handling_cost_per_unit=handling,
                **CN_NODE_LIMITS.get(bid, {}),
            )
        )
    for did, name, lat, lon, fixed, handling, storage, throughput, _ in CN_DCS:
        node_rows.append(
            dict(
                node_id=did,
                kind="domestic_dc",
                name=name,
                country="CN",
                lat=lat,
                lon=lon,
                currency="CNY",
                storage_capacity_m3=storage,
                throughput_capacity_units=throughput,
                fixed_cost=fixed,
                handling_cost_per_unit=handling,
            )
        )
    for pid, name, lat, lon in CN_PORTS:
        node_rows.append(
            dict(
                node_id=pid,
                kind="port",
                name=name,
                country="CN",
                lat=lat,
                lon=lon,
                currency="CNY",
                handling_cost_per_unit=0.5,
            )
        )

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
            shipping = 0.0 if retail_cny * row_upo >= 199 else 10.0
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
    demand["demand_std_daily"] = demand_std(
        demand["units"].to_numpy(), demand["units_per_order"].to_numpy(), horizon, rng
    )
    demand["currency"] = "CNY"
    demand = demand[
        [
            "sku_id",
            "region_id",
            "units",
            "units_per_order",
            "demand_std_daily",
            "currency",
            "shipping_per_order",
        ]
    ]

    # regional CBEC quota: consumers sized from the CBEC-eligible demand value so the
    # quota binds only in a few low-income provinces
    retail_of = {m[0]: m[1] for m in sku_meta}
    positive_of = {m[0]: m[4] for m in sku_meta}
    value = demand["units"] * demand["sku_id"].map(retail_of)
    value = value.where(demand["sku_id"].map(positive_of), 0.0)
    value_by_region = value.groupby(demand["region_id"]).sum()
    for _, p in prov.iterrows():
        headroom = CN_QUOTA_HEADROOM * (p["gdp"] / 100.0) ** 2
        consumers = max(
            50, math.ceil(value_by_region.get(p["node_id"], 0.0) * headroom / 26_000 / 10) * 10
        )
        row = dict(
            node_id=p["node_id"],
            kind="region",
            name=p["name"],
            country="CN",
            lat=p["lat"],
            lon=p["lon"],
            currency="CNY",
            consumers=consumers,
        )
        if p["node_id"] in CN_TIER1:
            row.update(max_promise_days=25, service_days=3, service_share=0.4)
        elif p["node_id"] in CN_TIER2:
            row.update(max_promise_days=35, service_days=4, service_share=0.3)
        node_rows.append(row)
    nodes = pd.DataFrame(node_rows)

    # ---- lanes and carrier rates
    lanes = []
    tariffs = Tariffs()

    def lane(
        frm,
        to,
        mode,
        channels,
        currency,
        per_kg=0.0,
        per_m3=0.0,
        per_unit=0.0,
        days=1.0,
        std=0.0,
    ) -> str:
        lane_id = f"L{len(lanes) + 1:05d}"
        lanes.append(
            dict(
                lane_id=lane_id,
                from_node=frm,
                to_node=to,
                mode=mode,
                channels=channels,
                currency=currency,
                cost_per_kg=round(per_kg, 4),
                cost_per_m3=round(per_m3, 2),
                cost_per_unit=round(per_unit, 4),
                lead_time_days=days,
                lead_time_std_days=std,
            )
        )
        return lane_id

    def sea(frm, to, channel, group, days, std, per_m3, per_kg) -> None:
        """A sea lane: LCL and FCL where CN_CONTAINER_LANES lists it, else all-in per m3."""
        if (frm, to) not in CN_CONTAINER_LANES:
            lane(frm, to, "sea", channel, "USD", per_kg=per_kg, per_m3=per_m3, days=days, std=std)
            return
        lane_id = lane(frm, to, "sea", channel, "USD", per_kg=per_kg, days=days, std=std)
        tariffs.lcl_and_fcl(
            lane_id,
            "USD",
            days=days,
            std=std,
            per_m3=per_m3,
            min_charge=CN_LCL_MIN_M3 * per_m3 + CN_LCL_DOC_USD,
            shipments=CN_LCL_SHIPMENTS[group],
            fcl=CN_CONTAINER_LANES[(frm, to)],
        )

    def air(frm, to, channel, group, days, std, noise) -> None:
        """An air lane priced by weight breaks."""
        per_kg, min_charge, shipments = CN_AIR_TARIFF[group]
        lane_id = lane(
            frm, to, "air", channel, "USD", per_kg=CN_AIR_HANDLING_USD_PER_KG, days=days, std=std
        )
        tariffs.weight_break(
            lane_id,
            "AIR",
            "air freight (weight breaks)",
            "USD",
            days=days,
            std=std,
            per_kg=[r * noise for r in per_kg],
            min_charge=min_charge,
            shipments=shipments,
        )

    coords = {r["node_id"]: (r["lat"], r["lon"]) for r in node_rows}
    for sid, _, country, _, lat, lon, group in CN_SUPPLIERS:
        f = CN_FREIGHT[group]
        sea_m3, sea_kg, sea_days, sea_std = f["sea"]
        air_days, air_std = f["air"]
        # line-haul into bonded zones (1210)
        for bid, _, blat, blon, coastal, *_ in CN_BONDED:
            km = great_circle_km(lat, lon, blat, blon)
            noise = rng.uniform(0.93, 1.07)
            if coastal:
                sea(sid, bid, "1210", group, sea_days + 2, sea_std, sea_m3 * noise, sea_kg)
            if not coastal or bid in CN_AIR_HUBS:
                air(sid, bid, "1210", group, air_days + 1 + (0 if coastal else 0.5), air_std, noise)
            if group == "eu" and not coastal and country == "DE":
                rail_m3, rail_days, rail_std = CN_RAIL
                lane(
                    sid,
                    bid,
                    "rail",
                    "1210",
                    "USD",
                    per_kg=0.02,
                    per_m3=rail_m3,
                    days=half_days(rail_days + km / 4000),
                    std=rail_std,
                )
        # general trade: sea to a port then truck to the DC, or air into the DC
        for did, *_rest, port in CN_DCS:
            noise = 1.0 if (sid, port) in CN_CONTAINER_LANES else rng.uniform(0.93, 1.07)
            sea(sid, port, "0110", group, sea_days, sea_std, sea_m3 * noise, sea_kg)
            if did in CN_AIR_HUBS:
                air(sid, did, "0110", group, air_days + 1, air_std, 1.0)
        # direct mail (9610, express) and personal postal articles, to every province
        for _, p in prov.iterrows():
            # domestic leg from the nearest international gateway (Shanghai or Guangzhou)
            km = min(
                great_circle_km(31.23, 121.47, p["lat"], p["lon"]),
                great_circle_km(23.13, 113.26, p["lat"], p["lon"]),
            )
            remote = km * CN_DOMESTIC_USD_PER_KM
            days = half_days(CN_EXPRESS_SERVICES[group][0][4] + km / 600)
            std = round(1.5 + km / 1500, 2)
            lane_id = lane(sid, p["node_id"], "express", "9610", "USD", days=days, std=std)
            for code, service, first, step, base_days, *_ in CN_EXPRESS_SERVICES[group]:
                tariffs.parcel(
                    lane_id,
                    code,
                    service,
                    "USD",
                    days=half_days(base_days + km / 600),
                    std=std if code == "ECO" else round(1.0 + km / 2000, 2),
                    first_kg=0.5,
                    first=first + remote,
                    step_kg=0.5,
                    step=step,
                    divisor=EXPRESS_VOLUMETRIC_DIVISOR,
                )
            days = half_days(CN_POSTAL_SERVICES[group][0][4] + km / 300)
            std = round(4 + km / 800, 2)
            lane_id = lane(sid, p["node_id"], "postal", "postal", "USD", days=days, std=std)
            for code, service, first, step, base_days, divisor in CN_POSTAL_SERVICES[group]:
                economy = divisor is None
                tariffs.parcel(
                    lane_id,
                    code,
                    service,
                    "USD",
                    days=half_days(base_days + km / (300 if economy else 600)),
                    std=std if economy else round(2 + km / 1500, 2),
                    first_kg=0.5,
                    first=first,
                    step_kg=0.5,
                    step=step,
                    divisor=divisor,
                )
    truck_m3, truck_kg, truck_cny, truck_cny_km = CN_TRUCK
    for pid, _, plat, plon in CN_PORTS:
        for did, _, dlat, dlon, *_rest, port in CN_DCS:
            if port != pid:
                continue
            km = great_circle_km(plat, plon, dlat, dlon)
            days = half_days(1.5 + km / 500)
            lane_id = lane(pid, did, "truck", "0110", "CNY", days=days, std=0.5)
            tariffs.loads(
                lane_id,
                "FTL",
                "truckload",
                "9.6 m box truck (FTL)",
                "CNY",
                days=days,
                std=0.5,
                m3=truck_m3,
                kg=truck_kg,
                cost=truck_cny + truck_cny_km * km,
            )
    for hub_id, channel in [(b[0], "1210") for b in CN_BONDED] + [(d[0], "0110") for d in CN_DCS]:
        hlat, hlon = coords[hub_id]
        for _, p in prov.iterrows():
            km = great_circle_km(hlat, hlon, p["lat"], p["lon"])
            per_unit, per_kg, days, std = _cn_last_mile(km)
            lane(
                hub_id,
                p["node_id"],
                "express",
                channel,
                "CNY",
                per_kg=per_kg,
                per_unit=per_unit,
                days=days,
                std=std,
            )
    lanes = pd.DataFrame(lanes)
    rates, weight_breaks = tariffs.tables()

    # ---- channels
    channels = pd.DataFrame(
        [
            dict(
                channel_id="1210",
                name="bonded e-commerce import (1210 / 1239)",
                direction="import",
                path_shape="supplier>bonded_zone>region",
                stock_node_kind="bonded_zone",
                currency="CNY",
                fixed_cost_per_sku=2000,
                earns_export_rebate="false",
                requires_positive_list="true",
                counts_toward_cbec_quota="true",
                processing_days=1,
            ),
            dict(
                channel_id="9610",
                name="direct purchase import (9610 direct mail)",
                direction="import",
                path_shape="supplier>region",
                stock_node_kind="",
                currency="CNY",
                fixed_cost_per_sku=300,
                earns_export_rebate="false",
                requires_positive_list="true",
                counts_toward_cbec_quota="true",
                processing_days=1,
            ),
            dict(
                channel_id="postal",
                name="personal postal articles",
                direction="import",
                path_shape="supplier>region",
                stock_node_kind="",
                currency="CNY",
                fixed_cost_per_sku=0,
                earns_export_rebate="false",
                requires_positive_list="false",
                counts_toward_cbec_quota="false",
                processing_days=2,
            ),
            dict(
                channel_id="0110",
                name="general trade import",
                direction="import",
                path_shape="supplier>port?>domestic_dc>region",
                stock_node_kind="domestic_dc",
                currency="CNY",
                fixed_cost_per_sku=10_000,
                earns_export_rebate="false",
                requires_positive_list="false",
                counts_toward_cbec_quota="false",
                processing_days=1,
            ),
        ]
    )

    # ---- tax rules
    cbec_src = "Cai Guan Shui [2016] No.18, [2018] No.49: 0 % duty, 70 % of VAT + CT, 5,000 cap"
    rules = []
    for ch in ("1210", "9610"):
        rules.append(
            dict(
                channel_id=ch,
                destination_country="CN",
                origin_country="*",
                category="*",
                regime="cbec_retail",
                currency="CNY",
                vat_rate=0.13,
                apply_consumption_tax="true",
                cbec_tax_factor=0.7,
                order_value_cap=5000,
                single_item_exception="true",
                source=cbec_src,
            )
        )
    postal_rates = {c: s["postal"] for c, s in CN_CATEGORIES.items()} | CN_EXTRA_POSTAL
    for cat, rate in postal_rates.items():
        rules.append(
            dict(
                channel_id="postal",
                destination_country="CN",
                origin_country="*",
                category=cat,
                regime="postal",
                currency="CNY",
                parcel_tax_rate=rate,
                parcel_tax_exemption=50,
                order_value_cap=1000,
                single_item_exception="true",
                source="State Council Tariff Commission 2019 postal tax notice",
            )
        )
    duty_rates = {c: s["duty"] for c, s in CN_CATEGORIES.items()} | CN_EXTRA_DUTY
    for cat, rate in duty_rates.items():
        rules.append(
            dict(
                channel_id="0110",
                destination_country="CN",
                origin_country="*",
                category=cat,
                regime="general_trade",
                currency="CNY",
                duty_rate=rate,
                vat_rate=0.13,
                apply_consumption_tax="true",
                customs_value_basis="cif",
                vat_basis="retail_sale",
                source="MFN / provisional duty (approx., 2025); import VAT credited",
            )
        )
    tax_rules = pd.DataFrame(rules)
    tax_rules = tax_rules[[c for c in TAX_RULE_COLUMNS if c in tax_rules.columns]]

    fx = fx_table(["CNY", "JPY", "KRW", "USD", "EUR", "AUD", "NZD"])
    params = dict(
        name="cn_import",
        description=(
            f"A China cross-border e-commerce import platform: {len(CN_SUPPLIERS)} foreign "
            f"suppliers, {len(CN_BONDED)} bonded zones (1210), {len(CN_DCS)} domestic DCs (0110 "
            "general trade), direct mail (9610) and personal postal parcels to all "
            f"{len(CN_PROVINCES)} mainland provinces. Generated by instances/generate.py; "
            "assumptions in instances/README.md."
        ),
        currency="CNY",
        horizon_days=horizon,
        holding_rate_per_year=0.18,
        service_level=0.95,
        review_period_days=14,
        max_channels_per_sku=2,
        single_sourcing=False,
        cbec_annual_limit_per_person=26000,
    )
    tables = dict(
        skus=skus,
        nodes=nodes,
        lanes=lanes,
        demand=demand,
        channels=channels,
        tax_rules=tax_rules,
        fx=fx,
        rates=rates,
        weight_breaks=weight_breaks,
    )
    return tables, params


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
#: Consumer regions: id, name, country, currency, lat, lon, population (millions), market.
EX_REGIONS = [
    ("US_CA", "California", "US", "USD", 34.05, -118.24, 39.0, "US"),
    ("US_TX", "Texas", "US", "USD", 32.78, -96.80, 30.5, "US"),
    ("US_FL", "Florida", "US", "USD", 28.54, -81.38, 22.6, "US"),
    ("US_NY", "New York", "US", "USD", 40.71, -74.01, 19.6, "US"),
    ("US_PA", "Pennsylvania", "US", "USD", 39.95, -75.17, 13.0, "US"),
    ("US_IL", "Illinois", "US", "USD", 41.88, -87.63, 12.5, "US"),
    ("US_OH", "Ohio", "US", "USD", 39.96, -83.00, 11.8, "US"),
    ("US_GA", "Georgia", "US", "USD", 33.75, -84.39, 11.0, "US"),
    ("US_NC", "North Carolina", "US", "USD", 35.23, -80.84, 10.8, "US"),
    ("US_MI", "Michigan", "US", "USD", 42.33, -83.05, 10.0, "US"),
    ("US_NJ", "New Jersey", "US", "USD", 40.74, -74.17, 9.3, "US"),
    ("US_VA", "Virginia", "US", "USD", 37.54, -77.44, 8.7, "US"),
    ("US_WA", "Washington", "US", "USD", 47.61, -122.33, 7.8, "US"),
    ("US_AZ", "Arizona", "US", "USD", 33.45, -112.07, 7.4, "US"),
    ("US_MA", "Massachusetts", "US", "USD", 42.36, -71.06, 7.0, "US"),
    ("US_CO", "Colorado", "US", "USD", 39.74, -104.99, 5.9, "US"),
    ("EU_DE", "Germany", "DE", "EUR", 50.11, 8.68, 84.5, "EU"),
    ("EU_FR", "France", "FR", "EUR", 48.86, 2.35, 68.4, "EU"),
    ("EU_IT", "Italy", "IT", "EUR", 45.46, 9.19, 59.0, "EU"),
    ("EU_ES", "Spain", "ES", "EUR", 40.42, -3.70, 48.6, "EU"),
    ("EU_PL", "Poland", "PL", "EUR", 52.23, 21.01, 36.6, "EU"),
    ("EU_NL", "Netherlands", "NL", "EUR", 52.37, 4.90, 17.9, "EU"),
    ("EU_BE", "Belgium", "BE", "EUR", 50.85, 4.35, 11.8, "EU"),
    ("EU_SE", "Sweden", "SE", "EUR", 59.33, 18.07, 10.5, "EU"),
    ("EU_AT", "Austria", "AT", "EUR", 48.21, 16.37, 9.1, "EU"),
    ("EU_IE", "Ireland", "IE", "EUR", 53.35, -6.26, 5.3, "EU"),
    ("GB_LDN", "London", "GB", "GBP", 51.51, -0.13, 8.9, "GB"),
    ("GB_SE", "South East England (Reading)", "GB", "GBP", 51.45, -0.97, 9.4, "GB"),
    ("GB_NW", "North West England (Manchester)", "GB", "GBP", 53.48, -2.24, 7.4, "GB"),
    ("GB_WM", "West Midlands (Birmingham)", "GB", "GBP", 52.49, -1.89, 6.0, "GB"),
    ("GB_SCT", "Scotland (Glasgow)", "GB", "GBP", 55.86, -4.25, 5.5, "GB"),
    ("JP_13", "Tokyo", "JP", "JPY", 35.68, 139.69, 14.0, "JP"),
    ("JP_14", "Kanagawa (Yokohama)", "JP", "JPY", 35.44, 139.64, 9.2, "JP"),
    ("JP_27", "Osaka", "JP", "JPY", 34.69, 135.50, 8.8, "JP"),
    ("JP_23", "Aichi (Nagoya)", "JP", "JPY", 35.18, 136.91, 7.5, "JP"),
    ("JP_40", "Fukuoka", "JP", "JPY", 33.59, 130.40, 5.1, "JP"),
    ("JP_01", "Hokkaido (Sapporo)", "JP", "JPY", 43.06, 141.35, 5.1, "JP"),
    ("AU_NSW", "New South Wales (Sydney)", "AU", "AUD", -33.87, 151.21, 8.3, "AU"),
    ("AU_VIC", "Victoria (Melbourne)", "AU", "AUD", -37.81, 144.96, 6.8, "AU"),
    ("AU_QLD", "Queensland (Brisbane)", "AU", "AUD", -27.47, 153.03, 5.5, "AU"),
    ("AU_WA", "Western Australia (Perth)", "AU", "AUD", -31.95, 115.86, 2.9, "AU"),
    ("CA_ON", "Ontario (Toronto)", "CA", "CAD", 43.65, -79.38, 15.9, "CA"),
    ("CA_QC", "Quebec (Montreal)", "CA", "CAD", 45.50, -73.57, 9.0, "CA"),
    ("CA_BC", "British Columbia (Vancouver)", "CA", "CAD", 49.28, -123.12, 5.6, "CA"),
]
#: Share of consumer demand per market.
EX_MARKET_SHARE = {"US": 0.40, "EU": 0.27, "GB": 0.09, "JP": 0.12, "AU": 0.06, "CA": 0.06}
#: Regions with a delivery-speed target (share of demand within service_days).
EX_SERVICE = {"US_CA": (5, 0.35), "US_NY": (5, 0.35), "US_TX": (5, 0.35), "EU_DE": (5, 0.35),
              "EU_FR": (5, 0.3), "GB_LDN": (4, 0.35), "JP_13": (5, 0.3), "AU_NSW": (5, 0.3)}
#: Longest delivery promise consumers accept, by market (days).
EX_MAX_PROMISE = {"EU": 12, "JP": 8}
#: Business buyers (9710): id, name, country, currency, lat, lon.
EX_BUYERS = [
    ("BB_US_CHICAGO", "Midwest distributor, Chicago", "US", "USD", 41.85, -87.65),
    ("BB_DE_HAMBURG", "Wholesaler, Hamburg", "DE", "EUR", 53.55, 9.99),
    ("BB_GB_MANCHESTER", "Retail chain buyer, Manchester", "GB", "GBP", 53.47, -2.25),
    ("BB_AU_MELBOURNE", "Importer, Melbourne", "AU", "AUD", -37.80, 144.95),
    ("BB_AE_DUBAI", "Re-export trader, Dubai (Jebel Ali)", "AE", "AED", 25.01, 55.06),
]
#: VAT / GST / consumption tax of each destination (US sales tax is out of scope: 0).
EX_VAT = {"US": 0.0, "DE": 0.19, "FR": 0.20, "IT": 0.22, "ES": 0.21, "PL": 0.23, "NL": 0.21,
          "BE": 0.21, "SE": 0.25, "AT": 0.20, "IE": 0.23, "GB": 0.20, "JP": 0.10, "AU": 0.10,
          "CA": 0.13}
EU_COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "NL", "BE", "SE", "AT", "IE")
#: Import duty on goods of Chinese origin, by destination and category (approximate, late
#: 2025). US: MFN + Section 301 + 20 % IEEPA (10 % fentanyl + 10 % reciprocal). EU / UK / JP /
#: CA: MFN. AU: 0 under ChAFTA.
EX_DUTY = {
    "US": dict(electronics=0.30, home=0.48, apparel=0.40, toys=0.20, beauty=0.33, sports=0.35,
               accessories=0.45),
    "EU": dict(electronics=0.02, home=0.04, apparel=0.12, toys=0.0, beauty=0.0, sports=0.027,
               accessories=0.05),
    "GB": dict(electronics=0.02, home=0.04, apparel=0.12, toys=0.0, beauty=0.0, sports=0.02,
               accessories=0.04),
    "JP": dict(electronics=0.0, home=0.03, apparel=0.09, toys=0.0, beauty=0.0, sports=0.03,
               accessories=0.08),
    "AU": dict(electronics=0.0, home=0.0, apparel=0.0, toys=0.0, beauty=0.0, sports=0.0,
               accessories=0.0),
    "CA": dict(electronics=0.0, home=0.065, apparel=0.18, toys=0.0, beauty=0.065, sports=0.065,
               accessories=0.10),
}
#: Destination low-value parcel rules (9610 / 1210 export), thresholds in local currency.
EX_LOW_VALUE = {
    "US": dict(currency="USD", duty_free_threshold=0, vat_free_threshold=0,
               source="US de minimis (USD 800) suspended for all countries from 2025-08-29"),
    "EU": dict(currency="EUR", duty_free_threshold=150, vat_free_threshold=0,
               flat_duty_per_order=3, flat_duty_below=150,
               source="EU VAT e-commerce package 2021-07-01 (IOSS <= EUR 150); EUR 3 flat "
                      "duty per parcel < EUR 150 from 2026-07-01"),
    "GB": dict(currency="GBP", duty_free_threshold=135, vat_free_threshold=0,
               source="UK: no duty <= GBP 135, VAT collected at sale"),
    "JP": dict(currency="JPY", duty_free_threshold=10_000, vat_free_threshold=10_000,
               taxable_value_share=0.6,
               source="Japan: duty and consumption tax exempt if taxable value <= JPY 10,000 "
                      "(personal imports: 60 % of retail price)"),
    "AU": dict(currency="AUD", duty_free_threshold=1000, vat_free_threshold=0,
               source="Australia: GST 10 % on goods <= AUD 1,000 collected at sale, duty free"),
    "CA": dict(currency="CAD", duty_free_threshold=20, vat_free_threshold=20,
               source="Canada: duty and tax free <= CAD 20 (non-CUSMA origin)"),
}
#: Export categories (Chinese factory goods). price: USD retail median / log-sd / clip;
#: proc: ex-works share of retail; units: median yearly consumer units.
EX_CATEGORIES = {
    "electronics": dict(n=35, fac={"F_SZ_SHENZHEN": 1.0}, price=(35, 0.6, 9, 260),
                        proc=(0.25, 0.40), kg=(0.08, 0.9), rho=200, units=1400, rebate=0.13,
                        hs="8518.30", name="earbuds / chargers / gadgets"),
    "home": dict(n=25, fac={"F_YW_YIWU": 1.0}, price=(22, 0.5, 6, 120), proc=(0.15, 0.30),
                 kg=(0.2, 2.0), rho=120, units=1100, rebate=0.13, hs="3924.10",
                 name="home and kitchen"),
    "apparel": dict(n=20, fac={"F_GZ_GUANGZHOU": .7, "F_YW_YIWU": .3}, price=(28, 0.45, 9, 120),
                    proc=(0.20, 0.35), kg=(0.15, 0.6), rho=180, units=900, rebate=0.13,
                    hs="6109.10", name="apparel"),
    "toys": dict(n=15, fac={"F_YW_YIWU": .6, "F_SZ_SHENZHEN": .4}, price=(20, 0.5, 6, 90),
                 proc=(0.20, 0.35), kg=(0.2, 1.2), rho=100, units=800, rebate=0.13,
                 hs="9503.00", name="toys"),
    "beauty": dict(n=12, fac={"F_GZ_GUANGZHOU": 1.0}, price=(15, 0.5, 5, 60), proc=(0.15, 0.30),
                   kg=(0.05, 0.4), rho=300, units=1000, rebate=0.09, hs="3304.99",
                   name="beauty and beauty tools"),
    "sports": dict(n=12, fac={"F_YW_YIWU": .5, "F_SZ_SHENZHEN": .5}, price=(40, 0.6, 10, 220),
                   proc=(0.25, 0.40), kg=(0.3, 3.0), rho=150, units=500, rebate=0.13,
                   hs="9506.91", name="sports and outdoor"),
    "accessories": dict(n=11, fac={"F_GZ_GUANGZHOU": .5, "F_YW_YIWU": .5},
                        price=(30, 0.7, 8, 300), proc=(0.15, 0.30), kg=(0.05, 1.0), rho=160,
                        units=700, rebate=0.13, hs="4202.22", name="bags and jewellery"),
}
#: Yiwu market-procurement goods often come without special VAT invoices: no rebate.
EX_NO_INVOICE_SHARE = 0.4
#: Consumer shipping fee per order (local currency) below the free-shipping price point.
EX_SHIPPING = {"USD": (25, 4.99), "EUR": (25, 3.99), "GBP": (20, 2.99), "JPY": (3000, 500),
               "AUD": (40, 6.95), "CAD": (35, 6.99)}
#: 9610 economy parcels from the factory (postal e-packet / special line, rates.csv kind parcel,
#: actual weight, billed per started 100 g), CNY by market: per parcel, per kg, days.
EX_EXPRESS = {"US": (22, 62, 9), "EU": (18, 55, 10), "GB": (18, 52, 8), "JP": (10, 24, 4),
              "AU": (16, 48, 8), "CA": (20, 62, 10)}
#: 9610 priority express (international express, volumetric divisor 5000), CNY by market:
#: first 0.5 kg, each further 0.5 kg, days.
EX_PRIORITY = {"US": (105, 32, 4), "EU": (95, 30, 5), "GB": (90, 28, 4), "JP": (55, 14, 2),
               "AU": (90, 28, 4), "CA": (105, 32, 5)}
#: Parcels from Yiwu go through the Hangzhou / Shanghai gateways: CNY more per parcel, days more.
EX_YIWU_PARCEL = (1.5, 1.0)
#: 1210 parcels from the bonded zone: consolidated export clearance, the economy tariff at this
#: share and a day faster.
EX_1210_DISCOUNT = 0.92
#: Sea LCL port -> warehouse, USD per m3 (incl. drayage and brokerage) and days, std.
EX_SEA = {"US_W": (140, 22, 4), "US_E": (190, 35, 5), "EU": (155, 38, 5), "GB": (150, 38, 5),
          "JP": (60, 5, 1), "AU": (110, 18, 3), "AE": (95, 20, 3)}
#: LCL minimum charge per shipment: 1 m3 + USD 40 documentation; weekly consolidations.
EX_LCL_MIN_M3, EX_LCL_DOC_USD, EX_LCL_SHIPMENTS = 1.0, 40, 52
#: Sea lanes that also offer full containers (FCL, a day faster than LCL): (port, warehouse) ->
#: USD per 20' GP and per 40' HC incl. drayage and brokerage (None: size not offered).
EX_CONTAINER_LANES = {
    ("PORT_YANTIAN", "OW_US_ONTARIO"): (2_300, 3_600),
    ("PORT_YANTIAN", "OW_US_EDISON"): (None, 5_200),
    ("PORT_NINGBO", "OW_DE_DUISBURG"): (2_400, 3_800),
    ("PORT_NINGBO", "OW_GB_COVENTRY"): (None, 4_400),
}
#: Air freight factory -> warehouse (rates.csv kind weight_break, volumetric 6000): USD per
#: chargeable kg from each of AIR_BREAKS_KG, minimum charge per shipment (USD), days; weekly.
EX_AIR = {"US": ((7.8, 6.4, 5.6, 5.1, 4.8, 4.5), 90, 7),
          "EU": ((7.4, 6.1, 5.3, 4.8, 4.5, 4.2), 85, 7),
          "GB": ((7.4, 6.1, 5.3, 4.8, 4.5, 4.2), 85, 7),
          "JP": ((3.8, 3.0, 2.6, 2.3, 2.1, 2.0), 50, 4),
          "AU": ((6.0, 4.9, 4.3, 3.9, 3.6, 3.4), 75, 6)}
EX_AIR_SHIPMENTS = 52
EX_AIR_HANDLING_USD_PER_KG = 0.05
#: China-Europe rail from Yiwu, USD per m3, days, std.
EX_RAIL = {"OW_DE_DUISBURG": (260, 20, 3), "OW_PL_POZNAN": (250, 18, 3)}
#: Factory -> export port (9810): 9.6 m box trucks, m3 and kg per truck, CNY per truck + per km.
EX_TRUCK = (55, 15_000, 1_400, 6.0)
#: Overseas last mile (local currency): per unit, per unit per 1000 km, per kg, days/1000 km.
EX_LAST_MILE = {"US": (4.2, 0.8, 0.9, 1.0), "EU": (3.0, 1.5, 0.5, 1.6), "GB": (2.6, 1.0, 0.3, 2.0),
                "JP": (520, 250, 60, 1.5), "AU": (7.0, 2.0, 1.5, 1.0)}


# fmt: on


def _market_of(country: str) -> str:
    return "EU" if country in EU_COUNTRIES else country


def build_global_export(rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], dict]:
    """All tables of the Chinese exporter."""
    horizon = 365.0
    regions = pd.DataFrame(
        EX_REGIONS,
        columns=["node_id", "name", "country", "currency", "lat", "lon", "pop", "market"],
    )

    # ---- SKUs
    sku_rows, sku_meta = [], []
    counter = 0
    for cat, spec in EX_CATEGORIES.items():
        fac_ids = list(spec["fac"])
        fac_p = np.array(list(spec["fac"].values()))
        for _ in range(spec["n"]):
            counter += 1
            factory = fac_ids[rng.choice(len(fac_ids), p=fac_p / fac_p.sum())]
            med, sd, lo, hi = spec["price"]
            usd = round(lognormal(rng, med, sd, lo, hi)) - 0.01
            retail = round(usd * FX_TO_CNY["USD"], 2)
            proc = round(retail * rng.uniform(*spec["proc"]), 2)
            kg = round(rng.uniform(*spec["kg"]), 3)
            volume = round(kg / spec["rho"] * rng.uniform(0.8, 1.25), 6)
            rebate = spec["rebate"]
            if factory == "F_YW_YIWU" and rng.random() < EX_NO_INVOICE_SHARE:
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
                    slotting_cost=1000,
                    x_retail_usd=usd,
                    x_product=spec["name"],
                )
            )
            sku_meta.append((sku_id, usd, units))
    skus = pd.DataFrame(sku_rows)

    # ---- nodes
    node_rows = []
    for fid, name, lat, lon, _ in EX_FACTORIES:
        node_rows.append(
            dict(node_id=fid, kind="supplier", name=name, country="CN", lat=lat, lon=lon)
        )
    for bid, name, lat, lon, fixed, handling, storage, throughput in EX_BONDED:
        node_rows.append(
            dict(
                node_id=bid,
                kind="bonded_zone",
                name=name,
                country="CN",
                lat=lat,
                lon=lon,
                currency="CNY",
                storage_capacity_m3=storage,
                throughput_capacity_units=throughput,
                fixed_cost=fixed,
                handling_cost_per_unit=handling,
                **EX_NODE_LIMITS.get(bid, {}),
            )
        )
    for pid, name, lat, lon in EX_PORTS:
        node_rows.append(
            dict(
                node_id=pid,
                kind="port",
                name=name,
                country="CN",
                lat=lat,
                lon=lon,
                currency="CNY",
                handling_cost_per_unit=0.3,
            )
        )
    for (
        wid,
        name,
        country,
        currency,
        lat,
        lon,
        fixed,
        handling,
        storage,
        throughput,
        _,
    ) in EX_WAREHOUSES:
        node_rows.append(
            dict(
                node_id=wid,
                kind="overseas_warehouse",
                name=name,
                country=country,
                lat=lat,
                lon=lon,
                currency=currency,
                storage_capacity_m3=storage,
                throughput_capacity_units=throughput,
                fixed_cost=fixed,
                handling_cost_per_unit=handling,
                **EX_NODE_LIMITS.get(wid, {}),
            )
        )
    for _, r in regions.iterrows():
        row = dict(
            node_id=r["node_id"],
            kind="region",
            name=r["name"],
            country=r["country"],
            lat=r["lat"],
            lon=r["lon"],
            currency=r["currency"],
        )
        if r["market"] in EX_MAX_PROMISE:
            row["max_promise_days"] = EX_MAX_PROMISE[r["market"]]
        if r["node_id"] in EX_SERVICE:
            days, share = EX_SERVICE[r["node_id"]]
            row.update(service_days=days, service_share=share)
        node_rows.append(row)
    for bid, name, country, currency, lat, lon in EX_BUYERS:
        node_rows.append(
            dict(
                node_id=bid,
                kind="business_buyer",
                name=name,
                country=country,
                lat=lat,
                lon=lon,
                currency=currency,
            )
        )
    nodes = pd.DataFrame(node_rows)

    # ---- demand
    market_pop = regions.groupby("market")["pop"].transform("sum")
    weights = (regions["market"].map(EX_MARKET_SHARE) * regions["pop"] / market_pop).to_numpy()
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
            free_from, fee = EX_SHIPPING[currency]
            local = usd * FX_TO_CNY["USD"] / FX_TO_CNY[currency]
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
        if rng.random() < 0.3:
            n_buyers = int(rng.integers(1, 4))
            for b in np.sort(rng.choice(len(EX_BUYERS), size=n_buyers, replace=False)):
                buyer = EX_BUYERS[b]
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
    demand["demand_std_daily"] = demand_std(
        demand["units"].to_numpy(), demand["units_per_order"].to_numpy(), horizon, rng
    )
    demand = demand[
        [
            "sku_id",
            "region_id",
            "units",
            "units_per_order",
            "demand_std_daily",
            "currency",
            "shipping_per_order",
        ]
    ]

    # ---- lanes and carrier rates
    lanes = []
    tariffs = Tariffs()

    def lane(
        frm,
        to,
        mode,
        channels,
        currency,
        per_kg=0.0,
        per_m3=0.0,
        per_unit=0.0,
        days=1.0,
        std=0.0,
    ) -> str:
        lane_id = f"L{len(lanes) + 1:05d}"
        lanes.append(
            dict(
                lane_id=lane_id,
                from_node=frm,
                to_node=to,
                mode=mode,
                channels=channels,
                currency=currency,
                cost_per_kg=round(per_kg, 4),
                cost_per_m3=round(per_m3, 2),
                cost_per_unit=round(per_unit, 4),
                lead_time_days=days,
                lead_time_std_days=std,
            )
        )
        return lane_id

    def economy_parcel(lane_id, market, share, noise, extra_cny, days, std) -> None:
        """E-packet: per parcel + per kg (x ``share``), billed per started 100 g."""
        unit, per_kg, _ = EX_EXPRESS[market]
        tariffs.parcel(
            lane_id,
            "ECO",
            "postal e-packet / special line (economy)",
            "CNY",
            days=days,
            std=std,
            first_kg=0.1,
            first=(unit + 0.1 * per_kg * noise) * share + extra_cny,
            step_kg=0.1,
            step=0.1 * per_kg * noise * share,
        )

    yiwu_cny, yiwu_days = EX_YIWU_PARCEL
    for fid, _, flat, flon, port in EX_FACTORIES:
        yiwu = fid == "F_YW_YIWU"
        extra_cny, extra_days = (yiwu_cny, yiwu_days) if yiwu else (0.0, 0.0)
        # 9610 parcels straight from the factory: economy and priority express
        for _, r in regions.iterrows():
            market = r["market"]
            days = EX_EXPRESS[market][2] + extra_days
            noise = rng.uniform(0.95, 1.05)
            lane_id = lane(fid, r["node_id"], "express", "9610", "CNY", days=days, std=2.0)
            economy_parcel(lane_id, market, 1.0, noise, extra_cny, days, 2.0)
            first, step, fast_days = EX_PRIORITY[market]
            tariffs.parcel(
                lane_id,
                "PRI",
                "international express (priority)",
                "CNY",
                days=fast_days + extra_days,
                std=1.0,
                first_kg=0.5,
                first=first * noise + extra_cny,
                step_kg=0.5,
                step=step * noise,
                divisor=EXPRESS_VOLUMETRIC_DIVISOR,
            )
        # into the bonded zones (1210)
        for bid, _, blat, blon, *_ in EX_BONDED:
            km = great_circle_km(flat, flon, blat, blon)
            lane(
                fid,
                bid,
                "truck",
                "1210",
                "CNY",
                per_kg=0.05,
                per_m3=60 + 0.12 * km,
                days=half_days(1 + km / 600),
                std=0.5,
            )
        # to the port (9810), in full trucks
        plat, plon = next((p[2], p[3]) for p in EX_PORTS if p[0] == port)
        km = great_circle_km(flat, flon, plat, plon)
        days = half_days(1 + km / 600)
        lane_id = lane(fid, port, "truck", "9810", "CNY", days=days, std=0.5)
        truck_m3, truck_kg, truck_cny, truck_cny_km = EX_TRUCK
        tariffs.loads(
            lane_id,
            "FTL",
            "truckload",
            "9.6 m box truck (FTL)",
            "CNY",
            days=days,
            std=0.5,
            m3=truck_m3,
            kg=truck_kg,
            cost=truck_cny + truck_cny_km * km,
        )
        # air straight into the overseas warehouses (9810), priced by weight breaks
        for wid, _, country, *_rest in EX_WAREHOUSES:
            per_kg, min_charge, days = EX_AIR[_market_of(country)]
            lane_id = lane(
                fid,
                wid,
                "air",
                "9810",
                "USD",
                per_kg=EX_AIR_HANDLING_USD_PER_KG,
                days=days,
                std=1.0,
            )
            tariffs.weight_break(
                lane_id,
                "AIR",
                "air freight (weight breaks)",
                "USD",
                days=days,
                std=1.0,
                per_kg=per_kg,
                min_charge=min_charge,
                shipments=EX_AIR_SHIPMENTS,
            )
            if yiwu and wid in EX_RAIL:
                usd_m3, rdays, rstd = EX_RAIL[wid]
                lane(
                    fid,
                    wid,
                    "rail",
                    "9810",
                    "USD",
                    per_kg=0.02,
                    per_m3=usd_m3,
                    days=rdays,
                    std=rstd,
                )
        # 9710 B2B sea freight to business buyers
        for bid, _, country, *_ in EX_BUYERS:
            key = {"US": "US_E", "DE": "EU", "GB": "GB", "AU": "AU", "AE": "AE"}[country]
            usd_m3, days, std = EX_SEA[key]
            lane(
                fid,
                bid,
                "sea",
                "9710",
                "USD",
                per_kg=0.02,
                per_m3=usd_m3 * 0.9 + 40,
                days=days + 3,
                std=std,
            )
    # bonded zone -> consumers (1210 export parcels)
    for bid, *_ in EX_BONDED:
        for _, r in regions.iterrows():
            days = EX_EXPRESS[r["market"]][2] - 1
            noise = rng.uniform(0.95, 1.05)
            lane_id = lane(bid, r["node_id"], "express", "1210", "CNY", days=days, std=1.5)
            economy_parcel(lane_id, r["market"], EX_1210_DISCOUNT, noise, 0.0, days, 1.5)
    # port -> overseas warehouse by sea (9810): LCL, and FCL on the busiest lanes
    for pid, *_ in EX_PORTS:
        for wid, _, country, _, _wlat, wlon, *_rest in EX_WAREHOUSES:
            if country == "US":
                key = "US_W" if wlon < -100 else "US_E"
            else:
                key = _market_of(country)
            usd_m3, days, std = EX_SEA[key]
            days += 0 if (pid == "PORT_YANTIAN") == (key != "JP") else 1
            noise = 1.0 if (pid, wid) in EX_CONTAINER_LANES else rng.uniform(0.95, 1.05)
            if (pid, wid) not in EX_CONTAINER_LANES:
                lane(
                    pid,
                    wid,
                    "sea",
                    "9810",
                    "USD",
                    per_kg=0.01,
                    per_m3=usd_m3 * noise,
                    days=days,
                    std=std,
                )
                continue
            lane_id = lane(pid, wid, "sea", "9810", "USD", per_kg=0.01, days=days, std=std)
            tariffs.lcl_and_fcl(
                lane_id,
                "USD",
                days=days,
                std=std,
                per_m3=usd_m3,
                min_charge=EX_LCL_MIN_M3 * usd_m3 + EX_LCL_DOC_USD,
                shipments=EX_LCL_SHIPMENTS,
                fcl=EX_CONTAINER_LANES[(pid, wid)],
            )
    # overseas warehouse -> consumers of its market (9810 last mile)
    for wid, _, _country, currency, wlat, wlon, *_rest, market in EX_WAREHOUSES:
        base, per_1000km, per_kg, days_per_1000km = EX_LAST_MILE[market]
        for _, r in regions[regions["market"] == market].iterrows():
            km = great_circle_km(wlat, wlon, r["lat"], r["lon"])
            lane(
                wid,
                r["node_id"],
                "express",
                "9810",
                currency,
                per_kg=per_kg,
                per_unit=base + per_1000km * km / 1000,
                days=min(5.0, half_days(1 + days_per_1000km * km / 1000)),
                std=0.5,
            )
    lanes = pd.DataFrame(lanes)
    rate_table, weight_breaks = tariffs.tables()

    # ---- channels
    channels = pd.DataFrame(
        [
            dict(
                channel_id="9610",
                name="B2C export parcels (9610)",
                direction="export",
                path_shape="supplier>region",
                stock_node_kind="",
                currency="CNY",
                fixed_cost_per_sku=0,
                earns_export_rebate="false",
                processing_days=2,
            ),
            dict(
                channel_id="1210",
                name="special-area (bonded) export (1210)",
                direction="export",
                path_shape="supplier>bonded_zone>region",
                stock_node_kind="bonded_zone",
                currency="CNY",
                fixed_cost_per_sku=800,
                earns_export_rebate="true",
                processing_days=1,
            ),
            dict(
                channel_id="9810",
                name="export to overseas warehouse (9810)",
                direction="export",
                path_shape="supplier>port?>overseas_warehouse>region",
                stock_node_kind="overseas_warehouse",
                currency="CNY",
                fixed_cost_per_sku=2000,
                earns_export_rebate="true",
                processing_days=1,
            ),
            dict(
                channel_id="9710",
                name="B2B direct export (9710)",
                direction="export",
                path_shape="supplier>business_buyer",
                stock_node_kind="",
                currency="CNY",
                fixed_cost_per_sku=500,
                earns_export_rebate="true",
                processing_days=3,
            ),
        ]
    )

    # ---- tax rules
    rules = []
    countries = sorted({r[2] for r in EX_REGIONS})
    for country in countries:
        market = _market_of(country)
        duties = EX_DUTY[market]
        # the most common rate is the '*' row (ties: the lowest); other categories override it
        rates = sorted(duties.values())
        default_duty = max(rates, key=lambda rate: (rates.count(rate), -rate))
        low = EX_LOW_VALUE[market]
        for cat in ["*", *sorted(c for c in duties if duties[c] != default_duty)]:
            duty = default_duty if cat == "*" else duties[cat]
            for ch in ("9610", "1210"):
                rules.append(
                    dict(
                        channel_id=ch,
                        destination_country=country,
                        origin_country="*",
                        category=cat,
                        regime="low_value_parcel",
                        duty_rate=duty,
                        vat_rate=EX_VAT[country],
                        **low,
                    )
                )
            if market != "CA":
                rules.append(
                    dict(
                        channel_id="9810",
                        destination_country=country,
                        origin_country="*",
                        category=cat,
                        regime="general_trade",
                        currency="CNY",
                        duty_rate=duty,
                        vat_rate=EX_VAT[country],
                        customs_value_basis="cif",
                        vat_basis="retail_sale",
                        source="B2B entry into the overseas warehouse: duty on CIF, "
                        "VAT credited against VAT on the retail sale",
                    )
                )
    for _bid, _, country, *_ in EX_BUYERS:
        if country == "US":
            duties = EX_DUTY["US"]
            for cat in ["*", *sorted(duties)]:
                rules.append(
                    dict(
                        channel_id="9710",
                        destination_country="US",
                        origin_country="*",
                        category=cat,
                        regime="general_trade",
                        currency="CNY",
                        duty_rate=duties.get(cat, 0.30),
                        vat_rate=0.0,
                        customs_value_basis="cif",
                        vat_basis="import",
                        source="US distributor buys delivered duty paid (DDP)",
                    )
                )
        else:
            rules.append(
                dict(
                    channel_id="9710",
                    destination_country=country,
                    origin_country="*",
                    category="*",
                    regime="none",
                    currency="CNY",
                    source="buyer is importer of record (FOB / CIF terms)",
                )
            )
    tax_rules = pd.DataFrame(rules)
    tax_rules = tax_rules[[c for c in TAX_RULE_COLUMNS if c in tax_rules.columns]]

    fx = fx_table(["CNY", "USD", "EUR", "GBP", "JPY", "AUD", "CAD", "AED"])
    params = dict(
        name="global_export",
        description=(
            "A Chinese seller exporting from 3 factories: 9610 parcels, 1210 bonded export "
            "stock in 2 Chinese bonded zones, 9810 stock in 7 overseas warehouses (US, DE, PL, "
            "GB, JP, AU) and 9710 B2B sea freight to 5 distributors; 44 consumer regions in the "
            "US, EU, UK, Japan, Australia and Canada. Generated by instances/generate.py; "
            "assumptions in instances/README.md."
        ),
        currency="CNY",
        horizon_days=horizon,
        holding_rate_per_year=0.20,
        service_level=0.95,
        review_period_days=14,
        max_channels_per_sku=3,
        single_sourcing=False,
        cbec_annual_limit_per_person=26000,
    )
    tables = dict(
        skus=skus,
        nodes=nodes,
        lanes=lanes,
        demand=demand,
        channels=channels,
        tax_rules=tax_rules,
        fx=fx,
        rates=rate_table,
        weight_breaks=weight_breaks,
    )
    return tables, params


TAX_RULE_COLUMNS = (
    "channel_id",
    "destination_country",
    "origin_country",
    "category",
    "regime",
    "currency",
    "duty_rate",
    "vat_rate",
    "apply_consumption_tax",
    "customs_value_basis",
    "vat_basis",
    "cbec_tax_factor",
    "order_value_cap",
    "single_item_exception",
    "parcel_tax_rate",
    "parcel_tax_exemption",
    "duty_free_threshold",
    "vat_free_threshold",
    "taxable_value_share",
    "flat_duty_per_order",
    "flat_duty_below",
    "source",
)

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
        write_instance(out / name, tables, params)
        sizes = ", ".join(f"{k} {len(v)}" for k, v in tables.items())
        print(f"{out / name}: {sizes}")


if __name__ == "__main__":
    main()
