"""Every tax threshold, one fen (0.01 of the instance currency) either side.

Each case builds a two-channel instance: channel C (the rule under test) and a
fallback channel FB (regime none), each over its own lane from supplier S to
region R, so the instance still loads when C is not allowed. The C pair is
priced by the core (``lean_chain.costs.landed``) and by the scalar reference
(``reference.py``); both must give the hand-worked value, or both must refuse
the pair. Unless a case says otherwise: procurement 100, no freight, no
handling, consumption tax 0, no rebate; amounts in CNY.
"""

from __future__ import annotations

import csv
import inspect
import math
from pathlib import Path

import pytest
import reference as ref
import yaml

import lean_chain
from lean_chain.costs.landed import COMPONENTS, landed_cost
from lean_chain.index import build_index

MONEY = {
    "skus": ("procurement_cost", "retail_price"),
    "demand": ("shipping_per_order",),
    "tax_rules": (
        "order_value_cap",
        "parcel_tax_exemption",
        "duty_free_threshold",
        "vat_free_threshold",
        "flat_duty_per_order",
        "flat_duty_below",
    ),
}


def _write(folder: Path, name: str, rows: list[dict]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with (folder / f"{name}.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])


def _in_instance_currency(table: str, row: dict, fx: dict[str, float], currency: str) -> dict:
    rate = fx[row.get("currency") or currency]
    out = dict(row)
    for col in MONEY[table]:
        if out.get(col) is not None:
            out[col] = out[col] * rate
    return out


def price(
    folder: Path,
    *,
    rule: dict,
    sku: dict | None = None,
    demand: dict | None = None,
    currency: str = "CNY",
    fx: dict[str, float] | None = None,
    origin: str = "JP",
    destination: str = "CN",
) -> tuple[dict | None, dict | None]:
    """(core, reference) components of the C pair; None where the pair is not offered."""
    folder.mkdir(parents=True)
    fx = fx or {currency: 1.0}
    sku_row = {
        "sku_id": "K",
        "category": "general",
        "supplier_id": "S",
        "procurement_cost": 100.0,
        "retail_price": 200.0,
        "weight_kg": 1.0,
        "volume_m3": 0.01,
        **(sku or {}),
    }
    demand_row = {"sku_id": "K", "region_id": "R", "units": 10.0, **(demand or {})}
    rule_row = {"channel_id": "C", "destination_country": destination, **rule}
    _write(folder, "skus", [sku_row])
    _write(
        folder,
        "nodes",
        [
            {"node_id": "S", "kind": "supplier", "country": origin, "lat": 0, "lon": 0},
            {"node_id": "R", "kind": "region", "country": destination, "lat": 1, "lon": 1},
        ],
    )
    lane = {"from_node": "S", "to_node": "R", "mode": "express", "lead_time_days": 5}
    _write(
        folder,
        "lanes",
        [{"lane_id": "L1", "channels": "C", **lane}, {"lane_id": "L2", "channels": "FB", **lane}],
    )
    _write(folder, "demand", [demand_row])
    shape = {"direction": "import", "path_shape": "supplier>region"}
    _write(folder, "channels", [{"channel_id": "C", **shape}, {"channel_id": "FB", **shape}])
    fallback = {"channel_id": "FB", "destination_country": destination, "regime": "none"}
    _write(folder, "tax_rules", [rule_row, fallback])
    _write(folder, "fx", [{"currency": c, "rate_to_instance": r} for c, r in fx.items()])
    (folder / "parameters.yaml").write_text(yaml.safe_dump({"currency": currency}))

    inst = lean_chain.load_instance(folder)
    index = build_index(inst)
    channel_ids = inst.channels["channel_id"].to_numpy(object)
    mine = [j for j in range(len(index.pairs)) if channel_ids[index.pairs.channel[j]] == "C"]
    assert len(mine) <= 1
    core = None
    if mine:
        variants = [{}]
        if "kernel" in inspect.signature(landed_cost).parameters:
            variants = [{"kernel": "numpy"}, {"kernel": "numba"}]
        results = []
        for kw in variants:
            cost = landed_cost(inst, index, **kw)
            results.append(
                {n: float(cost.components[i, mine[0]]) for i, n in enumerate(COMPONENTS)}
            )
        for other in results[1:]:
            assert other == pytest.approx(results[0], rel=1e-12, abs=1e-12)
        core = results[0]

    sku_ref = _in_instance_currency("skus", sku_row, fx, currency)
    demand_ref = _in_instance_currency("demand", demand_row, fx, currency)
    rule_ref = _in_instance_currency("tax_rules", rule_row, fx, currency)
    reference = None
    if ref.cap_allows(sku_ref, demand_ref, rule_ref):
        lanes = [{"from_country": origin, "to_country": destination}]
        reference = ref.unit_costs(
            sku_ref,
            demand_ref,
            lanes,
            [0.0, 0.0],
            {},
            rule_ref,
            over_cap_duty=ref.over_cap_duty_rate(rule_ref, [rule_ref], destination, origin, ""),
        )
    return core, reference


def expect(procurement: float = 100.0, **nonzero: float) -> dict[str, float]:
    out = dict.fromkeys(COMPONENTS, 0.0)
    out["procurement"] = procurement
    out.update(nonzero)
    return out


def assert_priced(core, reference, expected: dict[str, float]) -> None:
    """Reference first (it documents the rule), then the core."""
    for who, got in (("reference", reference), ("core", core)):
        assert got is not None, f"{who}: the pair is not offered"
        for name in COMPONENTS:
            assert math.isclose(got[name], expected[name], rel_tol=1e-9, abs_tol=1e-9), (
                f"{who} {name}: {got[name]!r} != {expected[name]!r}"
            )


def assert_refused(core, reference) -> None:
    assert reference is None, "reference: the pair should not be offered"
    assert core is None, "core: the pair should not be offered"


# ---------------------------------------------------------------------------
# the reference reproduces DOMAIN.md's check values


@pytest.mark.parametrize(("c", "share"), [(0.0, 0.091), (0.15, 0.2306)])
def test_reference_cbec_check_values(c, share):
    """CBEC at v = 13 %: 9.1 % of w for c = 0, 23.06 % for c = 15 %."""
    sku = {"procurement_cost": 100.0, "retail_price": 1000.0, "weight_kg": 1.0, "volume_m3": 0.01}
    sku["consumption_tax_rate"] = c
    rule = {"regime": "cbec_retail", "vat_rate": 0.13, "apply_consumption_tax": True}
    got = ref.unit_costs(sku, {}, [{"to_country": "CN"}], [], {}, rule)
    assert round((got["vat"] + got["consumption_tax"]) / 1000.0, 4) == share


# ---------------------------------------------------------------------------
# CBEC retail: 5,000 per order

CBEC = {
    "regime": "cbec_retail",
    "over_cap_duty_rate": 0.10,  # single items above the cap (issue 11, defect 1)
    "vat_rate": 0.13,
    "apply_consumption_tax": True,
    "cbec_tax_factor": 0.7,
    "order_value_cap": 5000,
    "single_item_exception": True,
}


@pytest.mark.parametrize(
    ("retail", "expected"),
    [
        # w = 4,989.99 + 10 = 4,999.99: CBEC rate 9.1 % = 454.99909
        (4989.99, expect(vat=0.091 * 4999.99)),
        # w = 5,000.00 exactly: still within the cap, 9.1 % = 455
        (4990.00, expect(vat=455.0)),
        # w = 5,000.01, one unit: general trade in full on w: duty 500.001,
        # VAT (5,000.01 + 500.001) x 13 % = 715.00143
        (4990.01, expect(duty=500.001, vat=715.00143)),
    ],
    ids=["4999.99", "5000.00", "5000.01"],
)
def test_cbec_single_item_at_the_cap(tmp_path, retail, expected):
    core, reference = price(
        tmp_path / "i", rule=CBEC, sku={"retail_price": retail}, demand={"shipping_per_order": 10}
    )
    assert_priced(core, reference, expected)


def test_cbec_single_item_over_the_cap_with_consumption_tax(tmp_path):
    """w = 5,000.01, c = 15 %: duty 500.001; CT = 5,500.011 x 0.15/0.85 = 970.5901765;
    VAT = (5,500.011 + 970.5901765) x 13 % = 841.17815."""
    core, reference = price(
        tmp_path / "i",
        rule=CBEC,
        sku={"retail_price": 5000.01, "consumption_tax_rate": 0.15},
    )
    ct = 5500.011 * 0.15 / 0.85
    assert_priced(
        core, reference, expect(duty=500.001, consumption_tax=ct, vat=(5500.011 + ct) * 0.13)
    )


def test_cbec_single_item_over_the_cap_without_exception_is_refused(tmp_path):
    core, reference = price(
        tmp_path / "i",
        rule={**CBEC, "single_item_exception": False},
        sku={"retail_price": 5000.01},
    )
    assert_refused(core, reference)


def test_cbec_two_units_at_the_cap(tmp_path):
    """2 x 2,495 + 10 shipping = 5,000.00: allowed; w = 2,500, CBEC 9.1 % = 227.5."""
    core, reference = price(
        tmp_path / "i",
        rule=CBEC,
        sku={"retail_price": 2495.0},
        demand={"units_per_order": 2, "shipping_per_order": 10.0},
    )
    assert_priced(core, reference, expect(vat=227.5))


def test_cbec_two_units_one_fen_over_the_cap_are_refused(tmp_path):
    """2 x 2,495 + 10.01 shipping = 5,000.01 with two units: the channel may not serve it."""
    core, reference = price(
        tmp_path / "i",
        rule=CBEC,
        sku={"retail_price": 2495.0},
        demand={"units_per_order": 2, "shipping_per_order": 10.01},
    )
    assert_refused(core, reference)


def test_cbec_three_units_exactly_at_the_cap(tmp_path):
    """3 x 1,666.48 + 0.56 shipping = 5,000.00 exactly: allowed (the cap is <= 5,000).

    w = 1,666.48 + 0.56/3 = 1,666.6666...; CBEC 9.1 % of w = 151.6666...
    """
    core, reference = price(
        tmp_path / "i",
        rule=CBEC,
        sku={"retail_price": 1666.48},
        demand={"units_per_order": 3, "shipping_per_order": 0.56},
    )
    assert_priced(core, reference, expect(vat=0.091 * (1666.48 + 0.56 / 3)))


# ---------------------------------------------------------------------------
# personal postal articles: tax <= 50 waived, parcel <= 1,000

POSTAL = {
    "regime": "postal",
    "parcel_tax_rate": 0.5,
    "parcel_tax_exemption": 50,
    "order_value_cap": 1000,
    "single_item_exception": True,
}


@pytest.mark.parametrize(
    ("rate", "retail", "units", "expected"),
    [
        (0.5, 99.98, 1, expect()),  # tax 49.99: waived
        (0.5, 100.00, 1, expect()),  # tax exactly 50: waived
        (0.5, 100.02, 1, expect(parcel_tax=50.01)),  # tax 50.01: due
        (0.2, 250.00, 1, expect()),  # 20 % of 250 = 50: waived
        (0.2, 250.05, 1, expect(parcel_tax=50.01)),  # 50.01: due
        (0.2, 125.00, 2, expect()),  # 2 x 125 x 20 % = 50 per parcel: waived
        (0.2, 125.03, 2, expect(parcel_tax=25.006)),  # 50.012 per parcel, 25.006 per unit
    ],
    ids=["49.99", "50.00", "50.01", "20pc-50.00", "20pc-50.01", "2u-50.00", "2u-50.012"],
)
def test_postal_exemption(tmp_path, rate, retail, units, expected):
    core, reference = price(
        tmp_path / "i",
        rule={**POSTAL, "parcel_tax_rate": rate},
        sku={"retail_price": retail},
        demand={"units_per_order": units},
    )
    assert_priced(core, reference, expected)


def test_postal_exemption_ignores_shipping(tmp_path):
    """The parcel tax is on the goods value: 100 x 50 % = 50 (waived) even with 20 shipping."""
    core, reference = price(
        tmp_path / "i",
        rule=POSTAL,
        sku={"retail_price": 100.0},
        demand={"shipping_per_order": 20.0},
    )
    assert_priced(core, reference, expect())


def test_postal_two_units_at_the_1000_cap(tmp_path):
    """2 x 495 + 10 = 1,000.00: allowed; tax 50 % x 990 = 495 per parcel, 247.5 per unit."""
    core, reference = price(
        tmp_path / "i",
        rule=POSTAL,
        sku={"retail_price": 495.0},
        demand={"units_per_order": 2, "shipping_per_order": 10.0},
    )
    assert_priced(core, reference, expect(parcel_tax=247.5))


def test_postal_two_units_one_fen_over_the_cap_are_refused(tmp_path):
    core, reference = price(
        tmp_path / "i",
        rule=POSTAL,
        sku={"retail_price": 495.0},
        demand={"units_per_order": 2, "shipping_per_order": 10.01},
    )
    assert_refused(core, reference)


def test_postal_single_item_one_fen_over_the_cap(tmp_path):
    """One indivisible item of 1,000.01: allowed; tax 50 % = 500.005."""
    core, reference = price(tmp_path / "i", rule=POSTAL, sku={"retail_price": 1000.01})
    assert_priced(core, reference, expect(parcel_tax=500.005))


def test_postal_single_item_over_the_cap_without_exception_is_refused(tmp_path):
    core, reference = price(
        tmp_path / "i",
        rule={**POSTAL, "single_item_exception": False},
        sku={"retail_price": 1000.01},
    )
    assert_refused(core, reference)


def test_postal_single_item_at_the_cap(tmp_path):
    """1,000.00 is within the cap even without the exception: tax 500."""
    core, reference = price(
        tmp_path / "i",
        rule={**POSTAL, "single_item_exception": False},
        sku={"retail_price": 1000.0},
    )
    assert_priced(core, reference, expect(parcel_tax=500.0))


# ---------------------------------------------------------------------------
# destination low-value parcel rules

UK = {
    "regime": "low_value_parcel",
    "duty_rate": 0.08,
    "vat_rate": 0.20,
    "duty_free_threshold": 1215,  # GBP 135 at 9 CNY
}


@pytest.mark.parametrize(
    ("retail", "expected"),
    [
        (1199.99, expect(vat=0.2 * 1214.99)),  # 1,214.99: no duty
        (1200.00, expect(vat=243.0)),  # 1,215.00 at the threshold: no duty
        # 1,215.01: duty 8 % = 97.2008; VAT 20 % x (1,215.01 + 97.2008) = 262.44216
        (1200.01, expect(duty=97.2008, vat=262.44216)),
    ],
    ids=["1214.99", "1215.00", "1215.01"],
)
def test_low_value_duty_free_threshold(tmp_path, retail, expected):
    """The threshold is on the order value, shipping included (1,200 + 15)."""
    core, reference = price(
        tmp_path / "i",
        rule=UK,
        sku={"retail_price": retail},
        demand={"shipping_per_order": 15.0},
        origin="CN",
        destination="GB",
    )
    assert_priced(core, reference, expected)


@pytest.mark.parametrize(
    ("retail", "expected"),
    [
        (99.99, expect()),
        (100.00, expect()),  # at the threshold: no VAT
        (100.01, expect(vat=5.0005)),  # 5 % of 100.01
    ],
    ids=["99.99", "100.00", "100.01"],
)
def test_low_value_vat_free_threshold(tmp_path, retail, expected):
    """Canada-like: no tax at or below 100 (C$20 at 5 CNY); GST 5 % above; no duty."""
    rule = {"regime": "low_value_parcel", "vat_rate": 0.05, "vat_free_threshold": 100}
    core, reference = price(
        tmp_path / "i", rule=rule, sku={"retail_price": retail}, origin="CN", destination="CA"
    )
    assert_priced(core, reference, expected)


EU = {
    "regime": "low_value_parcel",
    "currency": "EUR",
    "duty_rate": 0.12,
    "vat_rate": 0.20,
    "duty_free_threshold": 150,
    "flat_duty_per_order": 3,
    "flat_duty_below": 150,
}
EU_FX = {"CNY": 1.0, "EUR": 7.8}  # EUR 150 = 1,170 CNY; EUR 3 = 23.4 CNY


@pytest.mark.parametrize(
    ("retail", "expected"),
    [
        # 1,169.99 < 1,170: flat 23.4; VAT 20 % x (1,169.99 + 23.4) = 238.678
        (1169.99, expect(duty=23.4, vat=238.678)),
        # exactly 1,170: not strictly below, and not above the duty-free threshold: no duty
        (1170.00, expect(vat=234.0)),
        # 1,170.01: ad valorem 12 % = 140.4012; VAT 20 % x 1,310.4112 = 262.08224
        (1170.01, expect(duty=140.4012, vat=262.08224)),
    ],
    ids=["1169.99", "1170.00", "1170.01"],
)
def test_low_value_flat_duty_strictly_below(tmp_path, retail, expected):
    core, reference = price(
        tmp_path / "i",
        rule=EU,
        sku={"retail_price": retail},
        fx=EU_FX,
        origin="CN",
        destination="DE",
    )
    assert_priced(core, reference, expected)


def test_low_value_three_units_exactly_at_the_flat_threshold(tmp_path):
    """3 x 63.90 + 978.30 shipping = 1,170.00 exactly: not strictly below 1,170, and not
    above the duty-free threshold: no duty; VAT 20 % x w = 20 % x 390 = 78.
    (Computed naively this is 1169.9999999999998: the flat duty would be charged.)"""
    core, reference = price(
        tmp_path / "i",
        rule=EU,
        sku={"retail_price": 63.90},
        demand={"units_per_order": 3, "shipping_per_order": 978.30},
        fx=EU_FX,
        origin="CN",
        destination="DE",
    )
    assert_priced(core, reference, expect(vat=0.2 * (63.90 + 978.30 / 3)))


def test_low_value_three_units_exactly_at_the_duty_free_threshold(tmp_path):
    """3 x 333.30 + 0.10 shipping = 1,000.00 exactly = the duty-free threshold: no duty.
    (Computed naively this is 1000.0000000000001: 10 % duty would be charged.)"""
    rule = {"regime": "low_value_parcel", "duty_rate": 0.10, "duty_free_threshold": 1000}
    core, reference = price(
        tmp_path / "i",
        rule=rule,
        sku={"retail_price": 333.30},
        demand={"units_per_order": 3, "shipping_per_order": 0.10},
        origin="CN",
        destination="GB",
    )
    assert_priced(core, reference, expect())


def test_low_value_flat_duty_is_per_parcel(tmp_path):
    """Two units of 500 per parcel (1,000 < 1,170): 23.4 per parcel = 11.7 per unit;
    VAT 20 % x (500 + 11.7) = 102.34 per unit."""
    core, reference = price(
        tmp_path / "i",
        rule=EU,
        sku={"retail_price": 500.0},
        demand={"units_per_order": 2},
        fx=EU_FX,
        origin="CN",
        destination="DE",
    )
    assert_priced(core, reference, expect(duty=11.7, vat=102.34))


def test_low_value_flat_threshold_without_flat_amount(tmp_path):
    """flat_duty_below without flat_duty_per_order: below the threshold the flat duty (0)
    replaces the ad valorem duty (docs: 'pay the flat duty instead of ad valorem duty')."""
    rule = {**EU, "flat_duty_per_order": 0, "duty_free_threshold": 0}
    core, reference = price(
        tmp_path / "i",
        rule=rule,
        sku={"retail_price": 1000.0},
        fx=EU_FX,
        origin="CN",
        destination="DE",
    )
    assert_priced(core, reference, expect(vat=200.0))


JP = {
    "regime": "low_value_parcel",
    "currency": "JPY",
    "duty_rate": 0.05,
    "vat_rate": 0.10,
    "taxable_value_share": 0.6,
    "duty_free_threshold": 10000,
    "vat_free_threshold": 10000,
}


@pytest.mark.parametrize(
    ("retail", "expected"),
    [
        (999.99, expect()),  # taxable 599.994 CNY < JPY 10,000 (600 CNY)
        (1000.00, expect()),  # taxable exactly JPY 10,000: exempt
        # taxable 600.006: duty 5 % = 30.0003; tax 10 % x (600.006 + 30.0003) = 63.00063
        (1000.01, expect(duty=30.0003, vat=63.00063)),
    ],
    ids=["999.99", "1000.00", "1000.01"],
)
def test_japan_taxable_value_is_60_percent(tmp_path, retail, expected):
    """JPY 1 = 0.06 CNY here, so JPY 10,000 = 600 CNY = 60 % of a 1,000 CNY parcel."""
    core, reference = price(
        tmp_path / "i",
        rule=JP,
        sku={"retail_price": retail},
        fx={"CNY": 1.0, "JPY": 0.06},
        origin="CN",
        destination="JP",
    )
    assert_priced(core, reference, expected)


@pytest.mark.parametrize(
    ("retail", "expected"),
    [
        (16666.66, expect()),  # taxable 9,999.996 <= 10,000
        # taxable 10,000.002: duty 500.0001; tax 10 % x 10,500.0021 = 1,050.00021
        (16666.67, expect(duty=500.0001, vat=1050.00021)),
    ],
    ids=["16666.66", "16666.67"],
)
def test_japan_in_yen(tmp_path, retail, expected):
    """Instance currency JPY: one sen either side of the JPY 16,666.67 parcel."""
    core, reference = price(
        tmp_path / "i",
        rule={**JP, "currency": ""},
        sku={"retail_price": retail},
        currency="JPY",
        origin="CN",
        destination="JP",
    )
    assert_priced(core, reference, expected)


# ---------------------------------------------------------------------------
# per-order caps on other regimes

AU = {
    "regime": "low_value_parcel",
    "vat_rate": 0.10,
    "order_value_cap": 1000,  # GST at sale only for parcels up to A$1,000 (here 1,000 CNY)
}


def test_low_value_cap_two_units_at_the_cap(tmp_path):
    """2 x 500 = 1,000.00: allowed, GST 10 % = 50 per unit."""
    core, reference = price(
        tmp_path / "i",
        rule=AU,
        sku={"retail_price": 500.0},
        demand={"units_per_order": 2},
        origin="CN",
        destination="AU",
    )
    assert_priced(core, reference, expect(vat=50.0))


def test_low_value_cap_two_units_one_fen_over_are_refused(tmp_path):
    core, reference = price(
        tmp_path / "i",
        rule=AU,
        sku={"retail_price": 500.0},
        demand={"units_per_order": 2, "shipping_per_order": 0.01},
        origin="CN",
        destination="AU",
    )
    assert_refused(core, reference)


@pytest.mark.parametrize(("exception", "allowed"), [(False, False), (True, True)])
def test_general_trade_cap_single_item(tmp_path, exception, allowed):
    """A general-trade rule with a 20,000 cap: one unit of 20,000.01 is refused unless the
    single-item exception is on; then it is taxed as general trade as usual
    (CIF = 100: duty 10 % = 10; VAT on the retail sale 13 % x 20,000.01 = 2,600.0013)."""
    rule = {
        "regime": "general_trade",
        "duty_rate": 0.10,
        "vat_rate": 0.13,
        "order_value_cap": 20000,
        "single_item_exception": exception,
    }
    core, reference = price(tmp_path / "i", rule=rule, sku={"retail_price": 20000.01})
    if allowed:
        assert_priced(core, reference, expect(duty=10.0, vat=2600.0013))
    else:
        assert_refused(core, reference)


def test_general_trade_cap_at_the_cap(tmp_path):
    rule = {"regime": "general_trade", "vat_rate": 0.13, "order_value_cap": 20000}
    core, reference = price(tmp_path / "i", rule=rule, sku={"retail_price": 20000.0})
    assert_priced(core, reference, expect(vat=2600.0))
