"""The instance schema: every table, column and parameter, defined once.

Loading, defaults, validation and ``docs/instance-format.md`` are all driven
by the objects in this module. A column's ``money`` flag marks amounts that
are stated in the row's ``currency`` column (or the instance currency) and are
converted to the instance currency on load.

Examples
--------
>>> from lean_chain.model.schema import TABLES
>>> TABLES["skus"].column("weight_kg").unit
'kg'
>>> sorted(TABLES)[:3]
['channels', 'demand', 'fx']
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any, Literal

from lean_chain.model.regimes import REGIMES

ColumnType = Literal["str", "float", "int", "bool"]

NODE_KINDS = (
    "supplier",
    "port",
    "hub",
    "bonded_zone",
    "overseas_warehouse",
    "domestic_dc",
    "region",
    "business_buyer",
)
#: Node kinds where goods can be held in stock before an order arrives.
STOCKING_KINDS = ("bonded_zone", "overseas_warehouse", "domestic_dc")
#: Node kinds that hold demand.
DEMAND_KINDS = ("region", "business_buyer")
LANE_MODES = ("sea", "air", "rail", "truck", "express", "postal")
#: The tax regimes ``tax_rules.regime`` accepts: those registered in
#: :data:`lean_chain.model.regimes.REGIMES`, each with its formula.
TAX_REGIMES = tuple(REGIMES)


@dataclass(frozen=True)
class _ValueSpec:
    """What a valid value of a column or a parameter looks like (the shared fields).

    The name, type and description may be given by position, the rest by keyword.
    """

    name: str
    type: ColumnType
    description: str
    _: KW_ONLY
    required: bool = False
    default: Any = None
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    exclusive_maximum: bool = False
    choices: tuple[str, ...] = ()

    def _bounds_text(self) -> str:
        """``" >= 0 and < 1"``: the numeric bounds in words (empty without bounds)."""
        bounds = []
        if self.minimum is not None:
            bounds.append(("> " if self.exclusive_minimum else ">= ") + f"{self.minimum:g}")
        if self.maximum is not None:
            bounds.append(("< " if self.exclusive_maximum else "<= ") + f"{self.maximum:g}")
        return (" " + " and ".join(bounds)) if bounds else ""

    def expectation(self) -> str:
        """Describe in words what a valid value looks like."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        text = {"str": "text", "float": "a number", "int": "a whole number", "bool": "true/false"}
        return text[self.type] + self._bounds_text()


@dataclass(frozen=True, kw_only=True)
class Column(_ValueSpec):
    """One column of an instance table.

    ``default`` is used when the column is absent or a cell is blank; a
    required column has no default. ``minimum``/``maximum`` bound numbers
    (``exclusive_minimum`` makes the lower bound strict). ``choices`` lists the
    allowed values of a text column; ``references`` names ``table.column``
    whose values this column must take. ``blank_means`` documents what an
    empty optional cell means when the default is ``None``. ``key`` marks the
    columns that together identify a row of the table.
    """

    references: str = ""
    money: bool = False
    blank_means: str = ""
    key: bool = False

    def expectation(self) -> str:
        """Describe in words what a valid cell looks like."""
        if self.references and not self.choices:
            return f"an id listed in {self.references}"
        return super().expectation()


@dataclass(frozen=True)
class Table:
    """One CSV file of an instance folder."""

    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = True

    @property
    def key(self) -> tuple[str, ...]:
        """The columns that together identify a row (those marked ``key``), in column order."""
        return tuple(col.name for col in self.columns if col.key)

    @property
    def currency_column(self) -> str:
        """The column naming the currency of a row's money columns: the one that
        references ``fx.currency`` ('' for none: the amounts are in the instance currency)."""
        return next((col.name for col in self.columns if col.references == "fx.currency"), "")

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)


@dataclass(frozen=True, kw_only=True)
class Parameter(_ValueSpec):
    """One entry of ``parameters.yaml``."""

    pattern: str = ""  # a regular expression the whole (text) value must match
    pattern_help: str = ""  # what the pattern asks for, in words

    def expectation(self) -> str:
        """Describe in words what a valid value looks like."""
        return self.pattern_help or super().expectation()


def _identifier(name: str, description: str) -> Column:
    """The text column whose value identifies a row of its table (required; the key)."""
    return Column(name, "str", description, required=True, key=True)


def _reference(name: str, description: str, target: str, **spec: Any) -> Column:
    """A text column whose values are ids listed in ``target`` (``table.column``).

    Required unless ``spec`` gives a default.
    """
    spec.setdefault("required", "default" not in spec)
    return Column(name, "str", description, references=target, **spec)


