"""Read an instance folder or workbook into typed tables and parameters (no validation).

Checking, converting and compiling those tables is :mod:`lean_chain.load`'s job
(``lean_chain.load_instance``), so that every source of tables goes through the
same checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lean_chain.errors import InstanceError, Issue
from lean_chain.io.excel import is_workbook_path
from lean_chain.io.tables import read_folder


def _same(issue: Issue) -> Issue:
    return issue


@dataclass
class SourceTables:
    """What was read from an instance source, before any cross-table check.

    ``tables`` maps every schema table to its typed DataFrame (``None`` where
    the file could not be read); ``issues`` are the problems found while
    reading; ``locate`` rewrites a later issue's file and row for the source
    (a workbook's sheet and row; unchanged for CSV folders).
    """

    tables: dict[str, pd.DataFrame | None]
    params: dict[str, Any]
    source: Path
    issues: list[Issue] = field(default_factory=list)
    locate: Callable[[Issue], Issue] = _same


def read_instance_tables(path: str | Path) -> SourceTables:
    """Read the instance folder or ``.xlsx`` workbook ``path`` into typed tables.

    Raises :class:`~lean_chain.errors.InstanceError` only when ``path`` is
    neither; every other problem is returned in ``issues``.

    Examples
    --------
    >>> read = read_instance_tables("tests/data/tiny")
    >>> len(read.tables["skus"]), read.params["name"], read.issues
    (2, 'tiny', [])
    """
    source = Path(path)
    if is_workbook_path(source) and not source.is_dir():
        from lean_chain.io.excel import read_workbook

        contents = read_workbook(source)
        return SourceTables(
            contents.tables, contents.params, source, list(contents.issues), contents.locate
        )
    if not source.is_dir():
        raise InstanceError(
            [Issue(str(source), None, None, None, "an instance folder or an .xlsx workbook")]
        )
    issues: list[Issue] = []
    tables, params = read_folder(source, issues)
    return SourceTables(tables, params, source, issues)
