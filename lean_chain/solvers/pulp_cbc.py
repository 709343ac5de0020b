"""CBC backend through PuLP's bundled CBC binary (``pulp.PULP_CBC_CMD``).

PuLP models are Python objects, so building loops over rows (each row's
expression is made at once from the CSR slice with ``LpAffineExpression``).
PuLP writes an MPS file and runs the ``cbc`` executable shipped inside the
``pulp`` wheel; pyproject pins ``pulp>=2.8,<3.3.1``: 4.0 drops the bundled
CBC, and 3.3.1+ loads highspy with RTLD_GLOBAL on import, which breaks
OR-Tools' HiGHS later in the same process (see ``base.load_first``).

What CBC tells PuLP, and what this backend makes of it:

- the solution file has the status and the values, printed to 8 significant
  digits (continuous values are off by up to ~1e-8 relative); the objective
  is recomputed from those values;
- the best bound is not in it: CBC always writes its log here (to
  ``log_file``, or a temporary file) and the bound is read from the log's
  ``Lower bound:`` line (also 8 digits, capped at the objective). Without
  that line (pure LPs, runs stopped early) the bound is the objective when
  optimal, else ``nan``;
- a time limit that runs out in CBC's pre-processing makes it say
  "infeasible" (even with a feasible MIP start): an infeasible status from a
  run that reached its time limit is reported as ``NO_SOLUTION``.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from lean_chain.solvers import base

#: PuLP's solution status (when it reports a plan) or run status -> outcome.
STATUS_TABLE = {
    "Optimal Solution Found": base.Outcome.OPTIMAL,
    "Solution Found": base.Outcome.LIMIT,  # stopped by a limit with a plan
    "Infeasible": base.Outcome.INFEASIBLE,
    "Unbounded": base.Outcome.UNBOUNDED,
    "Not Solved": base.Outcome.LIMIT,  # stopped by a limit before any plan
}

_LOWER_BOUND = re.compile(r"^Lower bound:\s+(\S+)", re.MULTILINE)
_RESULT = re.compile(r"^Result - (.+)$", re.MULTILINE)
_MIPSTART = re.compile(r"^.*MIPStart.*$", re.MULTILINE)  # what CBC made of the start


def _import_pulp():
    base.load_first()  # PuLP 3.3.1+ loads highspy RTLD_GLOBAL: OR-Tools first
    try:
        import pulp
    except ImportError as exc:
        from lean_chain.errors import SolverNotAvailableError

        raise SolverNotAvailableError(
            "solver 'cbc' needs the 'pulp' package (which bundles CBC): "
            "pip install 'pulp>=2.8,<3.3.1'"
        ) from exc
    return pulp


def _cbc_command(pulp, **kwargs):
    """PuLP's bundled CBC, else a ``cbc`` found on the PATH; raises if neither runs."""
    with warnings.catch_warnings():
        # later PuLP 3.x releases warn that PULP_CBC_CMD goes away in 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        bundled = getattr(pulp, "PULP_CBC_CMD", None)
        if bundled is not None:
            command = bundled(**kwargs)
            if command.available():
                return command
        command = pulp.COIN_CMD(**kwargs)
        if command.available():
            return command
    from lean_chain.errors import SolverNotAvailableError

    raise SolverNotAvailableError(
        "solver 'cbc' needs a CBC executable: this PuLP has no bundled CBC and none is on "
        "the PATH; pip install 'pulp>=2.8,<3.3.1' (which bundles it)"
    )


