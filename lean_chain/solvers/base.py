"""The solver interface: one sparse MIP in, one normalized result out.

Every backend (one file each in this package) implements :class:`Backend`
and maps its own status codes onto :class:`Status`.
"""

from __future__ import annotations

import abc
import contextlib
import enum
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lean_chain.formulation.problem import MipProblem

__all__ = [
    "CAPABILITIES",
    "Backend",
    "Capability",
    "MipProblem",
    "Outcome",
    "SolveOptions",
    "SolveResult",
    "Status",
    "claims_checked",
    "load_first",
    "normalise",
    "not_worse_than_start",
    "stdout_to",
    "with_status_by_gap",
]


class Capability(enum.StrEnum):
    """Everything a backend may declare in :attr:`Backend.capabilities` (one place).

    >>> Capability.WARM_START == "warm_start"
    True
    """

    #: integer columns are honoured (a MIP, not only its LP relaxation)
    INTEGER = "integer"
    #: :attr:`SolveOptions.time_limit_s` stops the run
    TIME_LIMIT = "time_limit"
    #: :attr:`SolveOptions.relative_gap` is the stopping gap
    RELATIVE_GAP = "relative_gap"
    #: :attr:`SolveOptions.threads` is passed to the solver
    THREADS = "threads"
    #: :attr:`SolveOptions.warm_start` is given as a MIP start
    WARM_START = "warm_start"
    #: the solver's log is written to :attr:`SolveOptions.log_file`
    LOG_FILE = "log_file"
    #: :attr:`SolveResult.bound` is the solver's proven bound (so :attr:`SolveResult.gap`
    #: is meaningful on runs stopped by a limit)
    BOUND = "bound"
    #: :attr:`SolveOptions.progress` receives the incumbent and bound
    PROGRESS = "progress"
    #: :attr:`SolveOptions.target_objective` stops the search at the first plan that meets it
    TARGET = "target"


#: Every capability, as the strings backends declare.
CAPABILITIES = frozenset(c.value for c in Capability)


