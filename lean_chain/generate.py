"""Generate valid, realistic instance folders of any size.

:func:`generate` writes the standard instance folder (``docs/instance-format.md``)
for a given number of SKUs, demand regions and stocking nodes, and loads it
with :func:`lean_chain.load_instance`. The network, channel definitions, tax
rules and carrier-rate style are those of the bundled instances
(``instances/generate.py``): China CBEC import (1210, 9610, postal, 0110) and
Chinese export (9610, 1210, 9810, 9710). Every assumption is a named constant
below and is explained in ``docs/generator.md``.

Everything per SKU or per demand row is drawn with vectorized numpy; Python
loops run over categories, nodes, regions and channels only, and lanes and
carrier rates are per (node, region) or per lane, never per SKU. The output is
a pure function of the arguments: one ``numpy.random.default_rng(seed)``
stream, fixed rounding and fixed row order.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from lean_chain.io.instance_io import load_instance
from lean_chain.model.instance import Instance

Kind = Literal["import", "export", "mixed"]
KINDS = ("import", "export", "mixed")

# ---------------------------------------------------------------------------
# assumptions (see docs/generator.md)
# ---------------------------------------------------------------------------

HORIZON_DAYS = 365.0
#: Approximate late-2025 mid-market rates, CNY per unit (as instances/generate.py).
FX_TO_CNY = {
    "CNY": 1.0,
    "USD": 7.10,
    "EUR": 8.25,
    "GBP": 9.40,
    "JPY": 0.0468,
    "AUD": 4.65,
    "CAD": 5.07,
    "AED": 1.933,
}
#: Pareto (Lomax + 1) shape of yearly units per SKU: the top 20 % of SKUs carry about
#: 0.2 ** (1 - 1 / shape) = 77 % of units. Draws are scaled so that the category's
#: median SKU sells the category's median units, and capped at PARETO_CAP x that median.
PARETO_SHAPE = 1.15
PARETO_CAP = 400.0
#: A SKU is sold in round(units / UNITS_PER_REGION) regions (1 ... regions).
UNITS_PER_REGION = 80.0
#: Weight and packed volume per unit: bivariate log-normal, correlation of the logs.
WEIGHT_VOLUME_CORRELATION = 0.85
#: Split of units of a SKU over its regions: region weight x U(0.7, 1.3).
REGION_NOISE = (0.7, 1.3)
#: Daily demand std = sqrt(daily units x units per order) x U(1.0, 1.5).
DEMAND_OVERDISPERSION = (1.0, 1.5)
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
#: Air weight breaks (kg per shipment): N, +45, +100, +300, +500, +1000; IATA divisor.
AIR_BREAKS_KG = (0, 45, 100, 300, 500, 1000)
AIR_DIVISOR, EXPRESS_DIVISOR = 6000, 5000
CONTAINER_20FT, CONTAINER_40FT = (33, 21_000), (67, 26_000)
TRUCK = (55, 15_000)  # 9.6 m box truck: m3, kg

# fmt: off
# ---- import (China as destination) ---------------------------------------------------------
#: Foreign suppliers: id, city, country, lat, lon, freight group.
IM_SUPPLIERS = [
    ("S_JP_TOKYO", "Tokyo", "JP", 35.68, 139.69, "near"),
    ("S_KR_SEOUL", "Seoul", "KR", 37.57, 126.98, "near"),
    ("S_US_LA", "Los Angeles", "US", 34.05, -118.24, "us"),
    ("S_DE_HAMBURG", "Hamburg", "DE", 53.55, 9.99, "eu"),
    ("S_FR_PARIS", "Paris", "FR", 48.86, 2.35, "eu"),
    ("S_AU_SYDNEY", "Sydney", "AU", -33.87, 151.21, "oce"),
    ("S_NZ_AUCKLAND", "Auckland", "NZ", -36.85, 174.76, "oce"),
]
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
IM_PORTS = {
    "PORT_SH_YANGSHAN": ("Shanghai Yangshan deep-water port", 30.63, 122.07),
    "PORT_SZ_YANTIAN": ("Shenzhen Yantian port", 22.58, 114.27),
    "PORT_TJ_XINGANG": ("Tianjin Xingang port", 38.98, 117.78),
}
#: Provinces: id, name, lat, lon, population (M), GDP per capita (k CNY), tier.
CN_PROVINCES = [
    ("CN_BJ", "Beijing", 39.90, 116.41, 21.9, 200, 1), ("CN_TJ", "Tianjin", 39.13, 117.20, 13.6, 123, 2),
    ("CN_HE", "Hebei", 38.04, 114.51, 74.0, 59, 3), ("CN_SX", "Shanxi", 37.87, 112.55, 34.7, 74, 3),
    ("CN_NM", "Inner Mongolia", 40.84, 111.75, 23.9, 103, 3), ("CN_LN", "Liaoning", 41.81, 123.43, 41.8, 72, 3),
    ("CN_JL", "Jilin", 43.82, 125.32, 23.4, 57, 3), ("CN_HL", "Heilongjiang", 45.80, 126.53, 30.6, 51, 3),
    ("CN_SH", "Shanghai", 31.23, 121.47, 24.9, 190, 1), ("CN_JS", "Jiangsu", 32.06, 118.80, 85.3, 150, 1),
    ("CN_ZJ", "Zhejiang", 30.27, 120.16, 66.3, 125, 1), ("CN_AH", "Anhui", 31.82, 117.23, 61.2, 76, 2),
    ("CN_FJ", "Fujian", 26.07, 119.30, 41.8, 129, 2), ("CN_JX", "Jiangxi", 28.68, 115.86, 45.2, 71, 3),
    ("CN_SD", "Shandong", 36.65, 117.12, 101.2, 91, 2), ("CN_HA", "Henan", 34.75, 113.63, 98.2, 60, 3),
    ("CN_HB", "Hubei", 30.59, 114.31, 58.4, 95, 2), ("CN_HN", "Hunan", 28.23, 112.94, 65.7, 76, 2),
    ("CN_GD", "Guangdong", 23.13, 113.26, 127.1, 107, 1), ("CN_GX", "Guangxi", 22.82, 108.37, 50.3, 54, 3),
    ("CN_HI", "Hainan", 20.04, 110.20, 10.4, 73, 3), ("CN_CQ", "Chongqing", 29.56, 106.55, 31.9, 95, 2),
    ("CN_SC", "Sichuan", 30.57, 104.07, 83.7, 72, 2), ("CN_GZ", "Guizhou", 26.65, 106.63, 38.7, 54, 3),
    ("CN_YN", "Yunnan", 24.88, 102.83, 46.7, 64, 3), ("CN_XZ", "Tibet", 29.65, 91.14, 3.7, 65, 3),
    ("CN_SN", "Shaanxi", 34.34, 108.94, 39.5, 85, 3), ("CN_GS", "Gansu", 36.06, 103.83, 24.7, 48, 3),
    ("CN_QH", "Qinghai", 36.62, 101.78, 5.9, 64, 3), ("CN_NX", "Ningxia", 38.49, 106.23, 7.3, 73, 3),
    ("CN_XJ", "Xinjiang", 43.83, 87.62, 26.2, 77, 3),
]
#: Tier: (max promise days, service days T, service share alpha); tier 3 has no target.
CN_TIERS = {1: (25, 3, 0.4), 2: (35, 4, 0.3)}
CN_QUOTA_HEADROOM = 2.4
CN_FREE_SHIPPING_CNY, CN_SHIPPING_FEE_CNY = 199, 10
CN_SLOTTING_CNY = 200
#: Import categories (as cn_import): SKU share, supplier weights, retail median CNY / log-sd /
#: clip, procurement share of retail, kg range, density kg/m3, consumption tax, share on the
#: positive list, units per order, median yearly units, HS, postal rate, 0110 duty, min stock.
IM_CATEGORIES = {
    "cosmetics": dict(n=55, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .35, "S_FR_PARIS": .2, "S_US_LA": .1},
                      price=(220, 0.45, 60, 900), proc=(0.40, 0.55), kg=(0.10, 0.45), rho=250, ct=0.0, pos=0.96,
                      upo=([1, 1.5, 2], [.7, .2, .1]), units=900, hs="3304.99", postal=0.20, duty=0.02, min_stock=0),
    "premium_cosmetics": dict(n=25, sup={"S_FR_PARIS": .5, "S_JP_TOKYO": .3, "S_US_LA": .2},
                              price=(900, 0.5, 400, 3200), proc=(0.40, 0.50), kg=(0.10, 0.40), rho=220, ct=0.15,
                              pos=1.0, upo=([1, 1.5], [.85, .15]), units=180, hs="3304.99", postal=0.50,
                              duty=0.03, min_stock=0),
    "infant_formula": dict(n=25, sup={"S_NZ_AUCKLAND": .35, "S_AU_SYDNEY": .3, "S_DE_HAMBURG": .25, "S_FR_PARIS": .1},
                           price=(260, 0.2, 150, 450), proc=(0.50, 0.62), kg=(0.85, 1.0), rho=320, ct=0.0, pos=1.0,
                           upo=([1, 2, 3], [.35, .35, .3]), units=1500, hs="1901.10", postal=0.13, duty=0.0,
                           min_stock=24),
    "health_supplements": dict(n=35, sup={"S_AU_SYDNEY": .35, "S_US_LA": .3, "S_NZ_AUCKLAND": .15, "S_JP_TOKYO": .2},
                               price=(230, 0.4, 70, 700), proc=(0.40, 0.55), kg=(0.15, 0.50), rho=300, ct=0.0,
                               pos=0.9, upo=([1, 2, 3], [.6, .3, .1]), units=600, hs="2106.90", postal=0.13,
                               duty=0.10, min_stock=0),
    "food": dict(n=20, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .3, "S_AU_SYDNEY": .15, "S_NZ_AUCKLAND": .2},
                 price=(90, 0.5, 25, 320), proc=(0.45, 0.60), kg=(0.20, 0.60), rho=400, ct=0.0, pos=1.0,
                 upo=([1, 2, 3], [.55, .3, .15]), units=500, hs="1905.90", postal=0.13, duty=0.10, min_stock=12),
    "apparel": dict(n=25, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .35, "S_US_LA": .3},
                    price=(450, 0.5, 120, 2500), proc=(0.35, 0.50), kg=(0.20, 0.80), rho=150, ct=0.0, pos=0.92,
                    upo=([1, 1.5], [.8, .2]), units=150, hs="6110.20", postal=0.20, duty=0.07, min_stock=0),
    "electronics": dict(n=25, sup={"S_JP_TOKYO": .45, "S_KR_SEOUL": .2, "S_US_LA": .2, "S_DE_HAMBURG": .15},
                        price=(1500, 0.7, 200, 8000), proc=(0.55, 0.70), kg=(0.20, 2.5), rho=250, ct=0.0,
                        pos=0.6, upo=([1, 2, 3], [.75, .15, .1]), units=150, hs="8518.30", postal=0.13,
                        duty=0.05, min_stock=0),
    "bags": dict(n=12, sup={"S_FR_PARIS": .6, "S_DE_HAMBURG": .2, "S_US_LA": .2},
                 price=(9000, 0.6, 2500, 30000), proc=(0.45, 0.55), kg=(0.6, 1.6), rho=90, ct=0.0, pos=1.0,
                 upo=([1, 2], [.85, .15]), units=30, hs="4202.21", postal=0.20, duty=0.10, min_stock=0),
    "watches": dict(n=12, sup={"S_DE_HAMBURG": .5, "S_JP_TOKYO": .5},
                    price=(9000, 0.7, 1500, 40000), proc=(0.50, 0.60), kg=(0.25, 0.6), rho=150, ct=0.0, pos=1.0,
                    upo=([1], [1.0]), units=20, hs="9102.11", postal=0.20, duty=0.08, min_stock=0),
}
#: Watches from this retail price (CNY) are premium_watches: CT 20 %, postal 50 %.
HIGH_END_WATCH_CNY, HIGH_END_WATCH_CT = 10_000, 0.20
IM_EXTRA_CATEGORIES = {"premium_watches": dict(postal=0.50, duty=0.08)}
#: International freight into China (USD) by supplier group: sea per m3, per kg, days, std;
#: air days, std; air weight-break tariff (per kg at each break, minimum, shipments/yr);
#: 9610 express (economy, priority: first 0.5 kg, each further 0.5 kg, days); postal (SAL,
#: EMS: first, step, days).
IM_FREIGHT = {
    "near": dict(sea=(55, 0.02, 4, 1.0), air=(2, 0.5), air_tariff=((3.0, 2.3, 1.9, 1.6, 1.45, 1.3), 45, 104),
                 express=((3.6, 1.5, 6), (6.0, 2.2, 3)), postal=((4.6, 2.2, 14), (8.0, 2.6, 7))),
    "us": dict(sea=(95, 0.03, 20, 3.0), air=(3, 0.7), air_tariff=((6.4, 4.9, 4.1, 3.5, 3.2, 2.9), 75, 52),
               express=((5.8, 2.8, 9), (9.5, 3.8, 5)), postal=((7.2, 3.6, 22), (12.0, 4.0, 10))),
    "eu": dict(sea=(110, 0.03, 34, 4.0), air=(3, 0.7), air_tariff=((7.0, 5.4, 4.5, 3.9, 3.6, 3.3), 80, 52),
               express=((6.2, 3.0, 10), (10.0, 4.0, 5)), postal=((7.6, 3.9, 24), (12.5, 4.2, 11))),
    "oce": dict(sea=(80, 0.03, 16, 2.5), air=(3, 0.7), air_tariff=((6.0, 4.6, 3.8, 3.2, 2.95, 2.7), 70, 52),
                express=((5.6, 2.6, 9), (9.0, 3.6, 5)), postal=((6.8, 3.4, 20), (11.0, 3.8, 9))),
}
IM_CONTAINER_LANES = {
    ("S_KR_SEOUL", "BZ_SH_WGQ"): (800, 1_300), ("S_JP_TOKYO", "BZ_SH_WGQ"): (900, 1_500),
    ("S_DE_HAMBURG", "PORT_SH_YANGSHAN"): (None, 3_600), ("S_NZ_AUCKLAND", "BZ_GZ_NANSHA"): (1_700, 2_600),
}
IM_LCL = (1.0, 35, {"near": 52, "us": 26, "eu": 26, "oce": 26})  # min m3, USD docs, shipments/yr
IM_RAIL = (190, 18, 3.0)  # China-Europe rail from Hamburg to inland zones: USD/m3, days, std
IM_TRUCK_CNY = (900, 4.0)  # port -> DC: CNY per truck + per km
IM_DOMESTIC_USD_PER_KM = 0.0002
IM_GATEWAYS = ((31.23, 121.47), (23.13, 113.26))  # Shanghai, Guangzhou

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
EX_REGIONS = [
    ("US_CA", "California", "US", "USD", 34.05, -118.24, 39.0), ("US_TX", "Texas", "US", "USD", 32.78, -96.80, 30.5),
    ("US_FL", "Florida", "US", "USD", 28.54, -81.38, 22.6), ("US_NY", "New York", "US", "USD", 40.71, -74.01, 19.6),
    ("US_PA", "Pennsylvania", "US", "USD", 39.95, -75.17, 13.0), ("US_IL", "Illinois", "US", "USD", 41.88, -87.63, 12.5),
    ("US_OH", "Ohio", "US", "USD", 39.96, -83.00, 11.8), ("US_GA", "Georgia", "US", "USD", 33.75, -84.39, 11.0),
    ("US_NC", "North Carolina", "US", "USD", 35.23, -80.84, 10.8), ("US_MI", "Michigan", "US", "USD", 42.33, -83.05, 10.0),
    ("US_NJ", "New Jersey", "US", "USD", 40.74, -74.17, 9.3), ("US_VA", "Virginia", "US", "USD", 37.54, -77.44, 8.7),
    ("US_WA", "Washington", "US", "USD", 47.61, -122.33, 7.8), ("US_AZ", "Arizona", "US", "USD", 33.45, -112.07, 7.4),
    ("US_MA", "Massachusetts", "US", "USD", 42.36, -71.06, 7.0), ("US_CO", "Colorado", "US", "USD", 39.74, -104.99, 5.9),
    ("EU_DE", "Germany", "DE", "EUR", 50.11, 8.68, 84.5), ("EU_FR", "France", "FR", "EUR", 48.86, 2.35, 68.4),
    ("EU_IT", "Italy", "IT", "EUR", 45.46, 9.19, 59.0), ("EU_ES", "Spain", "ES", "EUR", 40.42, -3.70, 48.6),
    ("EU_PL", "Poland", "PL", "EUR", 52.23, 21.01, 36.6), ("EU_NL", "Netherlands", "NL", "EUR", 52.37, 4.90, 17.9),
    ("EU_BE", "Belgium", "BE", "EUR", 50.85, 4.35, 11.8), ("EU_SE", "Sweden", "SE", "EUR", 59.33, 18.07, 10.5),
    ("EU_AT", "Austria", "AT", "EUR", 48.21, 16.37, 9.1), ("EU_IE", "Ireland", "IE", "EUR", 53.35, -6.26, 5.3),
    ("GB_LDN", "London", "GB", "GBP", 51.51, -0.13, 8.9), ("GB_SE", "South East England", "GB", "GBP", 51.45, -0.97, 9.4),
    ("GB_NW", "North West England", "GB", "GBP", 53.48, -2.24, 7.4), ("GB_WM", "West Midlands", "GB", "GBP", 52.49, -1.89, 6.0),
    ("GB_SCT", "Scotland", "GB", "GBP", 55.86, -4.25, 5.5), ("JP_13", "Tokyo", "JP", "JPY", 35.68, 139.69, 14.0),
    ("JP_14", "Kanagawa", "JP", "JPY", 35.44, 139.64, 9.2), ("JP_27", "Osaka", "JP", "JPY", 34.69, 135.50, 8.8),
    ("JP_23", "Aichi", "JP", "JPY", 35.18, 136.91, 7.5), ("JP_40", "Fukuoka", "JP", "JPY", 33.59, 130.40, 5.1),
    ("JP_01", "Hokkaido", "JP", "JPY", 43.06, 141.35, 5.1), ("AU_NSW", "New South Wales", "AU", "AUD", -33.87, 151.21, 8.3),
    ("AU_VIC", "Victoria", "AU", "AUD", -37.81, 144.96, 6.8), ("AU_QLD", "Queensland", "AU", "AUD", -27.47, 153.03, 5.5),
    ("AU_WA", "Western Australia", "AU", "AUD", -31.95, 115.86, 2.9), ("CA_ON", "Ontario", "CA", "CAD", 43.65, -79.38, 15.9),
    ("CA_QC", "Quebec", "CA", "CAD", 45.50, -73.57, 9.0), ("CA_BC", "British Columbia", "CA", "CAD", 49.28, -123.12, 5.6),
]
EU_COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "NL", "BE", "SE", "AT", "IE")
EX_MARKET_SHARE = {"US": 0.40, "EU": 0.27, "JP": 0.12, "GB": 0.09, "AU": 0.06, "CA": 0.06}
#: The largest region of each market gets a service target (days T, share alpha).
EX_SERVICE = (5, 0.35)
EX_MAX_PROMISE = {"EU": 12, "JP": 8}
EX_BUYERS = [
    ("BB_US_CHICAGO", "Midwest distributor, Chicago", "US", "USD", 41.85, -87.65, "US_E"),
    ("BB_DE_HAMBURG", "Wholesaler, Hamburg", "DE", "EUR", 53.55, 9.99, "EU"),
    ("BB_GB_MANCHESTER", "Retail chain buyer, Manchester", "GB", "GBP", 53.47, -2.25, "GB"),
    ("BB_AU_MELBOURNE", "Importer, Melbourne", "AU", "AUD", -37.80, 144.95, "AU"),
    ("BB_AE_DUBAI", "Re-export trader, Dubai", "AE", "AED", 25.01, 55.06, "AE"),
]
#: Share of export SKUs that also sell to 1-3 business buyers (0.4-2 x consumer volume).
EX_B2B_SHARE = 0.3
EX_VAT = {"US": 0.0, "DE": 0.19, "FR": 0.20, "IT": 0.22, "ES": 0.21, "PL": 0.23, "NL": 0.21, "BE": 0.21,
          "SE": 0.25, "AT": 0.20, "IE": 0.23, "GB": 0.20, "JP": 0.10, "AU": 0.10, "CA": 0.13}
EX_DUTY = {
    "US": dict(electronics=0.30, home=0.48, apparel=0.40, toys=0.20, beauty=0.33, sports=0.35, accessories=0.45),
    "EU": dict(electronics=0.02, home=0.04, apparel=0.12, toys=0.0, beauty=0.0, sports=0.027, accessories=0.05),
    "GB": dict(electronics=0.02, home=0.04, apparel=0.12, toys=0.0, beauty=0.0, sports=0.02, accessories=0.04),
    "JP": dict(electronics=0.0, home=0.03, apparel=0.09, toys=0.0, beauty=0.0, sports=0.03, accessories=0.08),
    "AU": dict(electronics=0.0, home=0.0, apparel=0.0, toys=0.0, beauty=0.0, sports=0.0, accessories=0.0),
    "CA": dict(electronics=0.0, home=0.065, apparel=0.18, toys=0.0, beauty=0.065, sports=0.065, accessories=0.10),
}
EX_LOW_VALUE = {
    "US": dict(currency="USD", duty_free_threshold=0, vat_free_threshold=0,
               source="US de minimis (USD 800) suspended for all countries from 2025-08-29"),
    "EU": dict(currency="EUR", duty_free_threshold=150, vat_free_threshold=0, flat_duty_per_order=3,
               flat_duty_below=150, source="EU IOSS <= EUR 150; EUR 3 flat duty per parcel < EUR 150 from 2026-07-01"),
    "GB": dict(currency="GBP", duty_free_threshold=135, vat_free_threshold=0,
               source="UK: no duty <= GBP 135, VAT collected at sale"),
    "JP": dict(currency="JPY", duty_free_threshold=10_000, vat_free_threshold=10_000, taxable_value_share=0.6,
               source="Japan: exempt if taxable value (60 % of retail) <= JPY 10,000"),
    "AU": dict(currency="AUD", duty_free_threshold=1000, vat_free_threshold=0,
               source="Australia: GST 10 % at sale on goods <= AUD 1,000, duty free"),
    "CA": dict(currency="CAD", duty_free_threshold=20, vat_free_threshold=20,
               source="Canada: duty and tax free <= CAD 20"),
}
#: Export categories (as global_export): retail USD median / log-sd / clip, procurement share,
#: kg range, density, median yearly units, rebate.
EX_CATEGORIES = {
    "electronics": dict(n=35, fac={"F_SZ_SHENZHEN": 1.0}, price=(35, 0.6, 9, 260), proc=(0.25, 0.40),
                        kg=(0.08, 0.9), rho=200, units=1400, rebate=0.13, hs="8518.30"),
    "home": dict(n=25, fac={"F_YW_YIWU": 1.0}, price=(22, 0.5, 6, 120), proc=(0.15, 0.30), kg=(0.2, 2.0),
                 rho=120, units=1100, rebate=0.13, hs="3924.10"),
    "apparel": dict(n=20, fac={"F_GZ_GUANGZHOU": .7, "F_YW_YIWU": .3}, price=(28, 0.45, 9, 120),
                    proc=(0.20, 0.35), kg=(0.15, 0.6), rho=180, units=900, rebate=0.13, hs="6109.10"),
    "toys": dict(n=15, fac={"F_YW_YIWU": .6, "F_SZ_SHENZHEN": .4}, price=(20, 0.5, 6, 90), proc=(0.20, 0.35),
                 kg=(0.2, 1.2), rho=100, units=800, rebate=0.13, hs="9503.00"),
    "beauty": dict(n=12, fac={"F_GZ_GUANGZHOU": 1.0}, price=(15, 0.5, 5, 60), proc=(0.15, 0.30),
                   kg=(0.05, 0.4), rho=300, units=1000, rebate=0.09, hs="3304.99"),
    "sports": dict(n=12, fac={"F_YW_YIWU": .5, "F_SZ_SHENZHEN": .5}, price=(40, 0.6, 10, 220),
                   proc=(0.25, 0.40), kg=(0.3, 3.0), rho=150, units=500, rebate=0.13, hs="9506.91"),
    "accessories": dict(n=11, fac={"F_GZ_GUANGZHOU": .5, "F_YW_YIWU": .5}, price=(30, 0.7, 8, 300),
                        proc=(0.15, 0.30), kg=(0.05, 1.0), rho=160, units=700, rebate=0.13, hs="4202.22"),
}
EX_NO_INVOICE_SHARE = 0.4  # Yiwu SKUs without special VAT invoices: no rebate
EX_SLOTTING_CNY = 1000
EX_SHIPPING = {"USD": (25, 4.99), "EUR": (25, 3.99), "GBP": (20, 2.99), "JPY": (3000, 500),
               "AUD": (40, 6.95), "CAD": (35, 6.99)}
#: 9610 economy parcel (CNY per parcel, per kg, days) and priority express (first 0.5 kg,
#: per further 0.5 kg, days) by market; 1210 parcels pay the economy tariff x 0.92, a day faster.
EX_ECONOMY = {"US": (22, 62, 9), "EU": (18, 55, 10), "GB": (18, 52, 8), "JP": (10, 24, 4),
              "AU": (16, 48, 8), "CA": (20, 62, 10)}
EX_PRIORITY = {"US": (105, 32, 4), "EU": (95, 30, 5), "GB": (90, 28, 4), "JP": (55, 14, 2),
               "AU": (90, 28, 4), "CA": (105, 32, 5)}
EX_1210_DISCOUNT = 0.92
EX_YIWU_PARCEL = (1.5, 1.0)
#: Sea port -> warehouse, USD per m3, days, std.
EX_SEA = {"US_W": (140, 22, 4), "US_E": (190, 35, 5), "EU": (155, 38, 5), "GB": (150, 38, 5),
          "JP": (60, 5, 1), "AU": (110, 18, 3), "CA": (170, 30, 4), "AE": (95, 20, 3)}
#: The sea lanes into the first EX_CONTAINER_WAREHOUSES warehouses (from each port) offer LCL
#: (min 1 m3 + USD 40, weekly) and FCL 20' / 40' (USD per box) instead of the linear rate.
EX_CONTAINER_WAREHOUSES = 2
EX_FCL_USD = {"US_W": (2_300, 3_600), "US_E": (None, 5_200), "EU": (2_400, 3_800), "GB": (None, 4_400),
              "JP": (900, 1_500), "AU": (1_600, 2_500), "CA": (2_500, 4_000)}
EX_LCL = (1.0, 40, 52)
EX_AIR = {"US": ((7.8, 6.4, 5.6, 5.1, 4.8, 4.5), 90, 7), "EU": ((7.4, 6.1, 5.3, 4.8, 4.5, 4.2), 85, 7),
          "GB": ((7.4, 6.1, 5.3, 4.8, 4.5, 4.2), 85, 7), "JP": ((3.8, 3.0, 2.6, 2.3, 2.1, 2.0), 50, 4),
          "AU": ((6.0, 4.9, 4.3, 3.9, 3.6, 3.4), 75, 6), "CA": ((7.8, 6.4, 5.6, 5.1, 4.8, 4.5), 90, 8)}
EX_TRUCK_CNY = (1_400, 6.0)
EX_RAIL = (255, 19, 3)  # Yiwu -> EU warehouses, USD/m3, days, std
#: Last mile from a warehouse (local currency): per unit, per unit per 1000 km, per kg, days/1000 km.
EX_LAST_MILE = {"US": (4.2, 0.8, 0.9, 1.0), "EU": (3.0, 1.5, 0.5, 1.6), "GB": (2.6, 1.0, 0.3, 2.0),
                "JP": (520, 250, 60, 1.5), "AU": (7.0, 2.0, 1.5, 1.0), "CA": (6.5, 1.2, 1.0, 1.2)}
# fmt: on

SKU_COLUMNS = [
    "sku_id",
    "category",
    "hs_code",
    "supplier_id",
    "procurement_cost",
    "retail_price",
    "currency",
    "weight_kg",
    "volume_m3",
    "consumption_tax_rate",
    "positive_list",
    "export_rebate_rate",
    "min_stock_units",
    "slotting_cost",
]
NODE_COLUMNS = [
    "node_id",
    "kind",
    "name",
    "country",
    "lat",
    "lon",
    "currency",
    "storage_capacity_m3",
    "throughput_capacity_units",
    "fixed_cost",
    "handling_cost_per_unit",
    "max_promise_days",
    "service_days",
    "service_share",
    "consumers",
]
LANE_COLUMNS = [
    "lane_id",
    "from_node",
    "to_node",
    "mode",
    "channels",
    "currency",
    "cost_per_kg",
    "cost_per_m3",
    "cost_per_unit",
    "lead_time_days",
    "lead_time_std_days",
]
DEMAND_COLUMNS = [
    "sku_id",
    "region_id",
    "units",
    "units_per_order",
    "demand_std_daily",
    "currency",
    "shipping_per_order",
]
CHANNEL_COLUMNS = [
    "channel_id",
    "name",
    "direction",
    "path_shape",
    "stock_node_kind",
    "currency",
    "fixed_cost_per_sku",
    "earns_export_rebate",
    "requires_positive_list",
    "counts_toward_cbec_quota",
    "processing_days",
]
TAX_RULE_COLUMNS = [
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
]
RATE_COLUMNS = [
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
]
BREAK_COLUMNS = ["rate_id", "min_weight_kg", "currency", "rate_per_kg"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _km(lat1, lon1, lat2, lon2):
    """Great-circle (haversine) distance in km."""
    lat1, lon1, lat2, lon2 = map(np.radians, (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return float(2 * 6371.0 * np.arcsin(np.sqrt(a)))


def _half(x: float) -> float:
    """Round a lead time to half days."""
    return float(round(x * 2) / 2)


def _market(country: str) -> str:
    return "EU" if country in EU_COUNTRIES else country


def _take(base: list, n: int) -> list[tuple[tuple, int]]:
    """The first ``n`` entries of ``base``, cycling with copy numbers 2, 3, ... beyond it."""
    return [(base[i % len(base)], i // len(base) + 1) for i in range(n)]


def _copy_id(node_id: str, copy: int) -> str:
    return node_id if copy == 1 else f"{node_id}_{copy}"


class _Network:
    """Rows of nodes, lanes, rates and weight breaks, with the fastest promise per region."""

    def __init__(self) -> None:
        self.nodes: list[dict] = []
        self.lanes: list[dict] = []
        self.rates: list[dict] = []
        self.breaks: list[dict] = []
        self.offers: dict[tuple[str, str, str], float] = {}

    def node(self, **row) -> dict:
        """Add a node row once (by id); returns the stored row, which callers may update."""
        for existing in self.nodes:
            if existing["node_id"] == row["node_id"]:
                return existing
        self.nodes.append(row)
        return row

    def lane(self, frm, to, mode, channel, currency, *, kg=0.0, m3=0.0, unit=0.0, days, std):
        lane_id = f"L{len(self.lanes) + 1:06d}"
        self.lanes.append(
            dict(
                lane_id=lane_id,
                from_node=frm,
                to_node=to,
                mode=mode,
                channels=channel,
                currency=currency,
                cost_per_kg=round(kg, 4),
                cost_per_m3=round(m3, 2),
                cost_per_unit=round(unit, 4),
                lead_time_days=days,
                lead_time_std_days=round(std, 2),
            )
        )
        return lane_id

    def promise(self, region: str, days: float, supplier: str = "*", rule: str = "open") -> None:
        """Record a promise (days incl. processing) offered to ``region``: from ``supplier``
        ('*': from stock, any supplier), to the SKUs that ``rule`` admits (ELIGIBILITY)."""
        key = (rule, supplier, region)
        self.offers[key] = min(self.offers.get(key, np.inf), days)

    def rate(self, lane_id, code, kind, service, currency, **cols) -> str:
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
    ):
        self.rate(
            lane_id,
            code,
            "parcel",
            service,
            currency,
            lead_time_days=days,
            lead_time_std_days=round(std, 2),
            volumetric_divisor=divisor,
            first_weight_kg=first_kg,
            first_charge=round(first, 2),
            step_weight_kg=step_kg,
            step_charge=round(step, 2),
        )

    def air(self, lane_id, currency, *, days, std, per_kg, min_charge, shipments) -> None:
        rate_id = self.rate(
            lane_id,
            "AIR",
            "weight_break",
            "air freight (weight breaks)",
            currency,
            lead_time_days=days,
            lead_time_std_days=std,
            volumetric_divisor=AIR_DIVISOR,
            min_charge=round(min_charge, 2),
            shipments_per_horizon=shipments,
        )
        for kg, r in zip(AIR_BREAKS_KG, per_kg, strict=True):
            self.breaks.append(
                dict(rate_id=rate_id, min_weight_kg=kg, currency=currency, rate_per_kg=round(r, 2))
            )

    def lcl_fcl(self, lane_id, currency, *, days, std, per_m3, min_charge, shipments, fcl) -> None:
        self.rate(
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
        for size, (m3, kg), price in (
            ("20", CONTAINER_20FT, fcl[0]),
            ("40", CONTAINER_40FT, fcl[1]),
        ):
            if price is not None:
                self.loads(
                    lane_id,
                    f"FCL{size}",
                    "container",
                    f"sea FCL {size}'",
                    currency,
                    days=days - 1,
                    std=std,
                    m3=m3,
                    kg=kg,
                    cost=price,
                )

    def loads(self, lane_id, code, kind, service, currency, *, days, std, m3, kg, cost) -> None:
        self.rate(
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


def _demand_std(rng: np.random.Generator, units: np.ndarray, upo: np.ndarray) -> np.ndarray:
    daily = units / HORIZON_DAYS
    return np.round(np.sqrt(daily * upo) * rng.uniform(*DEMAND_OVERDISPERSION, len(units)), 4)


# ---------------------------------------------------------------------------
# regions and stocking nodes
# ---------------------------------------------------------------------------


def _jitter(rng: np.random.Generator, lat: float, lon: float, copy: int) -> tuple[float, float]:
    if copy == 1:
        return lat, lon
    d = rng.uniform(-0.8, 0.8, 2)
    return round(float(np.clip(lat + d[0], -89, 89)), 2), round(float(lon + d[1]), 2)


def _cn_regions(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The ``n`` most affluent provinces (population x (GDP per capita / 100 k)^1.5);
    beyond 31, further cities of the provinces in the same order (half the population)."""
    base = sorted(CN_PROVINCES, key=lambda p: -p[4] * (p[5] / 100) ** 1.5)
    rows = []
    for p, copy in _take(base, n):
        lat, lon = _jitter(rng, p[2], p[3], copy)
        rows.append(
            dict(
                node_id=_copy_id(p[0], copy),
                name=p[1] if copy == 1 else f"{p[1]} (city cluster {copy})",
                country="CN",
                currency="CNY",
                lat=lat,
                lon=lon,
                pop=p[4] * 0.5 ** (copy - 1),
                gdp=p[5],
                tier=p[6],
                market="CN",
            )
        )
    frame = pd.DataFrame(rows)
    frame["weight"] = frame["pop"] * (frame["gdp"] / 100.0) ** 1.5
    return frame


