"""The library surface: build, solve and evaluate.

Examples
--------
>>> import lean_chain
>>> inst = lean_chain.load_instance("tests/data/tiny")
>>> plan = lean_chain.solve(inst)
>>> plan.status
'optimal'
>>> abs(lean_chain.evaluate(inst, plan).objective - plan.objective) < 1e-6 * plan.objective
True
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lean_chain._heap import in_reused_memory
from lean_chain.costs.evaluate import Decisions, Evaluation, evaluate_decisions
from lean_chain.costs.model import CostModel, build_cost_model
from lean_chain.costs.read_plan import read_decisions
from lean_chain.decomposition.facility import apply_node_fixing, node_fixing, why_not_applicable
from lean_chain.diagnosis import diagnose
from lean_chain.errors import InfeasibleError, InstanceError, SelfCheckError
from lean_chain.formulation.build import build_objective, build_problem
from lean_chain.formulation.problem import MipProblem
from lean_chain.formulation.solution import decode, encode, mip_objective
from lean_chain.io.plan_io import write_run
from lean_chain.model.instance import Instance
from lean_chain.results import Plan, plan_tables
from lean_chain.solvers import DEFAULT_SOLVER, SolveOptions, Status, get_backend
from lean_chain.validate import check_plannable

#: Largest relative difference allowed between the MIP objective and the evaluation core.
SELF_CHECK_TOLERANCE = 1e-6


def build(instance: Instance) -> tuple[CostModel, MipProblem]:
    """The cost model and the sparse MIP of ``instance``."""
    model = build_cost_model(instance)
    return model, build_problem(model)


def _relative_difference(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1.0)


#: Methods of :func:`solve`.
METHODS = ("auto", "exact", "decompose")
#: ``method="auto"`` solves the monolithic MIP up to this many (SKU, path) pairs.
AUTO_EXACT_MAX_PAIRS = 40_000
#: ``method="auto"`` decomposes large models only when they have this many SKUs.
AUTO_DECOMPOSE_MIN_SKUS = 50
#: The exact method tries Lagrangian node fixing (facility-location-like models) from
#: this many pairs on; below it HiGHS alone is faster.
NODE_FIXING_MIN_PAIRS = 20_000
#: The exact method starts from a short decomposition run from this many pairs on
#: (a plan and a certified bound; below it the construction heuristic is enough).
WARM_UP_MIN_PAIRS = 5_000

#: progress(phase, elapsed_s, best_objective, best_bound); see :func:`solve`.
ProgressCallback = Callable[[str, float, float, float], None]


def choose_method(method: str, model: CostModel) -> tuple[str, str]:
    """The method to run and why (``auto`` decides by the numbers of pairs and SKUs).

    Both objectives decide alike (in profit mode the decomposition's subproblems may
    leave demand unserved and its bound is an upper bound on profit).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method != "auto":
        return method, "asked for"
    if model.n_pairs <= AUTO_EXACT_MAX_PAIRS:
        return (
            "exact",
            f"{model.n_pairs:,} pairs <= {AUTO_EXACT_MAX_PAIRS:,}: the MIP proves optimality",
        )
    n_skus = len(model.instance.skus)
    if n_skus < AUTO_DECOMPOSE_MIN_SKUS:
        return "exact", (
            f"{n_skus} SKUs: a decomposition by SKU has little to split; the MIP (with "
            "Lagrangian node fixing where it applies)"
        )
    return "decompose", (
        f"{model.n_pairs:,} pairs > {AUTO_EXACT_MAX_PAIRS:,}: the monolithic MIP would not "
        "give a plan in reasonable time"
    )


