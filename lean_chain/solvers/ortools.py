"""OR-Tools backends: HiGHS and SCIP through OR-Tools' model_builder.

The whole problem is passed at once from arrays with
``ModelBuilderHelper.fill_model_from_sparse_data`` (CSR matrix), so building
costs no Python loop over rows or nonzeros; only integer columns are flagged
one by one. HiGHS is the default: open source and fast on this model's LP
relaxations (but see :class:`OrtoolsBackend` for what OR-Tools' HiGHS wrapper
loses: plans at a time limit, the bound, MIP starts; the ``highs`` backend
keeps them). SCIP is the alternative for cross-checking optima.
"""

from __future__ import annotations

import time

import numpy as np

from lean_chain.solvers import base

#: model_builder status name -> outcome; any other name: UNKNOWN (a plan, if there is one).
#: "INFEASIBLE" whose status string says "unbounded" is INFEASIBLE_OR_UNBOUNDED (see solve).
STATUS_TABLE = {
    "OPTIMAL": base.Outcome.OPTIMAL,
    "INFEASIBLE": base.Outcome.INFEASIBLE,
    "INFEASIBLE_OR_UNBOUNDED": base.Outcome.INFEASIBLE_OR_UNBOUNDED,
    "UNBOUNDED": base.Outcome.UNBOUNDED,
    "FEASIBLE": base.Outcome.LIMIT,
    "NOT_SOLVED": base.Outcome.LIMIT,
    "ABNORMAL": base.Outcome.LIMIT,
}

_UNSET = object()
#: Thread count of the first ortools-highs solve in this process (None: HiGHS's default).
_HIGHS_POOL: object = _UNSET


