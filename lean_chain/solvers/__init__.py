"""Solver backends, chosen by name.

>>> from lean_chain.solvers import available_solvers, DEFAULT_SOLVER
>>> DEFAULT_SOLVER in available_solvers()
True
"""

from __future__ import annotations

from collections.abc import Callable

from lean_chain.errors import SolverNotAvailableError
from lean_chain.solvers.base import Backend, MipProblem, SolveOptions, SolveResult, Status

DEFAULT_SOLVER = "ortools-highs"


def _ortools(engine: str) -> Callable[[], Backend]:
    def make() -> Backend:
        from lean_chain.solvers.ortools import OrtoolsBackend

        return OrtoolsBackend(engine)

    return make


#: name -> factory; backends import their packages lazily, at solve time.
REGISTRY: dict[str, Callable[[], Backend]] = {
    "ortools-highs": _ortools("highs"),
    "ortools-scip": _ortools("scip"),
}


def available_solvers() -> list[str]:
    """Names accepted by :func:`get_backend` (``--solver``)."""
    return sorted(REGISTRY)


def get_backend(name: str) -> Backend:
    """The backend registered under ``name``.

    Raises
    ------
    SolverNotAvailableError
        If no backend has that name.
    """
    try:
        factory = REGISTRY[name]
    except KeyError:
        raise SolverNotAvailableError(
            f"unknown solver {name!r}; choose one of: {', '.join(available_solvers())}"
        ) from None
    return factory()


__all__ = [
    "DEFAULT_SOLVER",
    "REGISTRY",
    "Backend",
    "MipProblem",
    "SolveOptions",
    "SolveResult",
    "Status",
    "available_solvers",
    "get_backend",
]