@in_reused_memory  # pair-sized temporaries reuse freed memory: no fresh pages for each
def solve(
    instance: Instance,
    *,
    method: str = "auto",
    solver: str = DEFAULT_SOLVER,
    time_limit: float | None = None,
    gap: float = 1e-6,
    threads: int | None = None,
    log_file: str | Path | None = None,
    warm_start: Plan | None = None,
    verbose: bool = False,
    lazy_links: bool = False,
    progress: ProgressCallback | None = None,
    sensitivity: bool | None = None,
    objective: str = "cost",
) -> Plan:
    """Plan ``instance`` and return the plan, checked by the evaluation core.

    Parameters
    ----------
    instance : Instance
        From :func:`lean_chain.load_instance`.
    method : {"auto", "exact", "decompose"}
        ``exact`` solves the monolithic MIP, started from the construction
        heuristic's plan; ``decompose`` runs the Lagrangian decomposition by
        SKU (:mod:`lean_chain.decomposition`): a plan within seconds and a
        certified lower bound; ``auto`` picks by size (see
        :data:`AUTO_EXACT_MAX_PAIRS`) and records why in ``plan.info``.
    solver : str
        Backend name for the exact method, see
        :func:`lean_chain.solvers.available_solvers`.
    time_limit : float, optional
        Seconds; on reaching it the best plan found is returned with its gap.
    gap : float
        Relative gap at which to stop.
    threads : int, optional
        Solver threads.
    log_file : path, optional
        Where the solver writes its log.
    warm_start : Plan, optional
        A plan of the same instance used as the MIP start (instead of the
        heuristic's).
    verbose : bool
        Print the solver log.
    lazy_links : bool
        Generate the share-to-binary link rows on demand (LP rounds, then MIP
        rounds; exact). See :mod:`lean_chain.solvers.lazy`.
    progress : callable, optional
        Called as ``progress(phase, elapsed_s, best_objective, best_bound)``
        at every phase and round.
    sensitivity : bool, optional
        Add shadow prices of capacities, service targets and quotas and the value of one
        more promise day per region (:mod:`lean_chain.sensitivity`) to ``plan.info``
        (``summary.json``'s ``"sensitivity"``). Default: on for the exact method up to
        200,000 columns, never for ``decompose`` or profit mode.
    objective : {"cost", "profit"}
        ``cost`` (default) serves all demand at least cost. ``profit`` maximises
        contribution = revenue - commissions and platform fees - landed cost - fixed
        costs: serving a demand row is a choice, and listing a SKU on a platform and
        opening a platform are decisions with their fees. The MIP minimises
        -contribution, so ``plan.objective`` is -profit (``plan.kpis["profit"]`` the
        profit) and ``bound`` a lower bound of -profit (an upper bound on profit).
        Every method: the decomposition's subproblems may leave demand unserved.

    Returns
    -------
    Plan
        ``status`` is ``'optimal'`` (within ``gap``), ``'feasible'``, or
        ``'interrupted'`` (stopped by Ctrl-C: the best plan so far, with its bound);
        ``bound`` is a proven lower bound and ``gap`` the plan's distance to it.

    Raises
    ------
    InstanceError
        The instance has nothing to plan (no demand).
    InfeasibleError
        No feasible plan exists, or none was found within the limit.
    SelfCheckError
        The evaluation core's total differs from the MIP objective by more
        than 1e-6 relative, or the plan breaks a constraint.

    Examples
    --------
    >>> import lean_chain
    >>> plan = lean_chain.solve(lean_chain.load_instance("tests/data/tiny"))
    >>> plan.status, round(plan.objective, 3), plan.info["method"]
    ('optimal', 14420.588, 'exact')
    >>> profit = lean_chain.solve(lean_chain.load_instance("tests/data/tiny"), objective="profit")
    >>> profit.kpis["profit"] >= plan.kpis["profit"]
    True
    """
    started = time.perf_counter()
    nothing_to_plan = check_plannable(instance)
    if nothing_to_plan:
        raise InstanceError(nothing_to_plan)
    model = build_cost_model(instance, objective)
    if model.profit_mode:
        bad_prices = _non_positive_prices(instance)
        if bad_prices:
            raise InstanceError(bad_prices)
        if sensitivity is None:
            sensitivity = False
    chosen, reason = choose_method(method, model)

    def report(phase: str, objective: float = np.inf, bound: float = -np.inf) -> None:
        if progress is not None:
            progress(phase, time.perf_counter() - started, objective, bound)

    report(f"method {chosen} ({reason})")
    if chosen == "decompose":
        from lean_chain.decomposition import solve_decomposed

        def relay(phase: str, _elapsed: float, objective: float, bound: float) -> None:
            report(phase, objective, bound)

        result = solve_decomposed(model, time_limit=time_limit, gap=gap, progress=relay)
        if result.decisions is None:
            raise _infeasible(
                model,
                None,
                solver,
                "the decomposition found no feasible plan; constraints it could not repair: "
                + (", ".join(result.unrepaired) or "unknown"),
            )
        problem = build_objective(model)
        status = "optimal" if result.gap <= gap else "feasible"
        if result.interrupted:
            status = "interrupted"
        details = {
            "rounds": result.iterations,
            "first_plan_s": result.first_plan_s,
            "seconds_to_gap": {
                f"{target:g}": result.seconds_to_gap(target) for target in (0.05, 0.01, 0.005)
            },
            "history": result.history[-20:],
        }
        return _checked_plan(
            instance,
            model,
            problem,
            result.decisions,
            status,
            result.bound,
            "decompose",
            started,
            {
                "method": chosen,
                "method_reason": reason,
                "decomposition": details,
                "options": {"time_limit": time_limit, "gap": gap},
            },
        )

    problem = build_problem(model)
    build_s = time.perf_counter() - started
    if warm_start is not None:
        start = _MipStart(problem, encode(problem, model, warm_start.decisions), "given plan")
    elif model.profit_mode:
        start = _profit_start(model, problem, time_limit, report)
    else:
        start = _mip_start(model, problem, time_limit, gap, report)
    problem = start.problem
    if start.certified is not None:  # the warm-up's bound already proves the asked gap
        info = {
            "method": chosen,
            "method_reason": reason,
            "mip_start": start.note,
            "solver_message": "the decomposition's bound certifies the asked gap: "
            "no branch and bound needed",
            "options": {"time_limit": time_limit, "gap": gap, "threads": threads},
        }
        plan = _checked_plan(
            instance,
            model,
            problem,
            start.certified,
            "optimal",
            start.bound,
            "decompose",
            started,
            info,
        )
        return _with_sensitivity(plan, model, problem, sensitivity)
    start_vector, start_note, lagrangian_bound = start.vector, start.note, start.bound
    remaining = (
        None if time_limit is None else max(time_limit - (time.perf_counter() - started), 1.0)
    )
    options = SolveOptions(
        time_limit_s=remaining,
        relative_gap=gap,
        threads=threads,
        log_file=Path(log_file) if log_file else None,
        warm_start=start_vector,
        verbose=verbose,
        progress=lambda _s, objective, bound: report(
            f"MIP ({solver})", objective, max(bound, lagrangian_bound)
        ),
    )
    backend = get_backend(solver)
    report(f"MIP with {solver}: {problem.n_cols:,} columns x {problem.n_rows:,} rows")
    if lazy_links:
        from lean_chain.solvers.lazy import solve_with_lazy_rows

        result = solve_with_lazy_rows(problem, backend, options)
    else:
        result = backend.solve(problem, options)
    if result.interrupted and not result.status.has_solution:
        raise KeyboardInterrupt  # nothing to keep: the caller writes nothing
    if not result.status.has_solution:
        reason_text = {
            Status.INFEASIBLE: "the model is infeasible",
            Status.UNBOUNDED: "the model is unbounded",
            Status.NO_SOLUTION: "no feasible plan was found within the limits",
        }.get(result.status, f"the solver failed ({result.message})")
        if result.status is Status.INFEASIBLE:
            raise _infeasible(model, problem, solver, reason_text)
        raise InfeasibleError(f"{instance.name}: {reason_text}")
    decisions = decode(problem, model, result.solution)
    status = "optimal" if result.status is Status.OPTIMAL else "feasible"
    if result.interrupted:
        status = "interrupted"
    info = {
        "method": chosen,
        "method_reason": reason,
        "mip_start": start_note,
        "solver_objective": result.objective,
        "build_s": build_s,
        "solve_s": result.wall_s,
        "solver_message": result.message,
        "model_size": {
            "columns": problem.n_cols,
            "rows": problem.n_rows,
            "nonzeros": int(problem.matrix.nnz),
            "integer_columns": int(problem.integrality.sum()),
            "pairs": model.n_pairs,
            "paths": len(model.index.paths),
        },
        "options": {"time_limit": time_limit, "gap": gap, "threads": threads},
    }
    bound = max(result.bound, lagrangian_bound) if np.isfinite(result.bound) else lagrangian_bound
    plan = _checked_plan(
        instance, model, problem, decisions, status, bound, result.solver, started, info
    )
    return _with_sensitivity(plan, model, problem, sensitivity)


