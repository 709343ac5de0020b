"""Reading instance tables: every bad cell, column, file or parameter is an Issue.

Each test breaks the tiny instance in one place and checks the exact Issue
(file, spreadsheet row with the header on line 1, column, value, expectation)
and that the InstanceError message names the file and the row.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from lean_chain.errors import InstanceError, Issue
from lean_chain.io.tables import read_parameters, read_table
from lean_chain.load import load_instance
from lean_chain.model.schema import PARAMETERS, TABLES


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


@pytest.mark.parametrize("data_row, line", [(0, 2), (1, 3)])
def test_negative_demand_names_file_row_column_value(make_variant, data_row, line):
    folder = make_variant(tables={"demand": set_cell(data_row, "units", "-5")})
    issues, message = load_issues(folder)
    assert issues == [Issue("demand.csv", line, "units", "-5", "a number >= 0")]
    assert f"demand.csv, row {line}, column 'units': got '-5'; expected a number >= 0" in message


def test_non_numeric_weight(make_variant):
    folder = make_variant(tables={"skus": set_cell(1, "weight_kg", "heavy")})
    issues, message = load_issues(folder)
    assert issues == [Issue("skus.csv", 3, "weight_kg", "heavy", "a number >= 0")]
    assert "skus.csv, row 3" in message
    assert "'heavy'" in message


def test_zero_volume_breaks_the_exclusive_minimum(make_variant):
    """Weight 0 is allowed (weightless items, issue 12); volume 0 is not."""
    folder = make_variant(tables={"skus": set_cell(0, "volume_m3", "0")})
    issues, _ = load_issues(folder)
    assert issues == [Issue("skus.csv", 2, "volume_m3", "0", "a number > 0")]


def test_bad_choice_and_bad_boolean(make_variant):
    folder = make_variant(
        tables={
            "lanes": set_cell(2, "mode", "rocket"),
            "skus": set_cell(0, "positive_list", "maybe"),
        }
    )
    issues, _ = load_issues(folder)
    assert Issue("skus.csv", 2, "positive_list", "maybe", "true or false") in issues
    assert (
        Issue("lanes.csv", 4, "mode", "rocket", "one of sea, air, rail, truck, express, postal")
        in issues
    )
    assert len(issues) == 2


def test_unknown_column_is_reported_as_a_typo(make_variant):
    folder = make_variant(
        tables={"lanes": lambda f: f.rename(columns={"cost_per_kg": "cost_per_kgg"})}
    )
    issues, message = load_issues(folder)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "lanes.csv",
        1,
        "cost_per_kgg",
        "cost_per_kgg",
    )
    assert issue.expected.startswith("a known column: ")
    assert "cost_per_kg," in issue.expected
    assert "lanes.csv, row 1, column 'cost_per_kgg'" in message


def test_notes_columns_are_allowed(make_variant):
    folder = make_variant(
        tables={"lanes": lambda f: f.assign(x_owner="ops", note="checked", comment_2="")}
    )
    instance = load_instance(folder)
    assert len(instance.lanes) == 3


def test_missing_required_column(make_variant):
    folder = make_variant(tables={"nodes": lambda f: f.drop(columns=["country"])})
    issues, message = load_issues(folder)
    # one problem: not one more per data row for a cell 'got ""' that the file does not have
    # (a missing column of global_export's demand.csv was 2,734 problems, 2,733 of them rows)
    assert issues == [Issue("nodes.csv", 1, "country", None, "this required column")]
    assert message.startswith("1 problem(s) in the instance:")
    assert "nodes.csv, row 1, column 'country'; expected this required column" in message


def test_blank_required_cell(make_variant):
    folder = make_variant(tables={"demand": set_cell(1, "sku_id", "")})
    issues, _ = load_issues(folder)
    assert Issue("demand.csv", 3, "sku_id", "", "a value (column is required)") in issues


def test_missing_files_are_all_reported(make_variant, tmp_path):
    folder = make_variant()
    (folder / "fx.csv").unlink()
    (folder / "channels.csv").unlink()
    issues, message = load_issues(folder)
    assert Issue("fx.csv", None, None, None, "the file to exist") in issues
    assert Issue("channels.csv", None, None, None, "the file to exist") in issues
    assert len(issues) == 2
    assert "fx.csv; expected the file to exist" in message


def test_missing_parameters_file(make_variant):
    folder = make_variant()
    (folder / "parameters.yaml").unlink()
    issues, _ = load_issues(folder)
    assert Issue("parameters.yaml", None, None, None, "the file to exist") in issues
    # currency is required, so its absence is reported too
    assert Issue("parameters.yaml", None, "currency", None, "this required key") in issues


def test_not_a_folder(tmp_path):
    issues, _ = load_issues(tmp_path / "nowhere")
    assert issues == [
        Issue(
            str(tmp_path / "nowhere"), None, None, None, "an instance folder or an .xlsx workbook"
        )
    ]


def test_empty_csv_file(make_variant):
    folder = make_variant()
    (folder / "demand.csv").write_text("")
    issues, _ = load_issues(folder)
    assert issues == [Issue("demand.csv", None, None, None, "a header line")]


def test_bad_yaml(make_variant):
    folder = make_variant()
    (folder / "parameters.yaml").write_text("currency: [CNY\nhorizon_days: 365\n")
    issues, message = load_issues(folder)
    assert issues[0].file == "parameters.yaml"
    assert issues[0].row is None
    assert issues[0].expected.startswith("valid YAML")
    assert "parameters.yaml" in message


def test_yaml_that_is_not_a_mapping(make_variant):
    folder = make_variant()
    (folder / "parameters.yaml").write_text("- currency\n- CNY\n")
    issues, _ = load_issues(folder)
    assert issues[0] == Issue(
        "parameters.yaml", None, None, "['currency', 'CNY']", "a mapping of key: value"
    )


def test_unknown_parameter_key(make_variant):
    folder = make_variant(params={"servce_level": 0.9})
    issues, message = load_issues(folder)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "parameters.yaml",
        None,
        "servce_level",
        "0.9",
    )
    assert issue.expected.startswith("a known key: ")
    assert "service_level" in issue.expected
    assert "parameters.yaml, column 'servce_level': got '0.9'" in message


def test_service_level_out_of_range(make_variant):
    folder = make_variant(params={"service_level": 1.5})
    issues, message = load_issues(folder)
    assert issues == [
        Issue("parameters.yaml", None, "service_level", "1.5", "a number >= 0.5 and < 1")
    ]
    assert (
        "parameters.yaml, column 'service_level': got '1.5'; expected a number >= 0.5 and < 1"
        in message
    )


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("service_level", 0.2, "a number >= 0.5 and < 1"),
        ("service_level", 1, "a number >= 0.5 and < 1"),
        ("horizon_days", 0, "a number > 0"),
        ("max_channels_per_sku", 1.5, "a whole number >= 1"),
        ("holding_rate_per_year", "lots", "a number >= 0"),
        ("single_sourcing", "perhaps", "true/false"),
    ],
)
def test_bad_parameter_values(tmp_path, key, value, expected):
    (tmp_path / "parameters.yaml").write_text(yaml.safe_dump({"currency": "CNY", key: value}))
    issues: list[Issue] = []
    params = read_parameters(tmp_path, issues)
    assert issues == [Issue("parameters.yaml", None, key, str(value), expected)]
    # the bad entry falls back to its default
    assert params[key] == PARAMETERS[key].default


def test_read_table_collects_every_bad_cell(make_variant):
    folder = make_variant(
        tables={
            "demand": lambda f: f.assign(units=["-1", "ten"], units_per_order=["0.5", ""]),
        }
    )
    issues: list[Issue] = []
    frame = read_table(folder, TABLES["demand"], issues)
    assert frame is not None
    assert set(issues) == {
        Issue("demand.csv", 2, "units", "-1", "a number >= 0"),
        Issue("demand.csv", 3, "units", "ten", "a number >= 0"),
        Issue("demand.csv", 2, "units_per_order", "0.5", "a number >= 1"),
    }
    assert len(issues) == 3
    # the blank cell takes the default
    assert frame.loc[1, "units_per_order"] == 1.0


def test_read_table_fills_defaults_and_types(tiny_dir):
    issues: list[Issue] = []
    lanes = read_table(tiny_dir, TABLES["lanes"], issues)
    assert issues == []
    assert list(lanes.columns) == list(TABLES["lanes"].column_names)
    assert lanes["cost_per_m3"].tolist() == [0.0, 0.0, 0.0]
    assert lanes["lead_time_days"].tolist() == [10.0, 2.0, 8.0]
    assert lanes["container_m3"].isna().all()


def test_read_parameters_fills_defaults(tiny_dir):
    issues: list[Issue] = []
    params = read_parameters(tiny_dir, issues)
    assert issues == []
    assert params["currency"] == "CNY"
    assert params["service_level"] == 0.95
    assert params["max_channels_per_sku"] == 1
    assert params["single_sourcing"] is False


def test_errors_in_several_files_are_reported_at_once(make_variant):
    folder = make_variant(
        tables={
            "demand": set_cell(1, "units", "-1"),
            "skus": set_cell(0, "weight_kg", "x"),
            "lanes": lambda f: f.rename(columns={"mode": "mdoe"}),
        },
        params={"service_level": 1.5},
    )
    issues, message = load_issues(folder)
    assert Issue("demand.csv", 3, "units", "-1", "a number >= 0") in issues
    assert Issue("skus.csv", 2, "weight_kg", "x", "a number >= 0") in issues
    assert Issue("parameters.yaml", None, "service_level", "1.5", "a number >= 0.5 and < 1") in (
        issues
    )
    assert any(i.file == "lanes.csv" and i.column == "mdoe" for i in issues)
    assert Issue("lanes.csv", 1, "mode", None, "this required column") in issues
    assert message.startswith(f"{len(issues)} problem(s) in the instance:")
    for text in ("demand.csv, row 3", "skus.csv, row 2", "lanes.csv, row 1", "parameters.yaml"):
        assert text in message


def test_issue_str():
    assert (
        str(Issue("demand.csv", 3, "units", "-5", "a number >= 0"))
        == "demand.csv, row 3, column 'units': got '-5'; expected a number >= 0"
    )
    assert str(Issue("fx.csv", None, None, None, "the file to exist")) == (
        "fx.csv; expected the file to exist"
    )


TINY_TABLES = ("channels", "demand", "fx", "lanes", "nodes", "skus", "tax_rules")


def edit_line(folder: Path, file: str, line: int, suffix: str) -> None:
    """Append ``suffix`` to line ``line`` (1-based) of ``folder/file``."""
    path = folder / file
    lines = path.read_text().splitlines()
    lines[line - 1] += suffix
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("name", TINY_TABLES)
@pytest.mark.parametrize("suffix", [",", ",extra", ",x,y"])
def test_row_with_more_fields_than_the_header_names_file_and_line(make_variant, name, suffix):
    # issue 10 item 4: pandas took the first column as the index and shifted the cells
    folder = make_variant()
    edit_line(folder, f"{name}.csv", 2, suffix)
    issues, message = load_issues(folder)
    assert len(issues) == 1
    issue = issues[0]
    assert (issue.file, issue.row) == (f"{name}.csv", 2)
    assert "like the header line" in issue.expected
    assert f"{name}.csv, row 2" in message


def test_every_row_with_a_trailing_delimiter_is_an_error(make_variant):
    folder = make_variant()
    text = (folder / "channels.csv").read_text().splitlines()
    (folder / "channels.csv").write_text(
        "\n".join([text[0], *(line + "," for line in text[1:])]) + "\n"
    )
    issues, _ = load_issues(folder)
    assert [(i.file, i.row) for i in issues] == [("channels.csv", 2)]
    assert "path_shape" not in str(issues)


def test_header_with_a_trailing_delimiter_or_a_repeated_name(make_variant):
    folder = make_variant()
    (folder / "demand.csv").write_text("sku_id,region_id,units,\nA,R1,100,\nB,R1,10,\n")
    (folder / "fx.csv").write_text("currency,currency,rate_to_instance\nCNY,CNY,1\n")
    issues, _ = load_issues(folder)
    assert issues == [
        Issue(
            "demand.csv", 1, None, "", "a name for every column (is there a trailing delimiter?)"
        ),
        Issue("fx.csv", 1, "currency", "currency", "each column name once"),
    ]


@pytest.mark.parametrize("name", ["demand.csv", "skus.csv", "parameters.yaml"])
def test_a_folder_where_a_file_should_be(make_variant, name):
    # issue 10 item 5: IsADirectoryError traceback
    folder = make_variant()
    (folder / name).unlink()
    (folder / name).mkdir()
    issues, _ = load_issues(folder)
    kind = "a YAML file" if name.endswith(".yaml") else "a CSV file"
    assert Issue(name, None, None, None, f"{kind}, not a folder") in issues


def write_parameters(folder: Path, text: str | bytes) -> list[Issue]:
    path = folder / "parameters.yaml"
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    issues: list[Issue] = []
    read_parameters(folder, issues)
    return issues


@pytest.mark.parametrize("encoding", ["latin-1", "utf-16"])
def test_parameters_not_in_utf8(tmp_path, encoding):
    # issue 10 item 6: UnicodeDecodeError traceback
    issues = write_parameters(tmp_path, "name: Zürich\ncurrency: CHF\n".encode(encoding))
    # the file problem first (then the required keys it could not give)
    assert issues[0].expected.startswith("UTF-8 text")


def test_parameters_with_a_huge_integer(tmp_path):
    # issue 10 item 6: OverflowError traceback
    issues = write_parameters(tmp_path, "currency: CNY\nhorizon_days: " + "9" * 400 + "\n")
    assert [(i.column, i.expected) for i in issues] == [("horizon_days", "a number > 0")]
    assert len(issues[0].value) <= 60


def test_parameters_alias_bomb_is_refused_quickly(tmp_path):
    # issue 10 item 6: 546 bytes took 2.9 GB and printed 580 MB
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        previous = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    issues = write_parameters(tmp_path, "\n".join(lines) + "\n")
    assert "aliases" in issues[0].expected
    assert len(str(issues[0])) < 1000


def test_parameters_file_too_big(tmp_path):
    issues = write_parameters(tmp_path, "currency: CNY\n" + "# padding\n" * 10000)
    assert issues[0].expected.startswith("a file of at most 64 KiB")


ISO_CODE = "a three-letter ISO 4217 currency code such as CNY"


@pytest.mark.parametrize(
    "text, column, value, expected",
    [
        ("currency: [CNY, USD]", "currency", "['CNY', 'USD']", ISO_CODE),
        ("currency: {a: 1}", "currency", "{'a': 1}", ISO_CODE),
        ('currency: ""', "currency", "", ISO_CODE),
        ("currency: true", "currency", "True", ISO_CODE),
        ("currency: CNY\nhorizon_days: true", "horizon_days", "True", "a number > 0"),
        ("currency: CNY\nsingle_sourcing: [true]", "single_sourcing", "[True]", "true/false"),
        ("currency: CNY\nsingle_sourcing: 0.5", "single_sourcing", "0.5", "true/false"),
        (
            "currency: CNY\nmax_channels_per_sku: 2020-01-01",
            "max_channels_per_sku",
            "2020-01-01",
            "a whole number >= 1",
        ),
        ("currency: CNY\nservice_level: .nan", "service_level", "nan", "a number >= 0.5 and < 1"),
    ],
)
def test_parameters_of_the_wrong_type(tmp_path, text, column, value, expected):
    # issue 10 item 6: these were accepted silently (true read as 1.0)
    issues = write_parameters(tmp_path, text + "\n")
    assert issues == [Issue("parameters.yaml", None, column, value, expected)]


def test_parameters_numbers_written_as_text_still_read(tmp_path):
    # YAML 1.1 reads 1e6 (no dot) as text
    issues: list[Issue] = []
    (tmp_path / "parameters.yaml").write_text("currency: CNY\ncbec_annual_limit_per_person: 1e6\n")
    params = read_parameters(tmp_path, issues)
    assert issues == []
    assert params["cbec_annual_limit_per_person"] == 1e6


def test_parameters_duplicate_keys(tmp_path):
    # issue 10 item 6: the last value was taken silently
    issues = write_parameters(tmp_path, "currency: CNY\nservice_level: 0.9\nservice_level: 0.99\n")
    assert issues == [
        Issue("parameters.yaml", None, "service_level", None, "each key once (line 3 repeats it)")
    ]


@pytest.mark.parametrize(
    "table, column, value, limit",
    [("skus", "procurement_cost", "1e300", "1e+12"), ("skus", "weight_kg", "1e20", "1e+15")],
)
def test_numbers_too_large_for_the_solver(make_variant, table, column, value, limit):
    # issue 10 item 9: a cost of 1e300 passed validate, then the solver failed with kUnknown
    issues, _ = load_issues(make_variant(tables={table: set_cell(0, column, value)}))
    assert len(issues) == 1
    assert (issues[0].file, issues[0].row, issues[0].column, issues[0].value) == (
        f"{table}.csv",
        2,
        column,
        value,
    )
    assert issues[0].expected.endswith(f"at most {limit}")