def _quantity(
    name: str, description: str, unit: str, *, positive: bool = False, **spec: Any
) -> Column:
    """A float column holding an amount of ``unit``: 0 or more (``positive``: more than 0)."""
    return Column(
        name, "float", description, minimum=0, exclusive_minimum=positive, unit=unit, **spec
    )


_CURRENCY = _reference(
    "currency",
    "Currency of the money columns of this row (ISO 4217 code listed in fx.csv).",
    "fx.currency",
    default=None,
    blank_means="the instance currency",
)

#: The human-readable name of a node, channel or platform.
_NAME = Column("name", "str", "Human-readable name.", default="")

#: ISO dates (YYYY-MM-DD) bounding when a row is in force; both ends inclusive.
DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"
_EFFECTIVE_FROM = Column(
    "effective_from",
    "str",
    "First day (YYYY-MM-DD) on which this row is in force.",
    default="",
    blank_means="in force since always",
)
_EFFECTIVE_TO = Column(
    "effective_to",
    "str",
    "Last day (YYYY-MM-DD, inclusive) on which this row is in force.",
    default="",
    blank_means="in force until further notice",
)
#: Tables whose rows carry effective dates (``lean-chain solve --as-of`` selects the rows).
DATED_TABLES = ("channels", "tax_rules")
#: Customs valuation bases of ``tax_rules.customs_value_basis``.
VALUATION_BASES = ("cif", "fob", "transaction")

LIMIT_PERIODS = ("horizon", "day", "shipment")


def _flag(name: str, description: str, *, default: bool = False) -> Column:
    """A true/false column; a blank cell means false unless ``default`` says otherwise."""
    return Column(name, "bool", description, default=default)


def _share(name: str, description: str, *, below_one: bool = False, **spec: Any) -> Column:
    """A float column holding a share: from 0 up to 1 (``below_one``: less than 1)."""
    return Column(
        name,
        "float",
        description,
        minimum=0,
        maximum=1,
        exclusive_maximum=below_one,
        unit="fraction",
        **spec,
    )


def _money(name: str, description: str, *, per: str | None = None, **spec: Any) -> Column:
    """A float column holding an amount of money: 0 or more, in ``currency/per``.

    The amount is stated in the row's currency and converted on load (``money``);
    a blank cell of an optional column means 0 unless ``spec`` gives another default.
    """
    if not spec.get("required"):
        spec.setdefault("default", 0.0)
    unit = "currency" if per is None else f"currency/{per}"
    return _quantity(name, description, unit, money=True, **spec)


def _any_of(name: str, what: str, more: str = "") -> Column:
    """A text column listing ``what`` separated by '|', or '*' (the default) for any;
    ``more`` is added to the description."""
    description = f"{what}, separated by '|'; '*' for any." + (f" {more}" if more else "")
    return Column(name, "str", description, default="*")


def _one_or_any(name: str, what: str, **spec: Any) -> Column:
    """A text column holding one ``what``, or '*' (the default) for any."""
    return Column(name, "str", f"{what}, or '*'.", default="*", **spec)


def _limit_columns(what: str, periods: tuple[str, ...]) -> tuple[Column, ...]:
    """Capacity columns of a lane or carrier service: kg, m3 and units per ``limit_per``."""
    columns = tuple(
        _quantity(
            f"max_{unit}",
            f"Most {label} {what} may carry per limit_per.",
            f"{unit}/period",
            default=None,
            blank_means="no limit",
        )
        for unit, label in (("kg", "actual kg"), ("m3", "m3"), ("units", "units"))
    )
    return (
        *columns,
        Column(
            "limit_per",
            "str",
            "Period of max_kg / max_m3 / max_units: the horizon, a day (x horizon_days)"
            + (", or a shipment (x shipments_per_horizon)" if "shipment" in periods else "")
            + ".",
            default="horizon",
            choices=periods,
        ),
    )


def _restriction_columns(who: str) -> tuple[Column, ...]:
    """Which channels, carriers and service levels may serve a demand row or node."""
    return tuple(
        _any_of(
            f"allowed_{what}",
            f"{who}: {label} that may serve it",
            f"A path is allowed when {rule}.",
        )
        for what, label, rule in (
            ("channels", "channel_ids", "its channel is listed"),
            (
                "carriers",
                "carriers (lanes.carrier / rates.carrier)",
                "every lane or service on it that names a carrier names a listed one",
            ),
            (
                "service_levels",
                "service levels (lanes.service_level / rates.service_level, e.g. "
                "door_to_door, door_to_port, collect)",
                "every lane or service on it that names a service level names a listed one",
            ),
        )
    )


