"""Excel workbooks: instance templates and workbooks in, formatted plan workbooks out.

An **instance workbook** holds one sheet per table of
:mod:`lean_chain.model.schema` (``skus``, ``nodes``, ..., named like the CSV
files without ``.csv``), a ``parameters`` sheet (``key`` / ``value`` rows, the
content of ``parameters.yaml``) and a ``documentation`` sheet generated from
the schema. Row 1 of a table sheet is the header: the column name, optionally
followed by its unit in brackets (``weight_kg [kg]``); data starts on row 2.
:func:`write_template` writes such a workbook (empty, or filled from an
instance folder) with drop-downs for columns whose allowed values the schema
knows; :func:`read_workbook` reads one into the same typed tables and
parameters as the CSV reader (:func:`lean_chain.io.tables.read_folder`), so
validation is shared and every problem names the workbook, the sheet, the row
as Excel shows it and the column (``cn.xlsx, sheet 'skus', row 7, column
'weight_kg'``).

Reading rules:

- **Formulas are never evaluated, and their cached values are not read**: a
  formula cell is an error naming the cell. A workbook saved by a program other
  than Excel has no cached values, and a cached value can be stale; a plan must
  come from the numbers the planner sees. Paste values instead.
- Numbers stored as text are read as numbers; a whole number in a text column
  (``1210`` typed into ``channel_id``) is read as its digits. A date in a
  number column is an error; in a text column it is read as ``YYYY-MM-DD``.
- Empty rows (anywhere) are skipped; row numbers in messages stay Excel's.
- Merged cells are an error (one value per cell); sheets that are not tables,
  ``parameters`` or ``documentation`` are ignored; sheet names match without
  regard to case. A missing optional sheet (``rates``, ``weight_breaks``) is
  an empty table, as a missing optional CSV file is.
- A file that is not an ``.xlsx`` workbook (an ``.xls``, a corrupt file) is an
  :class:`~lean_chain.errors.InstanceError`, never a traceback.

:func:`write_plan_workbook` writes a solved plan (summary, cost breakdown,
KPIs and every plan table) as a formatted workbook with XlsxWriter.

Examples
--------
>>> import tempfile, pathlib
>>> from lean_chain.io.excel import read_workbook, write_template
>>> with tempfile.TemporaryDirectory() as tmp:
...     book = write_template(pathlib.Path(tmp) / "tiny.xlsx", source="tests/data/tiny")
...     contents = read_workbook(book)
...     contents.issues, len(contents.tables["skus"]), contents.params["currency"]
([], 2, 'CNY')
"""

from __future__ import annotations

import datetime
import math
import os
import re
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_chain.errors import InstanceError, Issue, OutputPathError
from lean_chain.io.tables import (
    PARAMETERS_FILE,
    _parse_parameter,
    read_csv_text,
    read_parameters,
    type_table,
)
from lean_chain.model.schema import (
    NODE_KINDS,
    PARAMETERS,
    STOCKING_KINDS,
    TABLES,
    Column,
    Parameter,
    Table,
)

#: Sheet of ``key`` / ``value`` rows holding ``parameters.yaml``.
PARAMETERS_SHEET = "parameters"
#: Sheet describing every sheet and column, generated from the schema.
DOCUMENTATION_SHEET = "documentation"
#: File suffixes read as workbooks.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
#: Uncompressed size above which a workbook is refused (a zip bomb, or far beyond any instance).
MAX_UNCOMPRESSED_BYTES = 1 << 30
#: Excel's last row.
EXCEL_MAX_ROWS = 1_048_576

_UNIT_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")
_HEADER_FILL = "FFDDEBF7"
_REQUIRED_FILL = "FFB4C6E7"


def is_workbook_path(path: str | Path) -> bool:
    """Whether ``path`` names a workbook file (by its suffix), rather than a folder.

    >>> is_workbook_path("plan.XLSX"), is_workbook_path("instances/cn_import")
    (True, False)
    """
    return Path(path).suffix.lower() in WORKBOOK_SUFFIXES


def header_label(col: Column | Parameter) -> str:
    """The header text of a column in a workbook: its name and unit.

    >>> from lean_chain.model.schema import TABLES
    >>> header_label(TABLES["skus"].column("weight_kg"))
    'weight_kg [kg]'
    """
    return f"{col.name} [{col.unit}]" if col.unit else col.name


def column_name(header: str) -> str:
    """The column name of a header cell: the unit in brackets and a ``*`` are dropped.

    >>> column_name(" weight_kg [kg] "), column_name("sku_id *")
    ('weight_kg', 'sku_id')
    """
    return _UNIT_SUFFIX.sub("", str(header)).strip().rstrip("*").strip()


# ----------------------------------------------------------------------------- reading


