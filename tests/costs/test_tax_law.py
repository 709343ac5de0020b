"""Issue 11: the tax law to the letter, and rules with effective dates.

Each test is worked by hand from the regulation's own numbers (in its
docstring); each failed on main before the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import lean_chain
from lean_chain.costs.landed import COMPONENTS, landed_cost
from lean_chain.index import build_index

ROOT = Path(__file__).resolve().parents[2]


def build(
    folder: Path,
    *,
    nodes: list[tuple[str, str, str]],
    lanes: list[dict],
    rules: list[dict],
    sku: dict | None = None,
    demand: dict | None = None,
    channel: dict | None = None,
    params: dict | None = None,
    fx: dict[str, float] | None = None,
    as_of: str | None = None,
    extra_channels: tuple[str, ...] = (),
) -> lean_chain.Instance:
    """One SKU K bought at S, one demand node R, one channel C over the given lanes (plus
    ``extra_channels`` of the same shape that no lane admits, to hold other rules)."""
    folder.mkdir(parents=True, exist_ok=True)
    tables = {
        "skus": [
            {
                "sku_id": "K",
                "category": "watches",
                "supplier_id": "S",
                "procurement_cost": 100.0,
                "retail_price": 200.0,
                "weight_kg": 1.0,
                "volume_m3": 0.01,
                **(sku or {}),
            }
        ],
        "nodes": [{"node_id": n, "kind": k, "country": c, "lat": 0, "lon": 0} for n, k, c in nodes],
        "lanes": [
            {"mode": "sea", "lead_time_days": 5, "lane_id": f"L{i}", **lane}
            for i, lane in enumerate(lanes)
        ],
        "demand": [{"sku_id": "K", "region_id": "R", "units": 10.0, **(demand or {})}],
        "channels": [
            {
                "channel_id": cid,
                "direction": "import",
                "path_shape": "supplier>region",
                **(channel or {}),
            }
            for cid in ("C", *extra_channels)
        ],
        "tax_rules": [{"channel_id": "C", **rule} for rule in rules],
        "fx": [{"currency": c, "rate_to_instance": r} for c, r in (fx or {"CNY": 1.0}).items()],
    }
    if extra_channels or (channel or {}).get("channel_id"):
        tables["lanes"] = [
            {"channels": tables["channels"][0]["channel_id"], **lane} for lane in tables["lanes"]
        ]
    header = ["channel_id", "destination_country", "regime"]
    for name, rows in tables.items():
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=header)
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "parameters.yaml").write_text(yaml.safe_dump({"currency": "CNY", **(params or {})}))
    return lean_chain.load_instance(folder, as_of=as_of)


def priced(instance: lean_chain.Instance) -> dict[str, float] | None:
    """Per-unit components of the only pair (None when the pair is not offered); the numpy
    and numba kernels must agree."""
    index = build_index(instance)
    if len(index.pairs) == 0:
        return None
    assert len(index.pairs) == 1
    out = []
    for kernel in ("numpy", "numba"):
        cost = landed_cost(instance, index, kernel=kernel)
        out.append({n: float(cost.components[i, 0]) for i, n in enumerate(COMPONENTS)})
    assert out[0] == pytest.approx(out[1], rel=1e-12, abs=1e-12)
    return out[0]


DIRECT = [("S", "supplier", "JP"), ("R", "region", "CN")]
DIRECT_LANE = [{"from_node": "S", "to_node": "R", "mode": "express"}]
CBEC = {
    "destination_country": "CN",
    "regime": "cbec_retail",
    "vat_rate": 0.13,
    "apply_consumption_tax": True,
    "order_value_cap": 5000,
    "single_item_exception": True,
}
GENERAL_WATCHES = {
    "channel_id": "GT",
    "destination_country": "CN",
    "category": "watches",
    "regime": "general_trade",
    "duty_rate": 0.08,
    "vat_rate": 0.13,
}


def with_general_trade_channel(folder: Path, rules: list[dict], **kw) -> lean_chain.Instance:
    """``build`` plus a general-trade channel GT (no lane admits it) for ``rules`` of GT."""
    return build(folder, rules=rules, lanes=DIRECT_LANE, extra_channels=("GT",), **kw)


# ---------------------------------------------------------------------------
# defect 1: a CBEC single item above the cap pays general-trade duty


def test_over_cap_watch_pays_the_general_trade_duty_of_its_category(tmp_path):
    """Cai Guan Shui [2018] No.49 art. 2: a single item above 5,000 RMB is taxed as general
    trade: duty, VAT and CT in full. A 5,177 RMB watch (c = 0), MFN duty 8 %:
    duty = 5,177 x 8 % = 414.16; VAT = (5,177 + 414.16) x 13 % = 726.8508;
    tax 1,141.01 (main charged VAT only: 673.01)."""
    inst = with_general_trade_channel(
        tmp_path / "i",
        [CBEC, GENERAL_WATCHES],
        nodes=DIRECT,
        sku={"retail_price": 5177.0},
    )
    c = priced(inst)
    assert c["duty"] == pytest.approx(414.16, rel=1e-12)
    assert c["vat"] == pytest.approx(726.8508, rel=1e-12)
    assert c["duty"] + c["vat"] == pytest.approx(1141.0108, rel=1e-12)


def test_over_cap_duty_rate_column_wins_and_no_rate_drops_the_pair(tmp_path):
    """An explicit over_cap_duty_rate of 10 % on the 5,177 RMB watch: duty 517.70. Without
    it and without a general-trade rule the duty is unknown: the path is not offered (main
    silently charged 0 % duty)."""
    inst = build(
        tmp_path / "a",
        nodes=DIRECT,
        lanes=DIRECT_LANE,
        rules=[{**CBEC, "over_cap_duty_rate": 0.10}],
        sku={"retail_price": 5177.0},
    )
    assert priced(inst)["duty"] == pytest.approx(517.70, rel=1e-12)
    with pytest.raises(lean_chain.InstanceError, match="general-trade"):
        build(
            tmp_path / "b",
            nodes=DIRECT,
            lanes=DIRECT_LANE,
            rules=[CBEC],
            sku={"retail_price": 5177.0},
        )


# ---------------------------------------------------------------------------
# defect 2: the per-person annual limit is a hard rule for single items


def test_item_above_the_annual_limit_never_uses_cbec(tmp_path):
    """Cai Guan Shui [2018] No.49: 26,000 RMB per person per year. A 29,999.99 RMB bag can
    never be bought through CBEC retail by anyone (main routed it through 9610); a
    25,999.99 RMB bag can, taxed as general trade (duty 8 %: 2,080.00)."""
    rules = [CBEC, {**GENERAL_WATCHES, "category": "*"}]
    with pytest.raises(lean_chain.InstanceError, match="in a year"):
        with_general_trade_channel(
            tmp_path / "a", rules, nodes=DIRECT, sku={"retail_price": 29999.99}
        )
    inst = with_general_trade_channel(
        tmp_path / "b", rules, nodes=DIRECT, sku={"retail_price": 25999.99}
    )
    assert priced(inst)["duty"] == pytest.approx(2079.9992, rel=1e-12)


# ---------------------------------------------------------------------------
# defects 3 and 4: valuation basis and customs territories


def two_legs(folder, *, origin, port, destination, region, rule, as_of=None):
    nodes = [("S", "supplier", origin), ("P", "port", port), ("R", "region", region)]
    lanes = [
        {"from_node": "S", "to_node": "P", "cost_per_kg": 1.0, "mode": "truck"},
        {"from_node": "P", "to_node": "R", "cost_per_kg": 10.0},
    ]
    rule = {"destination_country": destination, "regime": "general_trade", **rule}
    return build(
        folder,
        nodes=nodes,
        lanes=lanes,
        rules=[rule],
        channel={"path_shape": "supplier>port>region"},
        as_of=as_of,
    )


def test_us_values_imports_fob_japan_cif(tmp_path):
    """19 U.S.C. 1401a: the US transaction value excludes international freight (FOB).
    Procurement 100, truck to the Chinese port 1, sea to the US 10, duty 20 %: FOB 101,
    duty 20.20 (main: CIF 111, duty 22.20). Japan (Customs Tariff Law art. 4) values CIF:
    duty 20 % x 111 = 22.20."""
    us = two_legs(
        tmp_path / "us", origin="CN", port="CN", destination="US", region="US",
        rule={"duty_rate": 0.2},
    )  # fmt: skip
    assert priced(us)["duty"] == pytest.approx(20.2, rel=1e-12)
    jp = two_legs(
        tmp_path / "jp", origin="CN", port="CN", destination="JP", region="JP",
        rule={"duty_rate": 0.2},
    )  # fmt: skip
    assert priced(jp)["duty"] == pytest.approx(22.2, rel=1e-12)
    explicit = two_legs(
        tmp_path / "cif", origin="CN", port="CN", destination="US", region="US",
        rule={"duty_rate": 0.2, "customs_value_basis": "cif"},
    )  # fmt: skip
    assert priced(explicit)["duty"] == pytest.approx(22.2, rel=1e-12)


def test_eu_is_one_customs_territory(tmp_path):
    """UCC (Reg. 952/2013) art. 70-71: CIF to the place of entry into the Union. Sea from
    China to Duisburg (DE) 1 + ... here: truck S->DE hub 1, then DE->FR 10 is intra-EU.
    Procurement 100 + 1 = CIF 101, duty 10 % = 10.10 (main: 11.10, the French border)."""
    fr = two_legs(
        tmp_path / "fr", origin="CN", port="DE", destination="FR", region="FR",
        rule={"duty_rate": 0.1},
    )  # fmt: skip
    assert priced(fr)["duty"] == pytest.approx(10.1, rel=1e-12)


# ---------------------------------------------------------------------------
# defect 5: consolidated charges enter the customs value


def test_container_charge_is_in_the_cif_value(tmp_path):
    """A 30 m3 container at 3,000 CNY is 100 CNY per m3 full; a 0.01 m3 unit carries 1.00 of
    it into the CIF value (GATT Valuation Agreement art. 8.2(a): transport cost to the
    place of import). Procurement 100 + 1 = 101, duty 10 % = 10.10 (main: 10.00)."""
    inst = build(
        tmp_path / "i",
        nodes=[("S", "supplier", "CN"), ("R", "region", "JP")],
        lanes=[{"from_node": "S", "to_node": "R", "container_m3": 30, "cost_per_container": 3000}],
        rules=[{"destination_country": "JP", "regime": "general_trade", "duty_rate": 0.1}],
    )
    assert priced(inst)["duty"] == pytest.approx(10.1, rel=1e-12)


# ---------------------------------------------------------------------------
# defect 6: the generator's slotting cost is 200 CNY whatever the SKU's currency


def test_bundled_cn_import_slotting_is_200_cny_for_every_currency():
    """instances/README: slotting 200 CNY per (SKU, node). Main wrote 200 into rows priced in
    KRW (1 CNY) and EUR (1,650 CNY)."""
    inst = lean_chain.load_instance(ROOT / "instances" / "cn_import", as_of="2026-07-01")
    slotting = inst.skus["slotting_cost"].to_numpy(np.float64)
    assert np.allclose(slotting, 200.0, rtol=1e-3)


# ---------------------------------------------------------------------------
# rules with effective dates: priced on both sides of each date


def dated_parcels(folder, rows, *, destination, currency, rate, as_of, sku=None, region=None):
    return build(
        folder,
        nodes=[("S", "supplier", "CN"), ("R", "region", region or destination)],
        lanes=[{"from_node": "S", "to_node": "R", "mode": "express"}],
        rules=[
            {
                "destination_country": destination,
                "regime": "low_value_parcel",
                "currency": currency,
                **row,
            }
            for row in rows
        ],
        fx={"CNY": 1.0, currency: rate},
        sku=sku,
        as_of=as_of,
    )


@pytest.mark.parametrize(("as_of", "duty"), [("2025-08-28", 0.0), ("2025-08-29", 40.0)])
def test_us_de_minimis_before_and_after_2025_08_29(tmp_path, as_of, duty):
    """19 U.S.C. 1321: no duty on a USD 200 parcel (<= USD 800) until 2025-08-28; from
    2025-08-29 (EO 14324) every parcel is dutiable: 20 % x 200 = 40 (prices in CNY 1:1)."""
    rows = [
        {"duty_rate": 0.2, "duty_free_threshold": 800, "effective_to": "2025-08-28"},
        {"duty_rate": 0.2, "effective_from": "2025-08-29"},
    ]
    inst = dated_parcels(
        tmp_path / "i", rows, destination="US", currency="USD", rate=1.0, as_of=as_of
    )
    assert inst.params["as_of"] == as_of
    assert priced(inst)["duty"] == pytest.approx(duty, abs=1e-12)


@pytest.mark.parametrize(("as_of", "duty"), [("2026-06-30", 0.0), ("2026-07-01", 3.0)])
def test_eu_flat_duty_from_2026_07_01(tmp_path, as_of, duty):
    """Council agreement 2025-12-12: EUR 3 per tariff sub-heading in a consignment below
    EUR 150 from 2026-07-01; before, duty relief up to EUR 150 (Reg. 1186/2009 art. 23).
    A 200 CNY parcel at 1 EUR = 8.25 CNY is EUR 24.24: duty 0, then 3 EUR = 24.75 CNY per
    parcel (one unit per order)."""
    rows = [
        {"vat_rate": 0.19, "duty_free_threshold": 150, "effective_to": "2026-06-30"},
        {
            "vat_rate": 0.19,
            "duty_free_threshold": 150,
            "flat_duty_per_order": 3,
            "flat_duty_below": 150,
            "effective_from": "2026-07-01",
        },
    ]
    inst = dated_parcels(
        tmp_path / "i", rows, destination="DE", currency="EUR", rate=8.25, as_of=as_of
    )
    assert priced(inst)["duty"] == pytest.approx(duty * 8.25, rel=1e-12)


@pytest.mark.parametrize(
    ("as_of", "rate"), [("2018-10-31", 0.30), ("2018-11-01", 0.25), ("2019-04-09", 0.20)]
)
def test_china_postal_bands_from_the_library(tmp_path, as_of, rate):
    """Shui Wei Hui [2016] No.2, [2018] No.3, [2019] No.17: apparel 30 %, then 25 %, then
    20 %; a 500 RMB parcel pays 150, 125, 100 (above the 50 RMB waiver)."""
    inst = build(
        tmp_path / "i",
        nodes=DIRECT,
        lanes=[{"from_node": "S", "to_node": "R", "mode": "postal"}],
        rules=[],
        channel={"channel_id": "postal"},
        sku={"category": "apparel", "retail_price": 500.0},
        params={"rule_library": "cn_import"},
        as_of=as_of,
    )
    assert priced(inst)["parcel_tax"] == pytest.approx(500 * rate, rel=1e-12)


@pytest.mark.parametrize(("as_of", "offered"), [("2018-12-31", False), ("2019-01-01", True)])
def test_cbec_cap_2000_then_5000_from_the_library(tmp_path, as_of, offered):
    """Cai Guan Shui [2016] No.18: 2,000 RMB per order; [2018] No.49: 5,000 from
    2019-01-01. A 3,000 RMB order of two units can use 9610 only from 2019-01-01; its tax
    per unit is then 70 % x 16 % VAT (the rate until 2019-03-31) x 1,500 = 168.00."""
    kw = dict(
        nodes=DIRECT,
        lanes=[{"from_node": "S", "to_node": "R", "mode": "express"}],
        rules=[],
        channel={"channel_id": "9610"},
        sku={"retail_price": 1500.0, "category": "bags"},
        demand={"units_per_order": 2},
        params={"rule_library": "cn_import"},
        as_of=as_of,
    )
    if not offered:
        with pytest.raises(lean_chain.InstanceError, match="value cap"):
            build(tmp_path / "i", **kw)
        return
    assert priced(build(tmp_path / "i", **kw))["vat"] == pytest.approx(168.0, rel=1e-12)


def test_channel_out_of_force_is_not_offered(tmp_path):
    """A channel closed from 2025-01-01 (effective_to 2024-12-31) serves nothing after it."""
    kw = dict(
        nodes=DIRECT,
        lanes=DIRECT_LANE,
        rules=[{"destination_country": "CN", "regime": "none"}],
        channel={"effective_to": "2024-12-31"},
    )
    assert priced(build(tmp_path / "a", as_of="2024-12-31", **kw)) is not None
    with pytest.raises(lean_chain.InstanceError):
        build(tmp_path / "b", as_of="2025-01-01", **kw)


def test_validate_rejects_overlapping_periods_of_one_key(tmp_path):
    """Two rows of C / CN / * / * both in force on 2025-06-01: the later row is named, with
    the row it overlaps."""
    rows = [
        {"destination_country": "CN", "regime": "none", "effective_to": "2025-06-01"},
        {"destination_country": "CN", "regime": "none", "effective_from": "2025-06-01"},
    ]
    with pytest.raises(lean_chain.InstanceError) as err:
        build(tmp_path / "i", nodes=DIRECT, lanes=DIRECT_LANE, rules=rows)
    text = str(err.value)
    assert "tax_rules.csv, row 3" in text and "row 2" in text


def test_bundled_global_export_us_parcels_pay_duty_only_after_the_de_minimis(tmp_path):
    """global_export's factories are Chinese: under the rules of 2024-01-01 a US 9610 parcel
    below USD 800 pays no duty; under those of 2026-07-01 every one does."""
    duty = {}
    for as_of in ("2024-01-01", "2026-07-01"):
        inst = lean_chain.load_instance(ROOT / "instances" / "global_export", as_of=as_of)
        index = build_index(inst)
        cost = landed_cost(inst, index)
        channel = inst.channels["channel_id"].to_numpy(object)[index.pairs.channel]
        country = inst.nodes["country"].to_numpy(object)[index.pairs.region]
        us_parcels = (channel == "9610") & (country == "US")
        duty[as_of] = float(cost.component("duty")[us_parcels].sum())
    assert duty["2024-01-01"] == 0.0
    assert duty["2026-07-01"] > 0.0