class OrtoolsBackend(base.Backend):
    """An OR-Tools model_builder solver (``highs`` or ``scip``).

    OR-Tools' HiGHS wrapper (``HighsSolveProto``) has four gaps that this
    backend works around rather than pass on:

    - it copies the plan only when HiGHS proves optimality: a run stopped by
      the time limit comes back as ``UNKNOWN_STATUS`` with no plan, reported
      here as :attr:`Status.NO_SOLUTION` (the ``highs`` backend returns the plan);
    - it reports the objective as the best bound, even when it stopped at the
      relative gap, so ``ortools-highs`` does not declare ``"bound"``;
    - it writes solution hints through an empty vector and crashes the
      process (segmentation fault, OR-Tools 9.15), so hints are never passed
      to it and ``ortools-highs`` does not declare ``"warm_start"``;
    - its HiGHS keeps one thread pool per process, sized by the first solve,
      and fails any later solve that asks for another size: ``threads`` is
      passed only while it matches that first size (else ignored, with a
      note in the message), so ``ortools-highs`` does not declare ``"threads"``.

    It also reports HiGHS's ``kUnboundedOrInfeasible`` as ``INFEASIBLE``; the
    backend then solves for any feasible point to tell the two apart.
    """

    # OR-Tools runs the search without calling back into Python
    _ALL = base.CAPABILITIES - {base.Capability.PROGRESS, base.Capability.TARGET}
    capabilities = _ALL

    def __init__(self, engine: str):
        self.engine = engine
        self.name = f"ortools-{engine}"
        if engine == "highs":
            self.capabilities = self._ALL - {
                base.Capability.WARM_START,
                base.Capability.BOUND,
                base.Capability.THREADS,
            }

    def _highs_threads(self, options: base.SolveOptions) -> tuple[int | None, str]:
        """The thread count to give OR-Tools' HiGHS, and a note when one is dropped."""
        global _HIGHS_POOL
        wanted = options.threads or None
        if _HIGHS_POOL is _UNSET:
            _HIGHS_POOL = wanted
        if wanted is None or wanted == _HIGHS_POOL:
            return wanted, ""
        size = "its default size" if _HIGHS_POOL is None else f"{_HIGHS_POOL} threads"
        return None, (
            f"threads={wanted} ignored: OR-Tools' HiGHS keeps the thread pool of its first "
            f"solve in this process ({size}); use solver 'highs'"
        )

    def _specific_parameters(self, options: base.SolveOptions) -> str:
        gap = options.relative_gap
        if self.engine == "highs":
            lines = [f"mip_rel_gap={gap:.12g}", "mip_abs_gap=1e-9"]
            threads, _ = self._highs_threads(options)
            if threads:
                lines.append(f"threads={threads}")
            quiet = not (options.verbose or options.log_file is not None)
            lines.append(f"log_to_console={'false' if quiet else 'true'}")
            return "\n".join(lines)
        lines = [f"limits/gap = {gap:.12g}"]
        if options.threads:
            lines.append(f"parallel/maxnthreads = {options.threads}")
        return "\n".join(lines)

    def _model(self, mbh, problem: base.MipProblem, objective: np.ndarray):
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(
            problem.col_lower.astype(np.float64),
            problem.col_upper.astype(np.float64),
            objective.astype(np.float64),
            problem.row_lower.astype(np.float64),
            problem.row_upper.astype(np.float64),
            problem.matrix.tocsr().astype(np.float64),
        )
        for column in np.flatnonzero(problem.integrality):
            model.set_var_integrality(int(column), True)
        return model

    def _solver(self, mbh, options: base.SolveOptions):
        solver = mbh.ModelSolverHelper(self.engine)
        if not solver.solver_is_supported():
            from lean_chain.errors import SolverNotAvailableError

            raise SolverNotAvailableError(f"this OR-Tools build has no {self.engine} solver")
        if options.time_limit_s is not None:
            solver.set_time_limit_in_seconds(float(options.time_limit_s))
        solver.set_solver_specific_parameters(self._specific_parameters(options))
        return solver

    def _has_feasible_point(
        self, mbh, problem: base.MipProblem, options: base.SolveOptions
    ) -> bool | None:
        """Solve with a zero objective: True/False when decided, None otherwise."""
        model = self._model(mbh, problem, np.zeros(problem.n_cols))
        solver = self._solver(mbh, options)
        solver.enable_output(False)
        solver.solve(model)
        name = getattr(solver.status(), "name", str(solver.status()))
        return {"OPTIMAL": True, "INFEASIBLE": False}.get(name)

    def solve(self, problem: base.MipProblem, options: base.SolveOptions) -> base.SolveResult:
        try:
            from ortools.linear_solver.python import model_builder_helper as mbh
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from lean_chain.errors import SolverNotAvailableError

            raise SolverNotAvailableError(
                f"solver {self.name!r} needs the 'ortools' package: pip install ortools"
            ) from exc
        start = time.perf_counter()
        notes: list[str] = []
        model = self._model(mbh, problem, problem.objective)
        model.set_objective_offset(float(problem.offset))
        if options.warm_start is not None:
            if "warm_start" in self.capabilities:
                for column, value in enumerate(np.asarray(options.warm_start, dtype=np.float64)):
                    model.add_hint(column, float(value))
                notes.append(f"MIP start given (hint of {problem.n_cols} values)")
            else:
                notes.append(f"MIP start ignored: {self.name} cannot take one (use solver 'highs')")
        if self.engine == "highs" and options.threads:
            _, note = self._highs_threads(options)
            if note:
                notes.append(note)
        solver = self._solver(mbh, options)
        solver.enable_output(bool(options.verbose or options.log_file is not None))
        # the solvers log from C++ to the process's stdout: send it to the log file
        with base.stdout_to(options.log_file):
            solver.solve(model)

        raw = solver.status()
        name = getattr(raw, "name", str(raw))
        status_string = solver.status_string()
        has_solution = solver.has_solution()
        if name == "INFEASIBLE" and "unbounded" in status_string.lower():
            name = "INFEASIBLE_OR_UNBOUNDED"
        outcome = STATUS_TABLE.get(name, base.Outcome.UNKNOWN)
        if name == "UNKNOWN_STATUS" and self.engine == "highs" and not has_solution:
            # HiGHS stopped on a limit; OR-Tools' wrapper drops any plan found
            outcome = base.Outcome.LIMIT
            notes.append("stopped by a limit; OR-Tools' HiGHS wrapper returns no plan then")
        status, note = base.normalise(
            outcome, has_solution, lambda: self._has_feasible_point(mbh, problem, options)
        )
        if note:
            notes.append(note)
        wall = time.perf_counter() - start
        has_solution = has_solution and status.has_solution
        solution = solver.variable_values() if has_solution else None
        objective = solver.objective_value() if has_solution else float("nan")
        bound = solver.best_objective_bound() if has_solution else float("nan")
        if status is base.Status.OPTIMAL and not np.isfinite(bound):
            bound = objective
        message = f"{name}: {status_string}"
        if notes:
            message += "; " + "; ".join(notes)
        result = base.SolveResult(
            status=status,
            objective=float(objective),
            bound=float(bound),
            solution=None if solution is None else np.asarray(solution, dtype=np.float64),
            wall_s=wall,
            solver=self.name,
            message=message,
        )
        return base.claims_checked(problem, result, options.relative_gap)