def _with_sensitivity(
    plan: Plan, model: CostModel, problem: MipProblem, enabled: bool | None
) -> Plan:
    """``plan`` with its sensitivity report in ``info`` (exact method; see :func:`solve`)."""
    from lean_chain.sensitivity import DEFAULT_MAX_COLUMNS, shadow_prices

    if enabled is None:
        enabled = problem.n_cols <= DEFAULT_MAX_COLUMNS and plan.status != "interrupted"
    if not enabled:
        return plan
    try:
        report = shadow_prices(model, plan.decisions)
    except KeyboardInterrupt:  # the plan is complete: keep it, without its sensitivity
        report = {"available": False, "reason": "interrupted while it was computed"}
    except Exception as exc:  # an extra must never cost the plan
        report = {"available": False, "reason": f"it could not be computed: {exc!r}"}
    return dataclasses.replace(plan, info={**plan.info, "sensitivity": report})


@dataclasses.dataclass(frozen=True)
class _MipStart:
    """The exact method's problem (possibly with nodes fixed), MIP start and extra bound."""

    problem: MipProblem
    vector: np.ndarray | None
    note: str
    bound: float = -np.inf  # a valid lower bound from the start's own method
    certified: Decisions | None = None  # a plan whose bound already meets the asked gap


def _mip_start(
    model: CostModel,
    problem: MipProblem,
    time_limit: float | None,
    gap: float,
    report: Callable[..., None],
) -> _MipStart:
    """Start the exact method by the model's kind and size.

    Facility-location-like models (from :data:`NODE_FIXING_MIN_PAIRS`): Lagrangian node
    fixing, its plan and bound. Small models: the construction heuristic. Others: a
    short decomposition run, whose bound may already certify the asked gap.
    """
    from lean_chain.decomposition import heuristic_plan, solve_decomposed

    if model.n_pairs >= NODE_FIXING_MIN_PAIRS and not why_not_applicable(model):
        fixing = node_fixing(
            model, math.inf, time_limit=None if time_limit is None else 0.25 * time_limit
        )
        fixed = apply_node_fixing(problem, fixing)
        report("node fixing", fixing.upper_bound, fixing.bound)
        note = (
            f"Lagrangian node fixing: {int(fixing.fixed_closed.sum())} nodes closed, "
            f"{int(fixing.fixed_open.sum())} open, bound {fixing.bound:,.2f}, "
            f"{fixing.seconds:.1f} s"
        )
        vector = None if fixing.decisions is None else encode(fixed, model, fixing.decisions)
        return _MipStart(fixed, vector, note, fixing.bound)
    if model.n_pairs < WARM_UP_MIN_PAIRS:
        plan = heuristic_plan(model, time_limit=None if time_limit is None else time_limit / 4)
        if not plan.feasible:
            note = "construction heuristic found no feasible plan: " + "; ".join(
                plan.violations[:3]
            )
            return _MipStart(problem, None, note)
        report("heuristic plan", plan.objective)
        note = f"construction heuristic ({plan.objective:,.2f})"
        return _MipStart(problem, encode(problem, model, plan.decisions), note)
    # 1 s per 10,000 pairs: on cn_import (35 k pairs) 2.5 s gave 15.8 s at 0.5 % and 48.8 s
    # at 0.1 %, 1 s gave 8.8 s and 39.9 s: HiGHS closes the last gap faster than the rounds
    warm_up_s = float(np.clip(1.0 * model.n_pairs / 10_000, 2.0, 30.0))
    if time_limit is not None:
        warm_up_s = min(warm_up_s, 0.25 * time_limit)

    def relay(phase: str, _elapsed: float, objective: float, bound: float) -> None:
        report(f"warm-up: {phase}", objective, bound)

    # most of the warm-up goes to re-optimizing the shares: the better the MIP start, the
    # sooner HiGHS proves the gap
    warm = solve_decomposed(
        model, time_limit=warm_up_s, gap=gap, progress=relay, reoptimize_share=0.7
    )
    if warm.decisions is None:
        return _MipStart(problem, None, "decomposition warm-up found no feasible plan")
    note = f"decomposition plan ({warm.objective:,.2f}, certified gap {warm.gap:.3%})"
    certified = warm.decisions if warm.gap <= gap else None
    vector = encode(problem, model, warm.decisions)
    return _MipStart(problem, vector, note, warm.bound, certified)


