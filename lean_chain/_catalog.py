"""The catalogue behind both instance generators: data, tax rules and carrier tariffs.

``lean_chain.generate`` (instances of any size) and ``instances/generate.py`` (the
bundled ``cn_import`` and ``global_export``) draw from this one place: currencies,
geography, product categories, channel definitions, tax rules, freight and parcel
tariffs, weight breaks and containers, and the builder of the ``lanes``, ``rates``
and ``weight_breaks`` rows. Each number is an assumption of realistic magnitude,
explained in ``instances/README.md`` and ``docs/generator.md``; sources of the rules
are in ``../shared/DOMAIN.md``. Nothing here draws random numbers: the generators
draw, in their own order, and pass the draws in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
HORIZON_DAYS = 365.0
#: Daily demand std = sqrt(daily units x units per order) x U(1.0, 1.5) (over-dispersion).
DEMAND_OVERDISPERSION = (1.0, 1.5)
#: Split of a SKU's units over its regions: region weight x U(0.7, 1.3).
REGION_NOISE = (0.7, 1.3)

#: Air weight breaks (kg per shipment): N (normal, below 45 kg), +45, +100, +300, +500, +1000.
AIR_BREAKS_KG = (0, 45, 100, 300, 500, 1000)
#: IATA volumetric divisor for air (cm3 per kg, 167 kg/m3) and the courier one for express.
AIR_VOLUMETRIC_DIVISOR = 6000
EXPRESS_VOLUMETRIC_DIVISOR = 5000
#: Containers: nominal cube (m3) and payload (kg) of a 20' GP and a 40' HC.
CONTAINER_20FT = (33, 21_000)
CONTAINER_40FT = (67, 26_000)
#: A 9.6 m box truck (FTL): m3 and kg.
TRUCK = (55, 15_000)
#: Rail lanes charge this per kg on top of their rate per m3 (USD).
RAIL_USD_PER_KG = 0.02

SKU_COLUMNS = (
    "sku_id category hs_code supplier_id procurement_cost retail_price currency "
    "weight_kg volume_m3 consumption_tax_rate positive_list export_rebate_rate "
    "min_stock_units slotting_cost"
).split()
NODE_COLUMNS = (
    "node_id kind name country lat lon currency storage_capacity_m3 "
    "throughput_capacity_units fixed_cost handling_cost_per_unit max_promise_days "
    "service_days service_share consumers"
).split()
LANE_COLUMNS = (
    "lane_id from_node to_node mode channels currency cost_per_kg cost_per_m3 "
    "cost_per_unit lead_time_days lead_time_std_days max_kg limit_per"
).split()
DEMAND_COLUMNS = (
    "sku_id region_id units units_per_order demand_std_daily currency shipping_per_order"
).split()
CHANNEL_COLUMNS = (
    "channel_id name direction path_shape stock_node_kind currency fixed_cost_per_sku "
    "earns_export_rebate requires_positive_list counts_toward_cbec_quota processing_days"
).split()
TAX_RULE_COLUMNS = (
    "channel_id destination_country origin_country category regime currency duty_rate "
    "vat_rate apply_consumption_tax customs_value_basis vat_basis cbec_tax_factor "
    "order_value_cap single_item_exception parcel_tax_rate parcel_tax_exemption "
    "duty_free_threshold vat_free_threshold taxable_value_share flat_duty_per_order "
    "flat_duty_below source effective_from effective_to"
).split()
RATE_COLUMNS = (
    "rate_id lane_id service kind currency lead_time_days lead_time_std_days "
    "volumetric_divisor first_weight_kg first_charge step_weight_kg step_charge "
    "min_charge cost_per_m3 capacity_m3 capacity_kg cost_per_load fixed_per_shipment "
    "shipments_per_horizon"
).split()
BREAK_COLUMNS = ["rate_id", "min_weight_kg", "currency", "rate_per_kg"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def text_rows(*lines: str) -> list[tuple]:
    """Rows written as ``"a | b | 1.5"`` lines: a tuple per line, numbers as float (but
    codes with a leading zero such as ``0110`` stay text), a blank cell as None (catalogue
    tables stay one readable line per row)."""

    def cell(text: str):
        text = text.strip()
        if not text:
            return None
        if len(text) > 1 and text[0] == "0" and text[1].isdigit():
            return text
        try:
            return float(text)
        except ValueError:
            return text

    return [tuple(cell(c) for c in line.split("|")) for line in lines]


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


def short_name(name: str) -> str:
    """A place name without its detail in brackets: ``Hebei (Shijiazhuang)`` -> ``Hebei``."""
    return name.split(" (")[0]


def market_of(country: str) -> str:
    """The export market of a destination country (EU members share one)."""
    return "EU" if country in EU_COUNTRIES else country


def node_row(
    node_id: str, kind: str, name: str, country: str, lat: float, lon: float, **cols
) -> dict:
    """A row of nodes.csv: id, kind, name, country and position, then ``cols`` in order."""
    return dict(node_id=node_id, kind=kind, name=name, country=country, lat=lat, lon=lon) | cols


def port_row(port_id: str, name: str, lat: float, lon: float, handling_cny: float) -> dict:
    """A Chinese port's row of nodes.csv (``handling_cny`` per unit)."""
    return node_row(
        port_id, "port", name, "CN", lat, lon, currency="CNY", handling_cost_per_unit=handling_cny
    )


def fx_table(currencies: list[str]) -> pd.DataFrame:
    """fx.csv: the rate into CNY of each currency used by the instance."""
    return pd.DataFrame(
        {"currency": currencies, "rate_to_instance": [FX_TO_CNY[c] for c in currencies]}
    )


def demand_std(
    rng: np.random.Generator, units: np.ndarray, upo: np.ndarray, horizon: float = HORIZON_DAYS
) -> np.ndarray:
    """Daily std of compound-Poisson orders, with over-dispersion (DEMAND_OVERDISPERSION)."""
    daily = units / horizon
    return np.round(np.sqrt(daily * upo) * rng.uniform(*DEMAND_OVERDISPERSION, len(units)), 4)


def cn_gateway_km(lat: float, lon: float) -> float:
    """Domestic leg of a parcel into China: km from the nearer gateway (CN_GATEWAYS)."""
    return min(great_circle_km(glat, glon, lat, lon) for glat, glon in CN_GATEWAYS)


def cn_last_mile(km: float) -> tuple[float, float, float, float]:
    """China domestic express from a bonded zone or DC: CNY/unit, CNY/kg, days, std."""
    return (3.5 + 0.005 * km, 0.5 + 0.003 * km, half_days(1 + km / 600), round(0.3 + km / 3000, 2))


# ---------------------------------------------------------------------------
# lanes and carrier rates
# ---------------------------------------------------------------------------


