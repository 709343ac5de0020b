"""Hand-worked tax examples, one or more per channel and regime.

Each test builds a one-SKU, one-lane instance whose only path is priced by
the landed-cost core, and compares every component with arithmetic done by
hand from the regulation (../shared/DOMAIN.md).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

import lean_chain
from lean_chain.costs.landed import COMPONENTS, landed_cost
from lean_chain.index import build_index


def one_path_instance(
    folder: Path,
    *,
    rule: dict,
    channel: dict | None = None,
    sku: dict | None = None,
    demand: dict | None = None,
    origin_country: str = "JP",
    destination_country: str = "CN",
    lane_cost_per_kg: float = 0.0,
    currency: str = "CNY",
    fx: dict[str, float] | None = None,
) -> lean_chain.Instance:
    """Supplier S (origin) -> region R (destination) over one lane, one channel C."""
    folder.mkdir(parents=True, exist_ok=True)
    sku_row = {
        "sku_id": "K",
        "category": "general",
        "supplier_id": "S",
        "procurement_cost": 100.0,
        "retail_price": 200.0,
        "weight_kg": 1.0,
        "volume_m3": 0.01,
    }
    sku_row.update(sku or {})
    channel_row = {
        "channel_id": "C",
        "direction": "import",
        "path_shape": "supplier>region",
    }
    channel_row.update(channel or {})
    demand_row = {"sku_id": "K", "region_id": "R", "units": 10.0}
    demand_row.update(demand or {})
    rule_row = {"channel_id": "C", "destination_country": destination_country}
    rule_row.update(rule)
    tables = {
        "skus": [sku_row],
        "nodes": [
            {"node_id": "S", "kind": "supplier", "country": origin_country, "lat": 0, "lon": 0},
            {"node_id": "R", "kind": "region", "country": destination_country, "lat": 1, "lon": 1},
        ],
        "lanes": [
            {
                "lane_id": "L",
                "from_node": "S",
                "to_node": "R",
                "mode": "express",
                "cost_per_kg": lane_cost_per_kg,
                "lead_time_days": 5,
            }
        ],
        "demand": [demand_row],
        "channels": [channel_row],
        "tax_rules": [rule_row],
        "fx": [{"currency": c, "rate_to_instance": r} for c, r in (fx or {currency: 1.0}).items()],
    }
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)
    (folder / "parameters.yaml").write_text(yaml.safe_dump({"currency": currency}))
    return lean_chain.load_instance(folder)


def components(instance: lean_chain.Instance) -> dict[str, float]:
    index = build_index(instance)
    assert len(index.pairs) == 1
    cost = landed_cost(instance, index)
    return {name: float(cost.components[i, 0]) for i, name in enumerate(COMPONENTS)}


CBEC = {
    "regime": "cbec_retail",
    "vat_rate": 0.13,
    "apply_consumption_tax": True,
    "cbec_tax_factor": 0.7,
    "order_value_cap": 5000,
    "single_item_exception": True,
}


def test_cbec_retail_plain_goods_is_9_1_percent(tmp_path):
    """1210/9610, v = 13 %, c = 0: tax = 0.7 x 13 % = 9.1 % of the transaction value.

    w = 200 retail + 20 shipping / 1 unit = 220; VAT = 0.7 x 220 x 0.13 = 20.02.
    """
    inst = one_path_instance(tmp_path, rule=CBEC, demand={"shipping_per_order": 20})
    c = components(inst)
    assert c["duty"] == 0
    assert c["consumption_tax"] == 0
    assert c["vat"] == pytest.approx(20.02, rel=1e-12)
    assert c["vat"] / 220 == pytest.approx(0.091, rel=1e-12)


def test_cbec_retail_premium_cosmetics_is_23_06_percent(tmp_path):
    """v = 13 %, c = 15 %: CT = 0.7 w c/(1-c), VAT = 0.7 (w + w c/(1-c)) v.

    w = 1000: CT = 0.7 x 1000 x 0.15/0.85 = 123.5294; VAT = 0.7 x (1000 + 176.4706) x 0.13
    = 107.0588; together 230.588 = 23.06 % of w.
    """
    inst = one_path_instance(
        tmp_path, rule=CBEC, sku={"retail_price": 1000, "consumption_tax_rate": 0.15}
    )
    c = components(inst)
    assert c["consumption_tax"] == pytest.approx(0.7 * 1000 * 0.15 / 0.85, rel=1e-12)
    assert c["vat"] == pytest.approx(0.7 * (1000 + 1000 * 0.15 / 0.85) * 0.13, rel=1e-12)
    assert round((c["consumption_tax"] + c["vat"]) / 1000, 4) == 0.2306


def test_cbec_single_item_above_cap_pays_general_trade_on_transaction_value(tmp_path):
    """One watch at 6,000 CNY (> 5,000 cap, single unit): full duty + CT + VAT on w.

    d = 10 %, c = 20 %, v = 13 %: duty = 600; CT = (6000 + 600) x 0.2/0.8 = 1650;
    VAT = (6000 + 600 + 1650) x 0.13 = 1072.5.
    """
    rule = {**CBEC, "over_cap_duty_rate": 0.10}
    inst = one_path_instance(
        tmp_path, rule=rule, sku={"retail_price": 6000, "consumption_tax_rate": 0.2}
    )
    c = components(inst)
    assert c["duty"] == pytest.approx(600.0, rel=1e-12)
    assert c["consumption_tax"] == pytest.approx(1650.0, rel=1e-12)
    assert c["vat"] == pytest.approx(1072.5, rel=1e-12)


def test_cbec_multi_unit_order_above_cap_is_not_allowed(tmp_path):
    """Two units of 3,000 per order = 6,000 > 5,000: the channel may not serve it."""
    with pytest.raises(lean_chain.InstanceError) as err:
        one_path_instance(
            tmp_path, rule=CBEC, sku={"retail_price": 3000}, demand={"units_per_order": 2}
        )
    assert "demand.csv" in str(err.value)
    assert "an order is worth more than the channel's per-order value cap" in str(err.value)


def test_cbec_order_one_fen_under_cap_is_allowed(tmp_path):
    """4,999.99 per order is within the 5,000 cap: CBEC rate applies, 9.1 %."""
    inst = one_path_instance(tmp_path, rule=CBEC, sku={"retail_price": 4999.99})
    c = components(inst)
    assert c["duty"] == 0
    assert c["vat"] == pytest.approx(0.091 * 4999.99, rel=1e-12)


POSTAL = {
    "regime": "postal",
    "parcel_tax_rate": 0.13,
    "parcel_tax_exemption": 50,
    "order_value_cap": 1000,
    "single_item_exception": True,
}


def test_postal_tax_at_or_below_50_is_waived(tmp_path):
    """A 384.61 parcel at 13 % is 49.9993 of tax: at most 50, so it is waived."""
    inst = one_path_instance(tmp_path, rule=POSTAL, sku={"retail_price": 384.61})
    assert components(inst)["parcel_tax"] == 0


def test_postal_tax_above_50_is_due(tmp_path):
    """Two units of 200 per parcel at 20 %: tax 80 per parcel > 50, so 40 per unit."""
    inst = one_path_instance(
        tmp_path,
        rule={**POSTAL, "parcel_tax_rate": 0.20},
        demand={"units_per_order": 2},
    )
    assert components(inst)["parcel_tax"] == pytest.approx(40.0, rel=1e-12)


def test_general_trade_import_duty_on_cif_and_vat_credited(tmp_path):
    """0110 into China: CV = CIF = 100 + 3 kg x 10 freight = 130; d = 10 %; c = 15 %.

    duty = 13; CT = (130 + 13) x 0.15/0.85 = 25.2353; import VAT is credited, so the
    VAT cost is the VAT on the retail sale: 0.13 x 200 = 26.
    """
    rule = {
        "regime": "general_trade",
        "duty_rate": 0.10,
        "vat_rate": 0.13,
        "apply_consumption_tax": True,
        "customs_value_basis": "cif",
        "vat_basis": "retail_sale",
    }
    inst = one_path_instance(
        tmp_path,
        rule=rule,
        sku={"weight_kg": 3.0, "consumption_tax_rate": 0.15},
        lane_cost_per_kg=10.0,
    )
    c = components(inst)
    assert c["freight"] == pytest.approx(30.0)
    assert c["duty"] == pytest.approx(13.0, rel=1e-12)
    assert c["consumption_tax"] == pytest.approx(143 * 0.15 / 0.85, rel=1e-12)
    assert c["vat"] == pytest.approx(26.0, rel=1e-12)


def test_general_trade_import_vat_not_credited(tmp_path):
    """vat_basis import: VAT = (CV + duty + CT) v = (130 + 13 + 0) x 0.13 = 18.59."""
    rule = {
        "regime": "general_trade",
        "duty_rate": 0.10,
        "vat_rate": 0.13,
        "vat_basis": "import",
    }
    inst = one_path_instance(tmp_path, rule=rule, sku={"weight_kg": 3.0}, lane_cost_per_kg=10.0)
    assert components(inst)["vat"] == pytest.approx(18.59, rel=1e-12)


def export_instance(tmp_path, rule, *, fx, retail_price, rebate=0.13, earns=True, **kw):
    return one_path_instance(
        tmp_path,
        rule=rule,
        channel={"direction": "export", "earns_export_rebate": earns},
        sku={"retail_price": retail_price, "export_rebate_rate": rebate},
        origin_country="CN",
        fx=fx,
        **kw,
    )


def test_export_9610_to_eu_flat_duty_below_150_and_vat_on_all(tmp_path):
    """EU parcel of EUR 100 (1 EUR = 7.8 CNY): TV = 780 CNY < 150 EUR = 1,170 CNY, so the
    EUR 3 flat duty (23.4 CNY) applies instead of ad valorem duty; VAT 20 % on
    (780 + 23.4) = 160.68. 9610 earns no rebate."""
    rule = {
        "destination_country": "DE",
        "regime": "low_value_parcel",
        "currency": "EUR",
        "duty_rate": 0.12,
        "vat_rate": 0.20,
        "duty_free_threshold": 150,
        "flat_duty_per_order": 3,
        "flat_duty_below": 150,
    }
    inst = export_instance(
        tmp_path,
        rule,
        fx={"CNY": 1.0, "EUR": 7.8},
        retail_price=780.0,
        earns=False,
        destination_country="DE",
    )
    c = components(inst)
    assert c["duty"] == pytest.approx(23.4, rel=1e-12)
    assert c["vat"] == pytest.approx(0.2 * 803.4, rel=1e-12)
    assert c["export_rebate"] == 0


def test_export_eu_above_150_pays_ad_valorem_duty(tmp_path):
    """EUR 200 parcel = 1,560 CNY > 1,170: duty 12 % = 187.2; VAT 20 % of 1,747.2 = 349.44."""
    rule = {
        "destination_country": "DE",
        "regime": "low_value_parcel",
        "currency": "EUR",
        "duty_rate": 0.12,
        "vat_rate": 0.20,
        "duty_free_threshold": 150,
        "flat_duty_per_order": 3,
        "flat_duty_below": 150,
    }
    inst = export_instance(
        tmp_path,
        rule,
        fx={"CNY": 1.0, "EUR": 7.8},
        retail_price=1560.0,
        destination_country="DE",
    )
    c = components(inst)
    assert c["duty"] == pytest.approx(187.2, rel=1e-12)
    assert c["vat"] == pytest.approx(349.44, rel=1e-12)


def test_export_uk_no_duty_at_or_below_135_gbp(tmp_path):
    """UK: GBP 135.00 exactly (1 GBP = 9 CNY, 1,215 CNY) pays no duty; VAT 20 % = 243.
    One fen more and the 8 % duty is due."""
    rule = {
        "destination_country": "GB",
        "regime": "low_value_parcel",
        "currency": "GBP",
        "duty_rate": 0.08,
        "vat_rate": 0.20,
        "duty_free_threshold": 135,
    }
    at = export_instance(
        tmp_path / "at",
        rule,
        fx={"CNY": 1.0, "GBP": 9.0},
        retail_price=1215.0,
        destination_country="GB",
    )
    c = components(at)
    assert c["duty"] == 0
    assert c["vat"] == pytest.approx(243.0, rel=1e-12)
    above = export_instance(
        tmp_path / "above",
        rule,
        fx={"CNY": 1.0, "GBP": 9.0},
        retail_price=1215.01,
        destination_country="GB",
    )
    assert components(above)["duty"] == pytest.approx(0.08 * 1215.01, rel=1e-12)


def test_export_japan_taxable_value_is_60_percent_of_retail(tmp_path):
    """JP personal import: taxable value 60 % of the price. JPY 16,000 retail (1 JPY =
    0.05 CNY -> 800 CNY): taxable JPY 9,600 <= 10,000, exempt from duty and consumption tax.
    JPY 17,000: taxable 10,200 > 10,000: duty 5 % x 0.6 x 850 = 25.5 CNY; tax 10 % x
    (510 + 25.5) = 53.55 CNY."""
    rule = {
        "destination_country": "JP",
        "regime": "low_value_parcel",
        "currency": "JPY",
        "duty_rate": 0.05,
        "vat_rate": 0.10,
        "taxable_value_share": 0.6,
        "duty_free_threshold": 10000,
        "vat_free_threshold": 10000,
    }
    fx = {"CNY": 1.0, "JPY": 0.05}
    c = components(
        export_instance(tmp_path / "a", rule, fx=fx, retail_price=800.0, destination_country="JP")
    )
    assert c["duty"] == 0 and c["vat"] == 0
    c = components(
        export_instance(tmp_path / "b", rule, fx=fx, retail_price=850.0, destination_country="JP")
    )
    assert c["duty"] == pytest.approx(25.5, rel=1e-12)
    assert c["vat"] == pytest.approx(53.55, rel=1e-12)


def test_export_us_de_minimis_suspended_every_parcel_dutiable(tmp_path):
    """US since 2025-08-29: duty on every parcel, however small: 25 % of 50 CNY = 12.5."""
    rule = {
        "destination_country": "US",
        "regime": "low_value_parcel",
        "duty_rate": 0.25,
        "duty_free_threshold": 0,
    }
    c = components(
        export_instance(
            tmp_path, rule, fx={"CNY": 1.0}, retail_price=50.0, destination_country="US"
        )
    )
    assert c["duty"] == pytest.approx(12.5, rel=1e-12)
    assert c["vat"] == 0


def test_export_rebate_is_rate_times_procurement(tmp_path):
    """1210/9810/9710 earn the rebate: 13 % x 100 procurement = 13, subtracted."""
    rule = {"destination_country": "US", "regime": "none"}
    c = components(
        export_instance(
            tmp_path, rule, fx={"CNY": 1.0}, retail_price=200.0, destination_country="US"
        )
    )
    assert c["export_rebate"] == pytest.approx(-13.0, rel=1e-12)
    assert sum(c.values()) == pytest.approx(100.0 - 13.0, rel=1e-12)


def test_money_in_foreign_currency_is_converted(tmp_path):
    """A JPY 2,000 procurement cost at 0.05 CNY/JPY is 100 CNY."""
    inst = one_path_instance(
        tmp_path,
        rule=CBEC,
        sku={"procurement_cost": 2000, "retail_price": 4000, "currency": "JPY"},
        fx={"CNY": 1.0, "JPY": 0.05},
    )
    c = components(inst)
    assert c["procurement"] == pytest.approx(100.0, rel=1e-12)
    assert c["vat"] == pytest.approx(0.091 * 200.0, rel=1e-12)


def test_kernels_agree_bit_for_bit_and_write_into_out():
    """Both kernels run the same formulas (lean_chain.model.regimes): same bits; ``out=``
    is written in place."""
    import numpy as np

    from lean_chain.costs.landed import LandedCost, landed_inputs, price_pairs

    inst = lean_chain.load_instance(Path(__file__).parent.parent / "data" / "tiny")
    inputs = landed_inputs(inst, build_index(inst))
    out = LandedCost.empty(inputs.n_pairs)
    assert price_pairs(inputs, "numba", out=out) is out
    plain = price_pairs(inputs, "numpy")
    for name in ("components", "held_value", "transaction_value", "order_value"):
        assert np.array_equal(getattr(out, name), getattr(plain, name))
    with pytest.raises(ValueError, match="out must hold"):
        price_pairs(inputs, "numpy", out=LandedCost.empty(inputs.n_pairs + 1))