def _non_positive_prices(instance: Instance) -> list:
    """Profit mode: every demand row with units needs a positive price (file, row, column)."""
    from lean_chain.errors import Issue

    price = instance.row_prices()
    bad = np.flatnonzero((instance.demand["units"].to_numpy(np.float64) > 0) & ~(price > 0))
    own = instance.demand["price"].to_numpy(np.float64) if "price" in instance.demand else None
    sku_rows = dict(zip(instance.skus["sku_id"], range(len(instance.skus)), strict=True))
    issues = []
    for row in bad[:50]:
        if own is not None and not np.isnan(own[row]):
            issues.append(Issue("demand.csv", int(row) + 2, "price", f"{price[row]:g}", "> 0"))
        else:
            sku = instance.demand["sku_id"].iloc[row]
            issues.append(
                Issue(
                    "skus.csv",
                    sku_rows[sku] + 2,
                    "retail_price",
                    f"{price[row]:g}",
                    "> 0 in profit mode (or a price in demand.csv)",
                )
            )
    return issues


def _profit_start(
    model: CostModel, problem: MipProblem, time_limit: float | None, report: Callable[..., None]
) -> _MipStart:
    """Profit mode's MIP start: the best of selling nothing (always feasible, profit 0), a
    cost-mode plan (the construction heuristic's, or a short decomposition run's on larger
    models; every cost-mode plan is feasible in profit mode) and that plan without the
    demand rows that lose money at the margin (kept only when still feasible)."""
    from lean_chain.costs.evaluate import decisions_from_shares
    from lean_chain.decomposition import heuristic_plan, solve_decomposed

    served: Decisions | None = None
    candidates: list[tuple[Decisions, str]] = []
    if model.n_pairs < WARM_UP_MIN_PAIRS:
        cost_model = build_cost_model(model.instance)
        plan = heuristic_plan(cost_model, time_limit=None if time_limit is None else time_limit / 4)
        served, source = (plan.decisions if plan.feasible else None), "construction heuristic"
    else:
        warm_up_s = float(np.clip(1.0 * model.n_pairs / 10_000, 1.0, 30.0))
        if time_limit is not None:
            warm_up_s = min(warm_up_s, 0.25 * time_limit)
        warm = solve_decomposed(model, time_limit=warm_up_s, gap=0.0, reoptimize_share=0.7)
        if warm.decisions is not None:
            candidates.append((warm.decisions, "profit-mode decomposition plan"))
        served, source = None, ""
    best = _MipStart(problem, np.zeros(problem.n_cols), "selling nothing (profit 0)")
    best_value = 0.0
    if served is not None:
        x = problem.col_blocks["x"]
        loss = np.bincount(
            model.kr_of_pair,
            weights=problem.objective[x] * served.share,
            minlength=len(model.kr_demand_row),
        )
        keep = np.where(loss[model.kr_of_pair] > 0, 0.0, served.share)
        candidates += [
            (served, source),
            (decisions_from_shares(model, keep), f"{source}, losing rows dropped"),
        ]
    for decisions, note in candidates:
        evaluation = evaluate_decisions(model, decisions)
        if not evaluation.violations and evaluation.objective < best_value:
            best_value = evaluation.objective
            best = _MipStart(
                problem, encode(problem, model, decisions), f"{note} (profit {-best_value:,.2f})"
            )
    report("profit start", best_value)
    return best