def _sheet_label(book: str, sheet: str) -> str:
    return f"{book}, sheet {sheet!r}"


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _is_formula(cell: Any) -> bool:
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    return cell.data_type == "f" or isinstance(cell.value, (ArrayFormula, DataTableFormula))


def _formula_text(cell: Any) -> str:
    value = cell.value
    text = getattr(value, "text", value)  # ArrayFormula keeps its formula in .text
    return str(text)[:60]


@dataclass
class _SheetReader:
    """Turns cells of one sheet into text as the CSV reader would see it, collecting issues."""

    label: str
    issues: list[Issue]

    def _refuse(self, row: int, column: str, value: str, expected: str) -> None:
        """Record that the cell in ``row``, ``column`` holds ``value``, not ``expected``."""
        self.issues.append(Issue(self.label, row, column, value, expected))

    def text(self, cell: Any, row: int, column: str, kind: str) -> str | None:
        """The text of ``cell`` for a column of type ``kind``; ``None`` (and an issue) if bad."""
        if _is_formula(cell):
            self._refuse(
                row,
                column,
                _formula_text(cell),
                f"a value, not a formula (cell {cell.coordinate}; formulas are never "
                "evaluated: paste the values instead)",
            )
            return None
        value = cell.value
        if cell.data_type == "e":  # an Excel error such as #N/A or #DIV/0!
            self._refuse(
                row, column, str(value), f"a value, not an Excel error ({cell.coordinate})"
            )
            return None
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            if kind == "str" and value.is_integer():
                return str(int(value))  # 1210 typed into a text column
            return repr(value)
        if isinstance(value, (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)):
            if kind == "str" and not isinstance(value, datetime.timedelta):
                if isinstance(value, datetime.datetime) and value.time() == datetime.time():
                    return value.date().isoformat()
                return value.isoformat()
            self._refuse(
                row,
                column,
                str(value),
                f"{'a number' if kind != 'bool' else 'true or false'}, not a date or time "
                f"(cell {cell.coordinate}: format it as a number)",
            )
            return None
        return str(value)


@dataclass
class _RawSheet:
    """One table sheet as stripped text under its column names, and Excel's row of each."""

    frame: pd.DataFrame
    excel_rows: list[int]


def _merged_issues(ws: Any, label: str, names: Mapping[int, str]) -> list[Issue]:
    issues = []
    for merged in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        issues.append(
            Issue(
                label,
                merged.min_row,
                names.get(merged.min_col, _letter(merged.min_col)),
                merged.coord,
                "one value per cell, not merged cells (unmerge them)",
            )
        )
    return issues


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_table_sheet(ws: Any, table: Table, label: str, issues: list[Issue]) -> _RawSheet | None:
    """The text cells of a table sheet; ``None`` (and an issue) when it has no usable header."""
    rows = list(ws.iter_rows())
    if not rows or all(_blank(c.value) for c in rows[0]):
        issues.append(Issue(label, 1, None, None, "a header row with the column names on row 1"))
        return None
    reader = _SheetReader(label, issues)
    kinds = {col.name: col.type for col in table.columns}
    names: dict[int, str] = {}  # column index (1-based) -> column name
    seen: set[str] = set()
    unnamed: list[int] = []
    for cell in rows[0]:
        if _is_formula(cell):
            reader.text(cell, 1, _letter(cell.column), "str")
            continue
        if _blank(cell.value):
            unnamed.append(cell.column)
            continue
        name = column_name(reader.text(cell, 1, _letter(cell.column), "str") or "")
        if name in seen:
            issues.append(Issue(label, 1, name, str(cell.value), "each column name once"))
            continue
        seen.add(name)
        names[cell.column] = name
    if unnamed:
        holding_data = {c.column for row in rows[1:] for c in row if not _blank(c.value)}
        for index in unnamed:
            if index in holding_data:
                issues.append(
                    Issue(label, 1, _letter(index), "", "a name for every column that holds data")
                )
    issues.extend(_merged_issues(ws, label, names))
    columns: dict[str, list[str]] = {name: [] for name in names.values()}
    excel_rows: list[int] = []
    for row in rows[1:]:
        if all(_blank(c.value) for c in row):
            continue  # empty rows, at the end or between data, are skipped
        line = row[0].row
        excel_rows.append(line)
        by_index = {c.column: c for c in row}
        for index, name in names.items():
            cell = by_index.get(index)
            text = "" if cell is None else reader.text(cell, line, name, kinds.get(name, "str"))
            # a bad cell was reported above; as blank it takes the default and is not reported again
            columns[name].append("" if text is None else text.strip())
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in columns.items()}
    )
    return _RawSheet(frame, excel_rows)


