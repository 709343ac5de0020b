"""Why an instance has no plan, in a planner's words.

When the MIP is infeasible, :func:`diagnose` finds a small set of rules that
cannot all hold and names the SKUs, regions, nodes and lanes they are about.

Method (an *elastic* re-solve, with any backend):

1. Every row of a limit family (storage, orders, throughput, service, CBEC
   quota, channels per SKU, minimum stock, weight bands, lane capacities: the
   row blocks each constraint family of :data:`lean_chain.costs.constraints.FAMILIES`
   marks in its ``limits``, with the unit of their slack) gets a slack column,
   priced at 1 / the row's scale, so that a slack is a relative violation.
   The LP relaxation of that problem minimises total relative slack: the rows
   with slack are the ones that *must give* (and by how much). If the
   relaxation needs no slack, the same is done with integrality kept (whole
   nodes, channels and single sourcing are what conflict).
2. The rows that had to give are then made hard and the re-solve repeated:
   the rows that give *instead* are the other side of the conflict (a
   capacity that the service target needs, say). If nothing can give
   instead, the conflict is with the hard rules that removed paths (positive
   list, promise days, order-value cap...), which are named per SKU from
   :func:`lean_chain.index.excluded_options`.

Demand rows (every unit served) and the linking rows stay hard: they can
always be met once the limits give. What a limit row giving means is said by
its family (``explain_slack`` of its
:class:`~lean_chain.costs.constraints.base.ConstraintFamily`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from lean_chain.costs import constraints
from lean_chain.costs.constraints import limit_rows
from lean_chain.costs.constraints.findings import Namer, Slack, SlackFinding, bound_finding
from lean_chain.costs.model import CostModel
from lean_chain.formulation.problem import MipProblem
from lean_chain.solvers import SolveOptions, Status, get_backend

#: Relative slack below this is numerical noise, not a violation.
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Finding:
    """One rule that has to give: what it is about, its limit and what is needed."""

    rule: str  # the row family, e.g. "storage"
    about: str  # "node", "sku", "lane", "stock_group"
    object_id: str
    limit: float
    needed: float
    unit: str
    role: str  # "must give" or "or instead"
    message: str
    skus: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Diagnosis:
    """The outcome of :func:`diagnose`: a summary sentence and its findings."""

    summary: str
    method: str
    findings: list[Finding]

    def to_dict(self) -> dict:
        return {
            "status": "infeasible",
            "summary": self.summary,
            "method": self.method,
            "findings": [asdict(f) for f in self.findings],
        }


def _elastic(problem: MipProblem, soft: np.ndarray, integer: bool) -> tuple[MipProblem, np.ndarray]:
    """``problem`` with a slack column per finite bound of each ``soft`` row.

    Returns the elastic problem (objective: total relative slack) and, per
    slack column, the row it relaxes.
    """
    rows = np.flatnonzero(soft)
    upper = rows[np.isfinite(problem.row_upper[rows])]
    lower = rows[np.isfinite(problem.row_lower[rows])]
    relaxed = np.concatenate([upper, lower])
    scale = np.maximum(
        np.abs(problem.matrix[relaxed]).max(axis=1).toarray().ravel(),
        np.concatenate([np.abs(problem.row_upper[upper]), np.abs(problem.row_lower[lower])]),
    )
    scale = np.maximum(scale, 1.0)
    n = len(relaxed)
    extra = sp.csr_matrix(
        (
            np.concatenate([-np.ones(len(upper)), np.ones(len(lower))]),
            (relaxed, np.arange(n)),
        ),
        shape=(problem.n_rows, n),
    )
    elastic = MipProblem(
        objective=np.concatenate([np.zeros(problem.n_cols), 1.0 / scale]),
        matrix=sp.hstack([problem.matrix, extra], format="csr"),
        row_lower=problem.row_lower,
        row_upper=problem.row_upper,
        col_lower=np.concatenate([problem.col_lower, np.zeros(n)]),
        col_upper=np.concatenate([problem.col_upper, np.full(n, np.inf)]),
        integrality=np.concatenate(
            [problem.integrality if integer else np.zeros(problem.n_cols, bool), np.zeros(n, bool)]
        ),
        row_blocks=problem.row_blocks,
        row_objects=problem.row_objects,
    )
    return elastic, relaxed


class _Undecided(Exception):
    """The elastic re-solve stopped without an answer (a time limit)."""


def _violations(
    problem: MipProblem, soft: np.ndarray, integer: bool, solver: str, time_limit: float
) -> dict[int, float] | None:
    """Row -> slack needed, from the elastic re-solve; None if even that is infeasible.

    Raises :class:`_Undecided` when the re-solve stops (time limit) without an answer.
    """
    elastic, relaxed = _elastic(problem, soft, integer)
    result = get_backend(solver).solve(
        elastic, SolveOptions(time_limit_s=time_limit, relative_gap=1e-4)
    )
    if result.status is Status.INFEASIBLE:
        return None
    if not result.status.has_solution:
        raise _Undecided(f"{result.status.value} after {result.wall_s:.0f} s ({result.message})")
    slack = result.solution[problem.n_cols :]
    weight = elastic.objective[problem.n_cols :]
    needed = {}
    over = slack * weight > _TOLERANCE
    for row, value in zip(relaxed[over], slack[over], strict=True):
        needed[int(row)] = needed.get(int(row), 0.0) + float(value)
    return needed


def _family_of(problem: MipProblem, row: int) -> tuple[str, int]:
    for name, rows in problem.row_blocks.items():
        if rows.start <= row < rows.stop:
            return name, row - rows.start
    raise KeyError(row)


def _explainers() -> dict[str, Callable[[Namer, Slack], SlackFinding]]:
    """Per limit row block, how its family says what the block giving means."""
    out: dict[str, Callable[[Namer, Slack], SlackFinding]] = {}
    for family in constraints.FAMILIES:
        for block in family.limits:
            if family.explain_slack is not None:
                out[block] = family.explain_slack
    return out


def _finding(
    namer: Namer,
    problem: MipProblem,
    row: int,
    slack: float,
    role: str,
    units: dict[str, str],
    explainers: dict[str, Callable[[Namer, Slack], SlackFinding]],
) -> Finding:
    block, local = _family_of(problem, row)
    kind, ids = problem.row_objects.get(block, ("row", np.arange(row + 1)))
    ident = int(ids[local]) if local < len(ids) else local
    name = namer.name(kind, ident)
    unit = units.get(block, "").format(currency=namer.currency)
    gave = Slack(
        block,
        local,
        ident,
        name,
        float(problem.row_lower[row]),
        float(problem.row_upper[row]),
        float(slack),
        role,
        unit,
    )
    explain = explainers.get(block)
    found = explain(namer, gave) if explain is not None else bound_finding(gave, block)
    return Finding(
        block,
        kind,
        name,
        float(found.limit),
        float(found.needed),
        found.unit,
        role,
        found.message,
        list(found.skus),
    )


def diagnose(
    model: CostModel, problem: MipProblem, solver: str = "highs", time_limit: float = 60.0
) -> Diagnosis:
    """Find rules that cannot all hold, and say what they are about.

    Examples
    --------
    >>> import lean_chain
    >>> from lean_chain.costs.model import build_cost_model
    >>> from lean_chain.formulation.build import build_problem
    >>> model = build_cost_model(lean_chain.load_instance("tests/data/tiny"))
    >>> diagnose(model, build_problem(model)).findings  # feasible: nothing must give
    []
    """
    units = limit_rows()
    limits = problem.family_mask(tuple(units))
    method = "elastic LP relaxation (a slack per limit row, minimal total relative slack)"
    try:
        needed = _violations(problem, limits, False, solver, time_limit)
        if needed == {}:
            method = "elastic MIP (integrality kept: whole nodes, channels, single sourcing)"
            needed = _violations(problem, limits, True, solver, time_limit)
    except _Undecided as exc:
        return Diagnosis(f"the diagnosis did not finish: the {method} stopped, {exc}", method, [])
    if needed is None:
        return Diagnosis(
            "no plan: the elastic re-solve found no plan either, so the conflict is among "
            "the hard rules themselves (every unit served, one path per order)",
            method,
            [],
        )
    namer = Namer(model)
    explainers = _explainers()
    findings = [
        _finding(namer, problem, row, slack, "must give", units, explainers)
        for row, slack in needed.items()
    ]
    if not findings:
        return Diagnosis("every rule can hold: no conflict found", method, [])
    pinned = limits.copy()
    pinned[list(needed)] = False
    try:
        instead = _violations(problem, pinned, method.startswith("elastic MIP"), solver, time_limit)
    except _Undecided:
        instead = {}  # what could give instead is unknown: only the rules that must give
    if instead:
        findings += [
            _finding(namer, problem, row, slack, "or instead", units, explainers)
            for row, slack in instead.items()
        ]
    summary = "no plan meets every rule. Must give: " + " | ".join(
        f.message for f in findings if f.role == "must give"
    )
    if instead:
        summary += ". Or instead: " + " | ".join(
            f.message for f in findings if f.role == "or instead"
        )
    elif instead is None:
        summary += (
            ". Nothing else can give instead: the hard rules (positive list, promise days, "
            "order-value caps, node eligibility) leave no other way"
        )
    return Diagnosis(summary, method, findings)
