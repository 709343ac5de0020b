"""Loading: read tables go through the cross-table checks only when every table was read whole.

A table without one of its required columns is one problem; the cross-table checks are not
run on the column's defaults (they restated it for every row and every reference to it).
"""

from __future__ import annotations

import pytest

from lean_chain.errors import InstanceError, Issue
from lean_chain.io.tables import MISSING_COLUMN
from lean_chain.load import load_instance


def _issues(folder) -> list[Issue]:
    with pytest.raises(InstanceError) as info:
        load_instance(folder)
    return info.value.issues


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("skus", "sku_id"),  # demand.csv's sku_ids then named no SKU
        ("tax_rules", "channel_id"),  # every rule named channel '' and overlapped its peers
        ("nodes", "node_id"),  # every lane, SKU and demand row named an unknown node
        ("nodes", "lat"),
    ],
)
def test_a_missing_required_column_is_one_problem(make_variant, table, column):
    folder = make_variant(tables={table: lambda f: f.drop(columns=[column])})
    assert _issues(folder) == [Issue(f"{table}.csv", 1, column, None, MISSING_COLUMN)]


def test_other_reading_problems_are_still_reported(make_variant):
    folder = make_variant(
        tables={
            "skus": lambda f: f.drop(columns=["sku_id"]),
            "demand": lambda f: f.assign(units=["-1", *f["units"].iloc[1:]]),
        }
    )
    issues = _issues(folder)
    assert Issue("skus.csv", 1, "sku_id", None, MISSING_COLUMN) in issues
    assert Issue("demand.csv", 2, "units", "-1", "a number >= 0") in issues
    assert len(issues) == 2
