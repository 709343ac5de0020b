"""Instance workbooks: template, reading (same tables as CSV, issues by sheet/row/column), plans.

Malformed workbooks are made from the tiny instance's template with openpyxl;
each test checks the exact Issue: the file names the workbook and the sheet,
the row is the one Excel shows, the column is the table's column.
"""

from __future__ import annotations

import datetime
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import lean_chain
from lean_chain.errors import InstanceError, Issue, OutputPathError
from lean_chain.io.excel import (
    DOCUMENTATION_SHEET,
    PARAMETERS_SHEET,
    read_workbook,
    workbook_to_folder,
    write_plan_workbook,
    write_template,
)
from lean_chain.model.schema import TABLES

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "data" / "tiny"


def assert_same_instance(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), obj=name)
    assert a.params == b.params


def issues_of(path: Path) -> list[Issue]:
    with pytest.raises(InstanceError) as info:
        lean_chain.load_instance(path)
    return info.value.issues


@pytest.fixture
def tiny_book(tmp_path: Path) -> Path:
    return write_template(tmp_path / "tiny.xlsx", source=TINY)


def edit(book: Path, change) -> Path:
    """Apply ``change(workbook)`` and save the workbook in place."""
    wb = openpyxl.load_workbook(book)
    change(wb)
    wb.save(book)
    return book


def column_index(ws, name: str) -> int:
    for cell in ws[1]:
        if cell.value is not None and str(cell.value).split(" [")[0] == name:
            return cell.column
    raise KeyError(name)


def set_cell(sheet: str, row: int, column: str, value, **attrs):
    def change(wb):
        ws = wb[sheet]
        cell = ws.cell(row=row, column=column_index(ws, column), value=value)
        for key, attr in attrs.items():
            setattr(cell, key, attr)

    return change


# -- round trips ------------------------------------------------------------------------


CN_IMPORT = ROOT / "instances" / "cn_import"


@pytest.fixture(scope="module")
def cn_book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("cn") / "cn_import.xlsx", source=CN_IMPORT)


@pytest.mark.parametrize("source", [TINY, ROOT / "instances" / "global_export"])
def test_csv_to_workbook_gives_identical_tables(source, tmp_path):
    book = write_template(tmp_path / f"{source.name}.xlsx", source=source)
    assert_same_instance(lean_chain.load_instance(source), lean_chain.load_instance(book))


def test_cn_import_workbook_gives_identical_tables(cn_book):
    assert_same_instance(lean_chain.load_instance(CN_IMPORT), lean_chain.load_instance(cn_book))


def test_solve_from_workbook_gives_the_same_objective(tiny_book):
    from_csv = lean_chain.solve(lean_chain.load_instance(TINY), gap=0.01)
    from_book = lean_chain.solve(lean_chain.load_instance(tiny_book), gap=0.01)
    assert from_book.objective == pytest.approx(from_csv.objective, rel=1e-12)
    pd.testing.assert_frame_equal(from_book.tables["flows"], from_csv.tables["flows"])


def test_workbook_to_folder_round_trip(tiny_book, tmp_path):
    out = workbook_to_folder(tiny_book, tmp_path / "back")
    assert (out / "parameters.yaml").is_file()
    assert_same_instance(lean_chain.load_instance(TINY), lean_chain.load_instance(out))


def test_workbook_to_folder_keeps_notes_columns(cn_book, tmp_path):
    source = CN_IMPORT
    out = workbook_to_folder(cn_book, tmp_path / "cn")
    skus = pd.read_csv(out / "skus.csv", dtype=str, keep_default_na=False)
    original = pd.read_csv(source / "skus.csv", dtype=str, keep_default_na=False)
    assert skus["x_product"].tolist() == original["x_product"].tolist()
    assert skus["hs_code"].tolist() == original["hs_code"].tolist()  # text, not 3304.99 as a number


