"""Every demand row is served: its shares sum to 1 (profit mode: at most 1, lost
sales allowed), and every share lies in [0, 1]."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import MAX_LISTED, TOLERANCE, ConstraintFamily, RowBuilder

if TYPE_CHECKING:
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def served(model: CostModel, share: np.ndarray) -> np.ndarray:
    """Share served of each demand row kr (the row's activity)."""
    return np.bincount(model.kr_of_pair, weights=share, minlength=len(model.kr_demand_row))


def define_demand_rows(b: RowBuilder, model: CostModel) -> None:
    """Sum of shares of each demand row = 1 (profit mode: <= 1, lost sales allowed)."""
    x0 = b.col_blocks["x"].start
    n = model.n_pairs
    b.add_rows(
        "demand",
        len(model.kr_demand_row),
        model.kr_of_pair,
        x0 + np.arange(n),
        np.ones(n),
        -np.inf if model.profit_mode else 1.0,
        1.0,
        objects=("demand_row", model.kr_demand_row),
    )


def demand_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Demand rows served more (or, in cost mode, less) than once; shares outside [0, 1]."""
    demand, share = model.instance.demand, decisions.share
    total = served(model, share)
    off = total > 1.0 + TOLERANCE if model.profit_mode else np.abs(total - 1.0) > TOLERANCE
    problems = []
    for i in np.flatnonzero(off)[:MAX_LISTED]:
        row = model.kr_demand_row[i]
        problems.append(
            f"demand of {demand['sku_id'].iloc[row]} in {demand['region_id'].iloc[row]}"
            f" served at {total[i]:.6g} of 1"
        )
    if np.any((share < -TOLERANCE) | (share > 1 + TOLERANCE)):
        problems.append("a flow share lies outside [0, 1]")
    return problems


FAMILY = ConstraintFamily(
    name="demand",
    define=define_demand_rows,
    violations=demand_violations,
    rows=("demand",),
)
