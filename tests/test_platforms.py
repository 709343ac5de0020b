"""Sales platforms as data (issue 18): platforms.csv, platform_fees.csv, demand per platform.

Hand-worked cases on variants of tests/data/tiny (A: electronics, retail 200, 1 kg;
B: cosmetics, retail 100, CT 15 %; region R1 in CN; channels 1210 bonded, 9610 direct).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import lean_chain
from lean_chain.costs.landed import landed_cost_numpy, landed_inputs
from lean_chain.costs.platforms import sales_terms
from lean_chain.errors import InstanceError
from lean_chain.index import build_index

TINY = Path(__file__).parent / "data" / "tiny"

PLATFORMS = """platform_id,name,kind,market,annual_fee,listing_fee,payment_fee_rate,fee_per_order,min_commission_per_unit
OWN,own mini-program,own_store,CN,0,0,0.01,0,0
MKT,import marketplace,marketplace,CN,36500,0,0.0,2,3
"""
FEES = """platform_id,category,min_price,max_price,commission_rate,tier_mode
MKT,*,0,150,0.10,whole
MKT,*,150,,0.05,whole
MKT,cosmetics,0,50,0.20,portion
MKT,cosmetics,50,,0.10,portion
"""


def make(tmp_path: Path, demand: str, platforms: str = PLATFORMS, fees: str = FEES) -> Path:
    folder = tmp_path / "inst"
    shutil.copytree(TINY, folder)
    (folder / "demand.csv").write_text(demand)
    if platforms:
        (folder / "platforms.csv").write_text(platforms)
    if fees:
        (folder / "platform_fees.csv").write_text(fees)
    return folder


DEMAND = """sku_id,region_id,units,platform_id,price
A,R1,100,OWN,
A,R1,50,MKT,140
B,R1,10,MKT,120
"""


def test_without_platforms_nothing_changes():
    inst = lean_chain.load_instance(TINY)
    assert not inst.has_platforms
    terms = sales_terms(inst)
    np.testing.assert_allclose(terms.price, [200.0, 100.0])
    np.testing.assert_allclose(terms.commission, 0.0)
    np.testing.assert_allclose(terms.net_price, terms.price)


def test_fees_per_row_by_hand(tmp_path):
    inst = lean_chain.load_instance(make(tmp_path, DEMAND))
    terms = sales_terms(inst)
    # OWN: retail 200, no commission, 1 % payment fee
    # MKT at 140: below the 150 threshold, 10 % of the whole price = 14; order fee 2
    # B (cosmetics) at 120: 20 % of 50 + 10 % of 70 = 17 (portions)
    np.testing.assert_allclose(terms.price, [200.0, 140.0, 120.0])
    np.testing.assert_allclose(terms.commission, [0.0, 14.0, 17.0])
    np.testing.assert_allclose(terms.payment_fee, [2.0, 0.0, 0.0])
    np.testing.assert_allclose(terms.order_fee, [0.0, 2.0, 2.0])
    np.testing.assert_allclose(terms.net_price, [198.0, 124.0, 101.0])
    # annual fee over a 365-day horizon
    np.testing.assert_allclose(terms.platform_fee, [0.0, 36500.0])


FULFILMENT = """platform_id,tier,currency,max_weight_kg,max_volume_m3,fee_per_unit
MKT,small_standard,CNY,0.5,0.002,6
MKT,large_standard,CNY,5,0.05,11
MKT,oversize,USD,,,4
"""


def test_fulfilment_fee_is_the_cheapest_size_tier_that_takes_the_unit(tmp_path):
    """B (0.5 kg, 0.001 m3) fits small standard: 6; A (1 kg, 0.01 m3) only large standard
    (11) and oversize (4 USD = 28.68 CNY at 7.17): 11; OWN has no tiers: 0.
    The fee comes off the net price in profit mode and counts in the sales table's fees."""
    folder = make(tmp_path, DEMAND)
    (folder / "platform_fulfilment_fees.csv").write_text(FULFILMENT)
    (folder / "fx.csv").write_text("currency,rate_to_instance\nCNY,1\nUSD,7.17\n")
    inst = lean_chain.load_instance(folder)
    terms = sales_terms(inst)
    np.testing.assert_allclose(terms.fulfilment_fee, [0.0, 11.0, 6.0])
    np.testing.assert_allclose(terms.net_price, [198.0, 124.0 - 11.0, 101.0 - 6.0])
    plan = lean_chain.solve(inst)
    sales = plan.tables["sales"].set_index(["sku_id", "platform_id"])
    assert sales.loc[("A", "MKT"), "fees"] == pytest.approx(50 * (2.0 + 11.0))
    assert sales.loc[("B", "MKT"), "fees"] == pytest.approx(10 * (2.0 + 6.0))