@dataclass
class WorkbookContents:
    """What :func:`read_workbook` found in a workbook.

    ``tables`` and ``params`` are what :func:`lean_chain.io.tables.read_folder`
    returns for a folder (a table is ``None`` when its sheet could not be
    read); ``raw`` holds each sheet's cells as text (including notes columns)
    and ``raw_params`` the parameters given in the sheet, for conversion to
    CSV; ``issues`` are already located in the workbook (sheet, Excel row,
    column).
    """

    path: Path
    tables: dict[str, pd.DataFrame | None]
    params: dict[str, Any]
    raw: dict[str, pd.DataFrame]
    raw_params: dict[str, Any]
    issues: list[Issue]
    excel_rows: dict[str, list[int]] = field(default_factory=dict)
    sheet_names: dict[str, str] = field(default_factory=dict)  # table -> sheet as spelled
    parameter_rows: dict[str, int] = field(default_factory=dict)

    def locate(self, issue: Issue) -> Issue:
        """``issue`` as found by the CSV checks, moved to its sheet, Excel row and column."""
        book = self.path.name
        if issue.file == PARAMETERS_FILE:
            sheet = self.sheet_names.get(PARAMETERS_SHEET, PARAMETERS_SHEET)
            label = _sheet_label(book, sheet)
            key = issue.column
            if key in self.parameter_rows:
                return Issue(
                    label,
                    self.parameter_rows[key],
                    "value",
                    issue.value,
                    f"{issue.expected} (key {key!r})",
                )
            return Issue(label, issue.row, "key", issue.value, f"{issue.expected} (key {key!r})")
        name = issue.file[: -len(".csv")] if issue.file.endswith(".csv") else None
        if name not in TABLES:
            return issue
        label = _sheet_label(book, self.sheet_names.get(name, name))
        row = issue.row
        rows = self.excel_rows.get(name)
        if row is not None and row >= 2 and rows is not None and row - 2 < len(rows):
            row = rows[row - 2]
        return Issue(label, row, issue.column, issue.value, issue.expected)


def _open_workbook(path: Path, issues: list[Issue]) -> Any:
    """The openpyxl workbook at ``path`` (formulas kept as text), or ``None`` with an issue."""
    import openpyxl

    book = path.name

    def problem(expected: str) -> None:
        issues.append(Issue(book, None, None, None, expected))

    if not path.exists():
        return problem("the workbook file to exist")
    if path.is_dir():
        return problem("an .xlsx workbook file, not a folder")
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        hint = (
            " (an old .xls file? save it as Excel Workbook .xlsx)"
            if path.suffix.lower() == ".xls"
            else ""
        )
        return problem(f"an Excel .xlsx workbook{hint}; the file cannot be opened as one ({exc})")
    if size > MAX_UNCOMPRESSED_BYTES:
        return problem(
            f"a workbook of at most {MAX_UNCOMPRESSED_BYTES >> 20} MiB uncompressed (it has {size:,} bytes)"
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it drops (slicers, some validations): irrelevant here
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, data_only=False, read_only=False)
    except Exception as exc:  # a third-party parser on untrusted input: any failure is bad input
        return problem(
            f"an Excel .xlsx workbook; the file cannot be read as one ({type(exc).__name__}: {exc})"
        )


def _find_sheets(wb: Any) -> dict[str, str]:
    """Sheet names by their lower-cased, trimmed spelling (first one wins)."""
    found: dict[str, str] = {}
    for name in wb.sheetnames:
        found.setdefault(name.strip().lower(), name)
    return found


def _read_parameters_sheet(
    ws: Any, label: str, issues: list[Issue]
) -> tuple[dict[str, Any], dict[str, int]]:
    """The key/value rows of the parameters sheet and the Excel row of each key."""
    rows = list(ws.iter_rows())
    reader = _SheetReader(label, issues)
    header = {}
    if rows:
        for cell in rows[0]:
            if not _is_formula(cell) and isinstance(cell.value, str):
                header[column_name(cell.value).lower()] = cell.column
    if "key" not in header or "value" not in header:
        issues.append(
            Issue(label, 1, None, None, "a header row with the columns 'key' and 'value'")
        )
        return {}, {}
    issues.extend(_merged_issues(ws, label, {header["key"]: "key", header["value"]: "value"}))
    values: dict[str, Any] = {}
    where: dict[str, int] = {}
    for row in rows[1:]:
        by_index = {c.column: c for c in row}
        key_cell, value_cell = by_index.get(header["key"]), by_index.get(header["value"])
        if key_cell is None or _blank(key_cell.value):
            if value_cell is not None and not _blank(value_cell.value):
                issues.append(Issue(label, value_cell.row, "key", "", "a key for this value"))
            continue
        line = key_cell.row
        key = reader.text(key_cell, line, "key", "str")
        if key is None:
            continue
        key = key.strip()
        if key in where:
            issues.append(
                Issue(label, line, "key", key, f"each key once (row {where[key]} has it)")
            )
            continue
        where[key] = line
        if key not in PARAMETERS:
            issues.append(Issue(label, line, "key", key, "a known key: " + ", ".join(PARAMETERS)))
            continue
        if value_cell is None or _blank(value_cell.value):
            continue  # blank: the default, as a key left out of parameters.yaml
        kind = PARAMETERS[key].type
        if _is_formula(value_cell) or value_cell.data_type == "e":
            reader.text(value_cell, line, "value", kind)
            continue
        value = value_cell.value
        if isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
            value = reader.text(value_cell, line, "value", kind)
            if value is None:
                continue
        elif isinstance(value, float) and value.is_integer() and kind != "float":
            value = int(value)
        elif isinstance(value, str):
            value = value.strip()
        values[key] = value
    return values, where


