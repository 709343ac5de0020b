"""The sparse MIP handed to every solver backend."""

from __future__ import annotations

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
