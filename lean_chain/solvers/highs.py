"""HiGHS backend through ``highspy`` directly (without OR-Tools in between).

The problem goes to HiGHS in one ``passModel`` call, highspy's array overload
taking the CSR arrays as they are (no Python loop over rows or nonzeros). Unlike
``ortools-highs`` this backend reads HiGHS's own info record: the MIP dual
bound, the primal solution status and the model status.
"""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from lean_chain.solvers import base

#: HiGHS model status name -> outcome (any other name: an error).
STATUS_TABLE = {
    "kOptimal": base.Outcome.OPTIMAL,
    "kModelEmpty": base.Outcome.OPTIMAL,
    "kInfeasible": base.Outcome.INFEASIBLE,
    "kUnbounded": base.Outcome.UNBOUNDED,
    "kUnboundedOrInfeasible": base.Outcome.INFEASIBLE_OR_UNBOUNDED,
    "kTimeLimit": base.Outcome.LIMIT,
    "kIterationLimit": base.Outcome.LIMIT,
    "kSolutionLimit": base.Outcome.LIMIT,
    "kObjectiveBound": base.Outcome.LIMIT,
    "kObjectiveTarget": base.Outcome.LIMIT,
    "kInterrupt": base.Outcome.LIMIT,
    "kHighsInterrupt": base.Outcome.LIMIT,
    "kMemoryLimit": base.Outcome.LIMIT,
    "kUnknown": base.Outcome.UNKNOWN,
}
#: HiGHS's ``SolutionStatus.kSolutionStatusFeasible``.
_FEASIBLE_SOLUTION = 2


def _import_highspy():
    base.load_first()  # OR-Tools' own HiGHS before highspy's
    try:
        import highspy
    except ImportError as exc:
        from lean_chain.errors import SolverNotAvailableError

        raise SolverNotAvailableError(
            "solver 'highs' needs the 'highspy' package: pip install highspy"
        ) from exc
    return highspy


