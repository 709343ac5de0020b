"""OR-Tools backends: HiGHS and SCIP through OR-Tools' model_builder.

The whole problem is passed at once from arrays with
``ModelBuilderHelper.fill_model_from_sparse_data`` (CSR matrix), so building
costs no Python loop over rows or nonzeros; only integer columns are flagged
one by one. HiGHS is the default: open source, fast on this model's LP
relaxations, and it reports a proven bound. SCIP is the alternative for
cross-checking optima.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lean_chain.solvers.base import Backend, MipProblem, SolveOptions, SolveResult, Status


@contextlib.contextmanager
def _stdout_to(path: Path | None) -> Iterator[None]:
    """Redirect file descriptor 1 (where native solvers print) into ``path``."""
    if path is None:
        yield
        return
    sys.stdout.flush()
    saved = os.dup(1)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


class OrtoolsBackend(Backend):
    """An OR-Tools model_builder solver (``highs`` or ``scip``)."""

    capabilities = frozenset(
        {"integer", "time_limit", "relative_gap", "threads", "warm_start", "log_file"}
    )

    def __init__(self, engine: str):
        self.engine = engine
        self.name = f"ortools-{engine}"

    def _specific_parameters(self, options: SolveOptions) -> str:
        gap = options.relative_gap
        if self.engine == "highs":
            lines = [f"mip_rel_gap={gap:.12g}", "mip_abs_gap=1e-9"]
            if options.threads:
                lines.append(f"threads={options.threads}")
            quiet = not (options.verbose or options.log_file is not None)
            lines.append(f"log_to_console={'false' if quiet else 'true'}")
            return "\n".join(lines)
        lines = [f"limits/gap = {gap:.12g}"]
        if options.threads:
            lines.append(f"parallel/maxnthreads = {options.threads}")
        return "\n".join(lines)

    def solve(self, problem: MipProblem, options: SolveOptions) -> SolveResult:
        try:
            from ortools.linear_solver.python import model_builder_helper as mbh
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from lean_chain.errors import SolverNotAvailableError

            raise SolverNotAvailableError(
                f"solver {self.name!r} needs the 'ortools' package: pip install ortools"
            ) from exc
        start = time.perf_counter()
        model = mbh.ModelBuilderHelper()
        model.fill_model_from_sparse_data(
            problem.col_lower.astype(np.float64),
            problem.col_upper.astype(np.float64),
            problem.objective.astype(np.float64),
            problem.row_lower.astype(np.float64),
            problem.row_upper.astype(np.float64),
            problem.matrix.tocsr().astype(np.float64),
        )
        for column in np.flatnonzero(problem.integrality):
            model.set_var_integrality(int(column), True)
        model.set_objective_offset(float(problem.offset))
        if options.warm_start is not None:
            for column, value in enumerate(np.asarray(options.warm_start, dtype=np.float64)):
                model.add_hint(column, float(value))
        solver = mbh.ModelSolverHelper(self.engine)
        if not solver.solver_is_supported():
            from lean_chain.errors import SolverNotAvailableError

            raise SolverNotAvailableError(f"this OR-Tools build has no {self.engine} solver")
        if options.time_limit_s is not None:
            solver.set_time_limit_in_seconds(float(options.time_limit_s))
        solver.set_solver_specific_parameters(self._specific_parameters(options))
        solver.enable_output(bool(options.verbose or options.log_file is not None))
        # the solvers log from C++ to the process's stdout: send it to the log file
        with _stdout_to(options.log_file):
            solver.solve(model)
        wall = time.perf_counter() - start

        raw = solver.status()
        name = getattr(raw, "name", str(raw))
        has_solution = solver.has_solution()
        if name == "OPTIMAL":
            status = Status.OPTIMAL
        elif name == "INFEASIBLE":
            status = Status.INFEASIBLE
        elif name == "UNBOUNDED":
            status = Status.UNBOUNDED
        elif has_solution:
            status = Status.FEASIBLE
        elif name in ("NOT_SOLVED", "FEASIBLE", "ABNORMAL"):
            status = Status.NO_SOLUTION
        else:
            status = Status.ERROR
        solution = solver.variable_values() if has_solution else None
        objective = solver.objective_value() if has_solution else float("nan")
        bound = solver.best_objective_bound() if has_solution else float("nan")
        if status is Status.OPTIMAL and not np.isfinite(bound):
            bound = objective
        return SolveResult(
            status=status,
            objective=float(objective),
            bound=float(bound),
            solution=None if solution is None else np.asarray(solution, dtype=np.float64),
            wall_s=wall,
            solver=self.name,
            message=f"{name}: {solver.status_string()}",
        )
