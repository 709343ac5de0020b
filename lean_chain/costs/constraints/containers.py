"""Volume (and weight) on a load leg fits its containers or trucks: the horizon's
load travels in S shipments of n loads each."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.base import ConstraintFamily, RowBuilder, over_limit, rows_of

if TYPE_CHECKING:
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel


def load_measures(model: CostModel) -> tuple[tuple[str, np.ndarray, np.ndarray, str], ...]:
    """Per measure: row block, what the whole share of each load-leg incidence
    (``ct_pair``) puts on its leg, the load size (NaN: unlimited) and the unit."""
    j = model.ct_pair
    units = model.demand_units[j]
    return (
        ("containers", model.pair_volume_m3[j] * units, model.ct_size_m3, "m3"),
        ("container_weight", model.pair_weight_kg[j] * units, model.ct_size_kg, "kg"),
    )


def define_container_rows(b: RowBuilder, model: CostModel) -> None:
    """Volume (and weight) on a load leg <= container or truck size x loads."""
    if len(model.ct_leg) == 0:
        return
    x0, n0 = b.col_blocks["x"].start, b.col_blocks["n"].start
    j = model.ct_pair
    # n counts loads per shipment: the horizon's load travels in S shipments
    for name, per_share, size, _ in load_measures(model):
        limited = np.flatnonzero(~np.isnan(size))
        if len(limited) == 0:
            continue
        row_of = rows_of(limited, len(model.ct_leg))
        members = np.flatnonzero(row_of[model.ct_of] >= 0)
        m = len(limited)
        b.add_rows(
            name,
            m,
            np.concatenate([row_of[model.ct_of[members]], np.arange(m)]),
            np.concatenate([x0 + j[members], n0 + limited]),
            np.concatenate([per_share[members], -size[limited] * model.ct_shipments[limited]]),
            -np.inf,
            0.0,
            objects=("lane", model.ct_lane[limited]),
        )


def container_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    """Load legs carrying more m3 or kg than their loads hold."""
    problems = []
    share = decisions.share[model.ct_pair]
    leg_keys = model.index.legs.key[model.ct_leg]
    for _, per_share, size, unit in load_measures(model):
        load = np.bincount(model.ct_of, weights=per_share * share, minlength=len(model.ct_leg))
        limit = np.where(np.isnan(size), np.inf, size * decisions.containers * model.ct_shipments)
        for i in over_limit(load, limit):
            problems.append(
                f"lane {leg_keys[i]} carries {load[i]:.6g} {unit} in "
                f"{model.ct_shipments[i]:g} shipments of {decisions.containers[i]:g} loads of "
                f"{size[i]:g} {unit}"
            )
    return problems


FAMILY = ConstraintFamily(
    name="containers",
    define=define_container_rows,
    violations=container_violations,
    rows=("containers", "container_weight"),
)
