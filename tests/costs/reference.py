"""A scalar, obviously-correct reference for the per-unit landed cost of one pair.

Written from ``docs/instance-format.md`` (section "Tax regimes", and the
"Paths and channels" hard rules) and ``../shared/DOMAIN.md`` ("Tax formulas"),
one SKU, one demand row and one path at a time, with plain Python numbers.
It imports nothing from ``lean_chain``: the property tests compare the
vectorized core (``lean_chain.costs.landed``) and the pair filter
(``lean_chain.index``) against it.

Every amount passed in is already in the instance currency. Inputs are plain
dicts (the column names of the instance tables) and lists:

- ``sku``: procurement_cost, retail_price, weight_kg, volume_m3,
  consumption_tax_rate, export_rebate_rate (and positive_list for the filter);
- ``demand``: units_per_order, shipping_per_order;
- ``lanes``: the path's lanes in travel order, each with cost_per_kg,
  cost_per_m3, cost_per_unit, from_country, to_country;
- ``handling``: handling_cost_per_unit of every node the path visits
  (supplier and demand node included);
- ``channel``: earns_export_rebate;
- ``rule``: the tax_rules row that applies (see :func:`resolve_rule`);
  missing keys take the documented defaults (:data:`RULE_DEFAULTS`).

The result is a dict of the eight components per unit, in the order of
:data:`COMPONENTS`, with the export rebate negative (so the sum is the
landed cost).
"""

from __future__ import annotations

import math

COMPONENTS = (
    "procurement",
    "freight",
    "handling",
    "duty",
    "vat",
    "consumption_tax",
    "parcel_tax",
    "export_rebate",
)

#: Defaults of the tax_rules columns (docs/instance-format.md, tax_rules.csv).
RULE_DEFAULTS = {
    "origin_country": "*",
    "category": "*",
    "duty_rate": 0.0,
    "vat_rate": 0.0,
    "apply_consumption_tax": False,
    "customs_value_basis": None,  # blank = the destination's basis (valuation_basis)
    "over_cap_duty_rate": None,  # blank = the general-trade rule of the category
    "annual_limit_per_person": None,  # blank = the parameter
    "vat_basis": "retail_sale",
    "cbec_tax_factor": 0.7,
    "order_value_cap": None,  # blank = no cap
    "single_item_exception": False,
    "parcel_tax_rate": 0.0,
    "parcel_tax_exemption": 0.0,
    "duty_free_threshold": 0.0,
    "vat_free_threshold": 0.0,
    "taxable_value_share": 1.0,
    "flat_duty_per_order": 0.0,
    "flat_duty_below": 0.0,
}

#: Relative tolerance of threshold comparisons. Money is stated to the fen
#: (0.01); an amount at a threshold must count as "at" it even when binary
#: floating point puts it a few ulps off (3 x 1,666.48 + 0.56 is 5,000.00, not
#: 5000.000000000001). 1e-9 relative is far below a fen for any realistic amount.
TOLERANCE = 1e-9

#: Trace entry added when a comparison is decided by the tolerance.
TIE = "tie"


def _slack(limit: float) -> float:
    return TOLERANCE * max(1.0, abs(limit))


def above(value: float, limit: float, trace: set[str] | None = None) -> bool:
    """value > limit, treating amounts within the tolerance as equal."""
    if trace is not None and abs(value - limit) <= _slack(limit):
        trace.add(TIE)
    return value > limit + _slack(limit)


def below(value: float, limit: float, trace: set[str] | None = None) -> bool:
    """value < limit, treating amounts within the tolerance as equal."""
    if trace is not None and abs(value - limit) <= _slack(limit):
        trace.add(TIE)
    return value < limit - _slack(limit)


#: Outcomes of the order-value cap rule.
WITHIN_CAP = "within_cap"
SINGLE_ITEM_OVER_CAP = "single_item_over_cap"
OVER_CAP = "over_cap"


def with_defaults(rule: dict) -> dict:
    """The rule with every documented default filled in (blank/None cells too)."""
    out = dict(RULE_DEFAULTS)
    for key, value in rule.items():
        if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
            continue
        out[key] = value
    return out


# ---------------------------------------------------------------------------
# values of an order