def test_a_unit_no_size_tier_takes_cannot_sell_on_the_platform(tmp_path):
    """Without the oversize tier and with large standard up to 0.9 kg, A (1 kg) fits no
    tier of MKT: its MKT row is excluded as fulfilment_size and named at load."""
    folder = make(tmp_path, DEMAND)
    tiers = FULFILMENT.replace("MKT,large_standard,CNY,5,", "MKT,large_standard,CNY,0.9,")
    tiers = tiers.replace("USD", "CNY")
    (folder / "platform_fulfilment_fees.csv").write_text(tiers.rsplit("MKT,oversize", 1)[0])
    with pytest.raises(InstanceError) as caught:
        lean_chain.load_instance(folder)
    (issue,) = caught.value.issues
    assert (issue.file, issue.row) == ("demand.csv", 3)
    assert "fulfilment size tier" in issue.expected


def test_fulfilment_tiers_of_an_unknown_platform_are_refused(tmp_path):
    folder = make(tmp_path, DEMAND)
    tiers = FULFILMENT.replace("MKT,oversize,USD", "X,oversize,CNY")
    (folder / "platform_fulfilment_fees.csv").write_text(tiers)
    with pytest.raises(InstanceError) as caught:
        lean_chain.load_instance(folder)
    found = [(i.file, i.row, i.column) for i in caught.value.issues]
    assert ("platform_fulfilment_fees.csv", 4, "platform_id") in found


@pytest.mark.parametrize(("price", "commission"), [(149.99, 14.999), (150.0, 7.5), (160.0, 8.0)])
def test_tiered_commission_crossing_its_threshold(tmp_path, price, commission):
    """Whole-price tiers: 10 % below 150, 5 % from 150 up (the tier starts inclusive)."""
    demand = f"sku_id,region_id,units,platform_id,price\nA,R1,10,MKT,{price}\n"
    terms = sales_terms(lean_chain.load_instance(make(tmp_path, demand)))
    np.testing.assert_allclose(terms.commission, [commission])


def test_minimum_commission_per_unit(tmp_path):
    demand = "sku_id,region_id,units,platform_id,price\nA,R1,10,MKT,20\n"
    terms = sales_terms(lean_chain.load_instance(make(tmp_path, demand)))
    # 10 % of 20 = 2 < the 3 minimum
    np.testing.assert_allclose(terms.commission, [3.0])


def test_platform_price_is_the_tax_base(tmp_path):
    """1210 CBEC tax on electronics (c = 0) is 0.7 x 13 % = 9.1 % of the platform price."""
    inst = lean_chain.load_instance(make(tmp_path, DEMAND))
    index = build_index(inst)
    inputs = landed_inputs(inst, index)
    plain = landed_cost_numpy(inputs)
    from lean_chain.costs.kernels import landed_cost_fused

    fused = landed_cost_fused(inputs)
    np.testing.assert_allclose(fused.components, plain.components, rtol=1e-12)
    pairs = index.pairs
    vat = plain.component("vat")
    for row, price in ((0, 200.0), (1, 140.0)):
        on_row = pairs.demand_row == row
        assert on_row.any()
        np.testing.assert_allclose(vat[on_row], 0.091 * price)
        np.testing.assert_allclose(plain.transaction_value[on_row], price)