def _highs_lp(highspy, problem: base.MipProblem):
    """A ``HighsLp`` holding ``problem`` (column-wise matrix, bounds, integrality)."""
    matrix = sp.csc_matrix(problem.matrix, dtype=np.float64, copy=True)
    matrix.sum_duplicates()  # sorted row indices, one entry per (row, column)
    n_rows, n_cols = matrix.shape
    lp = highspy.HighsLp()
    lp.num_col_ = n_cols
    lp.num_row_ = n_rows
    lp.offset_ = float(problem.offset)
    lp.col_cost_ = np.ascontiguousarray(problem.objective, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(problem.col_lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(problem.col_upper, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(problem.row_lower, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(problem.row_upper, dtype=np.float64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.num_col_ = n_cols
    lp.a_matrix_.num_row_ = n_rows
    lp.a_matrix_.start_ = matrix.indptr.astype(np.int32)
    lp.a_matrix_.index_ = matrix.indices.astype(np.int32)
    lp.a_matrix_.value_ = matrix.data
    integrality = np.asarray(problem.integrality, dtype=bool)
    if integrality.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[flag] for flag in integrality.astype(np.int8).tolist()]
    return lp


def _pass_model(highspy, highs, problem: base.MipProblem):
    """Hand ``problem`` to ``highs`` with highspy's array overload of ``passModel``.

    The CSR arrays go over as they are (row-wise format), without building a
    ``HighsLp`` field by field, which copies element by element through
    pybind11's vector casters (4 M columns: about 1.7 s instead of 8.9 s).
    """
    matrix = sp.csr_matrix(problem.matrix, dtype=np.float64)
    matrix.sum_duplicates()
    n_rows, n_cols = matrix.shape
    row_wise = int(highspy.MatrixFormat.kRowwise)
    minimize = int(highspy.ObjSense.kMinimize)
    return highs.passModel(
        n_cols,
        n_rows,
        int(matrix.nnz),
        row_wise,
        minimize,
        float(problem.offset),
        np.ascontiguousarray(problem.objective, dtype=np.float64),
        np.ascontiguousarray(problem.col_lower, dtype=np.float64),
        np.ascontiguousarray(problem.col_upper, dtype=np.float64),
        np.ascontiguousarray(problem.row_lower, dtype=np.float64),
        np.ascontiguousarray(problem.row_upper, dtype=np.float64),
        np.ascontiguousarray(matrix.indptr[:-1], dtype=np.int32),
        np.ascontiguousarray(matrix.indices, dtype=np.int32),
        np.ascontiguousarray(matrix.data, dtype=np.float64),
        np.ascontiguousarray(problem.integrality, dtype=np.int32),
    )


#: Seconds of silence after which a progress report repeats the last known values: HiGHS
#: calls its MIP interrupt callback often in the search, but not within a long LP (the root
#: node of a large model), a sub-MIP heuristic or presolve, and a run then looked stalled
#: (a 16,918-pair profit model gave no line from 7 s to 60 s).
HEARTBEAT_S = 5.0


class ProgressRelay:
    """Pass HiGHS's incumbent and dual bound to ``progress`` about once a second.

    :meth:`on_event` is subscribed to the MIP interrupt callback, which HiGHS calls
    often during the search, from highspy's solver thread; :meth:`heartbeat` is called
    by the thread waiting for the solve, and reports the last values known when
    nothing was reported for :data:`HEARTBEAT_S` seconds. Both report the seconds since
    the relay was made, on one clock, so the reports' times never go back; a lock keeps
    the two threads' reports in order.

    Examples
    --------
    >>> seen = []
    >>> now = [0.0]
    >>> relay = ProgressRelay(lambda *values: seen.append(values), clock=lambda: now[0])
    >>> relay.heartbeat()  # nothing for the first HEARTBEAT_S seconds
    >>> now[0] = 6.0
    >>> relay.heartbeat()
    >>> seen
    [(6.0, inf, -inf)]
    """

    def __init__(self, progress, clock=time.monotonic) -> None:
        self._progress = progress
        self._clock = clock
        self._started = clock()
        self._last = 0.0
        self._primal, self._dual = math.inf, -math.inf
        self._lock = threading.Lock()

    def on_event(self, event) -> None:
        """HiGHS's MIP interrupt callback: note the values, report them once a second."""
        data = event.data_out
        with self._lock:
            self._primal = float(data.mip_primal_bound)
            self._dual = float(data.mip_dual_bound)
        self._report_after(1.0)

    def heartbeat(self) -> None:
        """Report the last values known if nothing was reported for :data:`HEARTBEAT_S`."""
        self._report_after(HEARTBEAT_S)

    def _report_after(self, seconds: float) -> None:
        with self._lock:
            elapsed = self._clock() - self._started
            if elapsed - self._last < seconds:
                return
            self._last = elapsed
            self._progress(elapsed, self._primal, self._dual)


def _stop_at_target(highs, target: float, reached: list[bool]) -> None:
    """Interrupt the MIP search once its incumbent is at or below ``target``.

    Subscribed to the MIP interrupt callback; ``reached`` becomes ``[True]`` when it
    stopped the run (HiGHS then reports ``kInterrupt`` with the incumbent and bound).
    """

    def on_event(event) -> None:
        if float(event.data_out.mip_primal_bound) <= target:
            reached[:] = [True]
            event.interrupt()

    highs.cbMipInterrupt += on_event


def _run_interruptibly(highs, tick=None) -> bool:
    """Run HiGHS in highspy's solver thread; Ctrl-C asks it to stop at its next check.

    HiGHS checks the interrupt callback within its simplex, IPM and MIP loops, so a
    KeyboardInterrupt (Ctrl-C, or SIGTERM turned into one by the CLI) stops the
    solve in about a second, keeping the incumbent and the dual bound. ``tick`` is
    called every 0.1 s while HiGHS runs (a :meth:`ProgressRelay.heartbeat`). Returns
    True if the run was interrupted.
    """
    highs.HandleUserInterrupt = True
    interrupted = False
    highs.startSolve()
    while True:
        try:
            if tick is not None:
                tick()
            finished, _ = highs.wait(0.1)
            if finished:
                return interrupted
        except KeyboardInterrupt:
            interrupted = True
            highs.cancelSolve()


class HighsBackend(base.Backend):
    """HiGHS through ``highspy``: one ``passModel`` call, HiGHS's own statuses and bound."""

    name = "highs"
    capabilities = base.CAPABILITIES  # every capability lean_chain knows

    def _set_options(self, highs, options: base.SolveOptions, threads: int | None) -> None:
        log_to_file = options.log_file is not None
        highs.setOptionValue("output_flag", bool(options.verbose or log_to_file))
        highs.setOptionValue("log_to_console", bool(options.verbose))
        if log_to_file:
            highs.setOptionValue("log_file", os.fspath(options.log_file))
        if options.time_limit_s is not None:
            highs.setOptionValue("time_limit", float(options.time_limit_s))
        highs.setOptionValue("mip_rel_gap", float(options.relative_gap))
        highs.setOptionValue("mip_abs_gap", 1e-9)
        if threads:
            highs.setOptionValue("threads", int(threads))

    def solve(self, problem: base.MipProblem, options: base.SolveOptions) -> base.SolveResult:
        """Solve ``problem``; a run whose reported objective its solution does not have
        (a MIP start mapped wrongly by presolve, see :func:`claims_checked`) is solved
        again without the start, in the time left, and the better plan kept."""
        first = self._solve_once(problem, options)
        checked = base.claims_checked(problem, first, options.relative_gap)
        if checked is first or options.warm_start is None or first.interrupted:
            return checked
        left = None if options.time_limit_s is None else options.time_limit_s - first.wall_s
        if left is not None and left < 1.0:
            return checked
        again = base.claims_checked(
            problem,
            self._solve_once(problem, replace(options, warm_start=None, time_limit_s=left)),
            options.relative_gap,
        )
        if not again.status.has_solution:
            return checked
        best = min((checked, again), key=lambda result: result.objective)
        bound = min(max(checked.bound, again.bound), best.objective)
        both = replace(best, bound=bound, wall_s=first.wall_s + again.wall_s)
        return base.with_status_by_gap(
            replace(both, interrupted=again.interrupted, message=again.message),
            options.relative_gap,
            "solved again without the MIP start, whose run reported an objective its "
            f"solution does not have ({checked.message})",
        )

    def _solve_once(self, problem: base.MipProblem, options: base.SolveOptions) -> base.SolveResult:
        highspy = _import_highspy()
        start = time.perf_counter()
        # the first Highs() of a process prints a banner on fd 1: keep it out of quiet runs
        with base.stdout_to(None if options.verbose else os.devnull):
            highs = highspy.Highs()
        notes: list[str] = []
        # HiGHS keeps one global thread pool: another thread count needs a fresh one
        reset = getattr(highspy.Highs, "resetGlobalScheduler", None)
        threads = options.threads or None
        if threads and reset is None:
            threads = None
            notes.append("threads ignored: this highspy cannot resize HiGHS's thread pool")
        self._set_options(highs, options, threads)
        status = _pass_model(highspy, highs, problem)
        if status == highspy.HighsStatus.kError:
            return self._error(start, "HiGHS rejected the model (passModel returned kError)")
        if options.warm_start is not None:
            notes.append(self._set_start(highspy, highs, problem, options.warm_start))
        if threads:
            reset(True)
        relay = None
        if options.progress is not None:
            relay = ProgressRelay(options.progress)
            highs.cbMipInterrupt += relay.on_event
        reached: list[bool] = [False]
        if options.target_objective is not None:
            _stop_at_target(highs, float(options.target_objective), reached)
        interrupted = _run_interruptibly(highs, None if relay is None else relay.heartbeat)
        model_status = highs.getModelStatus()
        name = model_status.name
        info = highs.getInfo()
        has_solution = int(info.primal_solution_status) == _FEASIBLE_SOLUTION
        is_mip = bool(np.any(problem.integrality))

        status, note = base.normalise(
            STATUS_TABLE.get(name, base.Outcome.ERROR),
            has_solution,
            lambda: self._has_feasible_point(highs, problem),
        )
        if note:
            notes.append(note)
        if not status.has_solution:
            has_solution = False
        wall = time.perf_counter() - start

        solution = duals = None
        objective = bound = float("nan")
        if has_solution:
            values = highs.getSolution()
            solution = np.asarray(values.col_value, dtype=np.float64)
            if not is_mip and status is base.Status.OPTIMAL and values.dual_valid:
                duals = np.asarray(values.row_dual, dtype=np.float64)  # for sensitivity reports
            objective = float(info.objective_function_value)
            if is_mip:
                bound = float(info.mip_dual_bound)
            elif status is base.Status.OPTIMAL:
                bound = objective
        elif is_mip and status is base.Status.NO_SOLUTION:
            bound = float(info.mip_dual_bound)
        if status is base.Status.OPTIMAL and not math.isfinite(bound):
            bound = objective
        message = f"{name}: {highs.modelStatusToString(model_status)}"
        if is_mip:
            message += f"; {int(info.mip_node_count)} nodes"
        if interrupted:
            message += "; interrupted (Ctrl-C or SIGTERM)"
        elif reached[0]:
            message += f"; stopped at the target objective {options.target_objective:.10g}"
        if notes:
            message += "; " + "; ".join(notes)
        return base.SolveResult(
            status=status,
            objective=objective,
            bound=bound,
            solution=solution,
            wall_s=wall,
            solver=self.name,
            message=message,
            interrupted=interrupted,
            duals=duals,
        )

    @staticmethod
    def _set_start(highspy, highs, problem: base.MipProblem, warm_start: np.ndarray) -> str:
        values = np.asarray(warm_start, dtype=np.float64)
        if values.shape != (problem.n_cols,):
            raise ValueError(f"warm start has shape {values.shape}; expected ({problem.n_cols},)")
        start = highspy.HighsSolution()
        start.col_value = values.tolist()
        start.value_valid = True
        accepted = highs.setSolution(start) != highspy.HighsStatus.kError
        verdict = "accepted" if accepted else "rejected by HiGHS"
        return f"MIP start given ({problem.n_cols} values, {verdict})"

    @staticmethod
    def _has_feasible_point(highs, problem: base.MipProblem) -> bool | None:
        """HiGHS could not tell (typically presolve on a MIP): solve for any feasible point."""
        n = problem.n_cols
        highs.clearSolver()
        if n:
            highs.changeColsCost(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.float64))
        highs.run()
        return {"kOptimal": True, "kInfeasible": False}.get(highs.getModelStatus().name)

    def _error(self, start: float, message: str) -> base.SolveResult:
        return base.SolveResult(
            status=base.Status.ERROR,
            objective=float("nan"),
            bound=float("nan"),
            solution=None,
            wall_s=time.perf_counter() - start,
            solver=self.name,
            message=message,
        )