class Status(enum.Enum):
    """Normalized solve status."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a plan, not proven optimal (time limit, gap)
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    NO_SOLUTION = "no_solution"  # stopped by a limit before any plan was found
    ERROR = "error"

    @property
    def has_solution(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Outcome(enum.Enum):
    """What a backend's own status code says, before its solution is looked at.

    Each backend has one table from its codes to these (``STATUS_TABLE``);
    :func:`normalise` turns an outcome and the presence of a plan into a
    :class:`Status`, the same way for every backend.
    """

    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    #: stopped by a limit or an interrupt: FEASIBLE with a plan, NO_SOLUTION without
    LIMIT = "limit"
    #: the solver could not tell the two apart: decided by a feasibility solve
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    #: an undocumented or unknown code: FEASIBLE with a plan, ERROR without
    UNKNOWN = "unknown"
    ERROR = "error"


def normalise(
    outcome: Outcome,
    has_solution: bool,
    has_feasible_point: Callable[[], bool | None] | None = None,
) -> tuple[Status, str]:
    """The :class:`Status` of a run, and a note for its message ("" if none).

    ``has_feasible_point`` decides :attr:`Outcome.INFEASIBLE_OR_UNBOUNDED`:
    it solves the problem with a zero objective and returns True (a point
    exists: unbounded), False (none: infeasible) or None (undecided).

    >>> normalise(Outcome.LIMIT, has_solution=True)
    (<Status.FEASIBLE: 'feasible'>, '')
    >>> normalise(Outcome.INFEASIBLE_OR_UNBOUNDED, False, lambda: False)
    (<Status.INFEASIBLE: 'infeasible'>, 'no feasible point exists')
    """
    if outcome is Outcome.INFEASIBLE_OR_UNBOUNDED:
        feasible = has_feasible_point() if has_feasible_point is not None else None
        if feasible is True:
            return Status.UNBOUNDED, "a feasible point exists, so the model is unbounded"
        if feasible is False:
            return Status.INFEASIBLE, "no feasible point exists"
        return Status.ERROR, "infeasible or unbounded, undecided"
    if outcome is Outcome.LIMIT:
        return (Status.FEASIBLE if has_solution else Status.NO_SOLUTION), ""
    if outcome is Outcome.UNKNOWN:
        return (Status.FEASIBLE if has_solution else Status.ERROR), ""
    return {
        Outcome.OPTIMAL: Status.OPTIMAL,
        Outcome.INFEASIBLE: Status.INFEASIBLE,
        Outcome.UNBOUNDED: Status.UNBOUNDED,
        Outcome.ERROR: Status.ERROR,
    }[outcome], ""


@dataclass(frozen=True)
class SolveOptions:
    """Limits and settings common to every backend."""

    time_limit_s: float | None = None
    relative_gap: float = 1e-6
    threads: int | None = None
    log_file: Path | None = None
    warm_start: np.ndarray | None = None
    verbose: bool = False
    #: called as ``progress(elapsed_s, best_objective, best_bound)`` during the search
    #: (backends with the ``progress`` capability; at most about once a second)
    progress: Callable[[float, float, float], None] | None = None
    #: stop as soon as a plan whose objective is at or below this value is found (backends
    #: with the ``target`` capability): for a caller that holds a bound of its own, such
    #: as a decomposition re-optimizing part of its plan, the objective at which its own
    #: gap is met, so that the solver does not go on to prove a gap nobody asked for
    target_objective: float | None = None


@dataclass(frozen=True, eq=False)
class SolveResult:
    """What every backend returns."""

    status: Status
    objective: float
    bound: float
    solution: np.ndarray | None
    wall_s: float
    solver: str
    message: str = ""
    interrupted: bool = False  # stopped by Ctrl-C / SIGTERM; ``solution`` is the best so far
    #: Row duals of an LP solve (d objective / d row bound, the solver's sign convention for a
    #: minimization); ``None`` for a MIP or a backend that does not read them (only ``highs``
    #: does). Used by :mod:`lean_chain.sensitivity`.
    duals: np.ndarray | None = None

    @property
    def gap(self) -> float:
        """Relative gap |objective - bound| / max(|objective|, 1e-10)."""
        if not self.status.has_solution or not np.isfinite(self.bound):
            return float("inf")
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-10)


class Backend(abc.ABC):
    """A MIP solver behind the common interface."""

    name: str = ""
    #: What the backend supports, a subset of :data:`CAPABILITIES`.
    capabilities: frozenset[str] = frozenset()

    @abc.abstractmethod
    def solve(self, problem: MipProblem, options: SolveOptions) -> SolveResult:
        """Solve ``problem`` under ``options``."""


# helpers shared by the backends (no backend imports another)

#: Largest relative difference between a solver's reported objective and its solution's own
#: (c x + offset) before the report is corrected.
OBJECTIVE_TOLERANCE = 1e-6


def with_status_by_gap(result: SolveResult, relative_gap: float, note: str) -> SolveResult:
    """``result`` ``OPTIMAL`` if its gap to its bound is within ``relative_gap``, else
    ``FEASIBLE`` (the one rule the checks below decide a status by), ``note`` added to
    its message."""
    proven = result.gap <= relative_gap * (1 + 1e-9) + 1e-12
    return replace(
        result,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        message=f"{result.message}; {note}" + ("" if proven else f" (gap {result.gap:.3g})"),
    )


def claims_checked(problem: MipProblem, result: SolveResult, relative_gap: float) -> SolveResult:
    """``result`` with its objective recomputed from its solution, and ``OPTIMAL`` only
    where that objective is within ``relative_gap`` of the bound.

    A solver may report the objective of its presolved problem, which differs from its
    returned solution's when a presolve reduction maps a MIP start wrongly (seen with
    HiGHS 1.16 on cn_import in profit mode: a start of -17,941,013 became -18,001,013 in
    the reduced space, the search stopped there and claimed it optimal). The solution is
    what the caller gets, so its own objective is the one reported.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> problem = MipProblem(np.array([1.0, 2.0]), sp.csr_matrix(np.ones((1, 2))),
    ...     np.array([1.0]), np.array([np.inf]), np.zeros(2), np.ones(2), np.ones(2, np.int8))
    >>> claimed = SolveResult(Status.OPTIMAL, 1.0, 1.0, np.array([0.0, 1.0]), 0.1, "x")
    >>> checked = claims_checked(problem, claimed, 1e-6)
    >>> checked.status, checked.objective, checked.bound
    (<Status.FEASIBLE: 'feasible'>, 2.0, 1.0)
    """
    if result.solution is None or not result.status.has_solution:
        return result
    own = float(problem.objective @ result.solution + problem.offset)
    if abs(own - result.objective) <= OBJECTIVE_TOLERANCE * max(abs(own), 1.0):
        return result
    note = f"the solver reported objective {result.objective:.10g} for this solution: corrected"
    corrected = replace(result, objective=own)
    if result.status is Status.FEASIBLE:  # a limit stopped it: it stays feasible
        return replace(corrected, message=f"{result.message}; {note}")
    return with_status_by_gap(corrected, relative_gap, note)


#: Feasibility tolerance of a MIP start checked here (relative to the row's activity, or 1).
START_TOLERANCE = 1e-6


def _start_is_feasible(problem: MipProblem, start: np.ndarray) -> bool:
    activity = problem.matrix @ start
    # infinite bounds give -inf: never a violation
    row_excess = np.maximum(problem.row_lower - activity, activity - problem.row_upper)
    col_excess = np.maximum(problem.col_lower - start, start - problem.col_upper)
    integer = problem.integrality.astype(bool)
    return bool(
        np.all(row_excess <= START_TOLERANCE * np.maximum(1.0, np.abs(activity)))
        and np.all(col_excess <= START_TOLERANCE)
        and np.all(np.abs(start[integer] - np.round(start[integer])) <= START_TOLERANCE)
    )


def not_worse_than_start(
    problem: MipProblem, result: SolveResult, start: np.ndarray | None, relative_gap: float
) -> SolveResult:
    """``result``, or the MIP start ``start`` where that is a feasible plan better than the
    solver's (a solver may rebuild a start into a worse plan: CBC fixes what its
    preprocessing keeps of it), with the solver's bound.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> problem = MipProblem(np.array([-1.0, -2.0]), sp.csr_matrix(np.ones((1, 2))),
    ...     np.array([-np.inf]), np.array([1.0]), np.zeros(2), np.ones(2), np.ones(2, np.int8))
    >>> worse = SolveResult(Status.FEASIBLE, -1.0, -2.0, np.array([1.0, 0.0]), 0.1, "x")
    >>> kept = not_worse_than_start(problem, worse, np.array([0.0, 1.0]), 1e-6)
    >>> kept.status, kept.objective, kept.solution.tolist()
    (<Status.OPTIMAL: 'optimal'>, -2.0, [0.0, 1.0])
    """
    if start is None or result.status not in (Status.OPTIMAL, Status.FEASIBLE, Status.NO_SOLUTION):
        return result
    start = np.asarray(start, dtype=np.float64)
    own = float(problem.objective @ start + problem.offset)
    if result.status.has_solution and result.objective <= own:
        return result
    if not _start_is_feasible(problem, start):
        return result
    bound = min(result.bound if np.isfinite(result.bound) else -np.inf, own)
    kept = replace(result, objective=own, bound=bound, solution=start.copy())
    found = f"was worse ({result.objective:.10g})" if result.status.has_solution else "was none"
    note = f"the MIP start ({own:.10g}) is kept: the solver's plan {found}"
    return with_status_by_gap(kept, relative_gap, note)


def load_first() -> None:
    """Load OR-Tools' native libraries now, before highspy or PuLP load theirs.

    OR-Tools resolves its HiGHS calls against its own ``libhighs.so`` when it
    is loaded, through default-visibility symbols: a HiGHS of another version
    already in the process's global scope is bound instead, and
    ``ortools-highs`` then segfaults or fails to load (google/or-tools#5246).
    PuLP 3.3.1+ puts highspy's HiGHS there on ``import pulp`` (RTLD_GLOBAL).
    Loaded first, OR-Tools keeps its own. Every backend calls this before
    importing its package; it does nothing without OR-Tools.
    """
    with contextlib.suppress(ImportError):
        from ortools.linear_solver.python import model_builder_helper  # noqa: F401


@contextlib.contextmanager
def stdout_to(path: Path | None) -> Iterator[None]:
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
