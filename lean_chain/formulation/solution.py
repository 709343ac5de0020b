"""Map between a solver's column vector and a plan's :class:`Decisions`.

:func:`decode` cleans a solution: shares clipped to [0, 1], binaries
rounded, and every decision that carries no flow dropped (a channel, a
stocked SKU, an open node without flow; containers beyond the load; stock
above what is needed). Each of these keeps the plan feasible and never raises
its cost, so the decoded plan's objective is at most the solver's.
:func:`encode` is the inverse, used for warm starts and to price a plan with
the MIP's own objective vector.
"""

from __future__ import annotations

import numpy as np

from lean_chain.costs.evaluate import Decisions, listings_used, on_hand_stock
from lean_chain.costs.model import (
    CostModel,
    fixed_leg_used,
    leg_quantities,
    loads_needed,
    order_band_costs,
    piecewise_table,
)
from lean_chain.formulation.build import stock_groups_with_minimum
from lean_chain.formulation.problem import MipProblem

_FLOW_EPS = 1e-9
#: Largest share the solver may leave on a lane service it did not pay for: a flow
#: within its feasibility tolerance (e.g. 3.5e-7 kg under a minimum charge).
_DUST_SHARE = 1e-6


def decode(problem: MipProblem, model: CostModel, vector: np.ndarray) -> Decisions:
    """A feasible, cleaned plan from a solver's column values."""
    blocks = problem.col_blocks
    share = np.clip(vector[blocks["x"]], 0.0, 1.0)
    if bool(model.instance.params["single_sourcing"]):
        share = np.round(share)
    share[share < _FLOW_EPS] = 0.0
    share[_dust(problem, model, vector, share)] = 0.0
    kc_flow = np.bincount(model.kc_of_pair, weights=share, minlength=len(model.kc_sku))
    channel_used = (vector[blocks["y"]] > 0.5) & (kc_flow > 0)
    stocked_pairs = model.kh_of_pair >= 0
    kh_flow = np.bincount(
        model.kh_of_pair[stocked_pairs], weights=share[stocked_pairs], minlength=len(model.kh_sku)
    )
    stocked = (vector[blocks["s"]] > 0.5) & (kh_flow > 0)
    node_open = (vector[blocks["z"]] > 0.5) & (
        np.bincount(model.kh_h, weights=stocked, minlength=len(model.h_node)) > 0
    )
    containers = np.minimum(np.round(vector[blocks["n"]]), loads_needed(model, share))
    return Decisions(share, channel_used, stocked, node_open, containers)


def _dust(problem: MipProblem, model: CostModel, vector: np.ndarray, share: np.ndarray):
    """Pairs whose tiny share rides a lane charge the solver did not pay (no weight
    piece, order band or fixed charge chosen): flows within the solver's tolerance.

    Pricing them would add a whole minimum charge the solver never paid, so they
    are dropped (their demand row stays served within 1e-6); dropping flow never
    raises a cost.
    """
    blocks = problem.col_blocks
    unpaid = np.zeros(model.n_pairs, dtype=bool)
    if len(model.pw_leg):
        pieces = piecewise_table(model)
        chosen = np.bincount(
            pieces["leg"].astype(np.int64), weights=vector[blocks["u"]], minlength=len(model.pw_leg)
        )
        unpaid[model.pw_pair[chosen[model.pw_of] < 0.5]] = True
    if len(model.ob_leg):
        chosen = np.bincount(
            model.ob_band_leg, weights=vector[blocks["band"]], minlength=len(model.ob_leg)
        )
        unpaid[model.ob_pair[chosen[model.ob_of] < 0.5]] = True
    if len(model.fx_leg):
        unpaid[model.fx_pair[vector[blocks["v"]][model.fx_of] < 0.5]] = True
    return unpaid & (share > 0) & (share < _DUST_SHARE)


def encode(problem: MipProblem, model: CostModel, decisions: Decisions) -> np.ndarray:
    """The column vector of ``decisions`` (stock columns at their smallest feasible value)."""
    vector = np.zeros(problem.n_cols)
    blocks = problem.col_blocks
    vector[blocks["x"]] = decisions.share
    vector[blocks["y"]] = decisions.channel_used
    vector[blocks["s"]] = decisions.stocked
    vector[blocks["I"]] = on_hand_stock(model, decisions)[stock_groups_with_minimum(model)]
    vector[blocks["z"]] = decisions.node_open
    vector[blocks["n"]] = decisions.containers
    vector[blocks["v"]] = fixed_leg_used(model, decisions.share)
    # piecewise legs: the piece holding each leg's quantity per shipment
    quantity, _ = leg_quantities(model, decisions.share)
    pieces = piecewise_table(model)
    leg = pieces["leg"].astype(np.int64)
    per_shipment = quantity[leg] / model.pw_shipments[leg]
    inside = (
        (quantity[leg] > 0)
        & (per_shipment >= pieces["lo"] - 1e-9)
        & (per_shipment <= pieces["hi"] + 1e-9)
    )
    chosen = np.zeros(len(leg), dtype=bool)
    for g in np.unique(leg[inside]):
        chosen[np.flatnonzero(inside & (leg == g))[0]] = True
    vector[blocks["u"]] = chosen
    vector[blocks["q"]] = np.where(chosen, quantity[leg], 0.0)
    # order bands: every pair on the leg in the band the core prices it in
    _, band = order_band_costs(model, decisions.share)
    in_band = band[model.ob_band_leg[model.ob_cell_band]] == model.ob_cell_band
    vector[blocks["w"]] = np.where(in_band, decisions.share[model.ob_pair[model.ob_cell_inc]], 0.0)
    vector[blocks["band"]] = band[model.ob_band_leg] == np.arange(len(model.ob_band_leg))
    if "L" in blocks:  # profit mode: listings and open platforms are those that sell
        listed, platform_open = listings_used(model, decisions.share)
        vector[blocks["L"]] = listed
        vector[blocks["O"]] = platform_open
    return vector


def mip_objective(problem: MipProblem, model: CostModel, decisions: Decisions) -> float:
    """The MIP objective c x + offset of ``decisions``."""
    return float(problem.objective @ encode(problem, model, decisions) + problem.offset)