def _checked_plan(
    instance: Instance,
    model: CostModel,
    problem: MipProblem,
    decisions: Decisions,
    status: str,
    bound: float,
    solver: str,
    started: float,
    info: dict,
) -> Plan:
    """Price ``decisions`` with the MIP objective and the evaluation core; they must agree."""
    objective = mip_objective(problem, model, decisions)
    evaluation = evaluate_decisions(model, decisions)
    difference = _relative_difference(objective, evaluation.objective)
    if difference > SELF_CHECK_TOLERANCE:
        raise SelfCheckError(
            f"evaluation core total {evaluation.objective:.6f} differs from the MIP objective "
            f"{objective:.6f} (relative {difference:.3g})"
        )
    if evaluation.violations:
        raise SelfCheckError("the plan breaks constraints: " + "; ".join(evaluation.violations[:5]))
    bound = min(bound, objective) if np.isfinite(bound) else bound
    plan_gap = abs(objective - bound) / max(abs(objective), 1e-10) if np.isfinite(bound) else None
    asked_gap = info.get("options", {}).get("gap")
    if status == "feasible" and None not in (plan_gap, asked_gap) and plan_gap <= asked_gap:
        # a limit stopped the search after its plan had met the asked gap (HiGHS checks the
        # gap between its heuristics, and the time limit can come first): optimal, by the
        # rule every method reports by (docs/model.md, "Reporting")
        status = "optimal"
        info = {**info, "status_note": "stopped at a limit, already within the asked gap"}
    info = {
        "instance": instance.name,
        # where the report (lean_chain.report) finds the instance again
        "instance_path": str(instance.source.resolve()) if instance.source else None,
        # the date whose rules priced the plan (lean_chain.model.dates)
        "as_of": instance.params.get("as_of"),
        # what the objective is: "cost", or "profit" (objective = -contribution)
        "objective_mode": model.objective,
        "evaluated_objective": evaluation.objective,
        "self_check_relative_difference": difference,
        **info,
    }
    info.setdefault("model_size", {"pairs": model.n_pairs, "paths": len(model.index.paths)})
    return Plan(
        status=status,
        objective=objective,
        bound=float(bound),
        gap=plan_gap,
        solver=solver,
        wall_s=time.perf_counter() - started,
        decisions=decisions,
        evaluation=evaluation,
        tables=_with_alternatives(
            plan_tables(model, decisions, evaluation), model, decisions, status, plan_gap, info
        ),
        info=info,
        streamed=_streamed_alternatives(model, decisions, status, plan_gap, info),
    )