def test_workbook_to_folder_refuses_a_non_empty_folder_and_bad_workbooks(tiny_book, tmp_path):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep")
    with pytest.raises(OutputPathError, match="not empty"):
        workbook_to_folder(tiny_book, taken)
    assert [p.name for p in taken.iterdir()] == ["mine.txt"]
    edit(tiny_book, set_cell("skus", 2, "weight_kg", "heavy"))
    with pytest.raises(InstanceError):
        workbook_to_folder(tiny_book, tmp_path / "new", check=lean_chain.load_instance)
    assert not (tmp_path / "new").exists()


# -- the template -----------------------------------------------------------------------


def test_template_sheets_headers_units_and_drop_downs(tmp_path):
    book = write_template(tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == [*TABLES, PARAMETERS_SHEET, DOCUMENTATION_SHEET]
    skus = wb["skus"]
    headers = [c.value for c in skus[1]]
    assert headers[0] == "sku_id"
    assert "weight_kg [kg]" in headers and "volume_m3 [m3]" in headers
    assert skus.freeze_panes == "A2"
    assert "Gross weight per unit" in skus["H1"].comment.text

    def lists(ws) -> dict[str, str]:
        return {
            str(v.sqref).split(":")[0][:-1]: v.formula1 for v in ws.data_validations.dataValidation
        }

    nodes = lists(wb["nodes"])
    assert (
        nodes["B"]
        == '"supplier,port,hub,bonded_zone,overseas_warehouse,domestic_dc,region,business_buyer"'
    )
    tax = wb["tax_rules"]
    regime = lists(tax)[openpyxl.utils.get_column_letter(column_index(tax, "regime"))]
    assert regime == '"general_trade,cbec_retail,postal,low_value_parcel,none"'
    channel = lists(tax)["A"]
    assert channel.startswith("channels!$A$2")  # ids from the channels sheet
    positive = lists(skus)[openpyxl.utils.get_column_letter(column_index(skus, "positive_list"))]
    assert positive == '"TRUE,FALSE"'
    params = {row[0]: row[1] for row in wb[PARAMETERS_SHEET].iter_rows(min_row=2, values_only=True)}
    assert params["horizon_days"] == 365 and params["currency"] is None
    docs = [row for row in wb[DOCUMENTATION_SHEET].iter_rows(values_only=True) if row[0] == "skus"]
    assert any(row[1] == "weight_kg" and row[6] == "kg" for row in docs)


def test_template_refuses_to_overwrite(tmp_path):
    book = write_template(tmp_path / "t.xlsx")
    before = book.read_bytes()
    with pytest.raises(OutputPathError, match="exists"):
        write_template(book)
    assert book.read_bytes() == before
    write_template(book, source=TINY, overwrite=True)
    assert lean_chain.load_instance(book).params["name"] == "tiny"
    with pytest.raises(OutputPathError, match=r"\.xlsx"):
        write_template(tmp_path / "t.csv")


def test_text_ids_keep_leading_zeros(cn_book):
    ws = openpyxl.load_workbook(cn_book, read_only=True)["channels"]
    ids = [row[0] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert "0110" in ids and all(isinstance(i, str) for i in ids)


# -- robust reading -----------------------------------------------------------------------


def test_bad_cell_names_sheet_row_and_column(tiny_book):
    edit(tiny_book, set_cell("skus", 3, "weight_kg", "heavy"))
    issues = issues_of(tiny_book)
    assert issues == [
        Issue(
            "tiny.xlsx, sheet 'skus'",
            3,
            "weight_kg",
            "heavy",
            TABLES["skus"].column("weight_kg").expectation(),
        )
    ]
    assert "tiny.xlsx, sheet 'skus', row 3, column 'weight_kg'" in str(issues[0])


def test_formula_cell_is_an_error_naming_the_cell(tiny_book):
    edit(tiny_book, set_cell("skus", 2, "weight_kg", "=0.5*2"))
    (issue,) = issues_of(tiny_book)
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "tiny.xlsx, sheet 'skus'",
        2,
        "weight_kg",
        "=0.5*2",
    )
    assert "formula" in issue.expected and "H2" in issue.expected


def test_excel_error_value_is_an_error(tiny_book):
    edit(tiny_book, set_cell("demand", 2, "units", "#N/A"))
    (issue,) = issues_of(tiny_book)
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "tiny.xlsx, sheet 'demand'",
        2,
        "units",
        "#N/A",
    )