def _foreign_regions(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """The largest region of each market (by market share), then the others by demand weight."""
    base = pd.DataFrame(
        EX_REGIONS, columns=["node_id", "name", "country", "currency", "lat", "lon", "pop"]
    )
    base["market"] = base["country"].map(_market)
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


def _import_skus(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Import SKUs (money in CNY) with hidden columns _units and _upo."""
    cat_idx = _category_draw(rng, n, IM_CATEGORIES)
    out = {c: np.empty(n, dtype=object) for c in ("category", "hs_code", "supplier_id")}
    num = {
        c: np.zeros(n)
        for c in ("procurement_cost", "retail_price", "weight_kg", "volume_m3",
                  "consumption_tax_rate", "min_stock_units", "_units", "_upo")
    }  # fmt: skip
    positive = np.zeros(n, dtype=bool)
    for k, (cat, spec) in enumerate(IM_CATEGORIES.items()):
        idx = np.flatnonzero(cat_idx == k)
        m = len(idx)
        if m == 0:
            continue
        out["supplier_id"][idx] = _choice(rng, m, spec["sup"])
        retail = np.round(_lognormal(rng, m, *spec["price"]), 2)
        num["retail_price"][idx] = retail
        num["procurement_cost"][idx] = np.round(retail * rng.uniform(*spec["proc"], m), 2)
        num["weight_kg"][idx], num["volume_m3"][idx] = _weight_volume(
            rng, m, spec["kg"], spec["rho"]
        )
        category = np.full(m, cat, dtype=object)
        ct = np.full(m, spec["ct"])
        if cat == "watches":
            premium = retail >= HIGH_END_WATCH_CNY
            category[premium] = "premium_watches"
            ct[premium] = HIGH_END_WATCH_CT
        out["category"][idx] = category
        out["hs_code"][idx] = spec["hs"]
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
    out = {c: np.empty(n, dtype=object) for c in ("category", "hs_code", "supplier_id")}
    num = {
        c: np.zeros(n)
        for c in ("procurement_cost", "retail_price", "weight_kg", "volume_m3",
                  "export_rebate_rate", "_units", "_upo")
    }  # fmt: skip
    for k, (cat, spec) in enumerate(EX_CATEGORIES.items()):
        idx = np.flatnonzero(cat_idx == k)
        m = len(idx)
        if m == 0:
            continue
        factory = _choice(rng, m, spec["fac"])
        out["supplier_id"][idx] = factory
        out["category"][idx] = cat
        out["hs_code"][idx] = spec["hs"]
        usd = np.round(_lognormal(rng, m, *spec["price"])) - 0.01
        retail = np.round(usd * FX_TO_CNY["USD"], 2)
        num["retail_price"][idx] = retail
        num["procurement_cost"][idx] = np.round(retail * rng.uniform(*spec["proc"], m), 2)
        num["weight_kg"][idx], num["volume_m3"][idx] = _weight_volume(
            rng, m, spec["kg"], spec["rho"]
        )
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
    return pd.DataFrame(
        dict(
            sku_id=skus["sku_id"].to_numpy()[row],
            region_id=regions["node_id"].to_numpy()[col],
            units=units,
            units_per_order=upo,
            demand_std_daily=_demand_std(rng, units, upo),
            currency="CNY",
            shipping_per_order=shipping,
        )
    )


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
    consumer = pd.DataFrame(
        dict(
            sku_id=skus["sku_id"].to_numpy()[row],
            region_id=regions["node_id"].to_numpy()[col],
            units=units,
            units_per_order=upo,
            demand_std_daily=_demand_std(rng, units, upo),
            currency=currency,
            shipping_per_order=np.where(local * upo >= free_from, 0.0, fee),
        )
    )
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
    b2b_rows = pd.DataFrame(
        dict(
            sku_id=skus["sku_id"].to_numpy()[b2b[r]],
            region_id=np.array([b[0] for b in buyers], dtype=object)[c],
            units=u,
            units_per_order=b_upo,
            demand_std_daily=_demand_std(rng, u, b_upo),
            currency=np.array([b[3] for b in buyers], dtype=object)[c],
            shipping_per_order=0.0,
        )
    )
    b2b_rows["_order"] = b2b[r] * 2 + 1
    both = pd.concat([consumer, b2b_rows], ignore_index=True)
    return both.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


# ---------------------------------------------------------------------------
# networks: lanes and carrier rates per (node, region) or per lane
# ---------------------------------------------------------------------------


def _cn_last_mile(km: float) -> tuple[float, float, float, float]:
    """China domestic express from stock: CNY/unit, CNY/kg, days, std."""
    return 3.5 + 0.005 * km, 0.5 + 0.003 * km, _half(1 + km / 600), 0.3 + km / 3000


def _im_sea(net, rng, sid, to, channel, group, days, key, copy) -> None:
    """Sea into China: LCL and FCL on IM_CONTAINER_LANES, else a forwarder's rate per m3."""
    sea_m3, sea_kg, _days, std = IM_FREIGHT[group]["sea"]
    noise = rng.uniform(0.93, 1.07)
    if copy == 1 and key in IM_CONTAINER_LANES:
        lcl_min, lcl_doc, lcl_ship = IM_LCL
        lane_id = net.lane(sid, to, "sea", channel, "USD", kg=sea_kg, days=days, std=std)
        net.lcl_fcl(
            lane_id,
            "USD",
            days=days,
            std=std,
            per_m3=sea_m3,
            min_charge=lcl_min * sea_m3 + lcl_doc,
            shipments=lcl_ship[group],
            fcl=IM_CONTAINER_LANES[key],
        )
    else:
        net.lane(sid, to, "sea", channel, "USD", kg=sea_kg, m3=sea_m3 * noise, days=days, std=std)


def _im_air(net, rng, sid, to, channel, group, days) -> None:
    """Air into China, priced by weight breaks (x U(0.93, 1.07) per lane)."""
    per_kg, min_charge, shipments = IM_FREIGHT[group]["air_tariff"]
    std = IM_FREIGHT[group]["air"][1]
    noise = rng.uniform(0.93, 1.07)
    lane_id = net.lane(sid, to, "air", channel, "USD", kg=0.05, days=days, std=std)
    net.air(
        lane_id,
        "USD",
        days=days,
        std=std,
        per_kg=[r * noise for r in per_kg],
        min_charge=min_charge,
        shipments=shipments,
    )


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
    sup = [s for s in IM_SUPPLIERS if s[0] in suppliers]
    for sid, city, country, lat, lon, _ in sup:
        net.node(
            node_id=sid, kind="supplier", name=f"{city} supplier", country=country, lat=lat, lon=lon
        )
    stock = []
    for (nid, kind, name, lat, lon, sea, air, fixed, handling, base_m3, port), copy in _take(
        IM_NODES, n_nodes
    ):
        lat, lon = _jitter(rng, lat, lon, copy)
        row = dict(
            node_id=_copy_id(nid, copy),
            kind=kind,
            name=name if copy == 1 else f"{name} (site {copy})",
            country="CN",
            lat=lat,
            lon=lon,
            currency="CNY",
            handling_cost_per_unit=handling,
        )
        row = net.node(**row)
        stock.append((row, list(regions["node_id"]), fixed, base_m3, sea, air, port, nid, copy))
    sea_to_port = set()
    for sid, _, country, slat, slon, group in sup:
        f = IM_FREIGHT[group]
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
                    rail_m3, rail_days, rail_std = IM_RAIL
                    km = _km(slat, slon, row["lat"], row["lon"])
                    net.lane(
                        sid,
                        nid,
                        "rail",
                        ch["1210"],
                        "USD",
                        kg=0.02,
                        m3=rail_m3,
                        days=_half(rail_days + km / 4000),
                        std=rail_std,
                    )
            else:
                if (sid, port) not in sea_to_port:
                    sea_to_port.add((sid, port))
                    _im_sea(net, rng, sid, port, ch["0110"], group, sea_days, (sid, port), 1)
                if air:
                    _im_air(net, rng, sid, nid, ch["0110"], group, air_days + 1)
        # direct mail (9610) and postal parcels to every region
        (eco_first, eco_step, eco_days), (pri_first, pri_step, pri_days) = f["express"]
        (sal_first, sal_step, sal_days), (ems_first, ems_step, ems_days) = f["postal"]
        for r in regions.itertuples(index=False):
            km = min(_km(glat, glon, r.lat, r.lon) for glat, glon in IM_GATEWAYS)
            std = round(1.5 + km / 1500, 2)
            lane_id = net.lane(
                sid,
                r.node_id,
                "express",
                ch["9610"],
                "USD",
                days=_half(eco_days + km / 600),
                std=std,
            )
            for code, service, first, step, days, s in (
                ("ECO", "CBEC express line (economy)", eco_first, eco_step, eco_days, std),
                (
                    "PRI",
                    "international express (priority)",
                    pri_first,
                    pri_step,
                    pri_days,
                    1.0 + km / 2000,
                ),
            ):
                net.parcel(
                    lane_id,
                    code,
                    service,
                    "USD",
                    days=_half(days + km / 600),
                    std=s,
                    first_kg=0.5,
                    first=first + km * IM_DOMESTIC_USD_PER_KM,
                    step_kg=0.5,
                    step=step,
                    divisor=EXPRESS_DIVISOR,
                )
            net.promise(r.node_id, _half(pri_days + km / 600) + 1, sid, "cbec")
            std = round(4 + km / 800, 2)
            lane_id = net.lane(
                sid,
                r.node_id,
                "postal",
                ch["postal"],
                "USD",
                days=_half(sal_days + km / 300),
                std=std,
            )
            net.parcel(
                lane_id,
                "SAL",
                "postal parcel SAL (economy)",
                "USD",
                days=_half(sal_days + km / 300),
                std=std,
                first_kg=0.5,
                first=sal_first,
                step_kg=0.5,
                step=sal_step,
            )
            net.parcel(
                lane_id,
                "EMS",
                "EMS (priority)",
                "USD",
                days=_half(ems_days + km / 600),
                std=2 + km / 1500,
                first_kg=0.5,
                first=ems_first,
                step_kg=0.5,
                step=ems_step,
                divisor=6000,
            )
            net.promise(r.node_id, _half(ems_days + km / 600) + 2, sid, "postal")
    # ports -> DCs in whole trucks
    for row, _reach, _f, _m, _sea, _air, port, _base, _copy in stock:
        if row["kind"] != "domestic_dc":
            continue
        name, plat, plon = IM_PORTS[port]
        net.node(
            node_id=port,
            kind="port",
            name=name,
            country="CN",
            lat=plat,
            lon=plon,
            currency="CNY",
            handling_cost_per_unit=0.5,
        )
        km = _km(plat, plon, row["lat"], row["lon"])
        days = _half(1.5 + km / 500)
        lane_id = net.lane(port, row["node_id"], "truck", ch["0110"], "CNY", days=days, std=0.5)
        net.loads(
            lane_id,
            "FTL",
            "truckload",
            "9.6 m box truck (FTL)",
            "CNY",
            days=days,
            std=0.5,
            m3=TRUCK[0],
            kg=TRUCK[1],
            cost=IM_TRUCK_CNY[0] + IM_TRUCK_CNY[1] * km,
        )
    # last mile from stock
    for row, *_ in stock:
        channel = ch["1210"] if row["kind"] == "bonded_zone" else ch["0110"]
        for r in regions.itertuples(index=False):
            km = _km(row["lat"], row["lon"], r.lat, r.lon)
            unit, kg, days, std = _cn_last_mile(km)
            net.lane(
                row["node_id"],
                r.node_id,
                "express",
                channel,
                "CNY",
                kg=kg,
                unit=unit,
                days=days,
                std=std,
            )
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
) -> list[tuple[dict, list[str], float, float]]:
    """Chinese factories, export bonded zones, ports, overseas warehouses, foreign regions
    and business buyers; returns the stocking nodes as in :func:`_import_network`."""
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
        lat, lon = _jitter(rng, lat, lon, copy)
        row = dict(
            node_id=_copy_id(nid, copy),
            kind=kind,
            name=name if copy == 1 else f"{name} (site {copy})",
            country=country,
            lat=lat,
            lon=lon,
            currency=currency,
            handling_cost_per_unit=handling,
        )
        row = net.node(**row)
        reach = regions if kind == "bonded_zone" else regions[regions["market"] == market]
        stock.append((row, list(reach["node_id"]), fixed, base_m3, market, copy))
    fac = [f for f in EX_FACTORIES if f[0] in factories]
    for fid, name, lat, lon, _ in fac:
        net.node(node_id=fid, kind="supplier", name=name, country="CN", lat=lat, lon=lon)
    for b in buyers:
        net.node(
            node_id=b[0],
            kind="business_buyer",
            name=b[1],
            country=b[2],
            lat=b[4],
            lon=b[5],
            currency=b[3],
        )
    warehouses = [s for s in stock if s[0]["kind"] == "overseas_warehouse"]
    container_ws = {s[0]["node_id"] for s in warehouses[:EX_CONTAINER_WAREHOUSES] if s[5] == 1}
    ports_used = set()
    for fid, _, flat, flon, port in fac:
        yiwu = fid == "F_YW_YIWU"
        extra_cny, extra_days = EX_YIWU_PARCEL if yiwu else (0.0, 0.0)
        for r in regions.itertuples(index=False):
            unit, per_kg, days = EX_ECONOMY[r.market]
            noise = rng.uniform(0.95, 1.05)
            lane_id = net.lane(
                fid, r.node_id, "express", ch["9610"], "CNY", days=days + extra_days, std=2.0
            )
            net.parcel(
                lane_id,
                "ECO",
                "postal e-packet / special line (economy)",
                "CNY",
                days=days + extra_days,
                std=2.0,
                first_kg=0.1,
                first=unit + 0.1 * per_kg * noise + extra_cny,
                step_kg=0.1,
                step=0.1 * per_kg * noise,
            )
            first, step, fast = EX_PRIORITY[r.market]
            net.parcel(
                lane_id,
                "PRI",
                "international express (priority)",
                "CNY",
                days=fast + extra_days,
                std=1.0,
                first_kg=0.5,
                first=first * noise + extra_cny,
                step_kg=0.5,
                step=step * noise,
                divisor=EXPRESS_DIVISOR,
            )
            net.promise(r.node_id, fast + extra_days + 2, fid)
        for row, *_ in stock:
            if row["kind"] == "bonded_zone":
                km = _km(flat, flon, row["lat"], row["lon"])
                net.lane(
                    fid,
                    row["node_id"],
                    "truck",
                    ch["1210"],
                    "CNY",
                    kg=0.05,
                    m3=60 + 0.12 * km,
                    days=_half(1 + km / 600),
                    std=0.5,
                )
        if warehouses:
            ports_used.add(port)
            pname, plat, plon = EX_PORTS[port]
            net.node(
                node_id=port,
                kind="port",
                name=pname,
                country="CN",
                lat=plat,
                lon=plon,
                currency="CNY",
                handling_cost_per_unit=0.3,
            )
            km = _km(flat, flon, plat, plon)
            days = _half(1 + km / 600)
            lane_id = net.lane(fid, port, "truck", ch["9810"], "CNY", days=days, std=0.5)
            net.loads(
                lane_id,
                "FTL",
                "truckload",
                "9.6 m box truck (FTL)",
                "CNY",
                days=days,
                std=0.5,
                m3=TRUCK[0],
                kg=TRUCK[1],
                cost=EX_TRUCK_CNY[0] + EX_TRUCK_CNY[1] * km,
            )
        for row, _reach, _f, _m, market, _copy in warehouses:
            per_kg, min_charge, days = EX_AIR[market]
            lane_id = net.lane(
                fid, row["node_id"], "air", ch["9810"], "USD", kg=0.05, days=days, std=1.0
            )
            net.air(
                lane_id,
                "USD",
                days=days,
                std=1.0,
                per_kg=per_kg,
                min_charge=min_charge,
                shipments=52,
            )
            if yiwu and market == "EU":
                usd_m3, rdays, rstd = EX_RAIL
                net.lane(
                    fid,
                    row["node_id"],
                    "rail",
                    ch["9810"],
                    "USD",
                    kg=0.02,
                    m3=usd_m3,
                    days=rdays,
                    std=rstd,
                )
        for bid, _, _country, _cur, _lat, _lon, sea_key in buyers:
            usd_m3, days, std = EX_SEA[sea_key]
            net.lane(
                fid,
                bid,
                "sea",
                ch["9710"],
                "USD",
                kg=0.02,
                m3=usd_m3 * 0.9 + 40,
                days=days + 3,
                std=std,
            )
    # bonded zone -> consumers (1210 export parcels)
    for row, *_ in stock:
        if row["kind"] != "bonded_zone":
            continue
        for r in regions.itertuples(index=False):
            unit, per_kg, days = EX_ECONOMY[r.market]
            noise = rng.uniform(0.95, 1.05)
            lane_id = net.lane(
                row["node_id"], r.node_id, "express", ch["1210"], "CNY", days=days - 1, std=1.5
            )
            share = EX_1210_DISCOUNT
            net.parcel(
                lane_id,
                "ECO",
                "postal e-packet / special line (economy)",
                "CNY",
                days=days - 1,
                std=1.5,
                first_kg=0.1,
                first=(unit + 0.1 * per_kg * noise) * share,
                step_kg=0.1,
                step=0.1 * per_kg * noise * share,
            )
            net.promise(r.node_id, days)
    # port -> overseas warehouse by sea; warehouse -> consumers of its market
    for row, reach, _f, _m, market, _copy in warehouses:
        key = ("US_W" if row["lon"] < -100 else "US_E") if market == "US" else market
        usd_m3, days, std = EX_SEA[key]
        for port in sorted(ports_used):
            d = days + (0 if (port == "PORT_SZ_YANTIAN") == (key != "JP") else 1)
            if row["node_id"] in container_ws:
                lane_id = net.lane(
                    port, row["node_id"], "sea", ch["9810"], "USD", kg=0.01, days=d, std=std
                )
                lcl_min, lcl_doc, lcl_ship = EX_LCL
                net.lcl_fcl(
                    lane_id,
                    "USD",
                    days=d,
                    std=std,
                    per_m3=usd_m3,
                    min_charge=lcl_min * usd_m3 + lcl_doc,
                    shipments=lcl_ship,
                    fcl=EX_FCL_USD[key],
                )
            else:
                net.lane(
                    port,
                    row["node_id"],
                    "sea",
                    ch["9810"],
                    "USD",
                    kg=0.01,
                    m3=usd_m3 * rng.uniform(0.95, 1.05),
                    days=d,
                    std=std,
                )
        base, per_1000km, per_kg, days_per_1000km = EX_LAST_MILE[market]
        for r in regions[regions["node_id"].isin(reach)].itertuples(index=False):
            km = _km(row["lat"], row["lon"], r.lat, r.lon)
            days = min(5.0, _half(1 + days_per_1000km * km / 1000))
            net.lane(
                row["node_id"],
                r.node_id,
                "express",
                ch["9810"],
                row["currency"],
                kg=per_kg,
                unit=base + per_1000km * km / 1000,
                days=days,
                std=0.5,
            )
            net.promise(r.node_id, days + 1)
    return [(row, reach, fixed, base_m3) for row, reach, fixed, base_m3, *_ in stock]


# ---------------------------------------------------------------------------
# channels and tax rules (as the bundled instances)
# ---------------------------------------------------------------------------


def _import_channels(ch: dict[str, str]) -> list[dict]:
    base = dict(direction="import", currency="CNY", earns_export_rebate="false")
    return [
        base | dict(channel_id=ch["1210"], name="bonded e-commerce import (1210 / 1239)", path_shape="supplier>bonded_zone>region", stock_node_kind="bonded_zone", fixed_cost_per_sku=2000, requires_positive_list="true", counts_toward_cbec_quota="true", processing_days=1),
        base | dict(channel_id=ch["9610"], name="direct purchase import (9610 direct mail)", path_shape="supplier>region", stock_node_kind="", fixed_cost_per_sku=300, requires_positive_list="true", counts_toward_cbec_quota="true", processing_days=1),
        base | dict(channel_id=ch["postal"], name="personal postal articles", path_shape="supplier>region", stock_node_kind="", fixed_cost_per_sku=0, requires_positive_list="false", counts_toward_cbec_quota="false", processing_days=2),
        base | dict(channel_id=ch["0110"], name="general trade import", path_shape="supplier>port?>domestic_dc>region", stock_node_kind="domestic_dc", fixed_cost_per_sku=10_000, requires_positive_list="false", counts_toward_cbec_quota="false", processing_days=1),
    ]  # fmt: skip


def _export_channels(ch: dict[str, str]) -> list[dict]:
    base = dict(
        direction="export",
        currency="CNY",
        requires_positive_list="false",
        counts_toward_cbec_quota="false",
    )
    return [
        base | dict(channel_id=ch["9610"], name="B2C export parcels (9610)", path_shape="supplier>region", stock_node_kind="", fixed_cost_per_sku=0, earns_export_rebate="false", processing_days=2),
        base | dict(channel_id=ch["1210"], name="special-area (bonded) export (1210)", path_shape="supplier>bonded_zone>region", stock_node_kind="bonded_zone", fixed_cost_per_sku=800, earns_export_rebate="true", processing_days=1),
        base | dict(channel_id=ch["9810"], name="export to overseas warehouse (9810)", path_shape="supplier>port?>overseas_warehouse>region", stock_node_kind="overseas_warehouse", fixed_cost_per_sku=2000, earns_export_rebate="true", processing_days=1),
        base | dict(channel_id=ch["9710"], name="B2B direct export (9710)", path_shape="supplier>business_buyer", stock_node_kind="", fixed_cost_per_sku=500, earns_export_rebate="true", processing_days=3),
    ]  # fmt: skip


def _import_rules(ch: dict[str, str]) -> list[dict]:
    rules = []
    for c in (ch["1210"], ch["9610"]):
        rules.append(dict(channel_id=c, destination_country="CN", origin_country="*", category="*", regime="cbec_retail", currency="CNY", vat_rate=0.13, apply_consumption_tax="true", cbec_tax_factor=0.7, order_value_cap=5000, single_item_exception="true", source="Cai Guan Shui [2016] No.18, [2018] No.49: 0 % duty, 70 % of VAT + CT, 5,000 CNY cap"))  # fmt: skip
    spec = {c: (s["postal"], s["duty"]) for c, s in IM_CATEGORIES.items()}
    spec |= {c: (s["postal"], s["duty"]) for c, s in IM_EXTRA_CATEGORIES.items()}
    for cat, (postal, _duty) in spec.items():
        rules.append(dict(channel_id=ch["postal"], destination_country="CN", origin_country="*", category=cat, regime="postal", currency="CNY", parcel_tax_rate=postal, parcel_tax_exemption=50, order_value_cap=1000, single_item_exception="true", source="State Council Tariff Commission 2019 postal tax notice"))  # fmt: skip
    for cat, (_postal, duty) in spec.items():
        rules.append(dict(channel_id=ch["0110"], destination_country="CN", origin_country="*", category=cat, regime="general_trade", currency="CNY", duty_rate=duty, vat_rate=0.13, apply_consumption_tax="true", customs_value_basis="cif", vat_basis="retail_sale", source="MFN / provisional duty (approx., 2025); import VAT credited"))  # fmt: skip
    return rules


def _export_rules(ch: dict[str, str], countries: list[str], buyers: list[tuple]) -> list[dict]:
    rules = []
    for country in countries:
        market = _market(country)
        duties = EX_DUTY[market]
        values = sorted(duties.values())
        default = max(values, key=lambda v: (values.count(v), -v))
        low = EX_LOW_VALUE[market]
        for cat in ["*", *sorted(c for c in duties if duties[c] != default)]:
            duty = default if cat == "*" else duties[cat]
            for c in (ch["9610"], ch["1210"]):
                rules.append(dict(channel_id=c, destination_country=country, origin_country="*", category=cat, regime="low_value_parcel", duty_rate=duty, vat_rate=EX_VAT[country], **low))  # fmt: skip
            rules.append(dict(channel_id=ch["9810"], destination_country=country, origin_country="*", category=cat, regime="general_trade", currency="CNY", duty_rate=duty, vat_rate=EX_VAT[country], customs_value_basis="cif", vat_basis="retail_sale", source="B2B entry into the overseas warehouse: duty on CIF, VAT credited against VAT on the retail sale"))  # fmt: skip
    for country in sorted({b[2] for b in buyers}):
        if country == "US":
            for cat in ["*", *sorted(EX_DUTY["US"])]:
                rules.append(dict(channel_id=ch["9710"], destination_country="US", origin_country="*", category=cat, regime="general_trade", currency="CNY", duty_rate=EX_DUTY["US"].get(cat, 0.30), vat_rate=0.0, customs_value_basis="cif", vat_basis="import", source="US distributor buys delivered duty paid (DDP)"))  # fmt: skip
        else:
            rules.append(dict(channel_id=ch["9710"], destination_country=country, origin_country="*", category="*", regime="none", currency="CNY", source="buyer is importer of record"))  # fmt: skip
    return rules


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
) -> None:
    """Capacity = the node's fair share of the need of the regions it reaches / u."""
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
        u = rng.uniform(*DESIGN_UTILISATION)
        row["storage_capacity_m3"] = max(0.5, round(m3 / u, 1))
        row["throughput_capacity_units"] = float(max(10, np.ceil(units / u)))
        scale = max(FIXED_COST_FLOOR, (row["storage_capacity_m3"] / base_m3) ** FIXED_COST_EXPONENT)
        row["fixed_cost"] = float(round(fixed * scale, -2 if fixed < 1e6 else -4))