@pytest.mark.parametrize(
    ("file", "text", "column", "row"),
    [
        ("demand.csv", "sku_id,region_id,units,platform_id\nA,R1,1,NOPE\n", "platform_id", 2),
        (
            "platform_fees.csv",
            "platform_id,category,min_price,commission_rate\nMKT,*,0,1.0\n",
            "commission_rate",
            2,
        ),
        (
            "platform_fees.csv",
            "platform_id,category,min_price,max_price,commission_rate\n"
            "MKT,*,0,150,0.1\nMKT,*,100,,0.05\n",
            "min_price",
            3,
        ),
        (
            "platforms.csv",
            "platform_id,kind,stock_nodes\nOWN,own_store,*\nMKT,marketplace,WH_NOWHERE\n",
            "stock_nodes",
            3,
        ),
        ("demand.csv", "sku_id,region_id,units,platform_id,price\nA,R1,1,OWN,0\n", "price", 2),
    ],
)
def test_bad_platform_input_names_file_row_column(tmp_path, file, text, column, row):
    folder = make(tmp_path, "sku_id,region_id,units,platform_id\nA,R1,1,OWN\n")
    (folder / file).write_text(text)
    with pytest.raises(InstanceError) as caught:
        lean_chain.load_instance(folder)
    found = [(i.file, i.row, i.column) for i in caught.value.issues]
    assert (file, row, column) in found, found


# --- platform rules and the offline-store rule (issue 18 item 3) -------------------------

GENERAL_TRADE = {
    "channels.csv": "0110,general trade,import,supplier>domestic_dc>region,domestic_dc,false,false\n",
    "nodes.csv": "DC,domestic_dc,Shanghai DC,CN,31.2,121.4,500,1\n",
    "lanes.csv": "L4,S1,DC,sea,0110,2,0,12\nL5,DC,R1,truck,0110,0,5,1\n",
    "tax_rules.csv": "0110,CN,general_trade,0.13,true,0.7,,false\n",
}


def with_general_trade(folder: Path) -> Path:
    """tiny plus 0110 general trade through a domestic DC, two channels per SKU."""
    for name, rows in GENERAL_TRADE.items():
        path = folder / name
        path.write_text(path.read_text() + rows)
    params = folder / "parameters.yaml"
    params.write_text(
        params.read_text().replace("max_channels_per_sku: 1", "max_channels_per_sku: 2")
    )
    return folder


def channels_per_row(instance) -> dict[int, set[str]]:
    pairs = build_index(instance).pairs
    ids = instance.channels["channel_id"].to_numpy(object)
    return {
        int(r): set(ids[pairs.channel[pairs.demand_row == r]].tolist())
        for r in np.unique(pairs.demand_row)
    }


def test_physical_store_forces_general_trade_while_online_stays_bonded(tmp_path):
    """General trade pays 13 % VAT on the 200 sale (26 a unit), 1210 CBEC tax 9.1 % (18.20):
    online sales of 10,000 units stay bonded (saving 78,000 > BZ's fixed 1,000); the store's
    20 units may only come from general-trade stock at DC."""
    platforms = "platform_id,kind\nOWN,own_store\nSTORE,physical_store\n"
    demand = "sku_id,region_id,units,platform_id\nA,R1,10000,OWN\nA,R1,20,STORE\n"
    folder = with_general_trade(make(tmp_path, demand, platforms=platforms, fees=""))
    inst = lean_chain.load_instance(folder)
    assert channels_per_row(inst) == {0: {"1210", "9610", "0110"}, 1: {"0110"}}
    assert build_index(inst).pairs.dropped["offline_store_cbec"] == 2
    plan = lean_chain.solve(inst)
    flows = plan.tables["flows"]
    assert set(flows.loc[flows["platform_id"] == "STORE", "channel_id"]) == {"0110"}
    assert set(flows.loc[flows["platform_id"] == "OWN", "channel_id"]) == {"1210"}


