"""Solve with some row families generated lazily (row generation around any backend).

The linking rows x <= s of a facility-location-like model only tighten the LP
relaxation: with integer openings, capacity rows already force closed sites to
carry nothing. On large models (capa: 100,000 links) they make every LP slow.
This strategy starts without them and

1. re-solves the LP relaxation, adding the rows it violates, until it violates
   none: the LP bound then equals the full model's;
2. solves the MIP with the rows found so far; if its plan violates a lazy row
   (possible when no capacity row covers a link), the row is added and the MIP
   re-solved from that plan.

The final plan satisfies every row, and every bound found is a bound of a
relaxation, so the result is exact: optimal for the full model when the last
MIP is optimal, with a valid bound and gap otherwise.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import numpy as np

from lean_chain.formulation.problem import MipProblem
from lean_chain.solvers.base import Backend, SolveOptions, SolveResult, Status

LOG = logging.getLogger(__name__)

#: Row families that may be generated lazily (links between shares and binaries).
LAZY_FAMILIES = ("stock_link", "channel_link")
_TOLERANCE = 1e-7


def solve_with_lazy_rows(
    problem: MipProblem,
    backend: Backend,
    options: SolveOptions,
    lazy_families: tuple[str, ...] = LAZY_FAMILIES,
    max_rounds: int = 100,
) -> SolveResult:
    """Solve ``problem`` generating ``lazy_families`` rows on demand (see module docstring)."""
    started = time.perf_counter()
    lazy = problem.family_mask(lazy_families)
    active = ~lazy
    candidates = np.flatnonzero(lazy)
    rounds = lp_rows_added = 0

    def remaining() -> float | None:
        if options.time_limit_s is None:
            return None
        return max(options.time_limit_s - (time.perf_counter() - started), 0.01)

    def add_violated(x: np.ndarray) -> int:
        pending = candidates[~active[candidates]]
        if len(pending) == 0:
            return 0
        violated = pending[problem.row_violation(x, pending) > _TOLERANCE]
        active[violated] = True
        return len(violated)

    lp_options = dataclasses.replace(options, warm_start=None, log_file=None, relative_gap=0.0)
    if backend.name == "highs":
        rounds, lp_rows_added = _lp_rounds_highs(
            problem, active, add_violated, remaining, lp_options, max_rounds, started
        )
    else:
        for rounds in range(1, max_rounds + 1):
            lp = backend.solve(
                problem.select_rows(active).relaxed(),
                dataclasses.replace(lp_options, time_limit_s=remaining()),
            )
            if not lp.status.has_solution:
                break  # infeasible or out of time: the MIP phase reports it
            added = add_violated(lp.solution)
            lp_rows_added += added
            LOG.info(
                "LP round %d: bound %.6g, %d link rows added (%.1f s)",
                rounds,
                lp.objective,
                added,
                time.perf_counter() - started,
            )
            if added == 0 or (remaining() is not None and remaining() <= 0.01):
                break

    warm = options.warm_start
    mip_rounds = 0
    while True:
        mip_rounds += 1
        result = backend.solve(
            problem.select_rows(active),
            dataclasses.replace(options, time_limit_s=remaining(), warm_start=warm),
        )
        if not result.status.has_solution:
            break
        added = add_violated(result.solution)
        LOG.info(
            "MIP round %d: %s %.6g bound %.6g, %d link rows added (%.1f s)",
            mip_rounds,
            result.status.value,
            result.objective,
            result.bound,
            added,
            time.perf_counter() - started,
        )
        if added == 0:
            break
        warm = result.solution
        if remaining() is not None and remaining() <= 0.01:
            result = dataclasses.replace(result, status=Status.NO_SOLUTION, solution=None)
            break
    note = (
        f"lazy rows: {lp_rows_added} of {len(candidates)} added in {rounds} LP round(s), "
        f"{int(active[candidates].sum())} in the final model, {mip_rounds} MIP round(s)"
    )
    return dataclasses.replace(
        result,
        wall_s=time.perf_counter() - started,
        message=f"{result.message}; {note}",
    )


def _lp_rounds_highs(problem, active, add_violated, remaining, options, max_rounds, started):
    """The LP phase on one HiGHS instance: added rows are re-solved from the last basis."""
    import numpy as np

    from lean_chain.solvers.highs import _highs_lp, _import_highspy

    highspy = _import_highspy()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", bool(options.verbose))
    if options.threads:
        highs.setOptionValue("threads", int(options.threads))
    highs.passModel(_highs_lp(highspy, problem.select_rows(active).relaxed()))
    rounds = total = 0
    for rounds in range(1, max_rounds + 1):
        if remaining() is not None:
            highs.setOptionValue("time_limit", float(remaining()))
        highs.run()
        if highs.getModelStatus().name != "kOptimal":
            break
        before = active.copy()
        added = add_violated(np.asarray(highs.getSolution().col_value))
        total += added
        LOG.info(
            "LP round %d: bound %.6g, %d link rows added (%.1f s)",
            rounds,
            highs.getInfo().objective_function_value,
            added,
            time.perf_counter() - started,
        )
        if added == 0 or (remaining() is not None and remaining() <= 0.01):
            break
        new_rows = np.flatnonzero(active & ~before)
        block = problem.matrix[new_rows].tocsr()
        block.sort_indices()
        highs.addRows(
            len(new_rows),
            problem.row_lower[new_rows],
            problem.row_upper[new_rows],
            block.nnz,
            block.indptr[:-1].astype(np.int32),
            block.indices.astype(np.int32),
            block.data.astype(np.float64),
        )
    return rounds, total
