"""Turn tables that were read (by :mod:`lean_chain.io`) into a validated, compiled Instance.

Reading files is :mod:`lean_chain.io`'s job; merging the rule library,
checking the tables, keeping the rows in force on the as-of date, converting
money and compiling the network is this module's, so that any source of
tables (a folder, a workbook, a what-if scenario) goes through the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from lean_chain.errors import InstanceError, Issue
from lean_chain.index import build_index
from lean_chain.io.instance_io import read_instance_tables
from lean_chain.io.tables import MISSING_COLUMN
from lean_chain.model.dates import as_of_date, select_in_force
from lean_chain.model.instance import Instance, convert_money
from lean_chain.rules import merge_library, read_library, split_names
from lean_chain.validate import check_network, check_tables


def load_instance(path: str | Path, *, as_of: str | None = None) -> Instance:
    """Read, type, validate and compile the instance folder or ``.xlsx`` workbook ``path``.

    Every problem found is reported at once in an :class:`InstanceError`
    whose ``issues`` name file, row, column, value and what was expected; in
    a workbook (see :mod:`lean_chain.io.excel`) the file is named as
    ``book.xlsx, sheet 'skus'`` and the row as Excel shows it.

    ``as_of`` (``YYYY-MM-DD``) keeps the dated rows (tax rules, channels) in
    force on that day; default: the ``as_of`` parameter, else today. The date
    used is ``instance.params['as_of']``.

    Examples
    --------
    >>> inst = load_instance("tests/data/tiny", as_of="2026-07-01")
    >>> inst.name, len(inst.skus), inst.params["as_of"]
    ('tiny', 2, '2026-07-01')
    """
    read = read_instance_tables(path)
    return instance_from_tables(
        read.tables, read.params, read.source, read.issues, read.locate, as_of=as_of
    )


def instance_from_tables(
    tables: dict[str, pd.DataFrame | None],
    params: dict[str, Any],
    source: Path | None = None,
    issues: list[Issue] | None = None,
    locate: Callable[[Issue], Issue] | None = None,
    *,
    as_of: str | None = None,
) -> Instance:
    """Validate typed ``tables`` and ``params`` and compile them into an :class:`Instance`.

    ``issues`` are problems already found while reading (reported together
    with the checks' findings); ``locate`` rewrites an issue's file and row
    for sources that are not CSV files (a workbook's sheet and row).
    Raises :class:`~lean_chain.errors.InstanceError` with every problem found; when a
    table could not be read or lacks a required column, with the reading problems only
    (the cross-table checks would run on that table's defaults).

    Examples
    --------
    >>> read = read_instance_tables("tests/data/tiny")
    >>> instance_from_tables(read.tables, read.params).name
    'tiny'
    """
    issues = list(issues or [])
    locate = locate or (lambda issue: issue)
    # A table that could not be read, or lacks a required column, stops here: the cross-table
    # checks would run on the column's defaults and restate its one problem for each row and
    # each reference to it (global_export without skus.csv's sku_id: 2,734 unknown sku_ids
    # of demand.csv; without tax_rules.csv's channel_id: 643 blank channels and overlaps)
    if any(frame is None for frame in tables.values()) or any(
        issue.expected == MISSING_COLUMN for issue in issues
    ):
        raise InstanceError(issues)
    tables = dict(tables)
    library = split_names(params.get("rule_library", ""))
    if library:
        tables["tax_rules"] = merge_library(
            tables["tax_rules"],
            read_library(library, issues),
            set(tables["channels"]["channel_id"]),
        )
    # cross-table checks run even when some cells were bad, so that one run reports
    # everything; a cell already reported is not reported again
    reported = {(i.file, i.row, i.column) for i in issues}
    found = [locate(i) for i in check_tables(tables, params)]
    issues += [i for i in found if (i.file, i.row, i.column) not in reported]
    if issues:
        raise InstanceError(issues)
    try:
        params = {**params, "as_of": as_of_date(params, as_of)}
    except ValueError:
        raise InstanceError(
            [Issue("--as-of", None, None, str(as_of), "a date YYYY-MM-DD")]
        ) from None
    converted = convert_money(select_in_force(tables, params["as_of"]), params)
    instance = Instance(params=params, source=source, **converted)
    network = [locate(i) for i in check_network(instance, build_index(instance))]
    if network:
        raise InstanceError(network)
    return instance


def convert_workbook(path: str | Path, out_dir: str | Path) -> Path:
    """Validate the workbook ``path`` as an instance, then write it as a CSV folder.

    Nothing is written unless the whole instance is valid (see
    :func:`lean_chain.io.excel.workbook_to_folder`).
    """
    from lean_chain.io.excel import workbook_to_folder

    return workbook_to_folder(path, out_dir, check=load_instance)
