"""Decomposition by SKU: a construction heuristic and a Lagrangian bound.

See docs/model.md, "Decomposition", for the mathematics.
"""

from lean_chain.decomposition.method import (
    DecompositionResult,
    heuristic_plan,
    solve_decomposed,
)

__all__ = ["DecompositionResult", "heuristic_plan", "solve_decomposed"]