def test_missing_sheet_is_named_with_the_sheets_found(tiny_book):
    def rename(wb):
        wb["skus"].title = "products"

    edit(tiny_book, rename)
    (issue,) = issues_of(tiny_book)
    assert issue.file == "tiny.xlsx" and issue.row is None
    assert "a sheet named 'skus'" in issue.expected and "'products'" in issue.expected


def test_missing_parameters_sheet(tiny_book):
    edit(tiny_book, lambda wb: wb.remove(wb[PARAMETERS_SHEET]))
    (issue,) = issues_of(tiny_book)
    assert issue.file == "tiny.xlsx" and "'parameters'" in issue.expected


def test_extra_sheets_case_and_headers_without_units_are_fine(tiny_book):
    def change(wb):
        wb.create_sheet("my notes")["A1"] = "anything"
        wb["nodes"].title = "renamed"
        wb["renamed"].title = "Nodes"
        for cell in wb["skus"][1]:
            if cell.value:
                cell.value = str(cell.value).split(" [")[0]  # plain CSV names

    edit(tiny_book, change)
    assert_same_instance(lean_chain.load_instance(TINY), lean_chain.load_instance(tiny_book))


def test_empty_rows_are_skipped_and_rows_stay_excel_rows(tiny_book):
    def change(wb):
        ws = wb["demand"]
        ws.insert_rows(3, amount=2)  # two empty rows between the data rows
        ws.cell(row=ws.max_row + 5, column=1, value="   ")  # whitespace far below the data

    edit(tiny_book, change)
    assert_same_instance(lean_chain.load_instance(TINY), lean_chain.load_instance(tiny_book))
    edit(tiny_book, set_cell("demand", 5, "sku_id", "NOPE"))  # the second data row, now row 5
    issues = issues_of(tiny_book)
    assert [(i.file, i.row, i.column, i.value) for i in issues] == [
        ("tiny.xlsx, sheet 'demand'", 5, "sku_id", "NOPE")
    ]


def test_numbers_stored_as_text_and_ids_typed_as_numbers(tiny_book, tmp_path):
    def change(wb):
        ws = wb["skus"]
        ws.cell(row=2, column=column_index(ws, "weight_kg")).value = " 1.5 "
        ws.cell(row=2, column=column_index(ws, "weight_kg")).data_type = "s"

    edit(tiny_book, change)
    assert lean_chain.load_instance(tiny_book).skus["weight_kg"].iloc[0] == 1.5
    # 1210 typed as a number into a text id column is read as its digits
    for sheet in ("channels", "tax_rules"):
        edit(tiny_book, set_cell(sheet, 2, "channel_id", 1210))
    assert "1210" in set(lean_chain.load_instance(tiny_book).channels["channel_id"])


def test_dates(tiny_book):
    edit(tiny_book, set_cell("skus", 2, "hs_code", datetime.datetime(2024, 5, 1)))
    assert lean_chain.load_instance(tiny_book).skus["hs_code"].iloc[0] == "2024-05-01"
    edit(tiny_book, set_cell("skus", 2, "volume_m3", datetime.date(2024, 5, 1)))
    (issue,) = issues_of(tiny_book)
    assert (issue.file, issue.row, issue.column) == ("tiny.xlsx, sheet 'skus'", 2, "volume_m3")
    assert "not a date" in issue.expected


def test_merged_cells_are_an_error(tiny_book):
    def change(wb):
        ws = wb["nodes"]
        col = column_index(ws, "name")
        ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)

    edit(tiny_book, change)
    issues = issues_of(tiny_book)
    assert any(
        i.file == "tiny.xlsx, sheet 'nodes'"
        and i.row == 2
        and i.column == "name"
        and "merged" in i.expected
        for i in issues
    )