def read_workbook(path: str | Path) -> WorkbookContents:
    """Read an instance workbook into typed tables and parameters, collecting every problem.

    Parameters
    ----------
    path : str or Path
        An ``.xlsx`` workbook laid out as :func:`write_template` writes it.

    Returns
    -------
    WorkbookContents
        ``tables``/``params`` as :func:`lean_chain.io.tables.read_folder`
        gives them for a folder, and ``issues`` naming sheet, Excel row and
        column. Nothing is raised for bad content, so that callers can report
        everything at once (:func:`lean_chain.load.load_instance`
        raises :class:`~lean_chain.errors.InstanceError`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     contents = read_workbook(write_template(pathlib.Path(tmp) / "empty.xlsx"))
    ...     [str(issue) for issue in contents.issues][:1]
    ["empty.xlsx, sheet 'parameters', row 4, column 'value'; expected this required key (key 'currency')"]
    """
    path = Path(path)
    book = path.name
    issues: list[Issue] = []
    contents = WorkbookContents(path, {name: None for name in TABLES}, {}, {}, {}, issues)
    wb = _open_workbook(path, issues)
    if wb is None:
        contents.params = {name: p.default for name, p in PARAMETERS.items()}
        return contents
    from openpyxl.worksheet.worksheet import Worksheet

    sheets = _find_sheets(wb)
    found = ", ".join(repr(s) for s in wb.sheetnames)
    csv_issues: list[Issue] = []  # in CSV terms, located below
    for name, table in TABLES.items():
        sheet = sheets.get(name)
        if sheet is None:
            if table.required:
                issues.append(
                    Issue(book, None, None, None, f"a sheet named {name!r} (sheets found: {found})")
                )
                continue
            raw = _RawSheet(
                pd.DataFrame({c: pd.Series(dtype=object) for c in table.column_names}), []
            )
        else:
            contents.sheet_names[name] = sheet
            ws = wb[sheet]
            label = _sheet_label(book, sheet)
            if not isinstance(ws, Worksheet):
                issues.append(Issue(label, None, None, None, "a worksheet of cells, not a chart"))
                continue
            raw = _read_table_sheet(ws, table, label, issues)
            if raw is None:
                continue
        contents.raw[name] = raw.frame
        contents.excel_rows[name] = raw.excel_rows
        contents.tables[name] = type_table(raw.frame, table, csv_issues)
    sheet = sheets.get(PARAMETERS_SHEET)
    if sheet is None:
        issues.append(
            Issue(
                book,
                None,
                None,
                None,
                f"a sheet named {PARAMETERS_SHEET!r} of key/value rows (sheets found: {found})",
            )
        )
        raw_params: dict[str, Any] = {}
    else:
        contents.sheet_names[PARAMETERS_SHEET] = sheet
        label = _sheet_label(book, sheet)
        raw_params, contents.parameter_rows = _read_parameters_sheet(wb[sheet], label, issues)
    contents.raw_params = raw_params
    params = {}
    for name, param in PARAMETERS.items():
        param_issues: list[Issue] = []
        params[name] = _parse_parameter(param, raw_params.get(name), param_issues)
        if sheet is not None:  # without the sheet, its absence is the one issue
            csv_issues += param_issues
    contents.params = params
    # a cell the sheet reader already reported (a formula, a date) was typed as blank:
    # the blank's own complaint (a required value) would report it twice
    reported = {(i.file, i.row, i.column) for i in issues}
    located = (contents.locate(issue) for issue in csv_issues)
    issues.extend(i for i in located if (i.file, i.row, i.column) not in reported)
    wb.close()
    return contents


# ----------------------------------------------------------------------------- templates


def _choices(col: Column) -> tuple[str, ...]:
    if col.type == "bool":
        return ("TRUE", "FALSE")
    return tuple(c for c in col.choices if c)


