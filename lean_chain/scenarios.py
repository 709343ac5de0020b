"""What-if scenarios: named sets of overrides on an instance's tables and parameters.

A scenario file (YAML) lists scenarios; each has a ``name`` and any of:

- ``overrides``: expressions on the tables, applied in order::

      lanes[mode=sea].cost_per_kg *= 1.3      # scale a column on the rows that match
      demand.units *= 1.2                     # every row
      nodes[node_id=BZ_NANSHA].fixed_cost = inf   # inf fixed cost: the node is closed
      tax_rules[destination_country=US,channel_id=9610].duty_free_threshold = 0
      drop lanes[from_node=BZ_NANSHA]          # remove the rows that match

  The operators are ``=``, ``*=``, ``/=``, ``+=``, ``-=``; a filter is one or
  more ``column=value`` or ``column!=value`` tests joined by commas (all must
  hold). Values are numbers (``inf`` too), ``true``/``false``, or text (quoted
  or bare). Values are in the table's own units and currency, as in its CSV.
  A node with an infinite ``fixed_cost`` is *closed*: every lane into or out
  of it is dropped, with the carrier services (rates) on those lanes and their
  weight bands (the schema keeps fixed costs finite).
- ``parameters``: keys of ``parameters.yaml`` to replace;
- ``as_of``: the date whose rules apply (stored as the ``as_of`` parameter).

Overrides are checked against the schema (table, column, type) when the file
is read, and the changed instance is validated like any input, so a bad
scenario fails alone with a message that names it.

Examples
--------
>>> scenarios = parse_scenarios({"scenarios": [
...     {"name": "sea +30%", "overrides": ["lanes[mode=sea].cost_per_kg *= 1.3"]}]})
>>> scenarios[0].overrides[0]
Override(table='lanes', column='cost_per_kg', op='*=', value=1.3, where=(('mode', '=', 'sea'),))
"""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from lean_chain.io.tables import parse_parameter_values
from lean_chain.model.schema import TABLES

#: Text of the built-in scenario sets, by name (``builtin:NAME``).
BUILTIN_PACKAGE = "lean_chain.scenario_library"

_EXPRESSION = re.compile(
    r"""^\s*(?P<table>[a-z_]+)\s*(?:\[(?P<where>[^\]]*)\])?\s*\.\s*(?P<column>[a-z_0-9]+)\s*
    (?P<op>\*=|/=|\+=|-=|=)\s*(?P<value>.+?)\s*$""",
    re.VERBOSE,
)
_DROP = re.compile(r"^\s*drop\s+(?P<table>[a-z_]+)\s*\[(?P<where>[^\]]+)\]\s*$")
_CONDITION = re.compile(r"^\s*(?P<column>[a-z_0-9]+)\s*(?P<op>!=|=)\s*(?P<value>.*?)\s*$")


class ScenarioError(ValueError):
    """A scenario file or expression is malformed; the message names the scenario."""


class NotApplicable(ScenarioError):
    """A filter of the scenario matches no row: it does not apply to this instance."""


