"""What a constraint family is: the record every family module exports, and the
small builder interface its rows are written through.

A family module holds one rule in both of its forms: ``define`` adds the rule's
rows to the MIP (through a :class:`RowBuilder`, which the formulation's problem
builder extends, so the costs stage never imports the formulation), and ``violations`` checks a
plan against the same rule and says in the planner's words what it breaks.
Where the rows have a plan-side meaning, both forms read one helper of the
module (the quantity each pair puts on a row and the row's limit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lean_chain.costs.constraints.findings import bound_explainer

if TYPE_CHECKING:
    from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import CostModel

#: Relative (and absolute) tolerance of a plan check: a plan is over a limit when
#: its use exceeds ``limit * (1 + TOLERANCE) + TOLERANCE``.
TOLERANCE = 1e-6
#: How many violations of one kind a check lists at most (demand, links).
MAX_LISTED = 20


@dataclass
class RowBuilder:
    """Row blocks accumulated as COO triplets: what a family writes its rows through.

    :class:`lean_chain.formulation.build.ProblemBuilder` extends it with the column
    blocks (``col_blocks``, which families read) and emits the sparse problem, so the
    costs stage never imports the formulation.
    """

    col_blocks: dict[str, slice] = field(default_factory=dict)
    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    row_blocks: dict[str, slice] = field(default_factory=dict)
    row_objects: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)
    n_rows: int = 0

    def add_rows(
        self,
        name: str,
        n_rows: int,
        row: np.ndarray,
        col: np.ndarray,
        val: np.ndarray,
        lower: float | np.ndarray,
        upper: float | np.ndarray,
        objects: tuple[str, np.ndarray] | None = None,
    ) -> None:
        """Add ``n_rows`` rows given as local row numbers, global columns and values.

        ``objects`` = ``(kind, ids)`` names what each row is about (see
        :attr:`lean_chain.formulation.problem.MipProblem.row_objects`), for diagnosis
        and sensitivity reports.
        """
        if n_rows == 0:
            return
        if objects is not None:
            kind, ids = objects
            self.row_objects[name] = (kind, np.asarray(ids, dtype=np.int64))
        start = self.n_rows
        self.rows.append(np.asarray(row, dtype=np.int64) + start)
        self.cols.append(np.asarray(col, dtype=np.int64))
        self.vals.append(np.asarray(val, dtype=np.float64))
        self.row_lower.append(
            np.broadcast_to(np.asarray(lower, dtype=np.float64), (n_rows,)).copy()
        )
        self.row_upper.append(
            np.broadcast_to(np.asarray(upper, dtype=np.float64), (n_rows,)).copy()
        )
        self.row_blocks[name] = slice(start, start + n_rows)
        self.n_rows += n_rows


def _no_violations(model: CostModel, decisions: Decisions, on_hand: np.ndarray) -> list[str]:
    return []


@dataclass(frozen=True)
class ConstraintFamily:
    """One rule: how it is written into the MIP and how a plan is checked against it.

    Attributes
    ----------
    name
        The family's name (e.g. ``"storage"``).
    define
        ``define(builder, model)`` adds the family's rows (row blocks named in
        ``rows``) through a :class:`RowBuilder`; it adds nothing where the
        instance has no such rule.
    violations
        ``violations(model, decisions, on_hand)``: what a plan breaks, one
        sentence per broken row or object (empty if the plan keeps the rule).
    rows
        The row blocks ``define`` may add, in order.
    limits
        Row blocks that may give in the infeasibility diagnosis's elastic
        re-solve, with the unit of their slack (``{currency}`` is filled in).
    coupling
        True for rules that couple SKUs (node capacities, service, quotas,
        lanes): the decomposition relaxes them and explanations check them.
    explain_slack
        ``explain_slack(namer, slack)``: what one of its limit rows giving means
        (:class:`~lean_chain.costs.constraints.findings.SlackFinding`), for the
        diagnosis; None: the limit is named by its row block.
    when_full
        Per limit row block that can stop a cheaper path in a plan: (the unit of its
        use, the words for a full row after its object, the limit's name), for the
        explanations (:mod:`lean_chain.explain`).
    """

    name: str
    define: Callable[[RowBuilder, CostModel], None]
    violations: Callable[[CostModel, Decisions, np.ndarray], list[str]] = _no_violations
    rows: tuple[str, ...] = ()
    limits: dict[str, str] = field(default_factory=dict)
    coupling: bool = False
    explain_slack: Callable[[Namer, Slack], SlackFinding] | None = None
    when_full: dict[str, tuple[str, str, str]] = field(default_factory=dict)


def coupling_family(
    name: str,
    define: Callable[[RowBuilder, CostModel], None],
    violations: Callable[[CostModel, Decisions, np.ndarray], list[str]],
    explain_slack: Callable[[Namer, Slack], SlackFinding],
    *,
    unit: str,
    when_full: tuple[str, str, str] | None = None,
    row: str = "",
) -> ConstraintFamily:
    """A rule that couples SKUs: one block of limit rows, named ``row`` (default ``name``).

    The block is the family's only one; it may give in the diagnosis with slack in
    ``unit`` and, with ``when_full``, it can stop a cheaper path in the explanations
    (see :class:`ConstraintFamily`).

    Examples
    --------
    >>> from lean_chain.costs.constraints import quota
    >>> quota.FAMILY.rows, quota.FAMILY.limits, quota.FAMILY.coupling
    (('cbec_quota',), {'cbec_quota': '{currency}'}, True)
    """
    row = row or name
    return ConstraintFamily(
        name=name,
        define=define,
        violations=violations,
        rows=(row,),
        limits={row: unit},
        coupling=True,
        explain_slack=explain_slack,
        when_full={} if when_full is None else {row: when_full},
    )


def weight_band_family(
    name: str,
    define: Callable[[RowBuilder, CostModel], None],
    violations: Callable[[CostModel, Decisions, np.ndarray], list[str]],
    *,
    rows: tuple[str, ...],
    upper: str,
    unit: str,
) -> ConstraintFamily:
    """A tariff's rule that a leg's quantity per shipment lies in one of its weight bands.

    Of the row blocks ``rows``, the bands' upper limits (block ``upper``, slack in
    ``unit``) may give in the diagnosis, which names them the tariff's highest weight band.

    Examples
    --------
    >>> from lean_chain.costs.constraints import order_band
    >>> order_band.FAMILY.limits, order_band.FAMILY.coupling
    ({'band_upper': 'kg per horizon'}, False)
    """
    return ConstraintFamily(
        name=name,
        define=define,
        violations=violations,
        rows=rows,
        limits={upper: unit},
        explain_slack=bound_explainer("highest weight band of the tariff"),
    )


def over_limit(used: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Positions where ``used`` exceeds ``limit`` beyond the check's tolerance."""
    return np.flatnonzero(used > limit * (1 + TOLERANCE) + TOLERANCE)