def test_hainan_duty_free_shop_may_hand_over_bonded_stock(tmp_path):
    """The exception to Shang Cai Fa [2021] No. 39: a store flagged duty_free_pickup keeps
    every channel (and, at 20 units beside the online 10,000, takes the bonded one), while
    an ordinary store in the same instance is still held to general trade."""
    platforms = (
        "platform_id,kind,duty_free_pickup\nOWN,own_store,false\n"
        "STORE,physical_store,false\nHAINAN_DF,physical_store,true\n"
    )
    demand = (
        "sku_id,region_id,units,platform_id\nA,R1,10000,OWN\nA,R1,20,STORE\nA,R1,20,HAINAN_DF\n"
    )
    folder = with_general_trade(make(tmp_path, demand, platforms=platforms, fees=""))
    inst = lean_chain.load_instance(folder)
    every = {"1210", "9610", "0110"}
    assert channels_per_row(inst) == {0: every, 1: {"0110"}, 2: every}
    assert build_index(inst).pairs.dropped["offline_store_cbec"] == 2
    flows = lean_chain.solve(inst).tables["flows"]
    assert set(flows.loc[flows["platform_id"] == "HAINAN_DF", "channel_id"]) == {"1210"}
    assert set(flows.loc[flows["platform_id"] == "STORE", "channel_id"]) == {"0110"}


@pytest.mark.parametrize(
    ("platforms", "demand", "where", "phrases"),
    [
        pytest.param(
            "platform_id,kind\nOWN,own_store\nSTORE,physical_store\n",
            "sku_id,region_id,units,platform_id\nA,R1,100,OWN\nA,R1,20,STORE\n",
            ("demand.csv", 3, "region_id"),
            ("on platform STORE", "mainland physical store"),
            id="a platform no legal flow can serve is reported by name",
        ),
        pytest.param(
            "platform_id,kind,duty_free_pickup\nOWN,own_store,true\n",
            "sku_id,region_id,units,platform_id\nA,R1,100,OWN\n",
            ("platforms.csv", 2, "duty_free_pickup"),
            ("only a physical_store",),
            id="duty-free pickup on anything but a store",
        ),
    ],
)
def test_platform_rule_refusals_name_file_row_column(tmp_path, platforms, demand, where, phrases):
    folder = make(tmp_path, demand, platforms=platforms, fees="")
    with pytest.raises(InstanceError) as caught:
        lean_chain.load_instance(folder)
    (issue,) = caught.value.issues
    assert (issue.file, issue.row, issue.column) == where
    for phrase in phrases:
        assert phrase in issue.expected


@pytest.mark.parametrize(
    ("rule", "channels"),
    [
        ("stock_nodes=BZ", {"1210"}),
        ("max_promise_days=5", {"1210"}),
        ("allowed_channels=9610", {"9610"}),
        ("stock_nodes=*", {"1210", "9610"}),
    ],
)
def test_platform_requirements_are_hard_rules(tmp_path, rule, channels):
    """1210 is stocked at BZ and promises 2 days; 9610 ships per order in 8 days."""
    column, value = rule.split("=")
    platforms = f"platform_id,kind,{column}\nMKT,marketplace,{value}\n"
    demand = "sku_id,region_id,units,platform_id\nA,R1,100,MKT\n"
    inst = lean_chain.load_instance(make(tmp_path, demand, platforms=platforms, fees=""))
    assert channels_per_row(inst) == {0: channels}


def test_safety_stock_pools_across_platforms_sharing_one_node(tmp_path):
    """A sold on two platforms from BZ (inbound lead time L = 10 days, no lead-time
    variability), daily std 3 and 4: pooled safety z sqrt(L (3^2 + 4^2)) = 5 z sqrt(10),
    against the MIP's linear (unpooled) bound z sqrt(L) (3 + 4) = 7 z sqrt(10)."""
    platforms = "platform_id,kind,stock_nodes\nOWN,own_store,BZ\nMKT,marketplace,BZ\n"
    demand = (
        "sku_id,region_id,units,platform_id,demand_std_daily\n"
        "A,R1,100,OWN,3\nA,R1,200,MKT,4\nB,R1,10,OWN,0\n"
    )
    inst = lean_chain.load_instance(make(tmp_path, demand, platforms=platforms, fees=""))
    plan = lean_chain.solve(inst)
    z = inst.safety_factor
    assert plan.kpis["pooled_safety_stock_units"]["BZ"] == pytest.approx(5 * z * np.sqrt(10))
    assert plan.kpis["linear_safety_stock_units"]["BZ"] == pytest.approx(7 * z * np.sqrt(10))
    stock = plan.tables["stock"].set_index("sku_id")
    assert stock.loc["A", "pooled_safety_units"] == pytest.approx(5 * z * np.sqrt(10))


