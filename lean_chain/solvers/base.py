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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lean_chain.formulation.problem import MipProblem

__all__ = [
    "CAPABILITIES",
    "Backend",
    "MipProblem",
    "SolveOptions",
    "SolveResult",
    "Status",
    "load_first",
    "stdout_to",
]

#: Everything a backend may declare in :attr:`Backend.capabilities`:
#:
#: - ``integer``: integer columns are honoured (a MIP, not only its LP relaxation);
#: - ``time_limit``: :attr:`SolveOptions.time_limit_s` stops the run;
#: - ``relative_gap``: :attr:`SolveOptions.relative_gap` is the stopping gap;
#: - ``threads``: :attr:`SolveOptions.threads` is passed to the solver;
#: - ``warm_start``: :attr:`SolveOptions.warm_start` is given as a MIP start;
#: - ``log_file``: the solver's log is written to :attr:`SolveOptions.log_file`;
#: - ``bound``: :attr:`SolveResult.bound` is the solver's proven bound (so
#:   :attr:`SolveResult.gap` is meaningful on runs stopped by a limit);
#: - ``progress``: :attr:`SolveOptions.progress` receives the incumbent and bound.
CAPABILITIES = frozenset(
    {
        "integer",
        "time_limit",
        "relative_gap",
        "threads",
        "warm_start",
        "log_file",
        "bound",
        "progress",
    }
)


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
