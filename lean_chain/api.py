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
import time
from pathlib import Path

import numpy as np

from lean_chain.costs.evaluate import Decisions, Evaluation, evaluate_decisions
from lean_chain.costs.model import CostModel, build_cost_model
from lean_chain.errors import InfeasibleError, SelfCheckError
from lean_chain.formulation.build import build_problem
from lean_chain.formulation.problem import MipProblem
from lean_chain.formulation.solution import decode, encode, mip_objective
from lean_chain.io.plan_io import read_decisions, write_run
from lean_chain.model.instance import Instance
from lean_chain.results import Plan, plan_tables
from lean_chain.solvers import DEFAULT_SOLVER, SolveOptions, Status, get_backend

#: Largest relative difference allowed between the MIP objective and the evaluation core.
SELF_CHECK_TOLERANCE = 1e-6


def build(instance: Instance) -> tuple[CostModel, MipProblem]:
    """The cost model and the sparse MIP of ``instance``."""
    model = build_cost_model(instance)
    return model, build_problem(model)


def _relative_difference(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1.0)


def solve(
    instance: Instance,
    *,
    solver: str = DEFAULT_SOLVER,
    time_limit: float | None = None,
    gap: float = 1e-6,
    threads: int | None = None,
    log_file: str | Path | None = None,
    warm_start: Plan | None = None,
    verbose: bool = False,
    lazy_links: bool = False,
) -> Plan:
    """Solve the MIP of ``instance`` and return the plan, checked by the evaluation core.

    Parameters
    ----------
    instance : Instance
        From :func:`lean_chain.load_instance`.
    solver : str
        Backend name, see :func:`lean_chain.solvers.available_solvers`.
    time_limit : float, optional
        Seconds; on reaching it the best plan found is returned with its gap.
    gap : float
        Relative optimality gap at which to stop.
    threads : int, optional
        Solver threads.
    log_file : path, optional
        Where the solver writes its log.
    warm_start : Plan, optional
        A plan of the same instance used as a MIP start.
    verbose : bool
        Print the solver log.
    lazy_links : bool
        Generate the share-to-binary link rows on demand (LP rounds, then MIP
        rounds; exact). Helps the LP bound of large facility-location-like
        models; see :mod:`lean_chain.solvers.lazy`.

    Returns
    -------
    Plan
        ``status`` is ``'optimal'`` or ``'feasible'`` (stopped at a limit).

    Raises
    ------
    InfeasibleError
        No feasible plan exists, or none was found within the limit.
    SelfCheckError
        The evaluation core's total differs from the MIP objective by more
        than 1e-6 relative.
    """
    started = time.perf_counter()
    model, problem = build(instance)
    build_s = time.perf_counter() - started
    start_vector = None
    if warm_start is not None:
        start_vector = encode(problem, model, warm_start.decisions)
    options = SolveOptions(
        time_limit_s=time_limit,
        relative_gap=gap,
        threads=threads,
        log_file=Path(log_file) if log_file else None,
        warm_start=start_vector,
        verbose=verbose,
    )
    backend = get_backend(solver)
    if lazy_links:
        from lean_chain.solvers.lazy import solve_with_lazy_rows

        result = solve_with_lazy_rows(problem, backend, options)
    else:
        result = backend.solve(problem, options)
    if not result.status.has_solution:
        reason = {
            Status.INFEASIBLE: "the model is infeasible",
            Status.UNBOUNDED: "the model is unbounded",
            Status.NO_SOLUTION: "no feasible plan was found within the limits",
        }.get(result.status, f"the solver failed ({result.message})")
        detail = ""
        if result.status is Status.INFEASIBLE:
            detail = "; " + diagnose_infeasibility(problem, solver)
        raise InfeasibleError(f"{instance.name}: {reason}{detail}")
    decisions = decode(problem, model, result.solution)
    objective = mip_objective(problem, model, decisions)
    evaluation = evaluate_decisions(model, decisions)
    difference = _relative_difference(objective, evaluation.objective)
    if difference > SELF_CHECK_TOLERANCE:
        raise SelfCheckError(
            f"evaluation core total {evaluation.objective:.6f} differs from the MIP objective "
            f"{objective:.6f} (relative {difference:.3g})"
        )
    bound = min(result.bound, objective) if np.isfinite(result.bound) else result.bound
    plan_gap = abs(objective - bound) / max(abs(objective), 1e-10) if np.isfinite(bound) else None
    status = "optimal" if result.status is Status.OPTIMAL else "feasible"
    info = {
        "instance": instance.name,
        "solver_objective": result.objective,
        "evaluated_objective": evaluation.objective,
        "self_check_relative_difference": difference,
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
    return Plan(
        status=status,
        objective=objective,
        bound=float(bound),
        gap=plan_gap,
        solver=result.solver,
        wall_s=time.perf_counter() - started,
        decisions=decisions,
        evaluation=evaluation,
        tables=plan_tables(model, decisions, evaluation),
        info=info,
    )


#: Row families that may cause infeasibility, in the order they are tried.
_DIAGNOSED_FAMILIES = (
    "service",
    "cbec_quota",
    "throughput",
    "storage",
    "max_channels",
    "containers",
    "stock_minimum",
)


def diagnose_infeasibility(problem: MipProblem, solver: str, time_limit: float = 60.0) -> str:
    """Name the constraint families that make ``problem`` infeasible.

    Solves the LP relaxation, then the relaxation without each family in turn:
    a family whose removal restores feasibility is reported as binding. If the
    relaxation is feasible, integrality (single sourcing, whole containers,
    open/closed nodes) is what makes the model infeasible.
    """
    backend = get_backend(solver)
    options = SolveOptions(time_limit_s=time_limit)
    if problem.n_rows > 2_000_000:
        return "the model is too large to diagnose by relaxation"
    if backend.solve(problem.relaxed(), options).status.has_solution:
        return (
            "the LP relaxation is feasible: integrality (single sourcing, whole containers, "
            "open/closed nodes, channels per SKU) makes it infeasible"
        )
    culprits = [
        name
        for name in _DIAGNOSED_FAMILIES
        if name in problem.row_blocks
        and backend.solve(problem.without_rows({name}).relaxed(), options).status.has_solution
    ]
    if culprits:
        return "binding constraint family: " + ", ".join(
            f"{name} ({problem.row_blocks[name].stop - problem.row_blocks[name].start} rows)"
            for name in culprits
        )
    families = ", ".join(problem.row_blocks)
    return f"no single constraint family explains it (families: {families})"


def evaluate(
    instance: Instance,
    plan: Plan | str | Path,
    *,
    scenarios: int | None = None,
    seed: int = 0,
    memory_budget_mb: float = 512.0,
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
    model = build_cost_model(instance)
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


def write_plan(plan: Plan, run_dir: str | Path) -> Path:
    """Write ``summary.json`` and ``plan/*.csv`` atomically into ``run_dir``."""
    return write_run(run_dir, plan.summary(), plan.tables)
