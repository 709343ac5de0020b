"""Load an instance folder into a validated :class:`~lean_chain.model.instance.Instance`."""

from __future__ import annotations

from pathlib import Path

from lean_chain.errors import InstanceError, Issue
from lean_chain.index import build_index
from lean_chain.io.tables import read_folder
from lean_chain.model.instance import Instance, convert_money
from lean_chain.validate import check_network, check_tables


def load_instance(path: str | Path) -> Instance:
    """Read, type, validate and compile the instance folder ``path``.

    Every problem found is reported at once in an :class:`InstanceError`
    whose ``issues`` name file, row, column, value and what was expected.

    Examples
    --------
    >>> from lean_chain.io.instance_io import load_instance
    >>> inst = load_instance("instances/cn_import")  # doctest: +SKIP
    >>> len(inst.skus) >= 200  # doctest: +SKIP
    True
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InstanceError([Issue(str(folder), None, None, None, "an instance folder")])
    issues: list[Issue] = []
    tables, params = read_folder(folder, issues)
    if any(frame is None for frame in tables.values()):
        raise InstanceError(issues)
    # cross-table checks run even when some cells were bad, so that one run reports
    # everything; a cell already reported is not reported again
    reported = {(i.file, i.row, i.column) for i in issues}
    issues += [i for i in check_tables(tables, params) if (i.file, i.row, i.column) not in reported]
    if issues:
        raise InstanceError(issues)
    converted = convert_money(tables, params)
    instance = Instance(params=params, source=folder, **converted)
    index = build_index(instance)
    issues = check_network(instance, index)
    if issues:
        raise InstanceError(issues)
    return instance