def _reference_range(col: Column) -> str | None:
    """The sheet range a ``references`` column takes its values from, for a drop-down."""
    if not col.references:
        return None
    table_name, column = col.references.split(".")
    table = TABLES[table_name]
    letter = _letter(table.column_names.index(column) + 1)
    return f"{table_name}!${letter}$2:${letter}${EXCEL_MAX_ROWS}"


def _default_text(col: Column | Parameter) -> str:
    if col.default is None:
        return f"blank = {col.blank_means}" if getattr(col, "blank_means", "") else ""
    if col.default == "":
        return "blank"
    if isinstance(col.default, bool):
        return "TRUE" if col.default else "FALSE"
    return str(col.default)


_DOC_INTRO = (
    "How to fill this workbook",
    "One sheet per table of the instance format (docs/instance-format.md), named like the CSV "
    "file without .csv; row 1 holds the column names (the unit in brackets may stay), data "
    "starts on row 2. The parameters sheet holds parameters.yaml as key / value rows.",
    "Blank cells take the column's default. Text is trimmed. Booleans are TRUE/FALSE "
    "(also true/false, 1/0, yes/no). Money columns are in the row's currency (blank = the "
    "instance currency), converted with the fx sheet.",
    "Formulas are never evaluated: a formula cell is an error; paste values instead. Merged "
    "cells are an error. Empty rows are skipped. Extra columns whose names start with x_, "
    "note or comment are kept for your own use; other unknown columns are errors.",
    f"Node kinds: {', '.join(NODE_KINDS)}; stocking kinds: {', '.join(STOCKING_KINDS)}.",
    "Check it with: lean-chain validate WORKBOOK.xlsx; solve it with lean-chain solve "
    "WORKBOOK.xlsx --out RUN; turn it into a CSV folder with lean-chain convert excel "
    "WORKBOOK.xlsx --out DIR.",
)


def documentation_rows() -> list[list[str]]:
    """The rows of the documentation sheet (header first), generated from the schema.

    >>> rows = documentation_rows()
    >>> rows[0][:3], rows[1][:2]
    (['sheet', 'column', 'header'], ['skus', ''])
    """
    rows = [
        [
            "sheet",
            "column",
            "header",
            "type",
            "required",
            "default",
            "unit",
            "expected",
            "description",
        ]
    ]
    for table in TABLES.values():
        key = f" Key: {', '.join(table.key)}." if table.key else ""
        rows.append(
            [
                table.name,
                "",
                "",
                "",
                "yes" if table.required else "no",
                "",
                "",
                "",
                table.description + key,
            ]
        )
        for col in table.columns:
            rows.append(
                [
                    table.name,
                    col.name,
                    header_label(col),
                    col.type,
                    "yes" if col.required else "no",
                    _default_text(col),
                    col.unit,
                    col.expectation(),
                    col.description,
                ]
            )
    rows.append(
        [PARAMETERS_SHEET, "", "", "", "yes", "", "", "", "parameters.yaml as key / value rows."]
    )
    for param in PARAMETERS.values():
        rows.append(
            [
                PARAMETERS_SHEET,
                param.name,
                "",
                param.type,
                "yes" if param.required else "no",
                _default_text(param),
                param.unit,
                param.expectation(),
                param.description,
            ]
        )
    return rows


def _cell_value(text: str, col: Column | None) -> Any:
    """A CSV cell's text as the value to put in a workbook cell."""
    if text == "":
        return None
    kind = "str" if col is None else col.type
    if kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            return text  # kept as written: reading it back reports it as the CSV reader does
        if not math.isfinite(number):
            return text
        return (
            int(number) if kind == "int" and number.is_integer() and abs(number) < 2**53 else number
        )
    if kind == "bool":
        lowered = text.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    return text


def check_workbook_target(path: str | Path, overwrite: bool = False) -> Path:
    """Check that a workbook may be written at ``path``; return it as a path.

    Raises
    ------
    OutputPathError
        ``path`` is a folder, does not end in ``.xlsx``, or exists (without ``overwrite``).

    >>> check_workbook_target("new-plan.xlsx").name
    'new-plan.xlsx'
    """
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"{path} is a folder; give a workbook file name ending in .xlsx")
    if path.exists() and not overwrite:
        raise OutputPathError(f"{path} exists; replace it with --force (overwrite=True)")
    if path.suffix.lower() != ".xlsx":
        raise OutputPathError(f"{path}: a workbook file name must end in .xlsx")
    return path