class NetworkTables:
    """The rows of ``lanes.csv``, ``rates.csv`` and ``weight_breaks.csv`` of one instance.

    Lane ids are ``L`` and a running number of ``lane_id_digits`` digits; a rate's id
    is ``<lane_id>-<code>`` (e.g. ``L00012-ECO``), so a path key ``L00012@L00012-ECO``
    names the lane and the service. ``fcl_sizes`` names the two container sizes in
    the FCL services. Carrier rates are in their own methods; the rest build a lane
    and its rates as both generators price them.
    """

    def __init__(self, lane_id_digits: int, fcl_sizes: tuple[str, str] = ("20'", "40'")) -> None:
        self.lanes: list[dict] = []
        self.rates: list[dict] = []
        self.breaks: list[dict] = []
        self._digits = lane_id_digits
        self._fcl_sizes = fcl_sizes

    def tables(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """``lanes``, ``rates`` and ``weight_breaks`` as data frames."""
        return (
            pd.DataFrame(self.lanes).reindex(columns=LANE_COLUMNS),
            pd.DataFrame(self.rates).reindex(columns=RATE_COLUMNS),
            pd.DataFrame(self.breaks).reindex(columns=BREAK_COLUMNS),
        )

    def lane(
        self, frm, to, mode, channels, currency, *, per_kg=0.0, per_m3=0.0, per_unit=0.0, days, std
    ) -> str:
        """A lane with linear costs (per kg, per m3, per unit); returns its id."""
        lane_id = f"L{len(self.lanes) + 1:0{self._digits}d}"
        self.lanes.append(
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
                lead_time_std_days=round(std, 2),
            )
        )
        return lane_id

    # ---- carrier rates of a lane

    def _rate(self, lane_id: str, code: str, kind: str, service: str, currency: str, **cols) -> str:
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
        return self._rate(
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

    def weight_break(
        self, lane_id, code, service, currency, *, days, std, per_kg, min_charge, shipments
    ) -> str:
        """Air freight: rate per chargeable kg from each of ``AIR_BREAKS_KG``."""
        rate_id = self._rate(
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

    def lcl_and_fcl(
        self, lane_id, currency, *, days, std, per_m3, min_charge, shipments, fcl
    ) -> None:
        """LCL (per m3, minimum per shipment), and FCL a day faster in the sizes whose
        price ``fcl`` (20', 40'; None: not offered) gives; both sail ``shipments`` times a
        horizon, FCL counted in whole containers per shipment."""
        self._rate(
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
        sizes = zip(("20", "40"), self._fcl_sizes, (CONTAINER_20FT, CONTAINER_40FT), strict=True)
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
                    shipments=shipments,
                )

    def loads(
        self, lane_id, code, kind, service, currency, *, days, std, m3, kg, cost, shipments=None
    ) -> str:
        """Whole containers or trucks: ``cost`` per load of ``m3`` / ``kg``, counted per
        shipment when ``shipments`` a horizon are given (blank: one shipment)."""
        return self._rate(
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
            shipments_per_horizon=shipments,
        )

    # ---- lanes with their rates, shared by the import and the export side

    def air(self, frm, to, channel, tariff, *, handling, days, std, allotment_kg_per_day=None):
        """An air lane (USD ``handling`` per kg) priced by weight breaks, ``tariff`` = (rates
        per kg of the breaks, minimum charge, shipments a horizon); at most
        ``allotment_kg_per_day`` (the consolidator's block space for this shipper)."""
        per_kg, min_charge, shipments = tariff
        lane_id = self.lane(frm, to, "air", channel, "USD", per_kg=handling, days=days, std=std)
        if allotment_kg_per_day is not None:
            self.lanes[-1].update(max_kg=allotment_kg_per_day, limit_per="day")
        self.weight_break(
            lane_id,
            "AIR",
            "air freight (weight breaks)",
            "USD",
            days=days,
            std=std,
            per_kg=per_kg,
            min_charge=min_charge,
            shipments=shipments,
        )
        return lane_id

    def truckload(self, frm, to, channel, *, days, cost) -> str:
        """A lane served by whole 9.6 m box trucks (TRUCK) at CNY ``cost`` each."""
        lane_id = self.lane(frm, to, "truck", channel, "CNY", days=days, std=0.5)
        self.loads(
            lane_id,
            "FTL",
            "truckload",
            "9.6 m box truck (FTL)",
            "CNY",
            days=days,
            std=0.5,
            m3=TRUCK[0],
            kg=TRUCK[1],
            cost=cost,
        )
        return lane_id

    def rail(self, frm, to, channel, *, per_m3, days, std) -> str:
        """A China-Europe rail lane: USD per m3 (plus RAIL_USD_PER_KG)."""
        return self.lane(
            frm,
            to,
            "rail",
            channel,
            "USD",
            per_kg=RAIL_USD_PER_KG,
            per_m3=per_m3,
            days=days,
            std=std,
        )

    # ---- import into China

    def cn_sea(self, frm, to, channel, group, *, per_m3, per_kg, days, std, fcl=None) -> str:
        """Sea into China: LCL and FCL (prices ``fcl``) on a container lane, else a
        forwarder's all-in rate ``per_m3``."""
        lcl = (CN_LCL_MIN_M3 * per_m3 + CN_LCL_DOC_USD, CN_LCL_SHIPMENTS[group])
        return self._sea(frm, to, channel, per_kg, per_m3, days, std, fcl, lcl)

    def _sea(self, frm, to, channel, per_kg, per_m3, days, std, fcl, lcl) -> str:
        """A sea lane in USD: linear at ``per_m3`` without ``fcl``, else LCL (``lcl``: minimum
        charge, consolidations a year) and FCL services at ``per_m3``."""
        if fcl is None:
            cost = dict(per_kg=per_kg, per_m3=per_m3)
            return self.lane(frm, to, "sea", channel, "USD", days=days, std=std, **cost)
        lane_id = self.lane(frm, to, "sea", channel, "USD", per_kg=per_kg, days=days, std=std)
        min_charge, shipments = lcl
        lcl_rates = dict(per_m3=per_m3, min_charge=min_charge, shipments=shipments)
        self.lcl_and_fcl(lane_id, "USD", days=days, std=std, fcl=fcl, **lcl_rates)
        return lane_id

    def cn_air(self, frm, to, channel, group, *, days, std, noise) -> str:
        """Air into China: CN_AIR_TARIFF of the supplier group x ``noise``."""
        per_kg, min_charge, shipments = CN_AIR_TARIFF[group]
        tariff = ([r * noise for r in per_kg], min_charge, shipments)
        allotment = CN_AIR_ALLOTMENT_KG_PER_DAY
        handling = CN_AIR_HANDLING_USD_PER_KG
        return self.air(
            frm,
            to,
            channel,
            tariff,
            handling=handling,
            days=days,
            std=std,
            allotment_kg_per_day=allotment,
        )

    def cn_parcels(
        self, supplier, region, group, km, *, express_channel, postal_channel
    ) -> tuple[float, float]:
        """9610 direct mail and personal postal parcels from ``supplier`` to ``region`` (``km``
        of domestic leg); returns the fastest days of each (without processing)."""
        days = half_days(CN_EXPRESS_SERVICES[group][0][4] + km / 600)
        std = round(1.5 + km / 1500, 2)
        lane_id = self.lane(supplier, region, "express", express_channel, "USD", days=days, std=std)
        express_days = []
        for code, service, first, step, base_days in CN_EXPRESS_SERVICES[group]:
            express_days.append(half_days(base_days + km / 600))
            self.parcel(
                lane_id,
                code,
                service,
                "USD",
                days=express_days[-1],
                std=std if code == "ECO" else 1.0 + km / 2000,
                first_kg=0.5,
                first=first + km * CN_DOMESTIC_USD_PER_KM,
                step_kg=0.5,
                step=step,
                divisor=EXPRESS_VOLUMETRIC_DIVISOR,
            )
        days = half_days(CN_POSTAL_SERVICES[group][0][4] + km / 300)
        std = round(4 + km / 800, 2)
        lane_id = self.lane(supplier, region, "postal", postal_channel, "USD", days=days, std=std)
        postal_days = []
        for code, service, first, step, base_days, divisor in CN_POSTAL_SERVICES[group]:
            economy = divisor is None
            postal_days.append(half_days(base_days + km / (300 if economy else 600)))
            self.parcel(
                lane_id,
                code,
                service,
                "USD",
                days=postal_days[-1],
                std=std if economy else 2 + km / 1500,
                first_kg=0.5,
                first=first,
                step_kg=0.5,
                step=step,
                divisor=divisor,
            )
        return min(express_days), min(postal_days)

    def cn_last_mile(self, frm, to, channel, km) -> float:
        """China domestic express from stock (cn_last_mile); returns its days."""
        per_unit, per_kg, days, std = cn_last_mile(km)
        self.lane(
            frm, to, "express", channel, "CNY", per_kg=per_kg, per_unit=per_unit, days=days, std=std
        )
        return days

    # ---- export from China

    def ex_economy_parcel(
        self, lane_id, market, *, noise, days, std, share=1.0, extra_cny=0.0
    ) -> None:
        """E-packet (EX_ECONOMY x ``noise`` x ``share``): per parcel + per kg, billed per
        started 100 g."""
        unit, per_kg, _ = EX_ECONOMY[market]
        self.parcel(
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

    def ex_priority_parcel(self, lane_id, market, *, noise, extra_cny, extra_days) -> float:
        """International express (EX_PRIORITY x ``noise``); returns its days."""
        first, step, days = EX_PRIORITY[market]
        self.parcel(
            lane_id,
            "PRI",
            "international express (priority)",
            "CNY",
            days=days + extra_days,
            std=1.0,
            first_kg=0.5,
            first=first * noise + extra_cny,
            step_kg=0.5,
            step=step * noise,
            divisor=EXPRESS_VOLUMETRIC_DIVISOR,
        )
        return days + extra_days

    def ex_bonded_truck(self, frm, to, channel, km) -> str:
        """Factory -> export bonded zone by truck, CNY per m3 (linear)."""
        return self.lane(
            frm,
            to,
            "truck",
            channel,
            "CNY",
            per_kg=0.05,
            per_m3=60 + 0.12 * km,
            days=half_days(1 + km / 600),
            std=0.5,
        )

    def ex_air(self, frm, to, channel, market) -> str:
        """Air factory -> overseas warehouse, EX_AIR weight breaks of the market."""
        per_kg, min_charge, days = EX_AIR[market]
        tariff = (per_kg, min_charge, EX_AIR_SHIPMENTS)
        return self.air(
            frm, to, channel, tariff, handling=EX_AIR_HANDLING_USD_PER_KG, days=days, std=1.0
        )

    def ex_sea(self, port, warehouse, channel, sea_key, *, days, noise=1.0, fcl=None) -> str:
        """Sea port -> overseas warehouse (EX_SEA): LCL and FCL (prices ``fcl``) on a
        container lane, else the all-in rate per m3 x ``noise``."""
        usd_m3, _days, std = EX_SEA[sea_key]
        per_m3 = usd_m3 * noise if fcl is None else usd_m3
        lcl = (EX_LCL_MIN_M3 * usd_m3 + EX_LCL_DOC_USD, EX_LCL_SHIPMENTS)
        return self._sea(port, warehouse, channel, 0.01, per_m3, days, std, fcl, lcl)

    def ex_b2b_sea(self, frm, buyer, channel, sea_key) -> str:
        """9710 sea freight to a business buyer: 90 % of the LCL rate + USD 40 per m3."""
        usd_m3, days, std = EX_SEA[sea_key]
        return self.lane(
            frm,
            buyer,
            "sea",
            channel,
            "USD",
            per_kg=0.02,
            per_m3=usd_m3 * 0.9 + 40,
            days=days + 3,
            std=std,
        )

    def ex_last_mile(self, warehouse, region, channel, currency, market, km) -> float:
        """Overseas warehouse -> consumer (EX_LAST_MILE, local currency); returns its days."""
        base, per_1000km, per_kg, days_per_1000km = EX_LAST_MILE[market]
        days = min(5.0, half_days(1 + days_per_1000km * km / 1000))
        self.lane(
            warehouse,
            region,
            "express",
            channel,
            currency,
            per_kg=per_kg,
            per_unit=base + per_1000km * km / 1000,
            days=days,
            std=0.5,
        )
        return days


# ---------------------------------------------------------------------------
# import into China (cn_import; kind "import" of lean_chain.generate)
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
#: Ports of entry for general trade (0110): id -> name, lat, lon.
CN_PORTS = {
    "PORT_SH_YANGSHAN": ("Shanghai Yangshan deep-water port", 30.63, 122.07),
    "PORT_SZ_YANTIAN": ("Shenzhen Yantian port", 22.58, 114.27),
    "PORT_TJ_XINGANG": ("Tianjin Xingang port", 38.98, 117.78),
}

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
#: Service tier of a province (tier 3: all others): consumers of tiers 1 and 2 will not wait
#: for 15-40 day postal parcels from far away.
CN_TIERS = {"CN_BJ": 1, "CN_SH": 1, "CN_GD": 1, "CN_ZJ": 1, "CN_JS": 1,
            "CN_TJ": 2, "CN_SD": 2, "CN_FJ": 2, "CN_HB": 2, "CN_SC": 2, "CN_CQ": 2, "CN_HN": 2,
            "CN_AH": 2}
#: Tier -> (max promise days, service days T, service share alpha); tier 3 has no target.
CN_TIER_TARGETS = {1: (25, 3, 0.4), 2: (35, 4, 0.3)}

#: Product categories of cn_import. Prices in CNY (converted to the supplier's
#: currency on output). Keys: n SKUs, supplier weights, retail median / log-sd / clip,
#: procurement share of retail, weight kg range, packed density kg/m3, consumption-tax rate,
#: share on the CBEC positive list, units-per-order choices and probabilities, median yearly
#: units, HS heading, postal parcel-tax rate, general-trade duty rate, minimum stock units at
#: every node that stocks the SKU.
CN_CATEGORIES = {
    "cosmetics": dict(n=55, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .35, "S_FR_PARIS": .2, "S_US_LA": .1}, price=(220, 0.45, 60, 900), proc=(0.40, 0.55), kg=(0.10, 0.45), rho=250, ct=0.0, pos=0.96, upo=([1, 1.5, 2], [.7, .2, .1]), units=900, hs="3304.99", postal=0.20, duty=0.02, min_stock=0, name="skincare / make-up"),
    "premium_cosmetics": dict(n=25, sup={"S_FR_PARIS": .5, "S_JP_TOKYO": .3, "S_US_LA": .2}, price=(900, 0.5, 400, 3200), proc=(0.40, 0.50), kg=(0.10, 0.40), rho=220, ct=0.15, pos=1.0, upo=([1, 1.5], [.85, .15]), units=180, hs="3304.99", postal=0.50, duty=0.03, min_stock=0, name="premium skincare (consumption tax 15 %)"),
    "infant_formula": dict(n=25, sup={"S_NZ_AUCKLAND": .35, "S_AU_SYDNEY": .3, "S_DE_HAMBURG": .25, "S_FR_PARIS": .1}, price=(260, 0.2, 150, 450), proc=(0.50, 0.62), kg=(0.85, 1.0), rho=320, ct=0.0, pos=1.0, upo=([1, 2, 3], [.35, .35, .3]), units=1500, hs="1901.10", postal=0.13, duty=0.0, min_stock=24, name="infant formula 800-900 g"),
    "health_supplements": dict(n=35, sup={"S_AU_SYDNEY": .35, "S_US_LA": .3, "S_NZ_AUCKLAND": .15, "S_JP_TOKYO": .2}, price=(230, 0.4, 70, 700), proc=(0.40, 0.55), kg=(0.15, 0.50), rho=300, ct=0.0, pos=0.9, upo=([1, 2, 3], [.6, .3, .1]), units=600, hs="2106.90", postal=0.13, duty=0.10, min_stock=0, name="vitamins / supplements"),
    "food": dict(n=20, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .3, "S_AU_SYDNEY": .15, "S_NZ_AUCKLAND": .2}, price=(90, 0.5, 25, 320), proc=(0.45, 0.60), kg=(0.20, 0.60), rho=400, ct=0.0, pos=1.0, upo=([1, 2, 3], [.55, .3, .15]), units=500, hs="1905.90", postal=0.13, duty=0.10, min_stock=12, name="snacks / coffee / honey"),
    "apparel": dict(n=25, sup={"S_JP_TOKYO": .35, "S_KR_SEOUL": .35, "S_US_LA": .3}, price=(450, 0.5, 120, 2500), proc=(0.35, 0.50), kg=(0.20, 0.80), rho=150, ct=0.0, pos=0.92, upo=([1, 1.5], [.8, .2]), units=150, hs="6110.20", postal=0.20, duty=0.07, min_stock=0, name="apparel"),
    "electronics": dict(n=25, sup={"S_JP_TOKYO": .45, "S_KR_SEOUL": .2, "S_US_LA": .2, "S_DE_HAMBURG": .15}, price=(1500, 0.7, 200, 8000), proc=(0.55, 0.70), kg=(0.20, 2.5), rho=250, ct=0.0, pos=0.6, upo=([1, 2, 3], [.75, .15, .1]), units=150, hs="8518.30", postal=0.13, duty=0.05, min_stock=0, name="consumer electronics"),
    "bags": dict(n=12, sup={"S_FR_PARIS": .6, "S_DE_HAMBURG": .2, "S_US_LA": .2}, price=(9000, 0.6, 2500, 30000), proc=(0.45, 0.55), kg=(0.6, 1.6), rho=90, ct=0.0, pos=1.0, upo=([1, 2], [.85, .15]), units=30, hs="4202.21", postal=0.20, duty=0.10, min_stock=0, name="leather handbags"),
    "watches": dict(n=12, sup={"S_DE_HAMBURG": .5, "S_JP_TOKYO": .5}, price=(9000, 0.7, 1500, 40000), proc=(0.50, 0.60), kg=(0.25, 0.6), rho=150, ct=0.0, pos=1.0, upo=([1], [1.0]), units=20, hs="9102.11", postal=0.20, duty=0.08, min_stock=0, name="watches"),
}
#: Watches at or above this unit price (CNY) are high-end: consumption tax 20 %, postal 50 %.
HIGH_END_WATCH_CNY, HIGH_END_WATCH_CT = 10_000, 0.20
#: Categories that no SKU is drawn in (watches become premium_watches by price).
CN_EXTRA_CATEGORIES = {"premium_watches": dict(postal=0.50, duty=0.08)}
#: Fixed cost per (SKU, stocking node) and year: WMS set-up, bin, cycle counts (CNY).
CN_SLOTTING_CNY = 200
#: Regional CBEC quota calibration: consumers = CBEC-eligible demand value / 26,000 CNY x
#: CN_QUOTA_HEADROOM x (GDP per capita / 100k CNY)^2, so the quota binds in poorer provinces.
CN_QUOTA_HEADROOM = 2.4
#: Consumer shipping per order (CNY): free from this order value, else the fee.
CN_FREE_SHIPPING_CNY, CN_SHIPPING_FEE_CNY = 199, 10.0

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
#: Block space a consolidator commits to one shipper on an air lane into China, kg a day
#: (limit_per day in lanes.csv): the same on every air lane, binding on the busiest ones.
CN_AIR_ALLOTMENT_KG_PER_DAY = 4.0
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
#: Handling at a port of entry for general trade (CNY per unit).
CN_PORT_HANDLING_CNY = 0.5
#: Port -> domestic DC (0110) in TRUCK loads: CNY per truck + per km.
CN_TRUCK_CNY = (900, 4.0)
#: International parcels enter China through Shanghai or Guangzhou (lat, lon).
CN_GATEWAYS = ((31.23, 121.47), (23.13, 113.26))
# fmt: on


# ---------------------------------------------------------------------------
# export from China (global_export; kind "export" of lean_chain.generate)
# ---------------------------------------------------------------------------

# fmt: off
#: Consumer regions: id, name, country, currency, lat, lon, population (millions), market.
EX_REGIONS = text_rows(
    "US_CA | California | US | USD | 34.05 | -118.24 | 39.0 | US",
    "US_TX | Texas | US | USD | 32.78 | -96.8 | 30.5 | US",
    "US_FL | Florida | US | USD | 28.54 | -81.38 | 22.6 | US",
    "US_NY | New York | US | USD | 40.71 | -74.01 | 19.6 | US",
    "US_PA | Pennsylvania | US | USD | 39.95 | -75.17 | 13.0 | US",
    "US_IL | Illinois | US | USD | 41.88 | -87.63 | 12.5 | US",
    "US_OH | Ohio | US | USD | 39.96 | -83.0 | 11.8 | US",
    "US_GA | Georgia | US | USD | 33.75 | -84.39 | 11.0 | US",
    "US_NC | North Carolina | US | USD | 35.23 | -80.84 | 10.8 | US",
    "US_MI | Michigan | US | USD | 42.33 | -83.05 | 10.0 | US",
    "US_NJ | New Jersey | US | USD | 40.74 | -74.17 | 9.3 | US",
    "US_VA | Virginia | US | USD | 37.54 | -77.44 | 8.7 | US",
    "US_WA | Washington | US | USD | 47.61 | -122.33 | 7.8 | US",
    "US_AZ | Arizona | US | USD | 33.45 | -112.07 | 7.4 | US",
    "US_MA | Massachusetts | US | USD | 42.36 | -71.06 | 7.0 | US",
    "US_CO | Colorado | US | USD | 39.74 | -104.99 | 5.9 | US",
    "EU_DE | Germany | DE | EUR | 50.11 | 8.68 | 84.5 | EU",
    "EU_FR | France | FR | EUR | 48.86 | 2.35 | 68.4 | EU",
    "EU_IT | Italy | IT | EUR | 45.46 | 9.19 | 59.0 | EU",
    "EU_ES | Spain | ES | EUR | 40.42 | -3.7 | 48.6 | EU",
    "EU_PL | Poland | PL | EUR | 52.23 | 21.01 | 36.6 | EU",
    "EU_NL | Netherlands | NL | EUR | 52.37 | 4.9 | 17.9 | EU",
    "EU_BE | Belgium | BE | EUR | 50.85 | 4.35 | 11.8 | EU",
    "EU_SE | Sweden | SE | EUR | 59.33 | 18.07 | 10.5 | EU",
    "EU_AT | Austria | AT | EUR | 48.21 | 16.37 | 9.1 | EU",
    "EU_IE | Ireland | IE | EUR | 53.35 | -6.26 | 5.3 | EU",
    "GB_LDN | London | GB | GBP | 51.51 | -0.13 | 8.9 | GB",
    "GB_SE | South East England (Reading) | GB | GBP | 51.45 | -0.97 | 9.4 | GB",
    "GB_NW | North West England (Manchester) | GB | GBP | 53.48 | -2.24 | 7.4 | GB",
    "GB_WM | West Midlands (Birmingham) | GB | GBP | 52.49 | -1.89 | 6.0 | GB",
    "GB_SCT | Scotland (Glasgow) | GB | GBP | 55.86 | -4.25 | 5.5 | GB",
    "JP_13 | Tokyo | JP | JPY | 35.68 | 139.69 | 14.0 | JP",
    "JP_14 | Kanagawa (Yokohama) | JP | JPY | 35.44 | 139.64 | 9.2 | JP",
    "JP_27 | Osaka | JP | JPY | 34.69 | 135.5 | 8.8 | JP",
    "JP_23 | Aichi (Nagoya) | JP | JPY | 35.18 | 136.91 | 7.5 | JP",
    "JP_40 | Fukuoka | JP | JPY | 33.59 | 130.4 | 5.1 | JP",
    "JP_01 | Hokkaido (Sapporo) | JP | JPY | 43.06 | 141.35 | 5.1 | JP",
    "AU_NSW | New South Wales (Sydney) | AU | AUD | -33.87 | 151.21 | 8.3 | AU",
    "AU_VIC | Victoria (Melbourne) | AU | AUD | -37.81 | 144.96 | 6.8 | AU",
    "AU_QLD | Queensland (Brisbane) | AU | AUD | -27.47 | 153.03 | 5.5 | AU",
    "AU_WA | Western Australia (Perth) | AU | AUD | -31.95 | 115.86 | 2.9 | AU",
    "CA_ON | Ontario (Toronto) | CA | CAD | 43.65 | -79.38 | 15.9 | CA",
    "CA_QC | Quebec (Montreal) | CA | CAD | 45.5 | -73.57 | 9.0 | CA",
    "CA_BC | British Columbia (Vancouver) | CA | CAD | 49.28 | -123.12 | 5.6 | CA",
)
#: Share of consumer demand per market.
EX_MARKET_SHARE = {"US": 0.40, "EU": 0.27, "GB": 0.09, "JP": 0.12, "AU": 0.06, "CA": 0.06}
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
#: The sea rates (EX_SEA key) that reach a business buyer in each country.
EX_BUYER_SEA = {"US": "US_E", "DE": "EU", "GB": "GB", "AU": "AU", "AE": "AE"}
#: Share of SKUs that also sell to 1-3 business buyers (0.4-2 x the consumer volume).
EX_B2B_SHARE = 0.3
#: VAT / GST / consumption tax of each destination (US sales tax is out of scope: 0).
EX_VAT = {"US": 0.0, "DE": 0.19, "FR": 0.20, "IT": 0.22, "ES": 0.21, "PL": 0.23, "NL": 0.21,
          "BE": 0.21, "SE": 0.25, "AT": 0.20, "IE": 0.23, "GB": 0.20, "JP": 0.10, "AU": 0.10,
          "CA": 0.13}
EU_COUNTRIES = ("DE", "FR", "IT", "ES", "PL", "NL", "BE", "SE", "AT", "IE")
#: Import duty on goods of Chinese origin, by destination and category (approximate, late
#: 2025). US: MFN + Section 301 + 20 % IEEPA (10 % fentanyl + 10 % reciprocal). EU / UK / JP /
#: CA: MFN. AU: 0 under ChAFTA.
EX_DUTY = {
    "US": dict(electronics=0.30, home=0.48, apparel=0.40, toys=0.20, beauty=0.33, sports=0.35, accessories=0.45),
    "EU": dict(electronics=0.02, home=0.04, apparel=0.12, toys=0.0, beauty=0.0, sports=0.027, accessories=0.05),
    "GB": dict(electronics=0.02, home=0.04, apparel=0.12, toys=0.0, beauty=0.0, sports=0.02, accessories=0.04),
    "JP": dict(electronics=0.0, home=0.03, apparel=0.09, toys=0.0, beauty=0.0, sports=0.03, accessories=0.08),
    "AU": dict(electronics=0.0, home=0.0, apparel=0.0, toys=0.0, beauty=0.0, sports=0.0, accessories=0.0),
    "CA": dict(electronics=0.0, home=0.065, apparel=0.18, toys=0.0, beauty=0.065, sports=0.065, accessories=0.10),
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
#: Dated versions of the low-value rules (issue 11; lean_chain/rules/ has the sources): each
#: entry overrides EX_LOW_VALUE[market] for its period. US: the USD 800 de minimis ended for
#: goods of China from 2025-05-02 (the bundled factories are Chinese); EU: EUR 3 flat duty
#: per parcel below EUR 150 only from 2026-07-01.
EX_LOW_VALUE_PERIODS = {
    "US": [
        dict(duty_free_threshold=800, effective_from="2016-03-10", effective_to="2025-05-01",
             source="US de minimis USD 800 (19 U.S.C. 1321), until 2025-05-01 for goods of China"),
        dict(effective_from="2025-05-02",
             source="US de minimis suspended for China / HK from 2025-05-02 (EO 14256), all "
                    "origins from 2025-08-29 (EO 14324)"),
    ],
    "EU": [
        dict(flat_duty_per_order=0, flat_duty_below=0, effective_from="2021-07-01",
             effective_to="2026-06-30",
             source="EU VAT e-commerce package 2021-07-01 (IOSS <= EUR 150), duty relief <= "
                    "EUR 150"),
        dict(effective_from="2026-07-01",
             source="EU: EUR 3 flat duty per parcel < EUR 150 from 2026-07-01 (Council "
                    "agreement 2025-12-12; per tariff sub-heading, one per parcel here)"),
    ],
}  # fmt: skip
#: Export categories (Chinese factory goods). price: USD retail median / log-sd / clip;
#: proc: ex-works share of retail; units: median yearly consumer units.
EX_CATEGORIES = {
    "electronics": dict(n=35, fac={"F_SZ_SHENZHEN": 1.0}, price=(35, 0.6, 9, 260), proc=(0.25, 0.40), kg=(0.08, 0.9), rho=200, units=1400, rebate=0.13, hs="8518.30", name="earbuds / chargers / gadgets"),
    "home": dict(n=25, fac={"F_YW_YIWU": 1.0}, price=(22, 0.5, 6, 120), proc=(0.15, 0.30), kg=(0.2, 2.0), rho=120, units=1100, rebate=0.13, hs="3924.10", name="home and kitchen"),
    "apparel": dict(n=20, fac={"F_GZ_GUANGZHOU": .7, "F_YW_YIWU": .3}, price=(28, 0.45, 9, 120), proc=(0.20, 0.35), kg=(0.15, 0.6), rho=180, units=900, rebate=0.13, hs="6109.10", name="apparel"),
    "toys": dict(n=15, fac={"F_YW_YIWU": .6, "F_SZ_SHENZHEN": .4}, price=(20, 0.5, 6, 90), proc=(0.20, 0.35), kg=(0.2, 1.2), rho=100, units=800, rebate=0.13, hs="9503.00", name="toys"),
    "beauty": dict(n=12, fac={"F_GZ_GUANGZHOU": 1.0}, price=(15, 0.5, 5, 60), proc=(0.15, 0.30), kg=(0.05, 0.4), rho=300, units=1000, rebate=0.09, hs="3304.99", name="beauty and beauty tools"),
    "sports": dict(n=12, fac={"F_YW_YIWU": .5, "F_SZ_SHENZHEN": .5}, price=(40, 0.6, 10, 220), proc=(0.25, 0.40), kg=(0.3, 3.0), rho=150, units=500, rebate=0.13, hs="9506.91", name="sports and outdoor"),
    "accessories": dict(n=11, fac={"F_GZ_GUANGZHOU": .5, "F_YW_YIWU": .5}, price=(30, 0.7, 8, 300), proc=(0.15, 0.30), kg=(0.05, 1.0), rho=160, units=700, rebate=0.13, hs="4202.22", name="bags and jewellery"),
}
#: Yiwu market-procurement goods often come without special VAT invoices: no rebate.
EX_NO_INVOICE_SHARE = 0.4
#: Fixed cost per (SKU, stocking node) and year (CNY).
EX_SLOTTING_CNY = 1000
#: Consumer shipping fee per order (local currency) below the free-shipping price point.
EX_SHIPPING = {"USD": (25, 4.99), "EUR": (25, 3.99), "GBP": (20, 2.99), "JPY": (3000, 500),
               "AUD": (40, 6.95), "CAD": (35, 6.99)}
#: 9610 economy parcels from the factory (postal e-packet / special line, rates.csv kind parcel,
#: actual weight, billed per started 100 g), CNY by market: per parcel, per kg, days.
EX_ECONOMY = {"US": (22, 62, 9), "EU": (18, 55, 10), "GB": (18, 52, 8), "JP": (10, 24, 4),
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
          "JP": (60, 5, 1), "AU": (110, 18, 3), "CA": (170, 30, 4), "AE": (95, 20, 3)}
#: LCL minimum charge per shipment: 1 m3 + USD 40 documentation; weekly consolidations.
EX_LCL_MIN_M3, EX_LCL_DOC_USD, EX_LCL_SHIPMENTS = 1.0, 40, 52
#: Full containers (FCL, a day faster than LCL) on a sea lane into a warehouse, by EX_SEA key:
#: USD per 20' GP and per 40' HC incl. drayage and brokerage (None: size not offered).
EX_FCL_USD = {"US_W": (2_300, 3_600), "US_E": (None, 5_200), "EU": (2_400, 3_800),
              "GB": (None, 4_400), "JP": (900, 1_500), "AU": (1_600, 2_500), "CA": (2_500, 4_000)}
#: Air freight factory -> warehouse (rates.csv kind weight_break, volumetric 6000): USD per
#: chargeable kg from each of AIR_BREAKS_KG, minimum charge per shipment (USD), days; weekly.
EX_AIR = {"US": ((7.8, 6.4, 5.6, 5.1, 4.8, 4.5), 90, 7),
          "EU": ((7.4, 6.1, 5.3, 4.8, 4.5, 4.2), 85, 7),
          "GB": ((7.4, 6.1, 5.3, 4.8, 4.5, 4.2), 85, 7),
          "JP": ((3.8, 3.0, 2.6, 2.3, 2.1, 2.0), 50, 4),
          "AU": ((6.0, 4.9, 4.3, 3.9, 3.6, 3.4), 75, 6),
          "CA": ((7.8, 6.4, 5.6, 5.1, 4.8, 4.5), 90, 8)}
EX_AIR_SHIPMENTS = 52
EX_AIR_HANDLING_USD_PER_KG = 0.05
#: Handling at an export port (CNY per unit).
EX_PORT_HANDLING_CNY = 0.3
#: Factory -> export port (9810) in TRUCK loads: CNY per truck + per km.
EX_TRUCK_CNY = (1_400, 6.0)
#: Overseas last mile (local currency): per unit, per unit per 1000 km, per kg, days/1000 km.
EX_LAST_MILE = {"US": (4.2, 0.8, 0.9, 1.0), "EU": (3.0, 1.5, 0.5, 1.6), "GB": (2.6, 1.0, 0.3, 2.0),
                "JP": (520, 250, 60, 1.5), "AU": (7.0, 2.0, 1.5, 1.0), "CA": (6.5, 1.2, 1.0, 1.2)}
# fmt: on


# ---------------------------------------------------------------------------
# channels and tax rules
# ---------------------------------------------------------------------------

#: Channel definitions by code (``channel_id`` is the code unless renamed, see
#: :func:`channel_rows`); money in CNY.
# fmt: off
IMPORT_CHANNELS = {
    "1210": dict(name="bonded e-commerce import (1210 / 1239)", direction="import", path_shape="supplier>bonded_zone>region", stock_node_kind="bonded_zone", currency="CNY", fixed_cost_per_sku=2000, earns_export_rebate="false", requires_positive_list="true", counts_toward_cbec_quota="true", processing_days=1),
    "9610": dict(name="direct purchase import (9610 direct mail)", direction="import", path_shape="supplier>region", stock_node_kind="", currency="CNY", fixed_cost_per_sku=300, earns_export_rebate="false", requires_positive_list="true", counts_toward_cbec_quota="true", processing_days=1),
    "postal": dict(name="personal postal articles", direction="import", path_shape="supplier>region", stock_node_kind="", currency="CNY", fixed_cost_per_sku=0, earns_export_rebate="false", requires_positive_list="false", counts_toward_cbec_quota="false", processing_days=2),
    "0110": dict(name="general trade import", direction="import", path_shape="supplier>port?>domestic_dc>region", stock_node_kind="domestic_dc", currency="CNY", fixed_cost_per_sku=10_000, earns_export_rebate="false", requires_positive_list="false", counts_toward_cbec_quota="false", processing_days=1),
}
EXPORT_CHANNELS = {
    "9610": dict(name="B2C export parcels (9610)", direction="export", path_shape="supplier>region", stock_node_kind="", currency="CNY", fixed_cost_per_sku=0, earns_export_rebate="false", processing_days=2),
    "1210": dict(name="special-area (bonded) export (1210)", direction="export", path_shape="supplier>bonded_zone>region", stock_node_kind="bonded_zone", currency="CNY", fixed_cost_per_sku=800, earns_export_rebate="true", processing_days=1),
    "9810": dict(name="export to overseas warehouse (9810)", direction="export", path_shape="supplier>port?>overseas_warehouse>region", stock_node_kind="overseas_warehouse", currency="CNY", fixed_cost_per_sku=2000, earns_export_rebate="true", processing_days=1),
    "9710": dict(name="B2B direct export (9710)", direction="export", path_shape="supplier>business_buyer", stock_node_kind="", currency="CNY", fixed_cost_per_sku=500, earns_export_rebate="true", processing_days=3),
}
# fmt: on

CBEC_SOURCE = "Cai Guan Shui [2016] No.18, [2018] No.49: 0 % duty, 70 % of VAT + CT, 5,000 cap"
BUYER_IMPORTS_SOURCE = "buyer is importer of record (FOB / CIF terms)"


def channel_rows(channels: dict[str, dict], ids: dict[str, str] | None = None) -> list[dict]:
    """Rows of channels.csv: ``channels`` (IMPORT_CHANNELS or EXPORT_CHANNELS) with the
    ``channel_id`` that ``ids`` gives a code (default: the code itself)."""
    ids = ids or {}
    return [dict(channel_id=ids.get(code, code)) | row for code, row in channels.items()]


def import_tax_rules(ids: dict[str, str], *, cbec_source: str = CBEC_SOURCE) -> list[dict]:
    """tax_rules.csv rows into China: CBEC retail (1210, 9610), postal and general trade
    (0110) rates by category; ``ids`` maps the channel codes to their ids."""
    rules = []
    for ch in (ids["1210"], ids["9610"]):
        rules.append(dict(channel_id=ch, destination_country="CN", origin_country="*", category="*", regime="cbec_retail", currency="CNY", vat_rate=0.13, apply_consumption_tax="true", cbec_tax_factor=0.7, order_value_cap=5000, single_item_exception="true", source=cbec_source))  # fmt: skip
    categories = CN_CATEGORIES | CN_EXTRA_CATEGORIES
    for cat, spec in categories.items():
        rules.append(dict(channel_id=ids["postal"], destination_country="CN", origin_country="*", category=cat, regime="postal", currency="CNY", parcel_tax_rate=spec["postal"], parcel_tax_exemption=50, order_value_cap=1000, single_item_exception="true", source="State Council Tariff Commission 2019 postal tax notice"))  # fmt: skip
    for cat, spec in categories.items():
        rules.append(dict(channel_id=ids["0110"], destination_country="CN", origin_country="*", category=cat, regime="general_trade", currency="CNY", duty_rate=spec["duty"], vat_rate=0.13, apply_consumption_tax="true", customs_value_basis="cif", vat_basis="retail_sale", source="MFN / provisional duty (approx., 2025); import VAT credited"))  # fmt: skip
    return rules


def export_tax_rules(
    ids: dict[str, str],
    countries: list[str],
    buyer_countries: list[str],
    *,
    warehouse_markets: set[str] | None = None,
    low_value: dict[str, dict] = EX_LOW_VALUE,
    buyer_source: str = BUYER_IMPORTS_SOURCE,
) -> list[dict]:
    """tax_rules.csv rows of the export channels: low-value parcel rules (9610, 1210) and
    general trade into the overseas warehouses (9810; only into ``warehouse_markets`` when
    given) per destination country, one ``*`` row with the most common duty and a row per
    other category; 9710 per business buyer's country (DDP into the US, else the buyer
    imports)."""
    rules = []
    for country in countries:
        market = market_of(country)
        duties = EX_DUTY[market]
        # the most common rate is the '*' row (ties: the lowest); other categories override it
        rates = sorted(duties.values())
        default_duty = max(rates, key=lambda rate: (rates.count(rate), -rate))
        low = low_value[market]
        for cat in ["*", *sorted(c for c in duties if duties[c] != default_duty)]:
            duty = default_duty if cat == "*" else duties[cat]
            for ch in (ids["9610"], ids["1210"]):
                base = dict(channel_id=ch, destination_country=country, origin_country="*", category=cat, regime="low_value_parcel", duty_rate=duty, vat_rate=EX_VAT[country], **low)  # fmt: skip
                rules.extend(base | period for period in EX_LOW_VALUE_PERIODS.get(market, [{}]))
            if warehouse_markets is None or market in warehouse_markets:
                rules.append(dict(channel_id=ids["9810"], destination_country=country, origin_country="*", category=cat, regime="general_trade", currency="CNY", duty_rate=duty, vat_rate=EX_VAT[country], customs_value_basis="", vat_basis="retail_sale", source="B2B entry into the overseas warehouse: duty on the destination's customs value (FOB into US/CA/AU, else CIF), VAT credited against VAT on the retail sale"))  # fmt: skip
    for country in buyer_countries:
        if country == "US":
            for cat in ["*", *sorted(EX_DUTY["US"])]:
                rules.append(dict(channel_id=ids["9710"], destination_country="US", origin_country="*", category=cat, regime="general_trade", currency="CNY", duty_rate=EX_DUTY["US"].get(cat, 0.30), vat_rate=0.0, customs_value_basis="", vat_basis="import", source="US distributor buys delivered duty paid (DDP); US customs value is FOB (19 U.S.C. 1401a)"))  # fmt: skip
        else:
            rules.append(dict(channel_id=ids["9710"], destination_country=country, origin_country="*", category="*", regime="none", currency="CNY", source=buyer_source))  # fmt: skip
    return rules


# ---------------------------------------------------------------------------
# sales platforms (issue 18): fees, returns, demand mix; approximations of published
# schedules, explained in instances/README.md
# ---------------------------------------------------------------------------

PLATFORM_COLUMNS = (
    "platform_id name kind market currency annual_fee listing_fee payment_fee_rate "
    "fee_per_order min_commission_per_unit min_fill_rate stock_nodes max_promise_days "
    "allowed_channels"
).split()
PLATFORM_FEE_COLUMNS = (
    "platform_id category currency min_price max_price commission_rate tier_mode"
).split()
PLATFORM_RETURN_COLUMNS = (
    "platform_id category currency return_rate cost_per_return resaleable_share reimport_tax_rate"
).split()
#: The channels of China's CBEC retail import (a platform limited to them sells bonded or
#: direct-mail goods only).
CBEC_IMPORT_CODES = ("1210", "9610")

# fmt: off
#: Import platforms (platforms.csv, money in CNY; allowed_channels as channel codes). Annual
#: fees: Tmall Global-style technical service fee CNY 60 k, JD Worldwide-style platform fee
#: CNY 12 k (both approximations of published deposits and yearly fees), the verification fee
#: of a WeChat mini-program (CNY 300); live commerce charges a per-SKU slot fee to the host
#: instead (listing_fee, approximated per year). Department-store counters pay a concession
#: share of sales (commission) and take general-trade stock only (built-in rule).
CN_PLATFORMS = text_rows(
    "TMG | cross-border import marketplace (Tmall Global-style) | marketplace | CN | CNY | 60000 | 0 | 0.01 | 0 | 0 | 0.9 | * |  | 1210/9610",
    "JDW | cross-border import marketplace (JD Worldwide-style) | marketplace | CN | CNY | 12000 | 0 | 0.006 | 0 | 0 | 0.9 | * |  | 1210/9610",
    "DYL | live commerce (Douyin-style), host commission | live_commerce | CN | CNY | 0 | 3000 | 0.006 | 0 | 0 | 0 | * | 10 | *",
    "MINI | own WeChat mini-program store | own_store | CN | CNY | 300 | 0 | 0.006 | 0 | 0 | 0 | * |  | *",
    "STORE | department-store counters (tier-1 and tier-2 cities) | physical_store | CN | CNY | 0 | 0 | 0 | 0 | 0 | 0 | * |  | 0110",
)
#: Commission tiers (platform_fees.csv): platform | category | currency | min | max | rate |
#: mode. Marketplace rates by category (software service fee schedules, approx.); JD tiers
#: electronics by price; live commerce = platform fee 5 % + the host's commission.
CN_PLATFORM_FEES = text_rows(
    "TMG | * | CNY | 0 |  | 0.04 | whole",
    "TMG | infant_formula | CNY | 0 |  | 0.02 | whole",
    "TMG | electronics | CNY | 0 |  | 0.02 | whole",
    "TMG | apparel | CNY | 0 |  | 0.05 | whole",
    "TMG | bags | CNY | 0 |  | 0.05 | whole",
    "JDW | * | CNY | 0 |  | 0.05 | whole",
    "JDW | infant_formula | CNY | 0 |  | 0.03 | whole",
    "JDW | electronics | CNY | 0 | 1000 | 0.08 | whole",
    "JDW | electronics | CNY | 1000 |  | 0.04 | whole",
    "JDW | apparel | CNY | 0 |  | 0.08 | whole",
    "DYL | * | CNY | 0 |  | 0.25 | whole",
    "DYL | cosmetics | CNY | 0 |  | 0.30 | whole",
    "DYL | premium_cosmetics | CNY | 0 |  | 0.30 | whole",
    "DYL | infant_formula | CNY | 0 |  | 0.15 | whole",
    "DYL | electronics | CNY | 0 |  | 0.12 | whole",
    "STORE | * | CNY | 0 |  | 0.25 | whole",
)
#: Returns (platform_returns.csv): platform | category | currency | rate | cost per return |
#: resaleable share | reimport tax. China's 7-day no-reason returns; live commerce apparel
#: comes back most. Cost: reverse express + inspection.
CN_PLATFORM_RETURNS = text_rows(
    "TMG | * | CNY | 0.03 | 15 | 0.7 | 0",
    "TMG | apparel | CNY | 0.12 | 15 | 0.8 | 0",
    "JDW | * | CNY | 0.03 | 15 | 0.7 | 0",
    "JDW | electronics | CNY | 0.06 | 20 | 0.6 | 0",
    "JDW | apparel | CNY | 0.12 | 15 | 0.8 | 0",
    "DYL | * | CNY | 0.12 | 15 | 0.6 | 0",
    "DYL | apparel | CNY | 0.35 | 15 | 0.8 | 0",
    "DYL | cosmetics | CNY | 0.15 | 15 | 0.5 | 0",
    "MINI | * | CNY | 0.03 | 12 | 0.7 | 0",
    "MINI | apparel | CNY | 0.08 | 12 | 0.8 | 0",
    "STORE | * | CNY | 0.01 | 0 | 0.9 | 0",
)
#: Demand mix of the import platforms: share of a region's units, price as a share of the
#: SKU's retail price. Marketplaces take CBEC-eligible orders only (positive list, order
#: within the cap); stores sell only in tier-1 / tier-2 provinces and only the categories
#: and fast movers that counters carry.
CN_PLATFORM_MIX = {"TMG": (0.35, 1.0), "JDW": (0.20, 0.97), "DYL": (0.20, 0.90),
                   "MINI": (0.15, 0.95), "STORE": (0.10, 1.10)}
CN_STORE_CATEGORIES = ("cosmetics", "premium_cosmetics", "infant_formula", "bags", "watches",
                       "premium_watches")
#: A store carries a SKU only if it sells at least this many units a year in all.
CN_STORE_MIN_UNITS = 600.0

#: Marketplace fulfilment centres of the export marketplace (FBA-like), in the EX_NODES
#: format: handling = the pick-and-pack part of the fulfilment fee per unit (the carriage
#: is the last-mile lane), fixed = storage fees of a year at the base volume (monthly fee per
#: ft3 x 35.3 ft3/m3 x 12, half full on average; approximations).
EX_FBA_NODES = [
    ("FC_US_SANBERNARDINO", "overseas_warehouse", "marketplace fulfilment centre, San Bernardino, California", "US", "USD", 34.10, -117.29, 40_000, 0.8, 150, "US"),
    ("FC_DE_LEIPZIG", "overseas_warehouse", "marketplace fulfilment centre, Leipzig", "DE", "EUR", 51.34, 12.37, 35_000, 0.7, 120, "EU"),
    ("FC_JP_ODAWARA", "overseas_warehouse", "marketplace fulfilment centre, Odawara, Kanagawa", "JP", "JPY", 35.26, 139.15, 4_500_000, 110, 60, "JP"),
]
#: Export platforms (money in the row's currency). Amazon-like professional plan USD 39.99 /
#: EUR 39 / JPY 4,900 a month; Shopify-like own site USD 39 a month + card fees 2.9 % +
#: USD 0.30 per order; the short-video marketplace's fee includes payment; B2B by bank
#: transfer.
EX_PLATFORMS = text_rows(
    "OWN | own web store (Shopify-like) | own_store | * | USD | 468 | 0 | 0.029 | 0.30 | 0 | 0 | * |  | *",
    "AMZ_US | marketplace US, fulfilled by the marketplace | marketplace | US | USD | 480 | 0 | 0 | 0 | 0.30 | 0.9 | FC_US_SANBERNARDINO |  | *",
    "AMZ_EU | marketplace EU, fulfilled by the marketplace | marketplace | EU | EUR | 468 | 0 | 0 | 0 | 0.30 | 0.9 | FC_DE_LEIPZIG |  | *",
    "AMZ_JP | marketplace JP, fulfilled by the marketplace | marketplace | JP | JPY | 58800 | 0 | 0 | 0 | 30 | 0.9 | FC_JP_ODAWARA |  | *",
    "TTS | short-video marketplace (TikTok Shop-like), creator affiliates | marketplace | * | USD | 0 | 0 | 0 | 0 | 0 | 0 | * | 10 | *",
    "B2B | business buyers (9710) | b2b | * | USD | 0 | 0 | 0.005 | 0 | 0 | 0 | * |  | 9710",
)
#: Referral fees (platform_fees.csv). Amazon US-like 2025 schedule: electronics 8 %, home,
#: toys, sports 15 %, apparel 5 % to USD 15, 10 % to 20, 17 % above (whole price), beauty
#: 8 % to USD 10, 15 % above, jewellery-like accessories 20 % to USD 250 and 5 % of the
#: portion above; EU and JP the same shape in EUR / JPY (approx.). Short-video
#: marketplace: 8 % referral + 6-12 % creator affiliate commission (approx.).
EX_PLATFORM_FEES = text_rows(
    "AMZ_US | * | USD | 0 |  | 0.15 | whole",
    "AMZ_US | electronics | USD | 0 |  | 0.08 | whole",
    "AMZ_US | apparel | USD | 0 | 15 | 0.05 | whole",
    "AMZ_US | apparel | USD | 15 | 20 | 0.10 | whole",
    "AMZ_US | apparel | USD | 20 |  | 0.17 | whole",
    "AMZ_US | beauty | USD | 0 | 10 | 0.08 | whole",
    "AMZ_US | beauty | USD | 10 |  | 0.15 | whole",
    "AMZ_US | accessories | USD | 0 | 250 | 0.20 | portion",
    "AMZ_US | accessories | USD | 250 |  | 0.05 | portion",
    "AMZ_EU | * | EUR | 0 |  | 0.15 | whole",
    "AMZ_EU | electronics | EUR | 0 |  | 0.07 | whole",
    "AMZ_EU | apparel | EUR | 0 | 15 | 0.08 | whole",
    "AMZ_EU | apparel | EUR | 15 |  | 0.155 | whole",
    "AMZ_EU | beauty | EUR | 0 | 10 | 0.08 | whole",
    "AMZ_EU | beauty | EUR | 10 |  | 0.15 | whole",
    "AMZ_JP | * | JPY | 0 |  | 0.10 | whole",
    "AMZ_JP | electronics | JPY | 0 |  | 0.08 | whole",
    "AMZ_JP | apparel | JPY | 0 | 3000 | 0.08 | whole",
    "AMZ_JP | apparel | JPY | 3000 |  | 0.12 | whole",
    "TTS | * | USD | 0 |  | 0.14 | whole",
    "TTS | apparel | USD | 0 |  | 0.20 | whole",
    "TTS | beauty | USD | 0 |  | 0.20 | whole",
)
#: Returns: online apparel comes back most; a return costs reverse freight and inspection
#: (local) and, when shipped back to China, duty + VAT on its value unless the CBEC export
#: return exemption (rules library) is in force.
EX_PLATFORM_RETURNS = text_rows(
    "OWN | * | USD | 0.05 | 6 | 0.6 | 0.2",
    "OWN | apparel | USD | 0.12 | 6 | 0.7 | 0.2",
    "AMZ_US | * | USD | 0.06 | 5 | 0.5 | 0.2",
    "AMZ_US | electronics | USD | 0.08 | 5 | 0.4 | 0.2",
    "AMZ_US | apparel | USD | 0.15 | 5 | 0.6 | 0.2",
    "AMZ_EU | * | EUR | 0.08 | 4 | 0.5 | 0.2",
    "AMZ_EU | apparel | EUR | 0.25 | 4 | 0.6 | 0.2",
    "AMZ_JP | * | JPY | 0.04 | 600 | 0.5 | 0.2",
    "AMZ_JP | apparel | JPY | 0.10 | 600 | 0.6 | 0.2",
    "TTS | * | USD | 0.08 | 6 | 0.4 | 0.2",
    "TTS | apparel | USD | 0.20 | 6 | 0.6 | 0.2",
    "B2B | * | USD | 0.01 | 0 | 0.9 | 0",
)
#: Consumer demand mix by market: platform -> share of a region's units, price as a share of
#: the retail price (creators' promotions sell below list).
EX_PLATFORM_MIX = {
    "US": {"OWN": (0.25, 1.0), "AMZ_US": (0.45, 1.0), "TTS": (0.30, 0.90)},
    "EU": {"OWN": (0.30, 1.0), "AMZ_EU": (0.50, 1.0), "TTS": (0.20, 0.90)},
    "GB": {"OWN": (0.60, 1.0), "TTS": (0.40, 0.90)},
    "JP": {"OWN": (0.30, 1.0), "AMZ_JP": (0.55, 1.0), "TTS": (0.15, 0.90)},
    "AU": {"OWN": (1.0, 1.0)},
    "CA": {"OWN": (1.0, 1.0)},
}
# fmt: on
#: A demand row of at least this many units is split over two platforms (the second takes
#: U(0.2, 0.5) of it): big sellers sell on several platforms in the same region.
PLATFORM_SPLIT_UNITS = 300.0


def channel_codes(cell) -> list[str]:
    """The channel codes of a catalogue platform's allowed_channels cell ('/'-separated)."""
    return (cell if isinstance(cell, str) else f"{cell:g}").split("/")


def platform_tables(
    platforms: list[tuple], fees: list[tuple], returns: list[tuple], ids: dict[str, str]
) -> dict[str, pd.DataFrame]:
    """platforms.csv, platform_fees.csv and platform_returns.csv from catalogue rows; channel
    codes in ``allowed_channels`` (separated by '/') become the instance's ids (``ids``)."""
    frame = pd.DataFrame(platforms, columns=PLATFORM_COLUMNS)
    frame["allowed_channels"] = [
        "|".join(ids.get(code, code) for code in channel_codes(v))
        for v in frame["allowed_channels"]
    ]
    return dict(
        platforms=frame,
        platform_fees=pd.DataFrame(fees, columns=PLATFORM_FEE_COLUMNS),
        platform_returns=pd.DataFrame(returns, columns=PLATFORM_RETURN_COLUMNS),
    )
