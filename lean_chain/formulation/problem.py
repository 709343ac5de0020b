"""The sparse MIP handed to every solver backend."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass(frozen=True, eq=False)
class MipProblem:
    """minimize c x + offset  s.t.  row_lower <= A x <= row_upper,
    col_lower <= x <= col_upper, x_i integer where ``integrality[i]``.

    ``col_blocks`` and ``row_blocks`` name contiguous slices (e.g. ``"x"``,
    ``"demand"``) so that callers can read solutions and diagnose rows.
    """

    objective: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    offset: float = 0.0
    col_blocks: dict[str, slice] = field(default_factory=dict)
    row_blocks: dict[str, slice] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.objective)

    @property
    def n_rows(self) -> int:
        return self.matrix.shape[0]

    def relaxed(self) -> MipProblem:
        """The LP relaxation (no integrality)."""
        return dataclasses.replace(self, integrality=np.zeros_like(self.integrality))

    def without_rows(self, families: set[str]) -> MipProblem:
        """The same problem without the named row families."""
        keep = np.ones(self.n_rows, dtype=bool)
        for name in families:
            keep[self.row_blocks[name]] = False
        blocks, start = {}, 0
        for name, rows in self.row_blocks.items():
            if name not in families:
                blocks[name] = slice(start, start + rows.stop - rows.start)
                start += rows.stop - rows.start
        return dataclasses.replace(
            self,
            matrix=self.matrix[keep],
            row_lower=self.row_lower[keep],
            row_upper=self.row_upper[keep],
            row_blocks=blocks,
        )