#: Plans of the exact method with at most this many pairs get LP break-evens in their
#: alternatives (:func:`lean_chain.explain.lp_unit_falls`: one more LP solve).
ALTERNATIVES_LP_MAX_PAIRS = 50_000
#: Plans with more candidate rows than this keep no alternatives table: it is written
#: to ``plan/alternatives.csv`` a block at a time (``Plan.streamed``), as the whole
#: table (gigabytes at 100k SKUs) would raise the process's peak memory, and computing
#: and writing it in blocks is faster than the table then its CSV (bench_explain: 10k
#: SKUs, 842k rows, 3.9 s against 1.9 + 2.6 s).
ALTERNATIVES_TABLE_MAX_ROWS = 500_000


def _alternatives_rows(model: CostModel) -> int:
    return model.n_pairs + len(model.index.pairs.excluded_path)


def _streamed_alternatives(
    model: CostModel, decisions: Decisions, status: str, gap, info: dict
) -> dict:
    """``{"alternatives": writer}`` for a plan too large to hold its alternatives."""
    rows = _alternatives_rows(model)
    if rows <= ALTERNATIVES_TABLE_MAX_ROWS:
        return {}
    from lean_chain.explain import DeferredAlternatives

    info["alternatives"] = (
        f"{rows:,} rows: written to plan/alternatives.csv a block at a time, not held"
    )
    return {"alternatives": DeferredAlternatives(model, decisions, status=status, gap=gap)}