def _save_atomically(save: Any, path: Path) -> None:
    """Call ``save(tmp_path)`` and move the file into place, so a failure leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx", dir=path.parent)
    os.close(handle)
    try:
        save(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _source_tables(source: Path) -> tuple[dict[str, pd.DataFrame | None], dict[str, Any]]:
    """The text cells of every table and the parameters of an instance folder."""
    issues: list[Issue] = []
    if not source.is_dir():
        raise InstanceError([Issue(str(source), None, None, None, "an instance folder")])
    raw: dict[str, pd.DataFrame | None] = {}
    for name, table in TABLES.items():
        path = source / table.filename
        raw[name] = read_csv_text(path, table.filename, issues) if path.exists() else None
        if raw[name] is None and table.required and not path.exists():
            issues.append(Issue(table.filename, None, None, None, "the file to exist"))
    params = read_parameters(source, issues)
    if issues:
        raise InstanceError(issues)
    return raw, params


def write_template(
    path: str | Path, source: str | Path | None = None, *, overwrite: bool = False
) -> Path:
    """Write an instance workbook: empty, or filled from the instance folder ``source``.

    One sheet per schema table (header row with units, a comment on each
    header with its description, frozen, text columns formatted as text so
    that ids such as ``0110`` keep their zero), drop-downs for columns with
    allowed values (node kinds, lane modes, regimes, rate kinds, booleans) and
    for ids that reference another sheet, a ``parameters`` sheet and a
    ``documentation`` sheet generated from the schema.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    source : str or Path, optional
        An instance folder whose cells (including notes columns) fill the sheets.
    overwrite : bool
        Replace an existing file; without it an existing file is refused.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputPathError
        ``path`` may not be written (see :func:`check_workbook_target`).
    InstanceError
        ``source`` cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     book = openpyxl.load_workbook(write_template(pathlib.Path(tmp) / "t.xlsx"))
    ...     book.sheetnames[:3], book["skus"]["H1"].value
    (['skus', 'nodes', 'lanes'], 'weight_kg [kg]')
    """
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    check_workbook_target(path, overwrite)
    raw, params = _source_tables(Path(source)) if source is not None else ({}, {})
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    issues: list[Issue] = []
    for name, table in TABLES.items():
        ws = wb.create_sheet(name)
        frame = raw.get(name)
        extra = [
            c
            for c in (frame.columns if frame is not None else ())
            if c not in table.column_names and c
        ]
        headers: list[tuple[str, Column | None]] = [(c.name, c) for c in table.columns]
        headers += [(c, None) for c in extra]
        for index, (col_name, col) in enumerate(headers, start=1):
            letter = _letter(index)
            cell = ws.cell(row=1, column=index, value=header_label(col) if col else col_name)
            cell.font = bold
            cell.fill = PatternFill(
                "solid", fgColor=_REQUIRED_FILL if col and col.required else _HEADER_FILL
            )
            if col is not None:
                note = f"{col.description}\nExpected: {col.expectation()}."
                default = _default_text(col)
                note += (
                    "\nRequired." if col.required else (f"\nDefault: {default}." if default else "")
                )
                cell.comment = Comment(note, "lean_chain", width=320, height=140)
            width = max(len(str(cell.value)) + 3, 12)
            ws.column_dimensions[letter].width = min(width, 40)
            if col is None or col.type == "str":
                ws.column_dimensions[letter].number_format = "@"
            if col is None:
                continue
            choices = _choices(col)
            if choices:
                validation = DataValidation(
                    type="list",
                    formula1='"' + ",".join(choices) + '"',
                    allow_blank=True,
                    showErrorMessage=True,
                    errorTitle=f"{col.name}",
                    error=f"Expected {col.expectation()}."[:255],
                )
            elif (reference := _reference_range(col)) is not None:
                validation = DataValidation(
                    type="list",
                    formula1=reference,
                    allow_blank=True,
                    showErrorMessage=True,
                    errorStyle="warning",  # the referenced sheet may be filled later
                    errorTitle=f"{col.name}",
                    error=f"Expected {col.expectation()}."[:255],
                )
            else:
                continue
            validation.add(f"{letter}2:{letter}{EXCEL_MAX_ROWS}")
            ws.add_data_validation(validation)
        ws.freeze_panes = "A2"
        if frame is None:
            continue
        present = [(i, h, col) for i, (h, col) in enumerate(headers, start=1) if h in frame.columns]
        cells = frame[[h for _, h, _ in present]].itertuples(index=False)
        for r, values in enumerate(cells, start=2):
            for (index, header, col), text in zip(present, values, strict=True):
                text = str(text).strip()
                if ILLEGAL_CHARACTERS_RE.search(text):
                    issues.append(
                        Issue(
                            table.filename,
                            r,
                            header,
                            text[:60],
                            "text without control characters (a workbook cannot hold them)",
                        )
                    )
                    continue
                value = _cell_value(text, col)
                cell = ws.cell(row=r, column=index, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # text such as "=x" stays text, never a formula
                    cell.number_format = "@"
    if issues:
        raise InstanceError(issues)
    ws = wb.create_sheet(PARAMETERS_SHEET)
    for index, title in enumerate(("key", "value", "unit", "description"), start=1):
        ws.cell(row=1, column=index, value=title).font = bold
        ws.cell(row=1, column=index).fill = PatternFill("solid", fgColor=_HEADER_FILL)
    for r, param in enumerate(PARAMETERS.values(), start=2):
        ws.cell(row=r, column=1, value=param.name)
        value = params.get(param.name, param.default) if params else param.default
        if value is not None and value != "":
            cell = ws.cell(row=r, column=2, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
        ws.cell(row=r, column=3, value=param.unit or None)
        ws.cell(row=r, column=4, value=f"{param.description} Expected: {param.expectation()}.")
        if param.type == "bool" or param.choices:
            choices = ("TRUE", "FALSE") if param.type == "bool" else param.choices
            validation = DataValidation(
                type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True
            )
            validation.add(f"B{r}")
            ws.add_data_validation(validation)
    for letter, width in zip("ABCD", (30, 40, 22, 100), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    ws = wb.create_sheet(DOCUMENTATION_SHEET)
    for line, text in enumerate(_DOC_INTRO, start=1):
        ws.cell(row=line, column=1, value=text).font = bold if line == 1 else Font()
    start = len(_DOC_INTRO) + 2
    for r, row in enumerate(documentation_rows(), start=start):
        for c, text in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=text or None)
            if r == start or not row[1]:
                cell.font = bold
        ws.cell(row=r, column=9).alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDEFGHI", (16, 26, 32, 8, 9, 22, 18, 40, 90), strict=True):
        ws.column_dimensions[letter].width = width
    _save_atomically(wb.save, path)
    return path


# ----------------------------------------------------------------------------- plans


def _number_format(name: str, dtype: Any) -> str | None:
    """An Excel number format chosen from a plan column's name and type."""
    if pd.api.types.is_bool_dtype(dtype):
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return "#,##0"
    if not pd.api.types.is_float_dtype(dtype):
        return None
    if name in ("share", "utilization") or name.endswith(("_share", "_rate")):
        return "0.0%"
    if any(word in name for word in ("cost", "value", "objective", "bound", "charge")):
        return "#,##0.00"
    if name.endswith("_days") or name.endswith("_s"):
        return "#,##0.0"
    return "#,##0.00"


