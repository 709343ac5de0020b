"""What a limit row that has to give means, in the planner's words.

The infeasibility diagnosis (:mod:`lean_chain.diagnosis`) finds the limit rows
that must give and by how much (a :class:`Slack`); the row's family turns that
into a :class:`SlackFinding` (its limit, what is needed, a sentence, example
SKUs) with its ``explain_slack``, using the names and per-object facts of a
:class:`Namer`. A family without one gets :func:`bound_finding`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lean_chain.costs.model import CostModel

#: How many SKUs a finding names as examples.
EXAMPLES = 5


@dataclass(frozen=True)
class Slack:
    """One limit row that had to give in the elastic re-solve.

    ``block`` is the row block (e.g. ``"storage"``), ``local`` the row within it,
    ``ident`` and ``name`` the object it is about (``MipProblem.row_objects``),
    ``lower``/``upper`` its bounds, ``slack`` how far it gives (in the row's
    units), ``role`` ``"must give"`` or ``"or instead"`` and ``unit`` the unit of
    its slack (the family's ``limits``).
    """

    block: str
    local: int
    ident: int
    name: str
    lower: float
    upper: float
    slack: float
    role: str
    unit: str


@dataclass(frozen=True)
class SlackFinding:
    """A limit that has to give: its value, what is needed, a sentence and example SKUs."""

    limit: float
    needed: float
    unit: str
    message: str
    skus: list[str] = field(default_factory=list)


class Namer:
    """Names and per-object facts for findings, from the cost model."""

    def __init__(self, model: CostModel):
        self.model = model
        inst = model.instance
        self.node_ids = inst.nodes["node_id"].to_numpy(object)
        self.node_kind = inst.nodes["kind"].to_numpy(object)
        self.sku_ids = inst.skus["sku_id"].to_numpy(object)
        self.lane_ids = inst.lanes["lane_id"].to_numpy(object)
        self.currency = str(inst.params["currency"])
        pairs = model.index.pairs
        self.kr_units = np.zeros(len(model.kr_demand_row))
        self.kr_units[model.kr_of_pair] = model.demand_units
        self.kr_sku = np.zeros(len(model.kr_demand_row), dtype=np.int64)
        self.kr_sku[model.kr_of_pair] = pairs.sku
        self.kr_region = np.zeros(len(model.kr_demand_row), dtype=np.int64)
        self.kr_region[model.kr_of_pair] = pairs.region
        self.pairs_per_kr = np.bincount(model.kr_of_pair, minlength=len(model.kr_demand_row))

    def name(self, kind: str, ident: int) -> str:
        """The name of object ``ident`` of ``kind`` (see ``MipProblem.row_objects``)."""
        if kind == "node":
            return str(self.node_ids[ident])
        if kind == "sku":
            return str(self.sku_ids[ident])
        if kind == "lane":
            return str(self.lane_ids[ident])
        if kind == "stock_group":
            m = self.model
            return f"{self.sku_ids[m.kh_sku[ident]]} at {self.node_ids[m.kh_node[ident]]}"
        if kind == "demand_row":
            row = int(ident)
            demand = self.model.instance.demand
            return f"{demand['sku_id'].iloc[row]} in {demand['region_id'].iloc[row]}"
        return f"{kind} {ident}"

    def only_through(self, pair_mask: np.ndarray) -> np.ndarray:
        """Demand rows kr whose every pair is in ``pair_mask``."""
        m = self.model
        inside = (
            np.bincount(m.kr_of_pair[pair_mask], minlength=len(m.kr_demand_row))
            == self.pairs_per_kr
        )
        return np.flatnonzero(inside & (self.pairs_per_kr > 0))

    def top_skus(self, kr: np.ndarray) -> list[str]:
        """The SKUs of demand rows ``kr`` with the most units, most first."""
        if len(kr) == 0:
            return []
        units = np.bincount(self.kr_sku[kr], weights=self.kr_units[kr])
        order = np.argsort(-units, kind="stable")
        order = order[units[order] > 0][:EXAMPLES]
        return [str(s) for s in self.sku_ids[order]]


def bound_finding(gave: Slack, what: str) -> SlackFinding:
    """A limit named ``what`` exceeded by the slack (the row's upper bound, else 0)."""
    bound = gave.upper if np.isfinite(gave.upper) else 0.0
    message = f"{gave.name}: {what} is exceeded by {gave.slack:,.6g} {gave.unit}".strip()
    return SlackFinding(float(bound), float(bound + gave.slack), gave.unit, message)


def bound_explainer(what: str) -> Callable[[Namer, Slack], SlackFinding]:
    """An ``explain_slack`` for a family whose limit is just a bound named ``what``."""

    def explain(namer: Namer, gave: Slack) -> SlackFinding:
        return bound_finding(gave, what)

    explain.__doc__ = f"The {what} exceeded by the slack."
    return explain


def node_limit_finding(
    namer: Namer, gave: Slack, limit: np.ndarray, what: str, unit: str, scale: float = 1.0
) -> SlackFinding:
    """A stocking node's capacity that has to give: ``limit`` per node h in ``unit``, the
    row's slack in ``scale`` times that unit (orders per horizon for orders per day)."""
    model = namer.model
    h = int(np.flatnonzero(model.h_node == gave.ident)[0])
    value = limit[h]
    needed = value + gave.slack / scale
    message = (
        f"{namer.node_kind[gave.ident].replace('_', ' ')} {gave.name}: {what} of "
        f"{value:,.6g} {unit}, but at least {needed:,.6g} {unit} is needed"
    )
    return finding_with_captives(
        namer, value, needed, unit, message, model.h_of_pair == h, "can be served only from there"
    )


def finding_with_captives(
    namer: Namer,
    limit: float,
    needed: float,
    unit: str,
    message: str,
    pairs: np.ndarray,
    how: str,
) -> SlackFinding:
    """A limit that has to give, with the demand rows whose every pair is in ``pairs``.

    Where there are such rows, ``message`` goes on with how many there are and
    ``how`` they depend on the limit, and names their SKUs with the most units.
    """
    only = namer.only_through(pairs)
    skus = namer.top_skus(only)
    if len(only):
        message += f"; {len(only):,} demand rows {how} (most units: {', '.join(skus)})"
    return SlackFinding(float(limit), float(needed), unit, message, skus)