def transaction_value(sku: dict, demand: dict) -> float:
    """w = retail price + shipping per order / units per order."""
    return sku["retail_price"] + demand.get("shipping_per_order", 0.0) / demand.get(
        "units_per_order", 1.0
    )


def order_value(sku: dict, demand: dict) -> float:
    """Order value = w x units per order (the consumer's whole order, shipping included)."""
    return transaction_value(sku, demand) * demand.get("units_per_order", 1.0)


# ---------------------------------------------------------------------------
# hard rules


def cap_outcome(sku: dict, demand: dict, rule: dict, trace: set[str] | None = None) -> str:
    """Whether the order-value cap lets the pair be offered, and how.

    An order above the rule's ``order_value_cap`` is not allowed, unless the
    rule has ``single_item_exception`` and orders are single units; then it is
    allowed (and, under ``cbec_retail``, taxed as general trade).
    """
    rule = with_defaults(rule)
    cap = rule["order_value_cap"]
    if cap is None:
        return WITHIN_CAP
    if not above(order_value(sku, demand), cap, trace):
        return WITHIN_CAP
    single_unit = demand.get("units_per_order", 1.0) == 1.0
    if single_unit and rule["single_item_exception"]:
        return SINGLE_ITEM_OVER_CAP
    return OVER_CAP


def cap_allows(sku: dict, demand: dict, rule: dict) -> bool:
    """True if the order-value cap (with its single-item exception) allows the pair."""
    return cap_outcome(sku, demand, rule) != OVER_CAP


def positive_list_allows(sku: dict, channel: dict) -> bool:
    """A channel that requires the positive list takes only SKUs on it."""
    return not channel.get("requires_positive_list", False) or sku.get("positive_list", True)


def promise_days(lead_times: list[float], stock_position: int | None, processing_days: float):
    """Days from order to delivery.

    ``lead_times`` are the path's lanes in order; ``stock_position`` is the
    index (among the path's nodes, supplier = 0) of the stocking node, or None
    for a per-order channel. Stocked: the lanes after the stocking node; per
    order: all lanes; plus the channel's processing days.
    """
    if stock_position is None:
        after = lead_times
    else:
        # lane i goes from node i to node i + 1
        after = [t for i, t in enumerate(lead_times) if i >= stock_position]
    return sum(after) + processing_days


def promise_allows(days: float, max_promise_days: float | None) -> bool:
    return max_promise_days is None or days <= max_promise_days


def resolve_rule(rules: list[dict], channel_id: str, destination: str, origin: str, category: str):
    """The tax_rules row for a pair: most specific wins, category before origin.

    Returns None when no row matches (the pair has no tax rule).
    """
    for want_category, want_origin in (
        (category, origin),
        (category, "*"),
        ("*", origin),
        ("*", "*"),
    ):
        for row in rules:
            if (
                row["channel_id"] == channel_id
                and row["destination_country"] == destination
                and row.get("origin_country", "*") == want_origin
                and row.get("category", "*") == want_category
            ):
                return row
    return None


# ---------------------------------------------------------------------------
# path costs


def lane_freight(lane: dict, sku: dict) -> float:
    """Freight of one unit on one lane: per kg + per m3 + per unit."""
    return (
        sku["weight_kg"] * lane.get("cost_per_kg", 0.0)
        + sku["volume_m3"] * lane.get("cost_per_m3", 0.0)
        + lane.get("cost_per_unit", 0.0)
    )


def freight(lanes: list[dict], sku: dict) -> float:
    return sum(lane_freight(lane, sku) for lane in lanes)


#: The EU-27 customs union (Greece as GR); every other country is its own territory.
EU_27 = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "HU",
}  # fmt: skip


def territory(country: str) -> str:
    """The customs territory of a country: 'EU' for a member state, else the country."""
    return "EU" if country in EU_27 else country


def valuation_basis(rule: dict) -> str:
    """The rule's customs_value_basis; blank: FOB into the US, Canada and Australia, CIF
    elsewhere (DOMAIN.md, "Customs valuation basis by destination")."""
    basis = with_defaults(rule)["customs_value_basis"]
    if basis:
        return basis
    return "fob" if rule["destination_country"] in ("US", "CA", "AU") else "cif"


