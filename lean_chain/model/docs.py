"""Render ``docs/instance-format.md`` from the schema.

Run ``python -m lean_chain.model.docs > docs/instance-format.md`` after
changing :mod:`lean_chain.model.schema`; a test fails when the file and the
schema disagree.
"""

from __future__ import annotations

from lean_chain.model.schema import LANE_MODES, NODE_KINDS, PARAMETERS, STOCKING_KINDS, TABLES

INTRO = f"""# Instance format

An instance is a folder of CSV tables plus one YAML file of parameters:

```
my_instance/
  parameters.yaml   instance currency, horizon, holding rate, service level, ...
  skus.csv          what is bought and sold
  nodes.csv         suppliers, ports/hubs, stocking nodes, demand points (with lat/lon)
  lanes.csv         transport links with cost and lead time
  demand.csv        units per SKU and demand node over the horizon
  channels.csv      customs channels and the path shape each allows
  tax_rules.csv     duty and tax rules per channel and destination country
  fx.csv            exchange rates into the instance currency
```

This page is generated from `lean_chain/model/schema.py` (`python -m lean_chain.model.docs`),
which also drives loading, defaults and validation. Conventions:

- Text cells are trimmed; a blank cell takes the column's default. Booleans are
  `true/false` (also `1/0`, `yes/no`).
- **Money**: every table with a `currency` column states its amounts in that currency
  (blank = the instance currency); `fx.csv` converts them on load. Results are in the
  instance currency.
- Extra columns whose names start with `x_`, `note` or `comment` are kept for your own use;
  any other unknown column is an error (it is most likely a typo).
- Node kinds: {", ".join(f"`{k}`" for k in NODE_KINDS)}. Stocking kinds (with capacity,
  fixed cost, stock): {", ".join(f"`{k}`" for k in STOCKING_KINDS)}.
  Lane modes: {", ".join(f"`{m}`" for m in LANE_MODES)}.

## Paths and channels

A channel's `path_shape` lists the node kinds a path visits, e.g.
`supplier>bonded_zone>region` (1210 bonded import), `supplier>region` (9610 direct mail,
postal), `supplier>port?>domestic_dc>region` (0110; `?` marks a kind that may be skipped),
`supplier>port?>overseas_warehouse>region` (9810). Paths are enumerated over lanes whose
`channels` cell admits the channel (`*` = any), so express lanes tagged `9610` and postal
lanes tagged `postal` keep those channels apart. Paths that break a hard rule are never
offered to the solver: SKU not on the positive list of a channel that requires it; promise
days above the demand node's `max_promise_days`; no tax rule for the channel, destination,
origin and category (leaving a channel's rule out for a category or destination is how
the channel is closed to it: the path is dropped, and `validate` reports only demand left
with no path at all, naming the rule that removed each channel); an order value above the
tax rule's `order_value_cap` (unless the rule has `single_item_exception` and orders are
single units); a CBEC retail order worth more than a person's annual limit
(`annual_limit_per_person`, else the parameter `cbec_annual_limit_per_person`: a
29,999.99 RMB bag can never go through 1210 / 9610); a CBEC single item above the cap with
no general-trade duty for it (`over_cap_duty_rate` blank and no `general_trade` rule for
its destination, origin and category); a channel, carrier or service level that the demand row or its demand node
does not accept (`allowed_channels`, `allowed_carriers`, `allowed_service_levels`, e.g. a
customer who collects at the port accepts only `door_to_port` services).

**Promise days** of a path: for a stocked channel, the lanes after the stocking node; for a
per-order channel, all lanes; plus the channel's `processing_days`. The **inbound lead time**
(for pipeline and safety stock) is the lanes up to the stocking node. Lead-time variances
add along a path.

## Tax regimes (`tax_rules.regime`)

w = transaction value per unit = retail price + shipping per order / units per order;
order value = w × units per order; c = the SKU's consumption-tax rate when
`apply_consumption_tax`. The customs value CV of `general_trade` follows
`customs_value_basis` (blank = the destination's basis: `fob` for the US, Canada and
Australia, `cif` everywhere else, e.g. the EU, China, the UK and Japan):

- `cif` = procurement + freight up to and including the lane that first enters the
  destination's **customs territory**. The EU-27 is one territory: goods cleared in
  Duisburg and trucked to France are valued at the German border, without the intra-EU
  leg; every other country is its own territory.
- `fob` = procurement + freight of the lanes travelled before the goods first leave the
  origin's territory (international freight and insurance excluded).
- `transaction` = w.

Freight in the value includes the consolidated charges of the lanes it covers, allocated
to units at their full-load rate: containers and trucks by volume (`cost_per_load` /
`capacity_m3`; by weight when only `capacity_kg` is given; `cost_per_container` /
`container_m3` on a containerised lane), weight breaks by actual weight at the lowest
(largest-break) rate per kg, LCL at `cost_per_m3`. This is the exact allocation when loads
are full and never more than it; fixed charges per shipment, order-band charges and parcel
freight in the FOB value are not allocated. The same freight (up to the stocking node)
enters the held value of stock.

| regime | duty | consumption tax | VAT / other |
|---|---|---|---|
| `general_trade` | d × CV, CV = CIF (or w with `customs_value_basis: transaction`) | (CV + duty) c / (1 − c) | `vat_basis: retail_sale`: v × w (import VAT is credited; the cost is the VAT on the retail sale); `import`: v (CV + duty + CT) |
| `cbec_retail` | 0 | k × w c / (1 − c) | k (w + w c/(1 − c)) v, k = `cbec_tax_factor` (0.7). A single-unit order above `order_value_cap` (when `single_item_exception`) pays general-trade duty, CT and VAT in full on CV = w, at the duty rate `over_cap_duty_rate`, else that of the `general_trade` rule (any channel) for the same destination, origin and category, never a blank rate: without either the path is dropped. An order above `annual_limit_per_person` never uses the channel |
| `postal` | — | — | parcel tax = `parcel_tax_rate` × retail price × units per order, waived when ≤ `parcel_tax_exemption` |
| `low_value_parcel` | TV = `taxable_value_share` × order value: flat `flat_duty_per_order` per parcel if TV < `flat_duty_below`; else d × share × w if TV > `duty_free_threshold`; else 0 | — | v (share × w + duty per unit) if TV > `vat_free_threshold` |
| `none` | — | — | — (e.g. 9710 when the business buyer imports) |

## Carrier rates (`rates.csv`, `weight_breaks.csv`; optional)

A lane's own cost columns are linear (per kg, m3, unit). Real tariffs are not; a lane can
list carrier services in `rates.csv`, each with its own lead time. Paths then travel the lane
through one service of the solver's choice (the path key names it as `lane_id@rate_id`),
and the lane's own cost columns are added to every service.

| kind | priced | in the model |
|---|---|---|
| `parcel` | per order (parcel): chargeable weight = max(actual, cm3 / `volumetric_divisor`) of units per order x the SKU; `first_charge` covers `first_weight_kg`, then `step_charge` per started `step_weight_kg` | per pair, in the landed cost (freight) |
| `weight_break` | per shipment of w = lane chargeable kg / `shipments_per_horizon`: f(w) = min over bands b with w <= hi_b of max(m_b, rate_b x max(w, break_b)), m_b = max(`min_charge`, the band's `min_charge`), with bands from `weight_breaks.csv`: each weight at its band's rate, or at a later break when cheaper. A weight in a gap between bands or above the last band's `max_weight_kg` is not serviceable | one binary per linear piece of f over the serviceable weights (exact) |
| `order_weight_break` | the band is the one the lane's chargeable kg per shipment falls in; then each order pays max(band minimum, band rate x the order's chargeable kg) | per (pair, band) share and one binary per band (exact) |
| `per_m3` | LCL: per shipment max(`min_charge`, `cost_per_m3` x m3) | as weight_break, on m3 |
| `container`, `truckload` | `cost_per_load` per container or truck holding `capacity_m3` and/or `capacity_kg`, counted per shipment: `shipments_per_horizon` x loads per shipment | integer loads per shipment |
| any | `fixed_per_shipment` x `shipments_per_horizon` when the service carries anything | one binary per service |

Consolidated (weight-break, order-band, per-m3, container, truckload, fixed) charges are
lane costs of the plan, reported in the cost breakdown as `consolidated_freight`,
`containers` and `shipment_fixed`. For customs valuation (CIF, FOB) and the held value of
stock they are allocated to units at their full-load rate (see "Tax regimes").

**Capacity.** `max_kg` (actual kg), `max_m3` and `max_units` on a lane limit what all its
services carry together, on a rate what that service carries; `limit_per` says per
`horizon` (default), `day` (x `horizon_days`) or, for a rate, `shipment` (x its
`shipments_per_horizon`). The MIP has one row per limit (`lane_capacity`); the evaluation
reports a plan above a limit as a violation, and an infeasible model names the lane, its
limit and what the plan needs. Weightless SKUs (`weight_kg` 0) are allowed; their volume or
unit count carries the charge.

Worked examples (tests/formulation/test_tariffs_mip.py, tests/formulation/test_rates_mip.py):

- `parcel`: first 0.5 kg 20, then 8 per started 0.5 kg; a 1.2 kg order pays 20 + 2 x 8 = 36.
- `weight_break`: bands N 10/kg, +100 6/kg, 1 shipment: 110 kg pay 6 x 110 = 660; 50 kg pay
  min(10 x 50, 6 x 100) = 500. With bands 0-40 kg and 120 kg up, 50 kg lies in the gap: the
  service cannot carry it. A band 0-100 kg with its own minimum 550: 60 kg pay 600, 50 kg
  550, 110 kg cannot travel.
- `order_weight_break`: bands 0 kg (10/kg, 20 an order) and 100 kg (6/kg, 8 an order); A's
  1 kg orders (100 kg) and B's 0.5 kg orders (5 kg) on one lane: 105 kg a shipment is in
  the 100 kg band, so every order pays 8 (B's minimum binds); in 2 shipments (52.5 kg each)
  the 0 kg band applies and every order pays 20.
- `per_m3` and `container`: 1.01 m3 a horizon in 52 shipments: LCL at 100/m3 with a 5
  minimum costs 52 x 5 = 260; FCL at 100 a container costs 52 x 100 = 5,200; in one
  shipment FCL (100) beats LCL (101).
- Capacity: a lane of 0.2 kg a day (73 kg a horizon) that a 100 kg SKU needs: 73 kg go that
  way and the rest by the next cheapest route.

Stocking nodes may also limit `orders_per_day_capacity` (orders = units / units per order),
the SKUs they stock (`allowed_categories`: categories or sku_ids) and where they ship
(`serves`: demand node ids or countries); paths that break these are never offered. Which
nodes connect to which ports is what `lanes.csv` lists.

## Effective dates and the rule library

Rows of `tax_rules.csv` and `channels.csv` carry `effective_from` / `effective_to`
(YYYY-MM-DD, both inclusive; blank = open). An instance is planned under the rows in force
on its **as-of date**: `lean-chain solve --as-of DATE` (also `evaluate`), else the `as_of`
parameter, else today; `summary.json` records it as `as_of`. So de minimis thresholds,
postal bands, CBEC caps and annual limits (all tax-rule columns) and channel availability
change with the date. A channel not in force takes its tax rules with it. `validate`
rejects dates that are not YYYY-MM-DD, a period that ends before it starts, and two rows of
the same key (tax rules: channel, destination, origin, category; channels: channel_id) in
force on the same day, naming both rows.

The bundled rule library `lean_chain/rules/*.csv` (`cn_import`, `us`, `eu`, `gb`, `jp`,
`au`, `ca`) holds dated, sourced rows for China CBEC retail import and postal articles,
US de minimis, the EU VAT package and EUR 3 flat duty, the UK, Japan, Australia and Canada;
each row names its legal source and says where a figure is uncertain. The parameter
`rule_library: 'cn_import|us'` adds those rows to `tax_rules.csv`; the instance's own rows
replace every library row of the same key, and rows for channels the instance does not list
are left out. Library duty rates are blank where they depend on the product (HS code): put
those in the instance. `lean-chain rules show --country US --as-of 2026-01-01` prints the
library rows in force (`--instance DIR` an instance's).

Export rebate (channels with `earns_export_rebate`): the SKU's `export_rebate_rate` ×
procurement cost, subtracted. Handling: every node on the path charges its
`handling_cost_per_unit`. Check values: CBEC at v = 13 %, c = 0 is 9.1 % of w; at c = 15 %
it is 23.06 %.
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_instance_format() -> str:
    """The Markdown text of ``docs/instance-format.md``."""
    out = [INTRO]
    out.append("## parameters.yaml\n")
    out.append("| key | type | required | default | unit | description |")
    out.append("|---|---|---|---|---|---|")
    for p in PARAMETERS.values():
        default = "" if p.default is None else repr(p.default)
        out.append(
            f"| `{p.name}` | {p.type} | {'yes' if p.required else 'no'} | "
            f"{_cell(default)} | {_cell(p.unit)} | {_cell(p.description)} "
            f"Expected: {_cell(p.expectation())}. |"
        )
    for table in TABLES.values():
        out.append(f"\n## {table.filename}\n")
        out.append(
            _cell(table.description)
            + (f" Key: {', '.join(table.key)}." if table.key else "")
            + "\n"
        )
        out.append("| column | type | required | default | unit | description |")
        out.append("|---|---|---|---|---|---|")
        for col in table.columns:
            if col.default is None:
                default = f"blank = {col.blank_means}" if col.blank_means else ""
            else:
                default = repr(col.default)
            unit = col.unit.replace("currency", "money") if col.money else col.unit
            out.append(
                f"| `{col.name}` | {col.type} | {'yes' if col.required else 'no'} | "
                f"{_cell(default)} | {_cell(unit)} | {_cell(col.description)} "
                f"Expected: {_cell(col.expectation())}. |"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render_instance_format(), end="")
