"""Order bands: a lane's chargeable kg per shipment lies in one band of its tariff,
whose rate and minimum price every order on the lane.

In the MIP, per pair j on the leg and band i: w_ji <= band_i, sum_i w_ji = x_j; per
band, S lo_i band_i <= sum_j kg_j D_j w_ji <= S hi_i band_i; at most one band per
leg. The cost sum_ji D_j c_ji w_ji is exact: all of the leg's flow is in the chosen
band. A plan breaks the rule when its kg per shipment falls in no band.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import (
    TOLERANCE,
    RowBuilder,
    add_link_rows,
    weight_band_family,
)
from lean_chain.costs.model import order_band_costs

if TYPE_CHECKING:
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def band_kg_per_share(model: CostModel) -> np.ndarray:
    """Chargeable kg the whole share of each order-band incidence (``ob_pair``) puts
    on its leg."""
    return model.ob_kg_per_unit * model.demand_units[model.ob_pair]


def define_order_band_rows(b: RowBuilder, model: CostModel) -> None:
    """Per order-band leg: its flow split over bands, one band chosen, kg within it."""
    if len(model.ob_leg) == 0:
        return
    x0, w0 = b.col_blocks["x"].start, b.col_blocks["w"].start
    u0 = b.col_blocks["band"].start
    cells, n_inc = len(model.ob_cell_inc), len(model.ob_of)
    n_bands = len(model.ob_band_leg)
    lane = model.index.legs.lane[model.ob_leg]
    b.add_rows(
        "band_split",
        n_inc,
        np.concatenate([model.ob_cell_inc, np.arange(n_inc)]),
        np.concatenate([w0 + np.arange(cells), x0 + model.ob_pair]),
        np.concatenate([np.ones(cells), -np.ones(n_inc)]),
        0.0,
        0.0,
    )
    add_link_rows(b, "band_link", w0 + np.arange(cells), u0 + model.ob_cell_band)
    per_share = band_kg_per_share(model)
    kg = per_share[model.ob_cell_inc]
    shipments = model.ob_shipments[model.ob_band_leg]
    most = np.bincount(model.ob_of, weights=per_share)
    hi = np.minimum(model.ob_band_hi, most[model.ob_band_leg] / shipments * (1 + 1e-9) + 1e-9)
    for name, bound, lower, upper in (
        ("band_lower", model.ob_band_lo, 0.0, np.inf),
        ("band_upper", hi, -np.inf, 0.0),
    ):
        b.add_rows(
            name,
            n_bands,
            np.concatenate([model.ob_cell_band, np.arange(n_bands)]),
            np.concatenate([w0 + np.arange(cells), u0 + np.arange(n_bands)]),
            np.concatenate([kg, -shipments * bound]),
            lower,
            upper,
            objects=("lane", lane[model.ob_band_leg]),
        )
    b.add_rows(
        "band_choice",
        len(model.ob_leg),
        model.ob_band_leg,
        u0 + np.arange(n_bands),
        np.ones(n_bands),
        -np.inf,
        1.0,
    )


def order_band_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Order-band legs whose kg per shipment falls in no band of their tariff."""
    if len(model.ob_leg) == 0:
        return []
    share = decisions.share
    _, band = order_band_costs(model, share)
    kg = np.bincount(
        model.ob_of, weights=band_kg_per_share(model) * share[model.ob_pair], minlength=len(band)
    )
    return [
        f"service {model.index.legs.key[model.ob_leg[g]]}: {kg[g] / model.ob_shipments[g]:,.6g}"
        " kg per shipment falls in no weight band of its tariff (a gap, or above the last band)"
        for g in np.flatnonzero((band < 0) & (kg > TOLERANCE))
    ]


FAMILY = weight_band_family(
    "order_band",
    define_order_band_rows,
    order_band_violations,
    rows=("band_split", "band_link", "band_lower", "band_upper", "band_choice"),
    upper="band_upper",
    unit="kg per horizon",
)