def _service_columns(blank: str) -> tuple[Column, ...]:
    return (
        Column("carrier", "str", "Carrier name (matched by allowed_carriers).", default=blank),
        Column(
            "service_level",
            "str",
            "Service level, e.g. door_to_door, door_to_port, collect (matched by "
            "allowed_service_levels).",
            default=blank,
        ),
    )


SKUS = Table(
    "skus",
    "Stock-keeping units: what is bought, where from, and how it is taxed.",
    columns=(
        _identifier("sku_id", "Unique SKU identifier."),
        Column(
            "category",
            "str",
            "Tax category; matched against tax_rules.category (e.g. cosmetics, apparel).",
            required=True,
        ),
        Column("hs_code", "str", "Harmonized System code (informative).", default=""),
        _reference(
            "supplier_id", "The supplier or factory node this SKU is bought from.", "nodes.node_id"
        ),
        _money(
            "procurement_cost",
            "Purchase price per unit, excluding VAT.",
            per="unit",
            required=True,
        ),
        _money(
            "retail_price",
            "Price per unit the consumer pays, excluding the destination's sales taxes.",
            per="unit",
            required=True,
        ),
        _CURRENCY,
        _quantity(
            "weight_kg",
            "Gross weight per unit; 0 for weightless items (documents, digital inserts) whose "
            "volume or unit count carries the charge.",
            "kg",
            required=True,
        ),
        _quantity("volume_m3", "Packed volume per unit.", "m3", positive=True, required=True),
        _share(
            "consumption_tax_rate",
            "China consumption-tax rate (e.g. 0.15 for premium cosmetics); used where the "
            "tax rule applies consumption tax.",
            default=0.0,
            below_one=True,
        ),
        _flag(
            "positive_list",
            "On the CBEC retail import positive list (required by channels that say so).",
            default=True,
        ),
        _share(
            "export_rebate_rate",
            "Export VAT rebate rate on the procurement cost for channels that earn a rebate.",
            default=0.0,
        ),
        Column(
            "max_channels",
            "int",
            "Most channels this SKU may use.",
            default=None,
            minimum=1,
            blank_means="parameters.max_channels_per_sku",
        ),
        _quantity(
            "min_stock_units",
            "Minimum on-hand stock at every stocking node that carries this SKU.",
            "units",
            default=0.0,
        ),
        _money(
            "slotting_cost",
            "Fixed cost per stocking node that carries this SKU, per horizon.",
        ),
    ),
)

NODES = Table(
    "nodes",
    "Suppliers, ports and hubs, stocking nodes and demand points.",
    columns=(
        _identifier("node_id", "Unique node identifier."),
        Column("kind", "str", "What the node is.", required=True, choices=NODE_KINDS),
        _NAME,
        Column("country", "str", "ISO 3166 alpha-2 country code.", required=True),
        Column("lat", "float", "Latitude.", required=True, minimum=-90, maximum=90, unit="deg"),
        Column("lon", "float", "Longitude.", required=True, minimum=-180, maximum=180, unit="deg"),
        _CURRENCY,
        _quantity(
            "storage_capacity_m3",
            "Stocking nodes: on-hand (cycle + safety) stock volume limit.",
            "m3",
            default=None,
            blank_means="unlimited",
        ),
        _quantity(
            "throughput_capacity_units",
            "Stocking nodes: units shipped out per horizon.",
            "units/horizon",
            default=None,
            blank_means="unlimited",
        ),
        _money(
            "fixed_cost",
            "Stocking nodes: fixed cost per horizon if the node is used.",
        ),
        _money(
            "handling_cost_per_unit",
            "Cost per unit passing through the node (pick, pack, clearance).",
            per="unit",
        ),
        _quantity(
            "max_promise_days",
            "Demand nodes: paths promising more days than this are not allowed.",
            "days",
            default=None,
            blank_means="no limit",
        ),
        _quantity(
            "service_days",
            "Demand nodes: the T of the service target (share delivered within T days).",
            "days",
            default=None,
            blank_means="no service target",
        ),
        _share(
            "service_share",
            "Demand nodes: the share alpha of demand to deliver within service_days.",
            default=0.0,
        ),
        _quantity(
            "consumers",
            "Demand nodes: consumers buying through CBEC retail channels; the regional quota is "
            "consumers x parameters.cbec_annual_limit_per_person x horizon/365.",
            "persons",
            default=None,
            blank_means="no quota",
        ),
        _quantity(
            "orders_per_day_capacity",
            "Stocking nodes: orders a day the node can pick and pack (orders = units / units "
            "per order).",
            "orders/day",
            default=None,
            blank_means="unlimited",
        ),
        _any_of(
            "allowed_categories", "Stocking nodes: SKU categories or sku_ids the node may stock"
        ),
        _any_of("serves", "Stocking nodes: demand node ids or country codes the node may ship to"),
        *_restriction_columns("Demand nodes"),
    ),
)