def _with_alternatives(
    tables: dict, model: CostModel, decisions: Decisions, status: str, gap, info: dict
) -> dict:
    """``tables`` plus ``alternatives`` (:mod:`lean_chain.explain`); an extra that fails
    never costs the plan: the reason goes to ``info["alternatives"]`` instead."""
    from lean_chain.explain import alternatives

    if _alternatives_rows(model) > ALTERNATIVES_TABLE_MAX_ROWS:
        return tables  # streamed when written (_streamed_alternatives)
    try:
        # LP break-evens where the fixed-integer LP is cheap: exact method, modest size
        lp = info.get("method") == "exact" and model.n_pairs <= ALTERNATIVES_LP_MAX_PAIRS
        table = alternatives(model, decisions, status=status, gap=gap, lp=lp)
        return {**tables, "alternatives": table}
    except KeyboardInterrupt:
        info["alternatives"] = "not computed: interrupted"
    except Exception as exc:  # an extra must never cost the plan
        info["alternatives"] = f"not computed: {exc!r}"
    return tables


#: Largest model (columns) that an infeasible solve is diagnosed on (an elastic LP).
DIAGNOSIS_MAX_COLUMNS = 3_000_000


def _infeasible(
    model: CostModel, problem: MipProblem | None, solver: str, reason: str
) -> InfeasibleError:
    """The error for a model without a plan, with its diagnosis where one is affordable."""
    name = model.instance.name
    if problem is None:
        problem = build_problem(model)
    if problem.n_cols > DIAGNOSIS_MAX_COLUMNS:
        return InfeasibleError(f"{name}: {reason}; the model is too large to diagnose")
    diagnosis = diagnose(model, problem, solver)
    return InfeasibleError(f"{name}: {reason}; {diagnosis.summary}", diagnosis.to_dict())


def evaluate(
    instance: Instance,
    plan: Plan | str | Path,
    *,
    scenarios: int | None = None,
    seed: int = 0,
    memory_budget_mb: float = 512.0,
    objective: str | None = None,
) -> Evaluation:
    """Price ``plan`` (a :class:`Plan` or a run folder) with the evaluation core.

    Reads only the instance and the plan's quantities; never a solver's
    objective or cost vector. With ``scenarios``, also evaluates the plan under
    that many random demand and lead-time scenarios (``Evaluation.monte_carlo``:
    expected and p5/p50/p95 cost, fill rate and stock-outs per stocking node,
    share within service days); the same seed gives the same numbers.

    Examples
    --------
    >>> import lean_chain
    >>> inst = lean_chain.load_instance("tests/data/tiny")
    >>> result = lean_chain.evaluate(inst, lean_chain.solve(inst), scenarios=20, seed=7)
    >>> sorted(result.monte_carlo)[:3]
    ['cost_p5', 'cost_p50', 'cost_p95']
    """
    if objective is None:
        objective = _plan_objective(plan)
    model = build_cost_model(instance, objective)
    if isinstance(plan, Plan):
        decisions: Decisions = plan.decisions
    else:
        decisions = read_decisions(model, plan)
    evaluation = evaluate_decisions(model, decisions)
    if scenarios:
        from lean_chain.costs.montecarlo import simulate

        result = simulate(
            model, decisions, scenarios=scenarios, seed=seed, memory_budget_mb=memory_budget_mb
        )
        evaluation = dataclasses.replace(evaluation, monte_carlo=result.to_dict())
    return evaluation


def _plan_objective(plan: Plan | str | Path) -> str:
    """The objective a plan was solved for (``summary.json`` ``objective`` key), else cost."""
    if isinstance(plan, Plan):
        return "profit" if plan.info.get("objective_mode") == "profit" else "cost"
    import json

    try:
        summary = json.loads((Path(plan) / "summary.json").read_text())
    except (OSError, ValueError):
        return "cost"
    return "profit" if summary.get("objective_mode") == "profit" else "cost"


def write_plan(plan: Plan, run_dir: str | Path, *, force: bool = False) -> Path:
    """Write ``summary.json`` and ``plan/*.csv`` atomically into ``run_dir``.

    ``run_dir`` must be new or an empty folder; ``force=True`` also replaces a
    previous run. Anything else (a file, a folder that is not a run) raises
    :class:`~lean_chain.errors.OutputPathError` and is left untouched.
    """
    return write_run(run_dir, plan.summary(), plan.tables, force=force, streamed=plan.streamed)
