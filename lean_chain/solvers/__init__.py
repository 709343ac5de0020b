"""Solver backends, chosen by name.

>>> from lean_chain.solvers import available_solvers, capabilities, DEFAULT_SOLVER
>>> DEFAULT_SOLVER in available_solvers()
True
>>> sorted(capabilities("highs"))  # doctest: +NORMALIZE_WHITESPACE
['bound', 'integer', 'log_file', 'progress', 'relative_gap', 'target', 'threads',
 'time_limit', 'warm_start']
"""

from __future__ import annotations

from collections.abc import Callable

from lean_chain.errors import SolverNotAvailableError
from lean_chain.solvers.base import (
    CAPABILITIES,
    Backend,
    MipProblem,
    SolveOptions,
    SolveResult,
    Status,
)

DEFAULT_SOLVER = "highs"


def _ortools(engine: str) -> Callable[[], Backend]:
    def make() -> Backend:
        from lean_chain.solvers.ortools import OrtoolsBackend

        return OrtoolsBackend(engine)

    return make


def _highs() -> Backend:
    from lean_chain.solvers.highs import HighsBackend

    return HighsBackend()


def _cbc() -> Backend:
    from lean_chain.solvers.pulp_cbc import CbcBackend

    return CbcBackend()


#: name -> factory; backends import their packages lazily, at solve time.
REGISTRY: dict[str, Callable[[], Backend]] = {
    "ortools-highs": _ortools("highs"),
    "ortools-scip": _ortools("scip"),
    "highs": _highs,  # HiGHS through highspy
    "cbc": _cbc,  # CBC bundled with PuLP
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


def capabilities(name: str) -> frozenset[str]:
    """What the backend ``name`` supports: a subset of :data:`CAPABILITIES`.

    Needs no solver package installed (backends import theirs at solve time).

    Raises
    ------
    SolverNotAvailableError
        If no backend has that name.
    """
    return frozenset(get_backend(name).capabilities)


__all__ = [
    "CAPABILITIES",
    "DEFAULT_SOLVER",
    "REGISTRY",
    "Backend",
    "MipProblem",
    "SolveOptions",
    "SolveResult",
    "Status",
    "available_solvers",
    "capabilities",
    "get_backend",
]