LANES = Table(
    "lanes",
    "Transport links between nodes. Cost terms add up: per kg + per m3 + per unit.",
    columns=(
        _identifier("lane_id", "Unique lane identifier."),
        _reference("from_node", "Origin node.", "nodes.node_id"),
        _reference("to_node", "Destination node.", "nodes.node_id"),
        Column("mode", "str", "Transport mode.", required=True, choices=LANE_MODES),
        _any_of("channels", "Channels that may use this lane"),
        _CURRENCY,
        _money(
            "cost_per_kg",
            "Freight per kg.",
            per="kg",
        ),
        _money(
            "cost_per_m3",
            "Freight per m3.",
            per="m3",
        ),
        _money(
            "cost_per_unit",
            "Freight per unit.",
            per="unit",
        ),
        _quantity("lead_time_days", "Mean transit time.", "days", required=True),
        _quantity("lead_time_std_days", "Standard deviation of transit time.", "days", default=0.0),
        _quantity(
            "container_m3",
            "Usable volume of one container/shipment; makes the number of containers an "
            "integer decision.",
            "m3",
            positive=True,
            default=None,
            blank_means="not containerised",
        ),
        _money(
            "cost_per_container",
            "Cost per container (with container_m3).",
            per="container",
        ),
        *_limit_columns("the lane (all its services together)", ("horizon", "day")),
        *_service_columns(""),
    ),
)

DEMAND = Table(
    "demand",
    "Demand per SKU, demand node and sales platform over the planning horizon.",
    columns=(
        _reference("sku_id", "SKU.", "skus.sku_id", key=True),
        _reference(
            "region_id", "Demand node (region or business buyer).", "nodes.node_id", key=True
        ),
        _quantity("units", "Units demanded over the horizon.", "units/horizon", required=True),
        Column(
            "units_per_order",
            "float",
            "Average units per order (1 = single-item orders).",
            default=1.0,
            minimum=1,
            unit="units/order",
        ),
        _quantity(
            "demand_std_daily", "Standard deviation of daily demand.", "units/day", default=0.0
        ),
        _CURRENCY,
        _money(
            "shipping_per_order",
            "Shipping fee the consumer pays per order; part of the transaction value.",
            per="order",
        ),
        *_restriction_columns("This demand row (on top of its demand node's)"),
        _reference(
            "platform_id",
            "Sales platform the demand is on (platforms.csv).",
            "platforms.platform_id",
            default="",
            blank_means="sold directly: no platform fees or rules",
            key=True,
        ),
        _money(
            "price",
            "Price per unit consumers pay on this platform, excluding the destination's "
            "sales taxes; the tax engine uses it wherever it uses the retail price.",
            per="unit",
            default=None,
            positive=True,
            blank_means="skus.retail_price",
        ),
    ),
)

CHANNELS = Table(
    "channels",
    "Customs channels: the path shape each allows and how it is treated.",
    columns=(
        _identifier("channel_id", "Channel code, e.g. 1210, 9610, postal, 0110."),
        _NAME,
        Column(
            "direction",
            "str",
            "Import into or export from the origin country.",
            required=True,
            choices=("import", "export"),
        ),
        Column(
            "path_shape",
            "str",
            "Node kinds a path visits in order, separated by '>'; a kind ending in '?' may be "
            "skipped. Starts with supplier, ends with region or business_buyer.",
            required=True,
        ),
        Column(
            "stock_node_kind",
            "str",
            "The node kind in the path where goods are stocked before the order.",
            default="",
            choices=("", *STOCKING_KINDS),
            blank_means="goods ship per order, not stocked",
        ),
        _CURRENCY,
        _money(
            "fixed_cost_per_sku",
            "Filing/listing cost per SKU using the channel, per horizon.",
        ),
        _flag("earns_export_rebate", "Earns the SKU's export VAT rebate."),
        _flag("requires_positive_list", "Only SKUs on the positive list may use it."),
        _flag(
            "counts_toward_cbec_quota",
            "Transaction value counts toward the region's annual CBEC quota.",
        ),
        _quantity(
            "processing_days",
            "Days added to the promise (order processing, clearance).",
            "days",
            default=0.0,
        ),
        _EFFECTIVE_FROM,
        _EFFECTIVE_TO,
    ),
)