def test_unknown_and_unnamed_columns(tiny_book):
    def change(wb):
        ws = wb["lanes"]
        ws.cell(row=1, column=ws.max_column + 1, value="cost_per_kgg")
        ws.cell(row=2, column=ws.max_column + 2, value=3)  # data under no header

    edit(tiny_book, change)
    issues = issues_of(tiny_book)
    unknown = [i for i in issues if i.column == "cost_per_kgg"]
    assert [(i.file, i.row, i.value) for i in unknown] == [
        ("tiny.xlsx, sheet 'lanes'", 1, "cost_per_kgg")
    ]
    assert unknown[0].expected.startswith("a known column")
    assert any(i.row == 1 and "a name for every column" in i.expected for i in issues)


def test_bad_parameter_names_its_row(tiny_book):
    def change(wb):
        ws = wb[PARAMETERS_SHEET]
        for row in ws.iter_rows(min_row=2):
            if row[0].value == "currency":
                row[1].value = "yuan"
                return

    edit(tiny_book, change)
    (issue,) = issues_of(tiny_book)
    assert (issue.file, issue.row, issue.column, issue.value) == (
        "tiny.xlsx, sheet 'parameters'",
        4,
        "value",
        "yuan",
    )
    assert "currency" in issue.expected


def test_cross_table_issue_is_located_in_the_workbook(tiny_book):
    edit(tiny_book, set_cell("lanes", 3, "to_node", "NOWHERE"))
    issues = issues_of(tiny_book)
    assert [(i.file, i.row, i.column, i.value) for i in issues] == [
        ("tiny.xlsx, sheet 'lanes'", 3, "to_node", "NOWHERE")
    ]


@pytest.mark.parametrize(
    "content",
    [b"this is not a workbook", b"PK\x03\x04 truncated", "zip-without-workbook", "half"],
)
def test_corrupt_files_are_instance_errors(tiny_book, tmp_path, content):
    bad = tmp_path / "bad.xlsx"
    if content == "zip-without-workbook":
        with zipfile.ZipFile(bad, "w") as archive:
            archive.writestr("hello.txt", "hi")
    elif content == "half":
        data = tiny_book.read_bytes()
        bad.write_bytes(data[: len(data) // 2])
    else:
        bad.write_bytes(content)
    (issue,) = issues_of(bad)
    assert issue.file == "bad.xlsx" and issue.row is None
    assert ".xlsx workbook" in issue.expected


def test_not_a_folder_nor_a_workbook(tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    (issue,) = issues_of(old)
    assert "an instance folder or an .xlsx workbook" in issue.expected
    (issue,) = issues_of(tmp_path / "missing.xlsx")
    assert issue.expected == "the workbook file to exist"


def test_read_workbook_reports_without_raising(tiny_book):
    edit(tiny_book, set_cell("skus", 2, "procurement_cost", -1))
    contents = read_workbook(tiny_book)
    assert [(i.row, i.column) for i in contents.issues] == [(2, "procurement_cost")]
    assert set(contents.tables) == set(TABLES)


# -- plan workbooks -----------------------------------------------------------------------


def test_plan_workbook_is_formatted(tmp_path):
    inst = lean_chain.load_instance(TINY)
    plan = lean_chain.solve(inst)
    book = write_plan_workbook(tmp_path / "plan.xlsx", plan.summary(), plan.tables)
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["summary", "cost_breakdown", "kpis", *plan.tables]
    summary = {row[0]: row[1] for row in wb["summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(plan.objective)
    costs = {row[0]: row[1] for row in wb["cost_breakdown"].iter_rows(min_row=2, values_only=True)}
    assert costs["total"] == pytest.approx(plan.objective)
    flows = wb["flows"]
    assert flows.freeze_panes == "A2"
    assert flows.auto_filter.ref == f"A1:J{len(plan.tables['flows']) + 1}"
    assert flows["A1"].font.bold
    header = [c.value for c in flows[1]]
    assert header == list(plan.tables["flows"].columns)
    units = flows.cell(row=2, column=header.index("units") + 1)
    assert units.value == pytest.approx(plan.tables["flows"]["units"].iloc[0])
    assert units.number_format == "#,##0.00"
    assert flows.cell(row=2, column=header.index("share") + 1).number_format == "0.0%"
    assert flows.column_dimensions["A"].width >= 8
    with pytest.raises(OutputPathError, match="exists"):
        write_plan_workbook(book, plan.summary(), plan.tables)
