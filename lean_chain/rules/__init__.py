"""The bundled, sourced rule library: dated tax rules as data files.

Each ``lean_chain/rules/<name>.csv`` holds ``tax_rules`` rows (the columns of
:data:`lean_chain.model.schema.TAX_RULES`) with ``effective_from`` /
``effective_to`` and the legal ``source`` of every row; where a figure is not
certain the source says so. An instance adds rule sets with the
``rule_library`` parameter (``'cn_import|us'``); its own ``tax_rules.csv`` rows
replace every library row of the same key (channel, destination, origin,
category). Library rows use the channel codes ``1210``, ``9610``, ``postal``,
``0110``, ``9810``; rows for a channel the instance does not list are left out.

Examples
--------
>>> from lean_chain.rules import library_names, library_rules
>>> "us" in library_names()
True
>>> def de_minimis(as_of):
...     rows = library_rules(["us"], as_of=as_of, country="US")
...     return sorted(set(rows.loc[rows["regime"] == "low_value_parcel", "duty_free_threshold"]))
>>> de_minimis("2024-01-01"), de_minimis("2026-01-01")
([800.0], [0.0])
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from lean_chain.errors import InstanceError, Issue
from lean_chain.io.tables import read_table
from lean_chain.model.dates import in_force
from lean_chain.model.schema import TAX_RULES

#: Folder of the bundled rule files.
LIBRARY_DIR = Path(__file__).resolve().parent
_KEY = list(TAX_RULES.key)


def library_names() -> list[str]:
    """Names of the bundled rule sets (file names without ``.csv``)."""
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.csv"))


def read_library(names: list[str], issues: list[Issue]) -> pd.DataFrame:
    """The typed rows of the rule sets ``names``, in order (an issue per unknown name)."""
    frames = []
    known = library_names()
    for name in names:
        if name not in known:
            issues.append(
                Issue(
                    "parameters.yaml",
                    None,
                    "rule_library",
                    name,
                    "names of bundled rule sets: " + ", ".join(known),
                )
            )
            continue
        table = dataclasses.replace(TAX_RULES, name=name)
        frame = read_table(LIBRARY_DIR, table, issues)
        if frame is not None:
            frames.append(frame)
    if not frames:
        return read_table(LIBRARY_DIR, dataclasses.replace(TAX_RULES, name="_none"), []).iloc[:0]
    return pd.concat(frames, ignore_index=True)


def library_rules(
    names: list[str] | None = None, *, as_of: str | None = None, country: str | None = None
) -> pd.DataFrame:
    """Rows of the rule sets ``names`` (all when None), optionally only those in force on
    ``as_of`` and those into ``country``. Money stays in each row's currency."""
    issues: list[Issue] = []
    rows = read_library(library_names() if names is None else list(names), issues)
    if issues:
        raise InstanceError(issues)
    if as_of is not None:
        rows = rows[in_force(rows, as_of)]
    if country is not None:
        rows = rows[rows["destination_country"] == country]
    return rows.reset_index(drop=True)


def merge_library(
    tax_rules: pd.DataFrame, library: pd.DataFrame, channel_ids: set[str]
) -> pd.DataFrame:
    """``tax_rules`` followed by the library rows whose key it does not define itself,
    for channels in ``channel_ids``."""
    if len(library) == 0:
        return tax_rules
    own = pd.MultiIndex.from_frame(tax_rules[_KEY].astype(str))
    theirs = pd.MultiIndex.from_frame(library[_KEY].astype(str))
    keep = ~theirs.isin(own) & library["channel_id"].isin(channel_ids).to_numpy()
    return pd.concat([tax_rules, library[keep]], ignore_index=True)


def split_names(cell: str) -> list[str]:
    """``'cn_import|us'`` -> ``['cn_import', 'us']``."""
    return [t.strip() for t in str(cell or "").split("|") if t.strip()]