def lane_valuation_freight(lane: dict, sku: dict) -> float:
    """Freight of one unit on one lane for valuation: the lane's linear costs plus any
    consolidated charge allocated to the unit (``alloc_per_kg`` / ``alloc_per_m3``)."""
    return (
        lane_freight(lane, sku)
        + sku["weight_kg"] * lane.get("alloc_per_kg", 0.0)
        + sku["volume_m3"] * lane.get("alloc_per_m3", 0.0)
    )


def freight_to_border(lanes: list[dict], sku: dict) -> float:
    """Freight up to and including the lane that enters the destination's customs territory.

    The destination is where the last lane arrives. The lane that enters its
    territory is the first lane arriving in any country of that territory (for
    the EU, any member state); later lanes (inland, or between member states)
    are not part of the CIF value.
    """
    destination = territory(lanes[-1]["to_country"])
    total = 0.0
    for lane in lanes:
        total += lane_valuation_freight(lane, sku)
        if territory(lane["to_country"]) == destination:
            break
    return total


def freight_before_export(lanes: list[dict], sku: dict) -> float:
    """Freight of the lanes travelled before the goods first leave the origin's territory
    (the origin is where the first lane starts): the part of freight in the FOB value."""
    origin = territory(lanes[0]["from_country"])
    total = 0.0
    for lane in lanes:
        if territory(lane["to_country"]) != origin:
            break
        total += lane_valuation_freight(lane, sku)
    return total


def cif_value(sku: dict, lanes: list[dict]) -> float:
    """CIF = procurement + freight up to and including the border lane."""
    return sku["procurement_cost"] + freight_to_border(lanes, sku)


def fob_value(sku: dict, lanes: list[dict]) -> float:
    """FOB = procurement + freight until the goods leave the origin."""
    return sku["procurement_cost"] + freight_before_export(lanes, sku)


def annual_limit_allows(sku: dict, demand: dict, rule: dict, parameter_limit: float) -> bool:
    """CBEC retail: an order worth more than a person's annual limit (the rule's, else the
    parameter) can never use the channel."""
    rule = with_defaults(rule)
    if rule["regime"] != "cbec_retail":
        return True
    limit = rule["annual_limit_per_person"]
    limit = parameter_limit if limit is None else limit
    return not above(order_value(sku, demand), limit)


def over_cap_duty_rate(
    rule: dict, rules: list[dict], destination: str, origin: str, category: str
) -> float | None:
    """Duty rate of a single CBEC item above the cap: the rule's over_cap_duty_rate, else
    the duty of the general-trade rule (any channel) for the destination, origin and
    category, most specific first; None when neither exists (the pair is not offered)."""
    own = with_defaults(rule)["over_cap_duty_rate"]
    if own is not None:
        return own
    general = [r for r in rules if r["regime"] == "general_trade"]
    for want_category, want_origin in (
        (category, origin),
        (category, "*"),
        ("*", origin),
        ("*", "*"),
    ):
        for row in general:
            if (
                row["destination_country"] == destination
                and (row.get("origin_country") or "*") == want_origin
                and (row.get("category") or "*") == want_category
            ):
                return with_defaults(row)["duty_rate"]
    return None


# ---------------------------------------------------------------------------
# taxes


def general_trade_taxes(customs_value: float, duty_rate: float, c: float, v: float):
    """duty = CV d; CT = (CV + duty) c / (1 - c); import VAT = (CV + duty + CT) v."""
    duty = customs_value * duty_rate
    consumption_tax = (customs_value + duty) * c / (1.0 - c)
    import_vat = (customs_value + duty + consumption_tax) * v
    return duty, consumption_tax, import_vat


