"""Effective dates: which rows of the dated tables are in force on a date.

Rows of :data:`~lean_chain.model.schema.DATED_TABLES` (tax rules, channels)
carry ``effective_from`` and ``effective_to`` (ISO dates, both inclusive; blank
= open). An instance is planned under the rules in force on one date, its
*as-of* date: ``lean-chain solve --as-of``, else the ``as_of`` parameter, else
today. Rows of the same key must not be in force on the same day
(:func:`overlaps`).

Examples
--------
>>> import pandas as pd
>>> rules = pd.DataFrame({"channel_id": ["9610", "9610"],
...                       "effective_from": ["", "2025-08-29"],
...                       "effective_to": ["2025-08-28", ""]})
>>> in_force(rules, "2024-01-01").tolist()
[True, False]
>>> in_force(rules, "2025-08-29").tolist()
[False, True]
>>> overlaps(rules, ["channel_id"])
[]
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np
import pandas as pd

#: Sorts before and after every real date (blank ends of a period).
_FIRST, _LAST = "0000-00-00", "9999-99-99"


def parse_date(text: str | _dt.date) -> _dt.date:
    """A date from ``YYYY-MM-DD`` text (or a date); ValueError otherwise.

    >>> parse_date("2026-07-01")
    datetime.date(2026, 7, 1)
    """
    if isinstance(text, _dt.date):
        return text
    return _dt.date.fromisoformat(str(text).strip())


def as_of_date(params: dict[str, Any], as_of: str | _dt.date | None = None) -> str:
    """The as-of date as ``YYYY-MM-DD``: ``as_of``, else ``params['as_of']``, else today."""
    chosen = as_of if as_of not in (None, "") else params.get("as_of") or _dt.date.today()
    return parse_date(chosen).isoformat()


def _bounds(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    start = frame["effective_from"].fillna("").astype(str).str.strip()
    end = frame["effective_to"].fillna("").astype(str).str.strip()
    return (
        start.where(start != "", _FIRST).to_numpy(object),
        end.where(end != "", _LAST).to_numpy(object),
    )


def in_force(frame: pd.DataFrame, as_of: str | _dt.date) -> np.ndarray:
    """True for the rows of ``frame`` in force on ``as_of`` (ISO text compares as dates)."""
    if "effective_from" not in frame.columns or len(frame) == 0:
        return np.ones(len(frame), dtype=bool)
    day = parse_date(as_of).isoformat()
    start, end = _bounds(frame)
    return (start <= day) & (day <= end)


def overlaps(frame: pd.DataFrame, key: list[str]) -> list[tuple[int, int]]:
    """Positional row pairs (earlier, later) of the same key whose periods share a day.

    Rows are sorted by key and start; a row overlaps the previous one of its key
    when it starts on or before the day the previous one ends.
    """
    if len(frame) < 2:
        return []
    start, end = _bounds(frame)
    order = frame.assign(_start=start, _pos=np.arange(len(frame))).sort_values(
        [*key, "_start"], kind="stable"
    )
    pos = order["_pos"].to_numpy(np.int64)
    same_key = np.ones(len(order) - 1, dtype=bool)
    for column in key:
        values = order[column].to_numpy(object)
        same_key &= values[1:] == values[:-1]
    clash = same_key & (start[pos[1:]] <= end[pos[:-1]])
    return [(int(a), int(b)) for a, b in zip(pos[:-1][clash], pos[1:][clash], strict=True)]


def select_in_force(
    tables: dict[str, pd.DataFrame], as_of: str | _dt.date
) -> dict[str, pd.DataFrame]:
    """``tables`` with only the dated rows in force on ``as_of``.

    A channel not in force takes its tax rules with it. Indexes are reset, so
    row positions stay the integer codes the index uses.
    """
    out = dict(tables)
    channels = tables["channels"]
    channels = channels[in_force(channels, as_of)].reset_index(drop=True)
    rules = tables["tax_rules"]
    keep = in_force(rules, as_of) & rules["channel_id"].isin(set(channels["channel_id"]))
    out["channels"] = channels
    out["tax_rules"] = rules[keep].reset_index(drop=True)
    return out