@dataclass(frozen=True)
class Override:
    """One expression: ``table[where].column op value``, or a row drop (``op='drop'``)."""

    table: str
    column: str | None
    op: str
    value: Any
    where: tuple[tuple[str, str, Any], ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A named what-if: overrides, parameter changes and a rules date."""

    name: str
    overrides: tuple[Override, ...] = ()
    parameters: dict = field(default_factory=dict)
    as_of: str | None = None
    #: Why the scenario cannot run (it is reported, the others still run).
    error: str | None = None


def _value(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("inf", "+inf", "infinity"):
        return math.inf
    try:
        return float(text)
    except ValueError:
        return text


def _column(table: str, name: str, context: str):
    columns = {c.name: c for c in TABLES[table].columns}
    if name not in columns:
        raise ScenarioError(
            f"{context}: table {table!r} has no column {name!r} (columns: {', '.join(columns)})"
        )
    return columns[name]


def _conditions(table: str, text: str, context: str) -> tuple[tuple[str, str, Any], ...]:
    out = []
    for part in text.split(","):
        match = _CONDITION.match(part)
        if not match:
            raise ScenarioError(
                f"{context}: filter {part.strip()!r} is not 'column=value' or 'column!=value'"
            )
        _column(table, match["column"], context)
        out.append((match["column"], match["op"], _value(match["value"])))
    return tuple(out)


def parse_override(text: str, context: str = "override") -> Override:
    """Parse one expression, checking table and column names against the schema.

    >>> parse_override("demand.units *= 1.2")
    Override(table='demand', column='units', op='*=', value=1.2, where=())
    >>> parse_override("demand.color = red")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    lean_chain.scenarios.ScenarioError: override 'demand.color = red': table 'demand' has no column 'color' (columns: sku_id, region_id, units, ...)
    """
    if not isinstance(text, str):
        raise ScenarioError(f"{context}: an override is a text expression, got {text!r}")
    context = f"{context} {text.strip()!r}"
    drop = _DROP.match(text)
    if drop:
        table = drop["table"]
        if table not in TABLES:
            raise ScenarioError(f"{context}: no table {table!r} (tables: {', '.join(TABLES)})")
        return Override(table, None, "drop", None, _conditions(table, drop["where"], context))
    match = _EXPRESSION.match(text)
    if not match:
        raise ScenarioError(
            f"{context}: expected 'table[column=value].column OP value' with OP one of "
            "= *= /= += -=, or 'drop table[column=value]'"
        )
    table = match["table"]
    if table not in TABLES:
        raise ScenarioError(f"{context}: no table {table!r} (tables: {', '.join(TABLES)})")
    column = _column(table, match["column"], context)
    value = _value(match["value"])
    numeric = column.type in ("float", "int")
    if match["op"] != "=" and not numeric:
        raise ScenarioError(
            f"{context}: {match['op']} needs a numeric column; {column.name!r} is not"
        )
    if numeric and not isinstance(value, float):
        raise ScenarioError(f"{context}: {column.name!r} takes a number, got {value!r}")
    if isinstance(value, float) and math.isnan(value):
        raise ScenarioError(f"{context}: the value is not a number")
    where = _conditions(table, match["where"], context) if match["where"] else ()
    return Override(table, column.name, match["op"], value, where)


def parse_scenarios(document: Any, source: str = "scenarios") -> list[Scenario]:
    """Scenarios from a parsed YAML document (``{"scenarios": [...]}`` or a list).

    A malformed scenario comes back with its ``error`` set (naming it and the
    entry at fault) so that the others still run; a document without a list
    of scenarios raises :class:`ScenarioError`.
    """
    entries = document.get("scenarios") if isinstance(document, dict) else document
    if not isinstance(entries, list) or not entries:
        raise ScenarioError(f"{source}: expected a non-empty list under 'scenarios'")
    scenarios, seen = [], set()
    for position, entry in enumerate(entries, start=1):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name.strip():
            name = f"scenario {position}"
            scenarios.append(Scenario(name, error=f"{source}: {name} needs a 'name' (text)"))
            continue
        name = name.strip()
        if name in seen:
            scenarios.append(
                Scenario(f"{name} ({position})", error=f"{source}: a second scenario {name!r}")
            )
            continue
        seen.add(name)
        try:
            scenarios.append(_scenario(entry, name, f"{source}: scenario {name!r}"))
        except ScenarioError as exc:
            scenarios.append(Scenario(name, error=str(exc)))
    return scenarios


def _scenario(entry: dict, name: str, context: str) -> Scenario:
    unknown = set(entry) - {"name", "overrides", "parameters", "as_of", "description"}
    if unknown:
        raise ScenarioError(f"{context}: unknown keys {sorted(unknown)}")
    overrides = entry.get("overrides") or []
    if not isinstance(overrides, list):
        raise ScenarioError(f"{context}: 'overrides' is a list of expressions")
    parameters = entry.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ScenarioError(f"{context}: 'parameters' is a mapping")
    issues: list = []
    parameters = parse_parameter_values(parameters, issues)
    if issues:
        raise ScenarioError(
            f"{context}: parameters: "
            + "; ".join(f"{i.column}: got {i.value}, expected {i.expected}" for i in issues)
        )
    as_of = entry.get("as_of")
    if as_of is not None:
        try:
            as_of = datetime.date.fromisoformat(str(as_of)).isoformat()
        except ValueError:
            raise ScenarioError(f"{context}: as_of {as_of!r} is not a YYYY-MM-DD date") from None
    return Scenario(
        name, tuple(parse_override(o, context) for o in overrides), dict(parameters), as_of
    )


def read_scenarios(spec: str | Path) -> list[Scenario]:
    """Read a scenario file, or a built-in set as ``builtin:NAME``."""
    spec = str(spec)
    if spec.startswith("builtin:"):
        name = spec.split(":", 1)[1]
        library = resources.files(BUILTIN_PACKAGE)
        path = library / f"{name}.yaml"
        if not path.is_file():
            names = sorted(p.name[:-5] for p in library.iterdir() if p.name.endswith(".yaml"))
            raise ScenarioError(f"no built-in scenario set {name!r} (built-in: {', '.join(names)})")
        text = path.read_text(encoding="utf-8")
    else:
        try:
            text = Path(spec).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"{spec}: cannot read the scenario file ({exc})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{spec}: not valid YAML ({exc})") from None
    return parse_scenarios(document, spec)


def _mask(frame: pd.DataFrame, where: tuple[tuple[str, str, Any], ...]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for column, op, value in where:
        cells = frame[column]
        if isinstance(value, bool) or pd.api.types.is_numeric_dtype(cells.dtype):
            try:
                equal = (
                    (cells.to_numpy(np.float64) == float(value))
                    if not isinstance(value, bool)
                    else (cells.astype(bool).to_numpy() == value)
                )
            except (TypeError, ValueError):
                equal = np.zeros(len(frame), dtype=bool)
        else:
            equal = cells.astype(str).to_numpy() == str(value)
        mask &= equal if op == "=" else ~equal
    return mask


def apply_scenario(
    tables: dict[str, pd.DataFrame], params: dict[str, Any], scenario: Scenario
) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """New tables and parameters with ``scenario`` applied (the inputs are not changed).

    ``tables`` are the typed tables as read (before currency conversion).
    Raises :class:`ScenarioError` if a filter matches no row (a likely typo).
    """
    tables = dict(tables)
    params = {**params, **scenario.parameters}
    if scenario.as_of is not None:
        params["as_of"] = scenario.as_of
    for override in scenario.overrides:
        frame = tables[override.table].copy()
        mask = _mask(frame, override.where)
        if override.where and not mask.any():
            shown = ",".join(f"{c}{o}{v}" for c, o, v in override.where)
            raise NotApplicable(
                f"scenario {scenario.name!r}: {override.table}[{shown}] matches no row of "
                "this instance"
            )
        if override.op == "drop":
            frame = frame.loc[~mask].reset_index(drop=True)
        else:
            column = frame[override.column]
            if override.op == "=":
                if pd.api.types.is_numeric_dtype(column.dtype):
                    frame.loc[mask, override.column] = float(override.value)
                else:
                    frame[override.column] = column.astype(object)
                    frame.loc[mask, override.column] = override.value
            else:
                values = column.to_numpy(np.float64).copy()
                operand = float(override.value)
                values[mask] = {
                    "*=": values[mask] * operand,
                    "/=": values[mask] / operand if operand else np.inf,
                    "+=": values[mask] + operand,
                    "-=": values[mask] - operand,
                }[override.op]
                frame[override.column] = values
        tables[override.table] = frame
    return _close_nodes(tables), params


def _close_nodes(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Nodes with an infinite fixed cost are closed: drop their lanes, keep costs finite."""
    nodes = tables["nodes"]
    if "fixed_cost" not in nodes:
        return tables
    cost = nodes["fixed_cost"].to_numpy(np.float64)
    closed = np.isinf(cost)
    if not closed.any():
        return tables
    ids = set(nodes.loc[closed, "node_id"])
    lanes = tables["lanes"]
    gone = lanes["from_node"].isin(ids) | lanes["to_node"].isin(ids)
    tables["lanes"] = lanes.loc[~gone].reset_index(drop=True)
    # and what hangs on those lanes: their carrier services and those services' weight bands
    rates = tables["rates"]
    dropped_rates = rates["lane_id"].isin(set(lanes.loc[gone, "lane_id"]))
    tables["rates"] = rates.loc[~dropped_rates].reset_index(drop=True)
    breaks = tables["weight_breaks"]
    tables["weight_breaks"] = breaks.loc[
        ~breaks["rate_id"].isin(set(rates.loc[dropped_rates, "rate_id"]))
    ].reset_index(drop=True)
    nodes = nodes.copy()
    nodes.loc[closed, "fixed_cost"] = np.nan
    tables["nodes"] = nodes
    return tables
