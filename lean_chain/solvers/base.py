"""The solver interface: one sparse MIP in, one normalized result out.

Every backend (one file each in this package) implements :class:`Backend`
and maps its own status codes onto :class:`Status`.
"""

from __future__ import annotations

import abc
import enum
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lean_chain.formulation.problem import MipProblem

__all__ = ["Backend", "MipProblem", "SolveOptions", "SolveResult", "Status"]


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

    @property
    def gap(self) -> float:
        """Relative gap |objective - bound| / max(|objective|, 1e-10)."""
        if not self.status.has_solution or not np.isfinite(self.bound):
            return float("inf")
        return abs(self.objective - self.bound) / max(abs(self.objective), 1e-10)


class Backend(abc.ABC):
    """A MIP solver behind the common interface."""

    name: str = ""
    #: What the backend supports: "integer", "time_limit", "relative_gap",
    #: "threads", "warm_start", "log_file".
    capabilities: frozenset[str] = frozenset()

    @abc.abstractmethod
    def solve(self, problem: MipProblem, options: SolveOptions) -> SolveResult:
        """Solve ``problem`` under ``options``."""