TAX_RULES = Table(
    "tax_rules",
    "Duty and tax rules per channel and destination country; origin_country and category may "
    "be '*' (any). The most specific matching row wins (category before origin).",
    columns=(
        _reference("channel_id", "Channel.", "channels.channel_id", key=True),
        Column(
            "destination_country", "str", "Country of the demand node.", required=True, key=True
        ),
        _one_or_any("origin_country", "Country of the supplier", key=True),
        _one_or_any("category", "SKU tax category", key=True),
        Column(
            "regime",
            "str",
            "Which formula applies (see docs/instance-format.md).",
            required=True,
            choices=TAX_REGIMES,
        ),
        _CURRENCY,
        _quantity("duty_rate", "Import duty rate.", "fraction", default=0.0),
        _quantity(
            "vat_rate", "VAT / GST / consumption-tax-of-destination rate.", "fraction", default=0.0
        ),
        _flag("apply_consumption_tax", "Charge the SKU's consumption_tax_rate."),
        Column(
            "customs_value_basis",
            "str",
            "general_trade: duty on the CIF value (goods + freight and consolidated charges up "
            "to the first entry into the destination's customs territory), the FOB value "
            "(goods + freight until the goods leave the origin country) or the consumer's "
            "transaction value.",
            default="",
            choices=("", *VALUATION_BASES),
            blank_means="the destination's basis: fob for US, CA, AU; cif elsewhere",
        ),
        Column(
            "vat_basis",
            "str",
            "general_trade: 'retail_sale' when import VAT is credited "
            "and the cost is the VAT on the retail sale; 'import' when the VAT paid at "
            "import is the cost.",
            default="retail_sale",
            choices=("retail_sale", "import"),
        ),
        _share(
            "cbec_tax_factor",
            "cbec_retail: share of VAT + consumption tax charged (0.7).",
            default=0.7,
        ),
        _money(
            "order_value_cap",
            "Largest transaction value per order allowed.",
            per="order",
            default=None,
            blank_means="no cap",
        ),
        _flag(
            "single_item_exception",
            "Single-unit orders above the cap are still "
            "allowed (cbec_retail: then taxed as general trade on the transaction value).",
        ),
        _quantity(
            "over_cap_duty_rate",
            "cbec_retail: duty rate of a single item above the cap (taxed as general trade).",
            "fraction",
            default=None,
            blank_means="the duty rate of the general_trade rule for the same destination, "
            "origin and category (the pair is dropped when there is none)",
        ),
        _money(
            "annual_limit_per_person",
            "cbec_retail: most a person may buy per year; an order worth more can never use "
            "the channel (hard rule).",
            per="person/year",
            default=None,
            blank_means="parameters.cbec_annual_limit_per_person",
        ),
        _quantity(
            "parcel_tax_rate",
            "postal: parcel tax rate (0.13 / 0.20 / 0.50).",
            "fraction",
            default=0.0,
        ),
        _money(
            "parcel_tax_exemption",
            "postal: tax per parcel at or below this amount is waived.",
            per="order",
        ),
        _money(
            "duty_free_threshold",
            "low_value_parcel: no duty when the taxable order value is at or below this.",
            per="order",
        ),
        _money(
            "vat_free_threshold",
            "low_value_parcel: no VAT when the taxable order value is at or below this.",
            per="order",
        ),
        _share(
            "taxable_value_share",
            "low_value_parcel: taxable value as a share of "
            "the transaction value (Japan personal imports: 0.6).",
            default=1.0,
        ),
        _money(
            "flat_duty_per_order",
            "low_value_parcel: flat duty per parcel below "
            "flat_duty_below (EU EUR 3 per tariff line).",
            per="order",
        ),
        _money(
            "flat_duty_below",
            "low_value_parcel: orders with a taxable value "
            "strictly below this pay the flat duty instead of ad valorem duty.",
            per="order",
        ),
        Column("source", "str", "Where the rule comes from (regulation, date).", default=""),
        _EFFECTIVE_FROM,
        _EFFECTIVE_TO,
    ),
)

FX = Table(
    "fx",
    "Exchange rates into the instance currency.",
    columns=(
        _identifier("currency", "ISO 4217 code."),
        Column(
            "rate_to_instance",
            "float",
            "Instance-currency amount of one unit of this "
            "currency (the instance currency itself must be 1).",
            required=True,
            minimum=0,
            exclusive_minimum=True,
        ),
    ),
)

