"""Load an instance folder into a validated :class:`~lean_chain.model.instance.Instance`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lean_chain.errors import InstanceError, Issue
from lean_chain.index import build_index
from lean_chain.io.excel import is_workbook_path
from lean_chain.io.tables import read_folder
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

    Examples
    --------
    >>> from lean_chain.io.instance_io import load_instance
    >>> inst = load_instance("instances/cn_import")  # doctest: +SKIP
    >>> len(inst.skus) >= 200  # doctest: +SKIP
    True

    ``as_of`` (``YYYY-MM-DD``) keeps the dated rows (tax rules, channels) in force
    on that day; default: the ``as_of`` parameter, else today. The date used is
    ``instance.params['as_of']``.
    """
    source = Path(path)
    locate: Callable[[Issue], Issue] = _same
    if is_workbook_path(source) and not source.is_dir():
        from lean_chain.io.excel import read_workbook

        contents = read_workbook(source)
        tables, params, issues, locate = (
            contents.tables,
            contents.params,
            list(contents.issues),
            contents.locate,
        )
    elif not source.is_dir():
        raise InstanceError(
            [Issue(str(source), None, None, None, "an instance folder or an .xlsx workbook")]
        )
    else:
        issues = []
        tables, params = read_folder(source, issues)
    if any(frame is None for frame in tables.values()):
        raise InstanceError(issues)
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
    index = build_index(instance)
    issues = [locate(i) for i in check_network(instance, index)]
    if issues:
        raise InstanceError(issues)
    return instance


def _same(issue: Issue) -> Issue:
    return issue