def _cell(value: Any) -> Any:
    """A value XlsxWriter can write: NaN as blank, infinities and objects as text."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return float(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (dict, list, tuple)):
        import json

        return json.dumps(value, default=str)[:32000]
    return str(value)


def _flatten(prefix: str, value: Any, out: list[tuple[str, Any]]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    else:
        out.append((prefix, value))


def write_plan_workbook(
    path: str | Path,
    summary: Mapping[str, Any],
    tables: Mapping[str, pd.DataFrame],
    *,
    overwrite: bool = False,
) -> Path:
    """Write a plan as a formatted workbook: summary, cost breakdown, KPIs and every plan table.

    Each table sheet has a bold header, number formats (money with
    thousands separators, shares as percentages), column widths, a frozen
    header row and an autofilter. Tables longer than Excel's last row are cut
    there (the summary sheet says so; the run folder's CSVs are complete).

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file to write.
    summary : mapping
        The plan's summary (:meth:`lean_chain.results.Plan.summary`): scalars go to
        the ``summary`` sheet, ``cost_breakdown`` and ``kpis`` to their own sheets.
    tables : mapping of str to DataFrame
        The plan tables (``plan.tables``), one sheet each.
    overwrite : bool
        Replace an existing file.

    Returns
    -------
    Path
        ``path``, written to a temporary file and moved into place.

    Raises
    ------
    OutputPathError
        ``path`` may not be written (see :func:`check_workbook_target`).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl, pandas as pd
    >>> summary = {"status": "optimal", "objective": 12.5, "cost_breakdown": {"freight": 12.5}}
    >>> flows = pd.DataFrame({"sku_id": ["A"], "units": [3.0], "share": [1.0]})
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     book = write_plan_workbook(pathlib.Path(tmp) / "plan.xlsx", summary, {"flows": flows})
    ...     openpyxl.load_workbook(book).sheetnames
    ['summary', 'cost_breakdown', 'kpis', 'flows']
    """
    import xlsxwriter

    path = Path(path)
    check_workbook_target(path, overwrite)

    def save(target: Path) -> None:
        wb = xlsxwriter.Workbook(str(target))
        header = wb.add_format(
            {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}
        )
        formats: dict[str, Any] = {}

        def fmt(number_format: str | None) -> Any:
            if number_format is None:
                return None
            if number_format not in formats:
                formats[number_format] = wb.add_format({"num_format": number_format})
            return formats[number_format]

        def key_value_sheet(
            name: str, rows: list[tuple[str, Any]], titles: tuple[str, ...]
        ) -> None:
            ws = wb.add_worksheet(name)
            for c, title in enumerate(titles):
                ws.write(0, c, title, header)
            for r, row in enumerate(rows, start=1):
                for c, value in enumerate(row):
                    value = _cell(value)
                    number = isinstance(value, float) and not isinstance(value, bool)
                    ws.write(r, c, value, fmt("#,##0.00##") if number else None)
            width = max([len(str(row[0])) for row in rows] + [len(titles[0])]) + 2
            ws.set_column(0, 0, min(width, 60))
            ws.set_column(1, len(titles) - 1, 18)
            ws.freeze_panes(1, 0)

        scalars, notes = [], []
        for key, value in summary.items():
            if key in ("cost_breakdown", "kpis"):
                continue
            if isinstance(value, Mapping):
                _flatten(key, value, scalars)
            else:
                scalars.append((key, value))
        for name, frame in tables.items():
            if len(frame) >= EXCEL_MAX_ROWS:
                notes.append(
                    (
                        f"note.{name}",
                        f"first {EXCEL_MAX_ROWS - 1:,} of {len(frame):,} rows (Excel's limit); the run folder's CSV has them all",
                    )
                )
        key_value_sheet("summary", scalars + notes, ("key", "value"))
        costs = dict(summary.get("cost_breakdown") or {})
        total = sum(v for v in costs.values() if isinstance(v, (int, float)) and math.isfinite(v))
        cost_rows = [(k, v, v / total if total else None) for k, v in costs.items()]
        cost_rows.append(("total", total, 1.0 if total else None))
        key_value_sheet("cost_breakdown", cost_rows, ("component", "cost", "share of total"))
        wb.get_worksheet_by_name("cost_breakdown").set_column(2, 2, 14, fmt("0.0%"))
        kpis: list[tuple[str, Any]] = []
        _flatten("", summary.get("kpis") or {}, kpis)
        key_value_sheet("kpis", kpis, ("kpi", "value"))
        for name, frame in tables.items():
            ws = wb.add_worksheet(name[:31])
            shown = frame.iloc[: EXCEL_MAX_ROWS - 1]
            for c, column in enumerate(frame.columns):
                ws.write(0, c, str(column), header)
                number_format = _number_format(str(column), frame[column].dtype)
                values = [_cell(v) for v in shown[column].tolist()]
                ws.write_column(1, c, values, fmt(number_format))
                longest = max(
                    [len(str(column))] + [len(str(v)) for v in values[:200] if v is not None]
                )
                ws.set_column(c, c, min(max(longest + 2, 10), 50))
            ws.freeze_panes(1, 0)
            if len(frame.columns):
                ws.autofilter(0, 0, max(len(shown), 1), len(frame.columns) - 1)
        wb.close()

    _save_atomically(save, path)
    return path


# ----------------------------------------------------------------------------- conversion


def workbook_to_folder(
    path: str | Path, out_dir: str | Path, *, check: Callable[[Path], object] | None = None
) -> Path:
    """Write a validated instance workbook as a standard instance folder (CSV + parameters.yaml).

    The CSV cells are the workbook's cells as text (notes columns kept);
    ``parameters.yaml`` holds the keys the ``parameters`` sheet gives.
    ``check`` validates the whole instance first (``lean_chain.load_instance``,
    which lives above :mod:`lean_chain.io` and is passed in by the caller:
    :func:`lean_chain.load.convert_workbook`); without it, only the reading
    problems (sheets, cells) stop the conversion.

    Raises
    ------
    InstanceError
        The workbook is not a valid instance (every problem named by sheet, row
        and column); nothing is written.
    OutputPathError
        ``out_dir`` is a file or a folder that is not empty.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     book = write_template(pathlib.Path(tmp) / "tiny.xlsx", source="tests/data/tiny")
    ...     out = workbook_to_folder(book, pathlib.Path(tmp) / "tiny")
    ...     sorted(p.name for p in out.iterdir())[:3]
    ['channels.csv', 'demand.csv', 'fx.csv']
    """
    import yaml

    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"{out} is a file, not a folder; it is left untouched")
    if out.is_dir() and any(out.iterdir()):
        raise OutputPathError(f"{out} is a folder that is not empty; choose a new or empty folder")
    if check is not None:
        check(Path(path))  # every problem, located in the workbook, before anything is written
    contents = read_workbook(path)
    if contents.issues:
        raise InstanceError(list(contents.issues))
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in contents.raw.items():
        if name not in contents.sheet_names and len(frame) == 0:
            continue  # an optional table without a sheet stays without a file
        frame.to_csv(out / TABLES[name].filename, index=False, lineterminator="\n")
    params = {k: v for k, v in contents.raw_params.items() if k in PARAMETERS}
    (out / PARAMETERS_FILE).write_text(
        yaml.safe_dump(params, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    return out
