"""A leg with a fixed charge per shipment is paid for when it carries anything.

A plan cannot break it: the evaluation charges every leg that carries flow
(:func:`lean_chain.costs.model.fixed_leg_used`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import ConstraintFamily, RowBuilder

if TYPE_CHECKING:
    from lean_chain.costs.model import CostModel


def define_fixed_charge_rows(b: RowBuilder, model: CostModel) -> None:
    """Units on the leg <= the most it could carry times v (charge paid)."""
    if len(model.fx_leg) == 0:
        return
    x0, v0 = b.col_blocks["x"].start, b.col_blocks["v"].start
    j = model.fx_pair
    most = np.bincount(model.fx_of, weights=model.demand_units[j], minlength=len(model.fx_leg))
    m = len(model.fx_leg)
    b.add_rows(
        "fixed_charge",
        m,
        np.concatenate([model.fx_of, np.arange(m)]),
        np.concatenate([x0 + j, v0 + np.arange(m)]),
        np.concatenate([model.demand_units[j], -most]),
        -np.inf,
        0.0,
    )


FAMILY = ConstraintFamily(
    name="fixed_charge", define=define_fixed_charge_rows, rows=("fixed_charge",)
)
