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
always be met once the limits give.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp

from lean_chain.costs.constraints import limit_rows
from lean_chain.costs.model import CostModel, service_targets
from lean_chain.formulation.problem import MipProblem
from lean_chain.index import excluded_options
from lean_chain.solvers import SolveOptions, Status, get_backend

#: Relative slack below this is numerical noise, not a violation.
_TOLERANCE = 1e-6
#: How many SKUs a finding names as examples.
_EXAMPLES = 5


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


class _Namer:
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
        order = order[units[order] > 0][:_EXAMPLES]
        return [str(s) for s in self.sku_ids[order]]


def _finding(
    namer: _Namer, problem: MipProblem, row: int, slack: float, role: str, units: dict[str, str]
) -> Finding:
    model = namer.model
    family, local = _family_of(problem, row)
    kind, ids = problem.row_objects.get(family, ("row", np.arange(row + 1)))
    ident = int(ids[local]) if local < len(ids) else local
    name = namer.name(kind, ident)
    unit = units.get(family, "").format(currency=namer.currency)
    skus: list[str] = []
    if family in ("storage", "throughput", "orders"):
        h = int(np.flatnonzero(model.h_node == ident)[0])
        horizon = float(model.instance.params["horizon_days"])
        limit = {
            "storage": model.h_storage_m3,
            "throughput": model.h_throughput_units,
            "orders": model.h_orders_per_day,
        }[family][h]
        needed = limit + (slack / horizon if family == "orders" else slack)
        unit = "orders per day" if family == "orders" else unit
        what = {"storage": "storage", "throughput": "throughput", "orders": "order capacity"}
        only = namer.only_through(model.h_of_pair == h)
        skus = namer.top_skus(only)
        message = (
            f"{namer.node_kind[ident].replace('_', ' ')} {name}: {what[family]} of "
            f"{limit:,.6g} {unit}, but at least {needed:,.6g} {unit} is needed"
        )
        if len(only):
            message += (
                f"; {len(only):,} demand rows can be served only from there "
                f"(most units: {', '.join(skus)})"
            )
    elif family == "service":
        regions, days, share = service_targets(model)
        r = int(np.flatnonzero(regions == ident)[0])
        total = float(problem.row_lower[row] / share[r]) if share[r] > 0 else 0.0
        limit = float(share[r])
        best = (problem.row_lower[row] - slack) / total if total > 0 else 0.0
        needed = float(best)
        unit = "share of units"
        in_region = namer.kr_region == ident
        promise = model.index.paths.promise_days[model.index.pairs.path]
        fast_pair = (model.index.pairs.region == ident) & (promise <= days[r] + 1e-9)
        has_fast = np.bincount(model.kr_of_pair[fast_pair], minlength=len(namer.kr_units)) > 0
        slow = np.flatnonzero(in_region & ~has_fast)
        reachable = 1.0 - namer.kr_units[slow].sum() / total if total > 0 else 0.0
        message = (
            f"region {name}: the target of {limit:.1%} of units within {days[r]:g} days "
            f"cannot be met; at most {best:.1%} can be"
        )
        if role == "or instead":
            message = (
                f"region {name}: the target of {limit:.1%} of units within {days[r]:g} days "
                f"would have to fall to {best:.1%}"
            )
        elif len(slow):
            skus = namer.top_skus(slow)
            message += f"; only {reachable:.1%} of its units have any path that fast. " + _why_slow(
                namer, slow, days[r]
            )
        else:
            message += "; every SKU has a path that fast, but limits elsewhere block them"
    elif family == "cbec_quota":
        limit = float(problem.row_upper[row])
        needed = limit + slack
        counts = model.instance.channels["counts_toward_cbec_quota"].to_numpy(bool)
        cbec = counts[model.index.pairs.channel] & (model.index.pairs.region == ident)
        only = namer.only_through(cbec)
        skus = namer.top_skus(only)
        message = (
            f"region {name}: the CBEC quota of {limit:,.0f} {unit} (consumers x annual limit "
            f"per person, over the horizon) is below the {needed:,.0f} {unit} of CBEC sales needed"
        )
        if len(only):
            message += (
                f"; {len(only):,} demand rows reach it only through CBEC channels "
                f"(most units: {', '.join(skus)})"
            )
    elif family == "lane_capacity":
        from lean_chain.costs.model import CAPACITY_QUANTITIES

        limit = float(model.cap_limit[local])
        needed = limit + slack
        unit = CAPACITY_QUANTITIES[model.cap_quantity[local]]
        leg = model.cap_leg[local]
        what = f"lane {name}" if leg < 0 else f"service {model.index.legs.key[leg]}"
        on_it = np.zeros(model.n_pairs, dtype=bool)
        on_it[model.cap_pair[model.cap_of == local]] = True
        only = namer.only_through(on_it)
        skus = namer.top_skus(only)
        message = f"{what}: {limit:,.6g} {unit} per horizon, the plan needs {needed:,.6g}"
        if len(only):
            message += (
                f"; {len(only):,} demand rows can only travel it (most units: {', '.join(skus)})"
            )
    elif family == "max_channels":
        limit = float(problem.row_upper[row])
        needed = limit + slack
        skus = [name]
        message = (
            f"SKU {name} may use at most {limit:g} channel(s) but needs {np.ceil(needed - 1e-9):g}: "
            "no allowed set of that many channels reaches all its regions within the limits"
        )
    else:
        bound = problem.row_upper[row] if np.isfinite(problem.row_upper[row]) else 0.0
        limit, needed = float(bound), float(bound + slack)
        what = {
            "stock_minimum": "minimum stock",
            "piece_upper": "highest weight band of the tariff",
            "band_upper": "highest weight band of the tariff",
        }.get(family, family)
        message = f"{name}: {what} is exceeded by {slack:,.6g} {unit}".strip()
    return Finding(family, kind, name, float(limit), float(needed), unit, role, message, skus)


def _why_slow(namer: _Namer, slow_kr: np.ndarray, days: float) -> str:
    """Why the biggest SKUs among ``slow_kr`` have no path within ``days``."""
    model = namer.model
    top = slow_kr[np.argsort(-namer.kr_units[slow_kr], kind="stable")[:_EXAMPLES]]
    rows = model.kr_demand_row[top]
    why = excluded_options(model.index, model.instance, rows, np.full(len(rows), days))
    parts = []
    for kr, row in zip(top, rows, strict=True):
        sku = namer.sku_ids[namer.kr_sku[kr]]
        options = why[why["demand_row"] == row]
        if len(options):
            text = "; ".join(
                f"{o.channel_id} ({o.promise_days:g} days) is excluded: {o.reason}"
                for o in options.drop_duplicates("channel_id").itertuples(index=False)
            )
            parts.append(f"SKU {sku} could arrive in time only through {text}")
        else:
            parts.append(f"SKU {sku} has no path within {days:g} days at all")
    return ". ".join(parts)


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
    namer = _Namer(model)
    findings = [
        _finding(namer, problem, row, slack, "must give", units) for row, slack in needed.items()
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
            _finding(namer, problem, row, slack, "or instead", units)
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