def _bound(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _build(pulp, problem: base.MipProblem):
    """The PuLP model of ``problem`` (without the offset) and its variables, in column order."""
    prob = pulp.LpProblem("lean_chain", pulp.LpMinimize)
    make_variable = getattr(prob, "add_variable", None) or pulp.LpVariable
    integer, continuous = pulp.LpInteger, pulp.LpContinuous
    lower = problem.col_lower.tolist()
    upper = problem.col_upper.tolist()
    flags = np.asarray(problem.integrality, dtype=bool).tolist()
    width = len(str(max(problem.n_cols - 1, 0)))
    variables = [
        make_variable(
            f"x{j:0{width}d}",
            _bound(lower[j]),
            _bound(upper[j]),
            integer if flags[j] else continuous,
        )
        for j in range(problem.n_cols)
    ]
    # every column in the objective (zero costs included), so that CBC sees all of them
    prob.setObjective(
        pulp.LpAffineExpression(
            zip(variables, problem.objective.astype(np.float64).tolist(), strict=True)
        )
    )
    matrix = problem.matrix.tocsr()
    indptr = matrix.indptr.tolist()
    indices = matrix.indices.tolist()
    values = matrix.data.astype(np.float64).tolist()
    row_lower = problem.row_lower.tolist()
    row_upper = problem.row_upper.tolist()
    LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
    for i in range(matrix.shape[0]):
        lo, up = row_lower[i], row_upper[i]
        has_lo, has_up = math.isfinite(lo), math.isfinite(up)
        if not (has_lo or has_up):
            continue  # a free row constrains nothing
        start, stop = indptr[i], indptr[i + 1]
        columns = [variables[k] for k in indices[start:stop]]
        terms = list(zip(columns, values[start:stop], strict=True))
        if has_lo and has_up and lo == up:
            prob.addConstraint(pulp.LpConstraint(pulp.LpAffineExpression(terms), EQ, f"r{i}", lo))
            continue
        if has_lo:
            prob.addConstraint(
                pulp.LpConstraint(pulp.LpAffineExpression(terms), GE, f"r{i}_lo", lo)
            )
        if has_up:
            prob.addConstraint(
                pulp.LpConstraint(pulp.LpAffineExpression(terms), LE, f"r{i}_up", up)
            )
    return prob, variables


class CbcBackend(base.Backend):
    """CBC through PuLP (``pulp.PULP_CBC_CMD``)."""

    name = "cbc"
    # CBC runs as a separate program: nothing reaches Python during its search
    capabilities = base.CAPABILITIES - {base.Capability.PROGRESS, base.Capability.TARGET}

    def solve(self, problem: base.MipProblem, options: base.SolveOptions) -> base.SolveResult:
        pulp = _import_pulp()
        start = time.perf_counter()
        with warnings.catch_warnings():
            # PuLP 3.x: DeprecationWarnings about its 4.0 API, not about our use
            warnings.simplefilter("ignore", DeprecationWarning)
            prob, variables = _build(pulp, problem)
        notes: list[str] = []
        if options.warm_start is not None:
            values = np.asarray(options.warm_start, dtype=np.float64)
            if values.shape != (problem.n_cols,):
                raise ValueError(
                    f"warm start has shape {values.shape}; expected ({problem.n_cols},)"
                )
            for variable, value in zip(variables, values.tolist(), strict=True):
                variable.setInitialValue(value, check=False)
        with contextlib.ExitStack() as stack:
            if options.log_file is not None:
                log_path = Path(options.log_file)
            else:
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="lean_chain_cbc"))
                log_path = Path(folder) / "cbc.log"
            command = _cbc_command(
                pulp,
                msg=False,
                timeLimit=None if options.time_limit_s is None else float(options.time_limit_s),
                gapRel=float(options.relative_gap),
                threads=int(options.threads) if options.threads else None,
                logPath=os.fspath(log_path),
                warmStart=options.warm_start is not None,
            )
            solve_start = time.perf_counter()
            try:
                prob.solve(command)
            except pulp.PulpSolverError as exc:
                return self._result(start, base.Status.ERROR, None, None, f"CBC failed: {exc}")
            solve_s = time.perf_counter() - solve_start
            log = log_path.read_text(errors="replace") if log_path.exists() else ""
        if options.verbose and options.log_file is None:
            sys.stdout.write(log)
            sys.stdout.flush()

        status_name = pulp.LpStatus.get(prob.status, str(prob.status))
        solution_status = prob.sol_status
        # the solution status says whether there is a plan; the run status why it stopped
        key = (
            pulp.LpSolution[solution_status]
            if solution_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
            else status_name
        )
        status, _ = base.normalise(
            STATUS_TABLE.get(key, base.Outcome.ERROR),
            solution_status == pulp.LpSolutionIntegerFeasible,
        )
        limit = options.time_limit_s
        if status is base.Status.INFEASIBLE and limit is not None and solve_s >= limit:
            # CBC cut short in pre-processing says "infeasible or unbounded" (even with a
            # feasible MIP start): with the time limit reached, infeasibility is not proven
            status = base.Status.NO_SOLUTION
            notes.append("CBC reported infeasible as the time limit ran out: not proven")
        solution = None
        if status.has_solution:
            solution = np.array(
                [np.nan if v.varValue is None else v.varValue for v in variables],
                dtype=np.float64,
            )
            # a column CBC never saw (no cost, no row) keeps its start/None: any bound-feasible value
            missing = np.isnan(solution)
            if missing.any():
                solution[missing] = np.clip(
                    0.0, problem.col_lower[missing], problem.col_upper[missing]
                )
        result_line = _RESULT.search(log)
        message = f"{status_name}/{pulp.LpSolution.get(solution_status, solution_status)}"
        if result_line:
            message += f": {result_line.group(1).strip()}"
        if options.warm_start is not None:
            said = "; ".join(m.group(0).strip() for m in _MIPSTART.finditer(log))
            notes.append(
                f"MIP start given ({problem.n_cols} values)" + (f": {said}" if said else "")
            )
        if notes:
            message += "; " + "; ".join(notes)
        result = self._result(start, status, problem, solution, message, log)
        return base.not_worse_than_start(problem, result, options.warm_start, options.relative_gap)

    def _result(
        self,
        start: float,
        status: base.Status,
        problem: base.MipProblem | None,
        solution: np.ndarray | None,
        message: str,
        log: str = "",
    ) -> base.SolveResult:
        objective = bound = float("nan")
        if solution is not None and problem is not None:
            objective = float(problem.objective @ solution + problem.offset)
            found = _LOWER_BOUND.findall(log)
            if found and np.any(problem.integrality):
                with contextlib.suppress(ValueError):
                    # CBC prints the bound rounded: never past the objective (minimization)
                    bound = min(float(found[-1]) + float(problem.offset), objective)
            if status is base.Status.OPTIMAL and not math.isfinite(bound):
                bound = objective
        return base.SolveResult(
            status=status,
            objective=objective,
            bound=bound,
            solution=solution,
            wall_s=time.perf_counter() - start,
            solver=self.name,
            message=message,
        )