RATE_KINDS = ("parcel", "weight_break", "order_weight_break", "container", "truckload", "per_m3")

RATES = Table(
    "rates",
    "Optional. Carrier services and their tariffs per lane. A lane with rates is travelled "
    "through exactly one of them (the solver chooses); the lane's own cost columns are added "
    "to every service.",
    required=False,
    columns=(
        _identifier("rate_id", "Unique rate identifier."),
        _reference("lane_id", "Lane the service runs on.", "lanes.lane_id"),
        Column("service", "str", "Carrier / service name.", default=""),
        *(
            Column(c.name, c.type, c.description[:-1] + "; blank: the lane's.", default="")
            for c in _service_columns("")
        ),
        Column(
            "kind",
            "str",
            "How the service prices (see docs/instance-format.md).",
            required=True,
            choices=RATE_KINDS,
        ),
        _CURRENCY,
        _quantity(
            "lead_time_days",
            "Transit time of this service.",
            "days",
            default=None,
            blank_means="the lane's lead_time_days",
        ),
        _quantity(
            "lead_time_std_days",
            "Transit time std of this service.",
            "days",
            default=None,
            blank_means="the lane's",
        ),
        _quantity(
            "volumetric_divisor",
            "parcel, weight_break: volumetric weight = "
            "cm3 / divisor (5000 or 6000); chargeable weight = max(actual, volumetric).",
            "cm3/kg",
            positive=True,
            default=None,
            blank_means="actual weight only",
        ),
        _quantity(
            "first_weight_kg", "parcel: weight covered by the first charge.", "kg", default=0.0
        ),
        _money(
            "first_charge",
            "parcel: charge per parcel up to first_weight_kg.",
            per="parcel",
        ),
        _quantity(
            "step_weight_kg",
            "parcel: each additional step of weight, rounded up.",
            "kg",
            positive=True,
            default=None,
            blank_means="flat: the first charge covers any weight",
        ),
        _money(
            "step_charge",
            "parcel: charge per additional step.",
            per="step",
        ),
        _money(
            "min_charge",
            "weight_break, per_m3: minimum charge per shipment; order_weight_break: per order.",
            per="shipment",
        ),
        _money(
            "cost_per_m3",
            "per_m3 (LCL): charge per m3.",
            per="m3",
        ),
        _quantity(
            "capacity_m3",
            "container, truckload: volume of one unit.",
            "m3",
            positive=True,
            default=None,
            blank_means="not limited by volume",
        ),
        _quantity(
            "capacity_kg",
            "container, truckload: payload of one unit.",
            "kg",
            positive=True,
            default=None,
            blank_means="not limited by weight",
        ),
        _money(
            "cost_per_load",
            "container, truckload: cost per container or truck.",
            per="load",
        ),
        _money(
            "fixed_per_shipment",
            "Fixed charge per shipment when the service carries anything.",
            per="shipment",
        ),
        _quantity(
            "shipments_per_horizon",
            "weight_break, order_weight_break, per_m3, container, truckload and fixed "
            "charges: shipments per horizon on this consolidated lane (weight per shipment = "
            "lane weight / shipments; containers and trucks are counted per shipment).",
            "shipments/horizon",
            positive=True,
            default=1.0,
        ),
        *_limit_columns("the service", LIMIT_PERIODS),
    ),
)

WEIGHT_BREAKS = Table(
    "weight_breaks",
    "Optional. Weight breaks of weight_break rates: the rate per kg from min_weight_kg up "
    "(e.g. N, +45, +100, +300, +500, +1000 kg).",
    required=False,
    columns=(
        _reference("rate_id", "A weight_break rate.", "rates.rate_id", key=True),
        _quantity(
            "min_weight_kg",
            "Chargeable weight per shipment from which the rate applies.",
            "kg",
            required=True,
            key=True,
        ),
        _CURRENCY,
        _money(
            "rate_per_kg",
            "Rate per chargeable kg.",
            per="kg",
            required=True,
        ),
        _quantity(
            "max_weight_kg",
            "Largest chargeable weight per shipment of this band; weight between this and the "
            "next band (a gap), or above the last band, is not serviceable.",
            "kg",
            default=None,
            blank_means="up to the next band (the last band: no limit)",
        ),
        _money(
            "min_charge",
            "Minimum charge of this band: per shipment (weight_break) or per order "
            "(order_weight_break); the larger of it and the rate's min_charge applies.",
        ),
    ),
)

#: Kinds of sales platform (``platforms.kind``).
PLATFORM_KINDS = ("own_store", "marketplace", "live_commerce", "physical_store", "b2b")
#: How a commission tier applies (``platform_fees.tier_mode``): the tier's rate on the whole
#: price (the tier the price falls in), or on the portion of the price inside the tier.
TIER_MODES = ("whole", "portion")