# --- returns (issue 18 item 4) -------------------------------------------------------------


def export_instance(tmp_path: Path, as_of: str, category: str = "apparel") -> Path:
    """One Chinese supplier selling into a US region by 9610 direct mail (export)."""
    folder = tmp_path / f"export_{as_of}_{category}"
    folder.mkdir(parents=True)
    files = {
        "parameters.yaml": f"name: export\ncurrency: CNY\nas_of: '{as_of}'\n"
        "holding_rate_per_year: 0.0\nreview_period_days: 0\n",
        "fx.csv": "currency,rate_to_instance\nCNY,1\n",
        "nodes.csv": "node_id,kind,country,lat,lon\nS1,supplier,CN,22.5,114.1\n"
        "US1,region,US,34.0,-118.2\n",
        "lanes.csv": "lane_id,from_node,to_node,mode,channels,cost_per_unit,lead_time_days\n"
        "L1,S1,US1,express,9610,30,6\n",
        "channels.csv": "channel_id,direction,path_shape\n9610,export,supplier>region\n",
        "tax_rules.csv": "channel_id,destination_country,regime\n9610,US,none\n",
        "skus.csv": "sku_id,category,supplier_id,procurement_cost,retail_price,weight_kg,"
        f"volume_m3\nA,{category},S1,100,200,1,0.01\n",
        "demand.csv": "sku_id,region_id,units,platform_id\nA,US1,100,SITE\n",
        "platforms.csv": "platform_id,kind\nSITE,own_store\n",
        "platform_returns.csv": "platform_id,category,return_rate,cost_per_return,"
        "resaleable_share,reimport_tax_rate\nSITE,*,0.1,10,0.5,0.13\n",
    }
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize(
    ("as_of", "category", "per_unit"),
    [
        # inside No. 16 of 2026: 0.1 x (refund 200 + 10 + half of 100 written off) = 26
        ("2026-06-01", "apparel", 26.0),
        # after it ends: + 13 % re-import taxes on the procurement value 100 -> 27.30
        ("2028-06-01", "apparel", 27.3),
        # inside No. 4 of 2023
        ("2024-06-01", "apparel", 26.0),
        # food is excluded from the exemption
        ("2026-06-01", "food", 27.3),
    ],
)
def test_returns_reimported_tax_free_inside_the_dated_window(tmp_path, as_of, category, per_unit):
    from lean_chain.costs.model import build_cost_model

    inst = lean_chain.load_instance(export_instance(tmp_path, as_of, category))
    model = build_cost_model(inst)
    np.testing.assert_allclose(model.pair_returns_per_unit, [per_unit])
    plan = lean_chain.solve(inst)
    assert plan.kpis["returns_cost"] == pytest.approx(100 * per_unit)
    assert plan.tables["sales"]["returns_cost"].sum() == pytest.approx(100 * per_unit)
    # returns do not change what cost mode minimises, only what the plan earns
    assert "returns" not in plan.cost_breakdown


def test_physical_store_refuses_every_import_regime_but_general_trade(tmp_path):
    """Personal articles (a postal channel outside the CBEC list and quota) are for the
    buyer's own use too: the store row keeps only 0110, the online row keeps the parcels."""
    platforms = "platform_id,kind\nOWN,own_store\nSTORE,physical_store\n"
    demand = "sku_id,region_id,units,platform_id\nA,R1,10000,OWN\nA,R1,20,STORE\n"
    folder = with_general_trade(make(tmp_path, demand, platforms=platforms, fees=""))
    extra = {
        "channels.csv": "POST,personal articles,import,supplier>region,,false,false\n",
        "lanes.csv": "L6,S1,R1,postal,POST,40,0,10\n",
        "tax_rules.csv": "POST,CN,none,0,false,,,false\n",
    }
    for name, rows in extra.items():
        (folder / name).write_text((folder / name).read_text() + rows)
    inst = lean_chain.load_instance(folder)
    assert channels_per_row(inst) == {0: {"1210", "9610", "0110", "POST"}, 1: {"0110"}}
    assert build_index(inst).pairs.dropped["offline_store_cbec"] == 3