def generate_tables(
    skus: int,
    regions: int = 30,
    nodes: int = 10,
    seed: int = 0,
    *,
    kind: Kind = "mixed",
) -> tuple[dict[str, pd.DataFrame], dict]:
    """The tables and parameters of a generated instance, without writing them.

    Same arguments as :func:`generate`; returns ``(tables, params)`` ready for
    :func:`write_tables`.
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
            0, "sku_id", [f"SKU{i:0{width}d}" for i in range(offset + 1, offset + n_skus + 1)]
        )
        offset += n_skus
        suppliers = sorted(set(sk["supplier_id"]))
        if side == "import":
            dem = _import_demand(rng, sk, reg)
            stock = _import_network(rng, net, reg, n_nodes, suppliers, ch_im)
            channels += _import_channels(ch_im)
            rules += _import_rules(ch_im)
            # CBEC quota: consumers from the positive-list demand value, scarcer in poorer regions
            pos = _sku_positions(sk, dem)
            eligible = (sk["positive_list"].to_numpy(object) == "true")[pos]
            value = dem["units"].to_numpy(float) * sk["retail_price"].to_numpy(float)[pos]
            at = pd.Index(reg["node_id"]).get_indexer(dem["region_id"])
            eligible_value = np.bincount(at, np.where(eligible, value, 0.0), len(reg))
            headroom = CN_QUOTA_HEADROOM * (reg["gdp"].to_numpy(float) / 100.0) ** 2
            reg["consumers"] = np.maximum(
                50.0, np.ceil(eligible_value * headroom / 26_000 / 10) * 10
            )
        else:
            buyers = EX_BUYERS[: min(len(EX_BUYERS), -(-n_regions // 8))]
            dem = _export_demand(rng, sk, reg, buyers)
            stock = _export_network(rng, net, reg, buyers, n_nodes, suppliers, ch_ex)
            channels += _export_channels(ch_ex)
            rules += _export_rules(ch_ex, sorted(set(reg["country"])), buyers)
        units, m3 = _stock_need(sk, dem)
        consumer = dem["region_id"].isin(set(reg["node_id"])).to_numpy()
        _size_capacities(rng, stock, dem[consumer], units[consumer], m3[consumer])
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
            row = dict(node_id=r.node_id, kind="region", name=r.name, country=r.country, lat=r.lat, lon=r.lon, currency=r.currency)  # fmt: skip
            if side == "import":
                row["consumers"] = r.consumers
                target = CN_TIERS.get(r.tier)
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
            net.node(**row)

    sku_table = pd.concat(sku_frames, ignore_index=True)
    tables = dict(
        skus=sku_table[SKU_COLUMNS],
        nodes=pd.DataFrame(net.nodes).reindex(columns=NODE_COLUMNS),
        lanes=pd.DataFrame(net.lanes).reindex(columns=LANE_COLUMNS),
        demand=pd.concat(demand_frames, ignore_index=True)[DEMAND_COLUMNS],
        channels=pd.DataFrame(channels).reindex(columns=CHANNEL_COLUMNS),
        tax_rules=pd.DataFrame(rules).reindex(columns=TAX_RULE_COLUMNS),
        fx=pd.DataFrame(
            {"currency": list(FX_TO_CNY), "rate_to_instance": list(FX_TO_CNY.values())}
        ),
        rates=pd.DataFrame(net.rates).reindex(columns=RATE_COLUMNS),
        weight_breaks=pd.DataFrame(net.breaks).reindex(columns=BREAK_COLUMNS),
    )
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


def write_tables(folder: str | Path, tables: dict[str, pd.DataFrame], params: dict) -> Path:
    """Write ``tables`` and ``params`` as an instance folder; refuse a non-empty folder.

    Raises
    ------
    FileExistsError
        If ``folder`` exists and is not an empty directory (nothing is overwritten).
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
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


__all__ = ["generate", "generate_tables", "summary", "write_tables"]