PLATFORMS = Table(
    "platforms",
    "Optional. Sales platforms (own store, marketplaces, live commerce, physical stores, B2B "
    "buyers) that demand rows sell through, with their fees and rules. Without this table "
    "every demand row is sold directly (no fees, no platform rules).",
    required=False,
    columns=(
        _identifier("platform_id", "Unique platform identifier."),
        _NAME,
        Column("kind", "str", "What the platform is.", required=True, choices=PLATFORM_KINDS),
        Column(
            "market",
            "str",
            "ISO 3166 alpha-2 country (or market name) the store sells in (informative).",
            default="",
        ),
        _CURRENCY,
        _money(
            "annual_fee",
            "Fee per year to keep a store open on the platform in its market; a plan pays "
            "horizon_days/365 of it when it sells anything there (profit mode: an open-platform "
            "decision).",
            per="year",
        ),
        _money(
            "listing_fee",
            "Fee per SKU listed on the platform, per horizon (profit mode: a listing decision).",
            per="SKU",
        ),
        _share(
            "payment_fee_rate",
            "Payment (processing) fee as a share of the price.",
            default=0.0,
            below_one=True,
        ),
        _money(
            "fee_per_order",
            "Fixed fee per order (fulfilment or transaction fee).",
            per="order",
        ),
        _money(
            "min_commission_per_unit",
            "Smallest commission per unit sold (the larger of it and the tiered commission "
            "applies).",
            per="unit",
        ),
        _share(
            "min_fill_rate",
            "Profit mode: smallest share of the platform's demand to serve when the platform "
            "is open (marketplaces delist sellers who cancel).",
            default=0.0,
        ),
        _any_of(
            "stock_nodes",
            "Stocking nodes the platform runs (its own fulfilment warehouses)",
            "A path serving the platform must be stocked at one of them.",
        ),
        _quantity(
            "max_promise_days",
            "Paths promising more days than this may not serve the platform.",
            "days",
            default=None,
            blank_means="no limit",
        ),
        _any_of("allowed_channels", "Channels that may serve the platform"),
        _flag(
            "duty_free_pickup",
            "A physical store that is a Hainan offshore duty-free shop (离岛免税): goods "
            "from bonded or CBEC retail stock may be handed over there, the one exception to "
            "the rule that a mainland physical store sells general-trade stock only (Shang "
            "Cai Fa [2021] No. 39). Only a physical_store may set it; its tax (none within "
            "the traveller's annual quota) is the channel's tax rule.",
        ),
    ),
)

#: The SKU category a per-platform table's row is about ('*': any).
_SKU_CATEGORY = _one_or_any("category", "SKU category (skus.category)", key=True)

#: The platform a per-platform table's row is about.
_PLATFORM_ID = _reference("platform_id", "Platform.", "platforms.platform_id", key=True)

PLATFORM_FEES = Table(
    "platform_fees",
    "Optional. Commission tiers per platform and SKU category, as marketplaces publish them: "
    "tier_mode 'whole' charges the rate of the tier the price falls in on the whole price; "
    "'portion' charges each tier's rate on the part of the price inside the tier. The most "
    "specific category wins (an exact category before '*'); a platform and category without "
    "rows pays no commission.",
    required=False,
    columns=(
        _PLATFORM_ID,
        _SKU_CATEGORY,
        _CURRENCY,
        _money(
            "min_price",
            "Lowest price per unit of the tier (inclusive).",
            per="unit",
            key=True,
        ),
        _money(
            "max_price",
            "Highest price per unit of the tier (exclusive).",
            per="unit",
            default=None,
            blank_means="no upper limit",
        ),
        _share(
            "commission_rate",
            "Commission as a share of the price (whole) or of the portion in the tier.",
            required=True,
            below_one=True,
        ),
        Column(
            "tier_mode",
            "str",
            "'whole': the rate applies to the whole price; 'portion': to the part of the "
            "price within [min_price, max_price). One mode per platform and category.",
            default="whole",
            choices=TIER_MODES,
        ),
    ),
)