def group_rows(keys: np.ndarray) -> tuple[int, np.ndarray]:
    """Number of distinct ``keys`` and each key's row (rows in sorted key order)."""
    unique, inverse = np.unique(keys, return_inverse=True)
    return len(unique), inverse.astype(np.int64)


def rows_of(selected: np.ndarray, size: int) -> np.ndarray:
    """Row number of each of ``size`` objects: its position in ``selected``, else -1."""
    row_of = np.full(size, -1, dtype=np.int64)
    row_of[selected] = np.arange(len(selected))
    return row_of


def substituted_stock(model: CostModel) -> np.ndarray:
    """True for pairs whose on-hand stock is priced on the share itself (group has q = 0)."""
    stocked = model.kh_of_pair >= 0
    q = np.zeros(len(stocked))
    q[stocked] = model.kh_min_stock[model.kh_of_pair[stocked]]
    return stocked & (q <= 0)


def stock_groups_with_minimum(model: CostModel) -> np.ndarray:
    """kh groups that get an explicit on-hand stock column."""
    return np.flatnonzero(model.kh_min_stock > 0)


def add_link_rows(b: RowBuilder, name: str, lower: np.ndarray, upper: np.ndarray) -> None:
    """Rows ``column lower[i] <= column upper[i]`` (a share under its binary, a binary
    under another), one per pair of global column indices."""
    n = len(lower)
    b.add_rows(
        name,
        n,
        np.repeat(np.arange(n), 2),
        np.column_stack([lower, upper]).ravel(),
        np.tile([1.0, -1.0], n),
        -np.inf,
        0.0,
    )


def define_node_limit_rows(
    b: RowBuilder, model: CostModel, name: str, use_per_share: np.ndarray, limit: np.ndarray
) -> None:
    """Per stocking node with a limit (not NaN): sum_j use_j x_j - limit_h z_h <= 0.

    ``use_per_share`` is per pair (what its whole share puts through its stocking
    node), ``limit`` per stocking node h; only an open node has capacity.
    """
    nodes = np.flatnonzero(~np.isnan(limit))
    if len(nodes) == 0:
        return
    x0, z0 = b.col_blocks["x"].start, b.col_blocks["z"].start
    stocked = np.flatnonzero(model.h_of_pair >= 0)
    row_of_h = rows_of(nodes, len(model.h_node))
    members = stocked[row_of_h[model.h_of_pair[stocked]] >= 0]
    m = len(nodes)
    b.add_rows(
        name,
        m,
        np.concatenate([row_of_h[model.h_of_pair[members]], np.arange(m)]),
        np.concatenate([x0 + members, z0 + nodes]),
        np.concatenate([use_per_share[members], -limit[nodes]]),
        -np.inf,
        0.0,
        objects=("node", model.h_node[nodes]),
    )


def node_use(model: CostModel, use_per_share: np.ndarray, share: np.ndarray) -> np.ndarray:
    """Per stocking node h: sum of ``use_per_share * share`` over the pairs stocked there."""
    stocked = model.h_of_pair >= 0
    return np.bincount(
        model.h_of_pair[stocked],
        weights=(use_per_share * share)[stocked],
        minlength=len(model.h_node),
    )


def node_capacity(limit: np.ndarray, node_open: np.ndarray) -> np.ndarray:
    """Per stocking node h: its limit if open (no limit: inf), 0 if closed."""
    return np.where(node_open, np.nan_to_num(limit, nan=np.inf), 0.0)
