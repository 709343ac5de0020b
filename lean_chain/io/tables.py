"""Read an instance folder (CSV tables + ``parameters.yaml``) into typed tables.

Parsing is driven by :mod:`lean_chain.model.schema`: types, defaults, ranges
and allowed values come from there. Every problem is collected as an
:class:`~lean_chain.errors.Issue` naming file, row, column, value and what
was expected; nothing is raised here, so callers can report all at once.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lean_chain.errors import Issue
from lean_chain.model.schema import PARAMETERS, TABLES, Column, Parameter, Table

PARAMETERS_FILE = "parameters.yaml"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
#: Largest money amount per cell, in its currency: solver costs are amounts times units,
#: and HiGHS takes 1e20 as infinite, so 1e300 made the solve fail with "kUnknown".
MAX_MONEY = 1e12
#: Largest other number (units, kg, m3, days): anything bigger is a typo.
MAX_MAGNITUDE = 1e15
#: parameters.yaml holds a handful of keys; a bigger file is a mistake.
MAX_PARAMETERS_BYTES = 64 * 1024
#: What an issue of a missing required column expects (``load`` stops before the cross-table
#: checks on it: they would run on the column's defaults).
MISSING_COLUMN = "this required column"
#: Extra columns a planner may keep for their own notes.
_FREE_COLUMN_PREFIXES = ("x_", "note", "comment")


def _row_numbers(index: pd.Index) -> np.ndarray:
    # data row i sits on line i + 2 of the file (line 1 is the header)
    return np.asarray(index, dtype=np.int64) + 2


def _parse_column(raw: pd.Series, col: Column, table: Table, issues: list[Issue]) -> pd.Series:
    """Turn a column of stripped strings into typed values, recording bad cells."""
    blank = raw == ""
    file = table.filename
    if col.required and blank.any():
        for row in _row_numbers(raw.index[blank]):
            issues.append(Issue(file, int(row), col.name, "", "a value (column is required)"))
    if col.type == "str":
        values = raw.where(~blank, "" if col.default is None else col.default)
        if col.choices:
            bad = ~blank & ~values.isin(col.choices)
            for idx in raw.index[bad]:
                issues.append(Issue(file, int(idx) + 2, col.name, raw[idx], col.expectation()))
        return values.astype(object)
    if col.type == "bool":
        lowered = raw.str.lower()
        parsed = pd.Series(np.where(lowered.isin(_TRUE), True, False), index=raw.index)
        bad = ~blank & ~lowered.isin(_TRUE | _FALSE)
        for idx in raw.index[bad]:
            issues.append(Issue(file, int(idx) + 2, col.name, raw[idx], "true or false"))
        default = bool(col.default) if col.default is not None else False
        return parsed.where(~blank, default).astype(bool)
    numbers = pd.to_numeric(raw.where(~blank, None), errors="coerce").astype(np.float64)
    not_a_number = ~blank & (numbers.isna() | ~np.isfinite(numbers))
    for idx in raw.index[not_a_number]:
        issues.append(Issue(file, int(idx) + 2, col.name, raw[idx], col.expectation()))
    limit = MAX_MONEY if col.money else MAX_MAGNITUDE
    too_big = ~blank & ~not_a_number & (numbers.abs() > limit)
    for idx in raw.index[too_big]:
        issues.append(
            Issue(file, int(idx) + 2, col.name, raw[idx], f"{col.expectation()}, at most {limit:g}")
        )
    not_a_number |= too_big
    ok = ~blank & ~not_a_number
    bad = pd.Series(False, index=raw.index)
    if col.type == "int":
        bad |= ok & (numbers != np.round(numbers))
    if col.minimum is not None:
        bad |= ok & ((numbers <= col.minimum) if col.exclusive_minimum else (numbers < col.minimum))
    if col.maximum is not None:
        bad |= ok & ((numbers >= col.maximum) if col.exclusive_maximum else (numbers > col.maximum))
    for idx in raw.index[bad]:
        issues.append(Issue(file, int(idx) + 2, col.name, raw[idx], col.expectation()))
    default = np.nan if col.default is None else float(col.default)
    return numbers.where(ok, default)


_FIELD_COUNT = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def read_csv_text(path: Path, file: str, issues: list[Issue]) -> pd.DataFrame | None:
    """Read a CSV file as stripped text cells under its header; ``None`` (and an issue) if unreadable.

    A data row with more fields than the header is an error naming its line:
    pandas would otherwise take the first column as the index and shift every
    cell one column to the left (a trailing delimiter on each row does that).
    """
    if path.is_dir():
        issues.append(Issue(file, None, None, None, "a CSV file, not a folder"))
        return None
    try:
        # header=None: the header line counts the fields, so every longer row is an error
        cells = pd.read_csv(
            path,
            header=None,
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            encoding="utf-8-sig",
        )
    except pd.errors.ParserError as exc:
        match = _FIELD_COUNT.search(str(exc))
        if match is None:
            issues.append(Issue(file, None, None, None, f"a readable CSV file ({exc})".strip()))
        else:
            fields, line, seen = match.groups()
            issues.append(
                Issue(
                    file,
                    int(line),
                    None,
                    f"{seen} fields",
                    f"{fields} fields like the header line (a trailing delimiter or an "
                    "extra field would shift the columns)",
                )
            )
        return None
    except (UnicodeDecodeError, csv.Error) as exc:
        issues.append(Issue(file, None, None, None, f"a readable CSV file ({exc})"))
        return None
    except OSError as exc:
        issues.append(Issue(file, None, None, None, f"a readable file ({exc.strerror})"))
        return None
    except pd.errors.EmptyDataError:
        issues.append(Issue(file, None, None, None, "a header line"))
        return None
    header = [str(c).strip() for c in cells.iloc[0]]
    seen_names: set[str] = set()
    for name in header:
        if not name:
            issues.append(
                Issue(file, 1, None, "", "a name for every column (is there a trailing delimiter?)")
            )
        elif name in seen_names:
            issues.append(Issue(file, 1, name, name, "each column name once"))
        seen_names.add(name)
    raw = cells.iloc[1:].reset_index(drop=True).fillna("")
    raw.columns = header
    # a repeated name would make raw[name] a frame; it is reported above
    return raw.loc[:, ~raw.columns.duplicated()]


def read_table(folder: Path, table: Table, issues: list[Issue]) -> pd.DataFrame | None:
    """Read and type one table of ``folder``; ``None`` if it cannot be read at all."""
    path = folder / table.filename
    if not path.exists():
        if table.required:
            issues.append(Issue(table.filename, None, None, None, "the file to exist"))
            return None
        raw = pd.DataFrame({name: pd.Series(dtype=str) for name in table.column_names})
    else:
        raw = read_csv_text(path, table.filename, issues)
        if raw is None:
            return None
    return type_table(raw, table, issues)


def type_table(raw: pd.DataFrame, table: Table, issues: list[Issue]) -> pd.DataFrame:
    """Type the text cells ``raw`` of one table against its schema.

    Unknown columns (other than notes columns ``x_...``), missing required
    columns (one issue each, on the header row) and bad cells are recorded in
    ``issues`` in CSV terms (file ``table.filename``, row = data row + 2); a bad
    cell, or every cell of a missing column, takes its default.
    Shared by every source of tables (CSV folders, workbooks).
    """
    known = set(table.column_names)
    for name in raw.columns:
        if name and name not in known and not name.lower().startswith(_FREE_COLUMN_PREFIXES):
            issues.append(
                Issue(
                    table.filename,
                    1,
                    name,
                    name,
                    "a known column: "
                    + ", ".join(table.column_names)
                    + " (or a notes column starting with x_)",
                )
            )
    typed: dict[str, Any] = {}
    for col in table.columns:
        if col.name in raw.columns:
            typed[col.name] = _parse_column(
                raw[col.name].astype(str).str.strip(), col, table, issues
            )
            continue
        if col.required:
            issues.append(Issue(table.filename, 1, col.name, None, MISSING_COLUMN))
        # The column's defaults. A missing column is one problem, not one more per data row
        # for a cell the file does not have (a blank cell is the only problem a blank column
        # can give, so those issues are dropped).
        blank = pd.Series([""] * len(raw), index=raw.index, dtype=object)
        typed[col.name] = _parse_column(blank, col, table, [])
    return pd.DataFrame(typed, index=raw.index)


def _shown(value: Any) -> str:
    """A parameter value as text for an issue, cut short."""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_parameter(param: Parameter, value: Any, issues: list[Issue]) -> Any:
    """Check one parameter's YAML value against its schema type; the default if bad."""

    def bad() -> Any:
        issues.append(Issue(PARAMETERS_FILE, None, param.name, _shown(value), param.expectation()))
        return param.default

    if value is None:
        if param.required:
            issues.append(Issue(PARAMETERS_FILE, None, param.name, None, "this required key"))
        return param.default
    # YAML gives bool, int, float, str, list, dict, dates: only scalars of the right kind pass
    if not isinstance(value, (str, int, float)):
        return bad()
    if param.type == "str":
        if isinstance(value, bool):
            return bad()
        text = str(value).strip()
        if param.required and not text:
            return bad()
        if param.pattern and not re.fullmatch(param.pattern, text):
            return bad()
        return text
    if param.type == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, float) or str(value).lower() not in _TRUE | _FALSE:
            return bad()
        return str(value).lower() in _TRUE
    if isinstance(value, bool):  # true is not 1
        return bad()
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return bad()
    if not np.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        return bad()
    if param.type == "int" and number != round(number):
        return bad()
    if param.minimum is not None and (
        number <= param.minimum if param.exclusive_minimum else number < param.minimum
    ):
        return bad()
    if param.maximum is not None and (
        number >= param.maximum if param.exclusive_maximum else number > param.maximum
    ):
        return bad()
    return int(number) if param.type == "int" else number