def unit_costs(
    sku: dict,
    demand: dict,
    lanes: list[dict],
    handling: list[float],
    channel: dict,
    rule: dict,
    trace: set[str] | None = None,
    over_cap_duty: float | None = None,
) -> dict[str, float]:
    """Per-unit landed-cost components of one (SKU, path) pair serving one demand row.

    ``trace``, if given, collects the names of the rule branches taken.
    ``over_cap_duty`` is the duty rate of a CBEC single item above the cap
    (:func:`over_cap_duty_rate`); such a pair is not offered without one.
    Raises ValueError for a pair the order-value cap does not allow.
    """
    rule = with_defaults(rule)
    note = trace.add if trace is not None else (lambda _name: None)
    regime = rule["regime"]
    units = demand.get("units_per_order", 1.0)
    w = transaction_value(sku, demand)
    order = order_value(sku, demand)
    c = sku.get("consumption_tax_rate", 0.0) if rule["apply_consumption_tax"] else 0.0
    d, v = rule["duty_rate"], rule["vat_rate"]

    outcome = cap_outcome(sku, demand, rule, trace)
    if outcome == OVER_CAP:
        raise ValueError("order value above the cap: the pair is not allowed")
    note(f"cap/{outcome}")

    duty = vat = consumption_tax = parcel_tax = 0.0

    if regime == "general_trade":
        basis = valuation_basis(rule)
        if basis == "transaction":
            customs_value = w
            note("general_trade/cv_transaction")
        elif basis == "fob":
            customs_value = fob_value(sku, lanes)
            note("general_trade/cv_fob")
        else:
            customs_value = cif_value(sku, lanes)
            note("general_trade/cv_cif")
            if freight_to_border(lanes, sku) != freight(lanes, sku):
                note("general_trade/cif_excludes_inland_freight")
        duty, consumption_tax, import_vat = general_trade_taxes(customs_value, d, c, v)
        if rule["vat_basis"] == "retail_sale":
            vat = v * w  # import VAT is credited; the VAT on the retail sale is the cost
            note("general_trade/vat_retail_sale")
        else:
            vat = import_vat
            note("general_trade/vat_import")
        if c > 0:
            note("general_trade/consumption_tax")

    elif regime == "cbec_retail":
        if outcome == SINGLE_ITEM_OVER_CAP:
            # a single item above the cap pays general-trade duty, CT and VAT in full on w;
            # the duty rate is not the CBEC rule's (CBEC duty is 0) but general trade's
            if over_cap_duty is None:
                raise ValueError("no general-trade duty for a single item above the cap")
            duty, consumption_tax, vat = general_trade_taxes(w, over_cap_duty, c, v)
            note("cbec_retail/single_item_over_cap")
        else:
            k = rule["cbec_tax_factor"]
            full_consumption_tax = w * c / (1.0 - c)
            consumption_tax = k * full_consumption_tax
            vat = k * (w + full_consumption_tax) * v
            note("cbec_retail/within_limits")

    elif regime == "postal":
        tax_per_parcel = rule["parcel_tax_rate"] * sku["retail_price"] * units
        if not above(tax_per_parcel, rule["parcel_tax_exemption"], trace):
            note("postal/waived")
        else:
            parcel_tax = tax_per_parcel / units
            note("postal/due")

    elif regime == "low_value_parcel":
        share = rule["taxable_value_share"]
        taxable_order = share * order
        taxable_unit = share * w
        if share != 1.0:
            note("low_value_parcel/partial_share")
        if below(taxable_order, rule["flat_duty_below"], trace):
            duty = rule["flat_duty_per_order"] / units
            note("low_value_parcel/flat_duty")
        elif above(taxable_order, rule["duty_free_threshold"], trace):
            duty = d * taxable_unit
            note("low_value_parcel/ad_valorem_duty")
        else:
            note("low_value_parcel/duty_free")
        if above(taxable_order, rule["vat_free_threshold"], trace):
            vat = v * (taxable_unit + duty)
            note("low_value_parcel/vat")
        else:
            note("low_value_parcel/vat_free")

    elif regime == "none":
        note("none")

    else:
        raise ValueError(f"unknown regime {regime!r}")

    rebate = 0.0
    if channel.get("earns_export_rebate", False):
        rebate = sku.get("export_rebate_rate", 0.0) * sku["procurement_cost"]
        if rebate > 0:
            note("export_rebate")

    return {
        "procurement": sku["procurement_cost"],
        "freight": freight(lanes, sku),
        "handling": sum(handling),
        "duty": duty,
        "vat": vat,
        "consumption_tax": consumption_tax,
        "parcel_tax": parcel_tax,
        "export_rebate": -rebate,
    }
