"""Weight-break and per-m3 tariffs: a leg's quantity per shipment lies in one piece
(weight band) of its tariff.

In the MIP: q_i >= 0 and u_i binary per piece i of the per-shipment cost f; with S
shipments, S lo_i u_i <= q_i <= S hi_i u_i, at most one piece per leg, and
sum_i q_i >= the leg's actual and volumetric quantity. The cost
slope_i q_i + S intercept_i u_i is S f(Q / S) on the chosen piece. A plan breaks
the rule when its quantity per shipment falls in no band (a gap in the tariff, or
above its last band).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import RowBuilder, weight_band_family
from lean_chain.costs.model import piecewise_table

if TYPE_CHECKING:
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def leg_measures(model: CostModel) -> tuple[tuple[str, np.ndarray], ...]:
    """Per measure (actual, volumetric): row block and what the whole share of each
    piecewise-leg incidence (``pw_pair``) puts on its leg."""
    units = model.demand_units[model.pw_pair]
    return (
        ("leg_quantity", model.pw_actual_per_unit * units),
        ("leg_volumetric", model.pw_volumetric_per_unit * units),
    )


def define_piecewise_rows(b: RowBuilder, model: CostModel) -> None:
    """Weight-break / per-m3 legs: the leg's quantity lies in exactly one chosen piece."""
    if len(model.pw_leg) == 0:
        return
    x0, u0, q0 = b.col_blocks["x"].start, b.col_blocks["u"].start, b.col_blocks["q"].start
    pieces = piecewise_table(model)
    leg = pieces["leg"].astype(np.int64)
    n_pieces, n_legs = len(leg), len(model.pw_leg)
    shipments = model.pw_shipments[leg]
    leg_lane = model.index.legs.lane[model.pw_leg]
    for name, per_share in leg_measures(model):
        if name == "leg_volumetric" and not np.any(model.pw_volumetric_per_unit > 0):
            continue
        b.add_rows(
            name,
            n_legs,
            np.concatenate([leg, model.pw_of]),
            np.concatenate([q0 + np.arange(n_pieces), x0 + model.pw_pair]),
            np.concatenate([np.ones(n_pieces), -per_share]),
            0.0,
            np.inf,
            objects=("lane", leg_lane),
        )
    rows = np.repeat(np.arange(n_pieces), 2)
    cols = np.column_stack([q0 + np.arange(n_pieces), u0 + np.arange(n_pieces)]).ravel()
    b.add_rows(
        "piece_upper",
        n_pieces,
        rows,
        cols,
        np.column_stack([np.ones(n_pieces), -shipments * pieces["hi"]]).ravel(),
        -np.inf,
        0.0,
        objects=("lane", leg_lane[leg]),
    )
    b.add_rows(
        "piece_lower",
        n_pieces,
        rows,
        cols,
        np.column_stack([np.ones(n_pieces), -shipments * pieces["lo"]]).ravel(),
        0.0,
        np.inf,
    )
    b.add_rows(
        "piece_choice", n_legs, leg, u0 + np.arange(n_pieces), np.ones(n_pieces), -np.inf, 1.0
    )


def piecewise_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Legs whose quantity per shipment falls in no weight band of their tariff."""
    from lean_chain.costs.rates import serviceable

    share = decisions.share[model.pw_pair]
    quantity = np.zeros(len(model.pw_leg))
    for _, per_share in leg_measures(model):
        quantity = np.maximum(
            quantity,
            np.bincount(model.pw_of, weights=per_share * share, minlength=len(model.pw_leg)),
        )
    problems = []
    for g in np.flatnonzero(quantity > 0):
        per_shipment = quantity[g] / model.pw_shipments[g]
        if not serviceable(per_shipment, model.pw_breaks[g], model.pw_band_hi[g])[0]:
            problems.append(
                f"service {model.index.legs.key[model.pw_leg[g]]}: {per_shipment:,.6g} per "
                "shipment falls in no weight band of its tariff (a gap, or above the last band)"
            )
    return problems


FAMILY = weight_band_family(
    "piecewise",
    define_piecewise_rows,
    piecewise_violations,
    rows=("leg_quantity", "leg_volumetric", "piece_upper", "piece_lower", "piece_choice"),
    upper="piece_upper",
    unit="kg or m³ per horizon",
)