class _ParametersLoader(yaml.SafeLoader):
    """YAML without aliases, recording repeated keys.

    Aliases are refused: a few hundred bytes of nested aliases expand to
    gigabytes (an "alias bomb"), and a flat key: value file needs none.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated: list[tuple[str, int]] = []

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed here", event.start_mark
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                if key in seen:
                    self.repeated.append((str(key), key_node.start_mark.line + 1))
                seen.add(key)
            except TypeError:  # an unhashable key: construct_mapping reports it
                pass
        return super().construct_mapping(node, deep=deep)


def _load_parameters_yaml(path: Path, issues: list[Issue]) -> Any:
    """The YAML document of ``path``, or ``None`` with an issue when it cannot be read."""

    def problem(expected: str, row: int | None = None, column: str | None = None) -> None:
        issues.append(Issue(PARAMETERS_FILE, row, column, None, expected))

    if path.is_dir():
        return problem("a YAML file, not a folder")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return problem(f"a readable file ({exc.strerror})")
    if len(data) > MAX_PARAMETERS_BYTES:
        return problem(
            f"a file of at most {MAX_PARAMETERS_BYTES // 1024} KiB (it has {len(data):,} bytes)"
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return problem(f"UTF-8 text (byte {exc.start} is not UTF-8; save the file as UTF-8)")
    loader = _ParametersLoader(text)
    try:
        loaded = loader.get_single_data()
    except yaml.YAMLError as exc:
        return problem(f"valid YAML ({str(exc)[:300]})")
    except RecursionError:
        return problem("valid YAML (nested too deeply)")
    finally:
        loader.dispose()
    for key, line in loader.repeated:
        problem(f"each key once (line {line} repeats it)", column=key)
    return loaded


def parse_parameter_values(values: dict[str, Any], issues: list[Issue]) -> dict[str, Any]:
    """Check the given parameter values (a subset of the keys) against the schema.

    Unknown keys and bad values are recorded in ``issues``; returns the
    parsed values of the known keys.

    >>> issues = []
    >>> parse_parameter_values({"horizon_days": 90, "colour": "red"}, issues)
    {'horizon_days': 90.0}
    >>> [i.column for i in issues]
    ['colour']
    """
    _report_unknown_keys(values, issues)
    return {
        key: _parse_parameter(PARAMETERS[key], value, issues)
        for key, value in values.items()
        if key in PARAMETERS
    }


def _report_unknown_keys(values: dict[str, Any], issues: list[Issue]) -> None:
    """One issue per key of ``values`` that parameters.yaml does not know."""
    for key, value in values.items():
        if key not in PARAMETERS:
            issues.append(
                Issue(
                    PARAMETERS_FILE,
                    None,
                    _shown(key),
                    _shown(value),
                    "a known key: " + ", ".join(PARAMETERS),
                )
            )


def read_parameters(folder: Path, issues: list[Issue]) -> dict[str, Any]:
    """Read ``parameters.yaml``, filling defaults and recording bad entries."""
    path = folder / PARAMETERS_FILE
    data: dict[str, Any] = {}
    if not path.exists():
        issues.append(Issue(PARAMETERS_FILE, None, None, None, "the file to exist"))
    else:
        loaded = _load_parameters_yaml(path, issues)
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            issues.append(
                Issue(PARAMETERS_FILE, None, None, _shown(loaded), "a mapping of key: value")
            )
            loaded = {}
        data = loaded
    _report_unknown_keys(data, issues)
    return {name: _parse_parameter(p, data.get(name), issues) for name, p in PARAMETERS.items()}


def read_folder(folder: Path, issues: list[Issue]) -> tuple[dict[str, pd.DataFrame | None], dict]:
    """Read every table and the parameters of an instance folder."""
    tables = {name: read_table(folder, table, issues) for name, table in TABLES.items()}
    params = read_parameters(folder, issues)
    return tables, params