PLATFORM_RETURNS = Table(
    "platform_returns",
    "Optional. Returns per platform and SKU category (the most specific category wins: an "
    "exact category before '*'). A returned unit is refunded its price (the platform refunds "
    "its commission), costs cost_per_return, and the share not resaleable is written off at "
    "its procurement cost. Goods exported (export channels) and returned to the origin pay "
    "reimport_tax_rate on their procurement value, unless China's CBEC export return "
    "exemption is in force for the channel and category (lean_chain/rules/returns.py).",
    required=False,
    columns=(
        _PLATFORM_ID,
        _SKU_CATEGORY,
        _CURRENCY,
        _share(
            "return_rate", "Share of the units sold that come back.", required=True, below_one=True
        ),
        _money(
            "cost_per_return",
            "Reverse freight, inspection and restocking per returned unit.",
            per="unit",
        ),
        _share(
            "resaleable_share",
            "Share of returned units sold again (the rest is written off).",
            default=0.0,
        ),
        _quantity(
            "reimport_tax_rate",
            "Export channels: duty + VAT + consumption tax on re-importing a returned unit into "
            "the origin, as a share of its procurement value (0 when the exemption applies).",
            "fraction",
            default=0.0,
        ),
    ),
)

PLATFORM_FULFILMENT = Table(
    "platform_fulfilment_fees",
    "Optional. A platform's fulfilment fee per unit by size tier, as marketplaces that fulfil "
    "from their own warehouses publish them (small standard, large standard, oversize ...). "
    "A unit pays the lowest fee among the tiers of its platform that take it (weight and "
    "volume within the tier's limits); a SKU that fits no tier of a platform that has tiers "
    "cannot be sold there (the path is excluded as 'fulfilment_size').",
    required=False,
    columns=(
        _PLATFORM_ID,
        Column("tier", "str", "Size tier name (e.g. small_standard).", required=True, key=True),
        _CURRENCY,
        _quantity(
            "max_weight_kg",
            "Heaviest unit the tier takes (skus.weight_kg).",
            "kg",
            default=None,
            blank_means="no limit",
        ),
        _quantity(
            "max_volume_m3",
            "Largest unit the tier takes (skus.volume_m3).",
            "m3",
            default=None,
            blank_means="no limit",
        ),
        _money(
            "fee_per_unit",
            "Fulfilment fee per unit sold (pick, pack, ship to the consumer).",
            per="unit",
            required=True,
        ),
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SKUS,
        NODES,
        LANES,
        DEMAND,
        CHANNELS,
        TAX_RULES,
        FX,
        RATES,
        WEIGHT_BREAKS,
        PLATFORMS,
        PLATFORM_FEES,
        PLATFORM_RETURNS,
        PLATFORM_FULFILMENT,
    )
}

PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("name", "str", "Instance name.", default=""),
        Parameter("description", "str", "What the instance models.", default=""),
        Parameter(
            "currency",
            "str",
            "Instance currency (ISO 4217); all results are in it.",
            required=True,
            pattern="[A-Z]{3}",
            pattern_help="a three-letter ISO 4217 currency code such as CNY",
        ),
        Parameter(
            "horizon_days",
            "float",
            "Length of the planning horizon.",
            default=365.0,
            minimum=0,
            exclusive_minimum=True,
            unit="days",
        ),
        Parameter(
            "holding_rate_per_year",
            "float",
            "Holding cost per year as a share of the held unit value.",
            default=0.2,
            minimum=0,
            unit="fraction/year",
        ),
        Parameter(
            "service_level",
            "float",
            "Cycle service level for safety stock.",
            default=0.95,
            minimum=0.5,
            maximum=1,
            exclusive_maximum=True,
            unit="fraction",
        ),
        Parameter(
            "review_period_days",
            "float",
            "Replenishment review period; cycle stock is demand over half of it.",
            default=14.0,
            minimum=0,
            unit="days",
        ),
        Parameter(
            "max_channels_per_sku", "int", "Default most channels per SKU.", default=2, minimum=1
        ),
        Parameter(
            "single_sourcing",
            "bool",
            "Serve each SKU and demand node through one path.",
            default=False,
        ),
        Parameter(
            "cbec_annual_limit_per_person",
            "float",
            "CBEC retail annual limit per person, in the instance currency.",
            default=26000.0,
            minimum=0,
            unit="currency/person/year",
        ),
        Parameter(
            "as_of",
            "str",
            "Plan under the rules in force on this date (YYYY-MM-DD); "
            "lean-chain solve --as-of overrides it. Blank: today.",
            default="",
            pattern=f"({DATE_PATTERN})?",
            pattern_help="a date YYYY-MM-DD",
        ),
        Parameter(
            "rule_library",
            "str",
            "Bundled rule sets (lean_chain/rules/*.csv) added to tax_rules, separated by '|', "
            "e.g. 'cn_import|us'; the instance's own rows replace library rows of the same key.",
            default="",
        ),
    )
}
