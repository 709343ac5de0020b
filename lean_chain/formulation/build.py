"""The MIP of ../shared/FORMULATION.md, assembled from arrays into one sparse problem.

:func:`build_problem` runs the ``define_*`` steps in order: the two column
steps here, then the ``define`` of every constraint family of
:data:`lean_chain.costs.constraints.FAMILIES` (one module per family, which
also checks a plan against its rule). Each step adds one family of columns or
rows with a few vectorized calls (no loop over SKUs, paths or regions).
Differences from the reference formulation, all exact:

- On-hand stock I_kh is a column only for (SKU, node) groups with a minimum
  stock (I >= sum of per-pair stock, I >= q s). Where q = 0 the stock is
  substituted: its holding cost and storage use go straight onto the flow
  shares, which keeps the model smaller.
- Pipeline stock holding is linear in the shares and priced per pair at the
  pair's held value.
- Paths that break a hard rule never become columns (see ``lean_chain.index``).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from lean_chain.costs import constraints
from lean_chain.costs.constraints.base import (
    RowBuilder,
    stock_groups_with_minimum,
    substituted_stock,
)
from lean_chain.costs.model import CostModel, piecewise_table
from lean_chain.formulation.problem import MipProblem

__all__ = [
    "COLUMN_STEPS",
    "COUPLING_STEPS",
    "STEPS",
    "ProblemBuilder",
    "build_coupling_problem",
    "build_objective",
    "build_problem",
    "define_decision_columns",
    "define_flow_columns",
    "stock_groups_with_minimum",
    "substituted_stock",
]


@dataclass
class ProblemBuilder(RowBuilder):
    """Accumulates column blocks and the families' COO row blocks (:class:`RowBuilder`),
    then emits a :class:`MipProblem`."""

    objective: list[np.ndarray] = field(default_factory=list)
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    integrality: list[np.ndarray] = field(default_factory=list)
    n_cols: int = 0

    def add_columns(
        self,
        name: str,
        objective: np.ndarray,
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        integer: bool,
    ) -> int:
        """Add a block of columns; returns the index of its first column."""
        n = len(objective)
        start = self.n_cols
        self.objective.append(np.asarray(objective, dtype=np.float64))
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (n,)).copy())
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (n,)).copy())
        self.integrality.append(np.full(n, integer, dtype=bool))
        self.col_blocks[name] = slice(start, start + n)
        self.n_cols += n
        return start

    def build(self) -> MipProblem:
        """The accumulated columns and rows as one :class:`MipProblem`."""

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        matrix = sp.csr_matrix(
            (cat(self.vals, np.float64), (cat(self.rows, np.int64), cat(self.cols, np.int64))),
            shape=(self.n_rows, self.n_cols),
        )
        matrix.sum_duplicates()
        return MipProblem(
            objective=cat(self.objective, np.float64),
            matrix=matrix,
            row_lower=cat(self.row_lower, np.float64),
            row_upper=cat(self.row_upper, np.float64),
            col_lower=cat(self.col_lower, np.float64),
            col_upper=cat(self.col_upper, np.float64),
            integrality=cat(self.integrality, bool),
            col_blocks=dict(self.col_blocks),
            row_blocks=dict(self.row_blocks),
            row_objects=dict(self.row_objects),
        )


def define_flow_columns(b: ProblemBuilder, model: CostModel) -> None:
    """x_j: share of demand row kr served through pair j."""
    sub = substituted_stock(model)
    held = np.zeros(len(sub))
    held[sub] = model.kh_held_value[model.kh_of_pair[sub]]
    objective = (
        model.demand_units * model.unit_cost
        + model.pipeline_holding_per_share
        + np.where(sub, model.holding_factor * held * model.on_hand_per_share, 0.0)
    )
    if model.profit_mode:  # minimise -contribution: each unit sold earns its net price
        objective = objective - model.demand_units * model.pair_net_price
    single = bool(model.instance.params["single_sourcing"])
    b.add_columns("x", objective, 0.0, 1.0, integer=single)


def define_decision_columns(b: ProblemBuilder, model: CostModel) -> None:
    """y_kc channel use, s_kh stocked, I_kh stock (minimum-stock groups), z_h open, n_l containers."""
    b.add_columns("y", model.kc_fixed_cost, 0.0, 1.0, integer=True)
    b.add_columns("s", model.kh_slotting_cost, 0.0, 1.0, integer=True)
    with_min = stock_groups_with_minimum(model)
    b.add_columns(
        "I", model.holding_factor * model.kh_held_value[with_min], 0.0, np.inf, integer=False
    )
    b.add_columns("z", model.h_fixed_cost, 0.0, 1.0, integer=True)
    b.add_columns("n", model.ct_cost, 0.0, np.inf, integer=True)
    b.add_columns("v", model.fx_cost, 0.0, 1.0, integer=True)
    pieces = piecewise_table(model)
    shipments = model.pw_shipments[pieces["leg"].astype(np.int64)]
    b.add_columns("u", shipments * pieces["intercept"], 0.0, 1.0, integer=True)
    b.add_columns("q", pieces["slope"], 0.0, np.inf, integer=False)
    # order bands: the share of each pair on the leg carried in each band, and the band
    cell_units = model.demand_units[model.ob_pair[model.ob_cell_inc]]
    b.add_columns("w", cell_units * model.ob_cell_cost, 0.0, 1.0, integer=False)
    b.add_columns("band", np.zeros(len(model.ob_band_leg)), 0.0, 1.0, integer=True)
    if model.profit_mode:
        # L: SKU listed on a platform (listing fee); O: platform open (its annual fee)
        b.add_columns("L", model.sales.kq_listing_fee, 0.0, 1.0, integer=True)
        b.add_columns("O", model.sales.platform_fee, 0.0, 1.0, integer=True)


#: The column steps, run before any row family.
COLUMN_STEPS = (define_flow_columns, define_decision_columns)


def _build(model: CostModel, families: tuple[constraints.ConstraintFamily, ...]) -> MipProblem:
    builder = ProblemBuilder()
    for step in COLUMN_STEPS:
        step(builder, model)
    for family in families:
        family.define(builder, model)
    return builder.build()


def build_problem(model: CostModel) -> MipProblem:
    """Assemble the MIP of ``model`` as one sparse problem.

    The columns (:data:`COLUMN_STEPS`), then the rows of every constraint
    family of :data:`lean_chain.costs.constraints.FAMILIES`, in order.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> problem = build_problem(build_cost_model(lean_chain.load_instance("tests/data/tiny")))
    >>> problem.n_cols, list(problem.row_blocks)[:2]
    (11, ['demand', 'channel_link'])
    """
    return _build(model, constraints.FAMILIES)


#: The coupling problem of each live cost model: built once for the decomposition's
#: structure and the plan's explanation (seconds at 100k SKUs), read-only, and gone
#: with its model.
_COUPLING: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _read_only(problem: MipProblem) -> MipProblem:
    matrix = problem.matrix
    for array in (
        problem.objective,
        problem.row_lower,
        problem.row_upper,
        problem.col_lower,
        problem.col_upper,
        problem.integrality,
        matrix.data,
        matrix.indices,
        matrix.indptr,
    ):
        array.flags.writeable = False
    return problem


def build_coupling_problem(model: CostModel) -> MipProblem:
    """The MIP's columns with only the rows that couple SKUs.

    Those are the families marked ``coupling`` (node capacities, service, CBEC
    quotas, lanes): the decomposition relaxes them, explanations check them. Built
    once per cost model (kept while the model lives); its arrays are read-only.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> build_coupling_problem(model).n_rows  # tiny has no capacity, service or quota
    0
    >>> build_coupling_problem(model) is build_coupling_problem(model)
    True
    """
    problem = _COUPLING.get(model)
    if problem is None:
        problem = _read_only(_build(model, tuple(f for f in constraints.FAMILIES if f.coupling)))
        _COUPLING[model] = problem
    return problem


def build_objective(model: CostModel) -> MipProblem:
    """The MIP's columns and objective without its rows.

    Enough to price a plan with the MIP's own objective (:func:`encode`) when
    the rows are not needed, as in the decomposition method.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> build_objective(model).n_cols, build_objective(model).n_rows
    (11, 0)
    """
    return _build(model, ())


#: The whole pipeline as plain steps ``step(builder, model)``, in order (the registry
#: at import time; benchmarks time it step by step).
STEPS = (*COLUMN_STEPS, *(family.define for family in constraints.FAMILIES))
#: The same for :func:`build_coupling_problem`.
COUPLING_STEPS = (
    *COLUMN_STEPS,
    *(family.define for family in constraints.FAMILIES if family.coupling),
)
