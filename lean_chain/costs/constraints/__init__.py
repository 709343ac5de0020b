"""The constraint families: each rule of the model written once.

Every module here holds one family and exports it as ``FAMILY``, a
:class:`~lean_chain.costs.constraints.base.ConstraintFamily` whose ``define``
adds the family's rows to the MIP and whose ``violations`` checks a plan
against the same rule. :data:`FAMILIES` lists them in the order the MIP's rows
are built; the formulation (``build_problem``, ``build_coupling_problem``),
the plan check (:func:`lean_chain.costs.evaluate.check_feasibility`) and the
infeasibility diagnosis (its limit rows) all read this one tuple. A new family
is a new module plus one entry here.

Examples
--------
>>> from lean_chain.costs.constraints import FAMILIES
>>> [family.name for family in FAMILIES if family.coupling]
['storage', 'orders', 'throughput', 'service', 'quota', 'lane_capacity']

One family checks a plan of tests/data/tiny that ships everything through the
bonded zone BZ but leaves BZ closed:

>>> import dataclasses
>>> import numpy as np
>>> import lean_chain
>>> from lean_chain.costs.constraints import stocking
>>> from lean_chain.costs.evaluate import decisions_from_shares, on_hand_stock
>>> from lean_chain.costs.model import build_cost_model
>>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
>>> plan = decisions_from_shares(model, np.array([1.0, 0.0, 1.0, 0.0]))
>>> closed = dataclasses.replace(plan, node_open=np.zeros(1, dtype=bool))
>>> stocking.FAMILY.violations(model, closed, on_hand_stock(model, closed))
['A stocked at closed node BZ', 'B stocked at closed node BZ']
"""

from __future__ import annotations

from lean_chain.costs.constraints import (
    channel,
    containers,
    demand,
    fixed_charge,
    lane_capacity,
    listing,
    node_flow,
    order_band,
    piecewise,
    quota,
    service,
    stocking,
    storage,
)
from lean_chain.costs.constraints.base import ConstraintFamily, RowBuilder

__all__ = ["FAMILIES", "ConstraintFamily", "RowBuilder", "limit_rows"]

#: Every constraint family, in the order its rows enter the MIP.
FAMILIES: tuple[ConstraintFamily, ...] = (
    demand.FAMILY,
    listing.FAMILY,
    channel.FAMILY,
    stocking.FAMILY,
    storage.FAMILY,
    node_flow.ORDERS,
    node_flow.THROUGHPUT,
    service.FAMILY,
    quota.FAMILY,
    containers.FAMILY,
    piecewise.FAMILY,
    fixed_charge.FAMILY,
    order_band.FAMILY,
    lane_capacity.FAMILY,
)


def limit_rows(families: tuple[ConstraintFamily, ...] | None = None) -> dict[str, str]:
    """Row blocks that may give in an elastic re-solve, with the unit of their slack.

    Examples
    --------
    >>> limit_rows()["storage"]
    'm³'
    """
    out: dict[str, str] = {}
    for family in FAMILIES if families is None else families:
        out.update(family.limits)
    return out
