"""Turn tables that were read (by :mod:`lean_chain.io`) into a validated, compiled Instance.

Reading files is :mod:`lean_chain.io`'s job; checking the tables, converting
money and compiling the network is this module's, so that any source of
tables (a folder, a workbook, a what-if scenario) goes through the same checks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from lean_chain.errors import InstanceError, Issue
from lean_chain.index import build_index
from lean_chain.model.instance import Instance, convert_money
from lean_chain.validate import check_network, check_tables


def instance_from_tables(
    tables: dict[str, pd.DataFrame | None],
    params: dict[str, Any],
    source: Path | None = None,
    issues: list[Issue] | None = None,
    locate: Callable[[Issue], Issue] | None = None,
) -> Instance:
    """Validate typed ``tables`` and ``params`` and compile them into an :class:`Instance`.

    ``issues`` are problems already found while reading (reported together
    with the checks' findings); ``locate`` rewrites an issue's file and row
    for sources that are not CSV files (a workbook's sheet and row).
    Raises :class:`~lean_chain.errors.InstanceError` with every problem found.

    Examples
    --------
    >>> from pathlib import Path
    >>> from lean_chain.io.tables import read_folder
    >>> tables, params = read_folder(Path("tests/data/tiny"), [])
    >>> instance_from_tables(tables, params).name
    'tiny'
    """
    issues = list(issues or [])
    locate = locate or (lambda issue: issue)
    if any(frame is None for frame in tables.values()):
        raise InstanceError(issues)
    # cross-table checks run even when some cells were bad, so that one run reports
    # everything; a cell already reported is not reported again
    reported = {(i.file, i.row, i.column) for i in issues}
    found = [locate(i) for i in check_tables(tables, params)]
    issues += [i for i in found if (i.file, i.row, i.column) not in reported]
    if issues:
        raise InstanceError(issues)
    instance = Instance(params=params, source=source, **convert_money(tables, params))
    network = [locate(i) for i in check_network(instance, build_index(instance))]
    if network:
        raise InstanceError(network)
    return instance
