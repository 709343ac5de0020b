"""Cross-table and network checks: each problem is an Issue naming where and what.

The tiny instance: suppliers S1 (JP), bonded zone BZ, region R1 (CN); lanes
L1 S1>BZ, L2 BZ>R1 (channel 1210) and L3 S1>R1 (channel 9610); SKUs A and B
with demand in R1 on demand.csv rows 2 and 3.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lean_chain.errors import InstanceError, Issue
from lean_chain.io.tables import read_folder
from lean_chain.load import load_instance
from lean_chain.validate import check_plannable, check_tables


def load_issues(folder: Path) -> tuple[list[Issue], str]:
    """The issues and the message of the InstanceError that loading ``folder`` raises."""
    with pytest.raises(InstanceError) as info:
        load_instance(folder)
    return info.value.issues, str(info.value)


def set_cell(row: int, column: str, value: str):
    """An edit for ``make_variant`` setting data row ``row`` (0-based) of ``column``."""

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[row, column] = value
        return frame

    return edit


def append_rows(*rows: dict):
    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.concat([frame, pd.DataFrame(list(rows))], ignore_index=True).fillna("")

    return edit


def test_tiny_is_valid(tiny_dir):
    issues: list[Issue] = []
    tables, params = read_folder(tiny_dir, issues)
    assert issues == []
    assert check_tables(tables, params) == []
    assert load_instance(tiny_dir).name == "tiny"


def test_unknown_node_in_lanes(make_variant):
    folder = make_variant(
        tables={
            "lanes": lambda f: f.assign(from_node=["XX", "BZ", "S1"], to_node=["BZ", "R1", "YY"])
        }
    )
    issues, message = load_issues(folder)
    assert issues == [
        Issue("lanes.csv", 2, "from_node", "XX", "a node_id listed in nodes.csv"),
        Issue("lanes.csv", 4, "to_node", "YY", "a node_id listed in nodes.csv"),
    ]
    assert "lanes.csv, row 2, column 'from_node': got 'XX'" in message
    assert "lanes.csv, row 4, column 'to_node': got 'YY'" in message


def test_lane_to_itself(make_variant):
    folder = make_variant(tables={"lanes": set_cell(1, "to_node", "BZ")})
    issues, _ = load_issues(folder)
    assert issues == [Issue("lanes.csv", 3, "to_node", "BZ", "a node other than from_node")]


def test_unknown_channel_on_lane(make_variant):
    folder = make_variant(tables={"lanes": set_cell(2, "channels", "9610|9999")})
    issues, _ = load_issues(folder)
    assert issues == [
        Issue(
            "lanes.csv",
            4,
            "channels",
            "9610|9999",
            "'*' or channel_ids from channels.csv separated by '|'",
        )
    ]


def test_unknown_sku_in_demand(make_variant):
    folder = make_variant(tables={"demand": set_cell(1, "sku_id", "Z")})
    issues, message = load_issues(folder)
    assert issues == [Issue("demand.csv", 3, "sku_id", "Z", "a sku_id listed in skus.csv")]
    assert "demand.csv, row 3, column 'sku_id': got 'Z'" in message


def test_unknown_supplier_of_sku(make_variant):
    folder = make_variant(tables={"skus": set_cell(0, "supplier_id", "BZ")})
    issues, _ = load_issues(folder)
    assert issues == [
        Issue("skus.csv", 2, "supplier_id", "BZ", "a node_id of kind supplier in nodes.csv")
    ]


@pytest.mark.parametrize("node", ["BZ", "S1", "NOWHERE"])
def test_demand_at_a_node_that_is_not_a_demand_node(make_variant, node):
    folder = make_variant(tables={"demand": set_cell(0, "region_id", node)})
    issues, message = load_issues(folder)
    assert issues == [
        Issue(
            "demand.csv",
            2,
            "region_id",
            node,
            "a node_id of kind region or business_buyer in nodes.csv",
        )
    ]
    assert f"demand.csv, row 2, column 'region_id': got '{node}'" in message


def test_duplicate_sku_id(make_variant):
    folder = make_variant(tables={"skus": lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True)})
    issues, message = load_issues(folder)
    assert issues == [Issue("skus.csv", 4, "sku_id", "A", "a unique sku_id (this one is repeated)")]
    assert "skus.csv, row 4, column 'sku_id': got 'A'" in message


def test_duplicate_demand_key(make_variant):
    folder = make_variant(
        tables={"demand": append_rows({"sku_id": "B", "region_id": "R1", "units": "5"})}
    )
    issues, _ = load_issues(folder)
    assert issues == [
        Issue(
            "demand.csv",
            4,
            "sku_id",
            "B / R1 / ",
            "a unique sku_id + region_id + platform_id (this one is repeated)",
        )
    ]


def test_currency_not_in_fx(make_variant):
    folder = make_variant(tables={"skus": lambda f: f.assign(currency=["USD", ""])})
    issues, message = load_issues(folder)
    assert issues == [
        Issue("skus.csv", 2, "currency", "USD", "a currency listed in fx.csv (or blank for CNY)")
    ]
    assert "skus.csv, row 2, column 'currency': got 'USD'" in message


def test_listed_currency_is_accepted_and_converted(make_variant):
    folder = make_variant(
        tables={
            "skus": lambda f: f.assign(currency=["JPY", ""], procurement_cost=["2000", "50"]),
            "fx": append_rows({"currency": "JPY", "rate_to_instance": "0.05"}),
        }
    )
    instance = load_instance(folder)
    assert instance.skus["procurement_cost"].tolist() == pytest.approx([100.0, 50.0])


def test_fx_rate_of_the_instance_currency_must_be_one(make_variant):
    folder = make_variant(tables={"fx": lambda f: f.assign(rate_to_instance=["1.1"])})
    issues, message = load_issues(folder)
    assert issues == [
        Issue("fx.csv", 2, "rate_to_instance", "1.1", "1 for the instance currency CNY")
    ]
    assert "fx.csv, row 2, column 'rate_to_instance': got '1.1'" in message


def test_path_shape_with_an_unknown_kind(make_variant):
    folder = make_variant(
        tables={"channels": set_cell(0, "path_shape", "supplier>warehouse>region")}
    )
    issues, message = load_issues(folder)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "channels.csv",
        2,
        "path_shape",
        "supplier>warehouse>region",
    )
    assert issue.expected.startswith("node kinds (supplier, port, hub, bonded_zone")
    assert "channels.csv, row 2, column 'path_shape'" in message


def test_path_shape_not_starting_with_supplier(make_variant):
    folder = make_variant(tables={"channels": set_cell(1, "path_shape", "port>region")})
    issues, message = load_issues(folder)
    assert issues == [
        Issue("channels.csv", 3, "path_shape", "port>region", "a shape starting with 'supplier'")
    ]
    assert "channels.csv, row 3, column 'path_shape': got 'port>region'" in message


def test_path_shape_not_ending_with_a_demand_kind(make_variant):
    folder = make_variant(tables={"channels": set_cell(1, "path_shape", "supplier>bonded_zone")})
    issues, _ = load_issues(folder)
    assert issues == [
        Issue(
            "channels.csv",
            3,
            "path_shape",
            "supplier>bonded_zone",
            "a shape ending with 'region' or 'business_buyer'",
        )
    ]


def test_stock_node_kind_not_in_shape(make_variant):
    folder = make_variant(tables={"channels": set_cell(0, "stock_node_kind", "overseas_warehouse")})
    issues, message = load_issues(folder)
    assert issues == [
        Issue(
            "channels.csv",
            2,
            "stock_node_kind",
            "overseas_warehouse",
            "a node kind that appears in path_shape",
        )
    ]
    assert "channels.csv, row 2, column 'stock_node_kind'" in message


def test_capacity_on_a_non_stocking_node(make_variant):
    folder = make_variant(tables={"nodes": lambda f: f.assign(storage_capacity_m3=["", "", "5"])})
    issues, _ = load_issues(folder)
    assert [(i.file, i.row, i.column, i.value) for i in issues] == [
        ("nodes.csv", 4, "storage_capacity_m3", "5.0")
    ]


def test_service_share_without_service_days(make_variant):
    folder = make_variant(tables={"nodes": lambda f: f.assign(service_share=["", "", "0.9"])})
    issues, _ = load_issues(folder)
    assert issues == [
        Issue("nodes.csv", 4, "service_days", "", "a number of days since service_share is above 0")
    ]


def test_missing_tax_rule_for_a_channel_in_use(make_variant):
    """Without the 9610 rule the 9610 pairs are dropped, as docs/instance-format.md says
    (leaving a rule out is how a channel is closed to a category or destination): not an
    error, since 1210 still serves R1 (issue 12, item 7)."""
    folder = make_variant(tables={"tax_rules": lambda f: f[f["channel_id"] != "9610"]})
    instance = load_instance(folder)
    from lean_chain.index import build_index

    pairs = build_index(instance).pairs
    assert pairs.dropped["no_tax_rule"] == 2
    assert set(instance.channels["channel_id"].to_numpy(object)[pairs.channel]) == {"1210"}


def test_missing_tax_rule_on_the_only_path_also_reports_the_demand(make_variant):
    """Only lane L3 (9610) remains and 9610 has no rule: both demand rows are unserved."""
    folder = make_variant(
        tables={
            "tax_rules": lambda f: f[f["channel_id"] != "9610"],
            "lanes": lambda f: f[f["lane_id"] == "L3"],
        }
    )
    issues, message = load_issues(folder)
    assert [i.file for i in issues] == ["demand.csv", "demand.csv"]
    demand = [i for i in issues if i.file == "demand.csv"]
    assert [(i.row, i.column, i.value) for i in demand] == [
        (2, "region_id", "R1"),
        (3, "region_id", "R1"),
    ]
    assert "SKU A" in demand[0].expected
    assert "SKU B" in demand[1].expected
    # the row's own reason, per channel, not a count over the whole instance
    assert "9610: no tax rule covers the channel into this destination" in demand[0].expected
    assert "demand.csv, row 2, column 'region_id': got 'R1'" in message
    assert "demand.csv, row 3, column 'region_id': got 'R1'" in message


def test_no_tax_rules_at_all_is_reported_not_a_crash(make_variant):
    """Regression: a header-only tax_rules.csv once crashed build_pairs with IndexError."""
    folder = make_variant(tables={"tax_rules": lambda f: f.iloc[0:0]})
    issues, message = load_issues(folder)
    assert "no tax rule covers the channel" in message
    assert [(i.file, i.row) for i in issues] == [
        ("demand.csv", 2),
        ("demand.csv", 3),
    ]


def test_region_no_channel_can_reach(make_variant):
    folder = make_variant(
        tables={
            "nodes": append_rows(
                {"node_id": "R2", "kind": "region", "country": "CN", "lat": "30", "lon": "120"}
            ),
            "demand": append_rows({"sku_id": "A", "region_id": "R2", "units": "5"}),
        }
    )
    issues, message = load_issues(folder)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "demand.csv",
        4,
        "region_id",
        "R2",
    )
    assert issue.expected.startswith("a demand node that some channel can reach for SKU A")
    assert "demand.csv, row 4, column 'region_id': got 'R2'" in message


def test_zero_demand_at_an_unreachable_region_is_fine(make_variant):
    folder = make_variant(
        tables={
            "nodes": append_rows(
                {"node_id": "R2", "kind": "region", "country": "CN", "lat": "30", "lon": "120"}
            ),
            "demand": append_rows({"sku_id": "A", "region_id": "R2", "units": "0"}),
        }
    )
    assert len(load_instance(folder).demand) == 3


def test_errors_in_different_files_all_in_one_instance_error(make_variant):
    folder = make_variant(
        tables={
            "lanes": set_cell(0, "from_node", "XX"),
            "demand": set_cell(1, "sku_id", "Z"),
            "channels": set_cell(0, "stock_node_kind", "domestic_dc"),
            "fx": lambda f: f.assign(rate_to_instance=["2"]),
            "skus": lambda f: pd.concat([f, f.iloc[[1]]], ignore_index=True),
        }
    )
    issues, message = load_issues(folder)
    expected = {
        ("lanes.csv", 2, "from_node", "XX"),
        ("demand.csv", 3, "sku_id", "Z"),
        ("channels.csv", 2, "stock_node_kind", "domestic_dc"),
        ("fx.csv", 2, "rate_to_instance", "2.0"),
        ("skus.csv", 4, "sku_id", "B"),
    }
    assert {(i.file, i.row, i.column, i.value) for i in issues} == expected
    assert len(issues) == len(expected)
    assert message.startswith("5 problem(s) in the instance:")
    for file, row, _, _ in expected:
        assert f"{file}, row {row}" in message


def test_cell_errors_and_reference_errors_are_reported_together(make_variant):
    """Regression: cell errors once hid the cross-table errors of other files until the next run."""
    folder = make_variant(
        tables={
            "demand": set_cell(0, "units", "-1"),
            "lanes": set_cell(2, "to_node", "R9"),
        },
        params={"service_level": 1.5},
    )
    issues, message = load_issues(folder)
    assert Issue("demand.csv", 2, "units", "-1", "a number >= 0") in issues
    assert Issue("lanes.csv", 4, "to_node", "R9", "a node_id listed in nodes.csv") in issues
    assert Issue("parameters.yaml", None, "service_level", "1.5", "a number >= 0.5 and < 1") in (
        issues
    )
    assert len(issues) == 3
    assert "demand.csv, row 2" in message
    assert "lanes.csv, row 4" in message


@pytest.mark.parametrize(
    ("demand", "why"),
    [
        (
            pd.DataFrame({"sku_id": ["A", "B"], "region_id": ["R1", "R1"], "units": ["0", "0"]}),
            "all units are 0",
        ),
        (pd.DataFrame({"sku_id": [], "region_id": [], "units": []}), "the table has no rows"),
    ],
)
def test_nothing_to_plan_is_reported(make_variant, demand, why):
    # issue 10 item 3: passed validate, then solve raised a TypeError; the instance
    # itself loads (a plan can be evaluated against it)
    issues = check_plannable(load_instance(make_variant(tables={"demand": demand})))
    assert issues == [
        Issue(
            "demand.csv",
            None,
            "units",
            None,
            f"at least one row with units above 0: there is nothing to plan ({why})",
        )
    ]


def test_some_demand_is_plannable(tiny_dir):
    assert check_plannable(load_instance(tiny_dir)) == []


def test_nothing_to_plan_is_bad_input_for_validate_and_solve(make_variant, tmp_path, capsys):
    from lean_chain.cli import main

    folder = make_variant(
        tables={"demand": pd.DataFrame({"sku_id": [], "region_id": [], "units": []})}
    )
    assert main(["validate", str(folder)]) == 2
    assert "nothing to plan" in capsys.readouterr().err
    assert main(["solve", str(folder), "--out", str(tmp_path / "RUN"), "--quiet"]) == 2
    assert "nothing to plan" in capsys.readouterr().err
    assert not (tmp_path / "RUN").exists()


@pytest.mark.parametrize("method", ["exact", "decompose"])
def test_library_solve_with_nothing_to_plan_raises_instance_error(make_variant, method):
    import lean_chain

    folder = make_variant(
        tables={"demand": pd.DataFrame({"sku_id": [], "region_id": [], "units": []})}
    )
    with pytest.raises(lean_chain.InstanceError, match="nothing to plan"):
        lean_chain.solve(load_instance(folder), method=method)
