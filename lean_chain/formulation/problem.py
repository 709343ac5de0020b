"""The sparse MIP handed to every solver backend."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

#: What a row of a family can be about; ids index the named array.
ROW_OBJECT_KINDS = {
    "node": "instance.nodes (a stocking node, or a region for service and quota rows)",
    "sku": "instance.skus",
    "demand_row": "instance.demand",
    "stock_group": "the cost model's (SKU, stocking node) groups kh",
    "lane": "instance.lanes",
}


@dataclass(frozen=True, eq=False)
class MipProblem:
    """minimize c x + offset  s.t.  row_lower <= A x <= row_upper,
    col_lower <= x <= col_upper, x_i integer where ``integrality[i]``.

    ``col_blocks`` and ``row_blocks`` name contiguous slices (e.g. ``"x"``,
    ``"demand"``) so that callers can read solutions and diagnose rows.
    ``row_objects`` says, per row family that has one, what each row is about:
    ``(kind, ids)`` with one id per row of the family, ``kind`` one of
    :data:`ROW_OBJECT_KINDS` (e.g. ``("node", ...)`` for a storage row: the
    node's position in ``instance.nodes``).
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
    row_objects: dict[str, tuple[str, np.ndarray]] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.objective)

    @property
    def n_rows(self) -> int:
        return self.matrix.shape[0]

    def relaxed(self) -> MipProblem:
        """The LP relaxation (no integrality)."""
        return dataclasses.replace(self, integrality=np.zeros_like(self.integrality))

    def family_mask(self, families: set[str] | tuple[str, ...]) -> np.ndarray:
        """Boolean mask over rows: True for rows of the named families."""
        mask = np.zeros(self.n_rows, dtype=bool)
        for name in families:
            if name in self.row_blocks:
                mask[self.row_blocks[name]] = True
        return mask

    def select_rows(self, keep: np.ndarray) -> MipProblem:
        """The same problem with only the rows where ``keep`` is True (row blocks dropped)."""
        return dataclasses.replace(
            self,
            matrix=self.matrix[keep],
            row_lower=self.row_lower[keep],
            row_upper=self.row_upper[keep],
            row_blocks={},
            row_objects={},
        )

    def row_violation(self, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """How far each of ``rows`` is outside its bounds at ``x`` (0 if inside)."""
        activity = self.matrix[rows] @ x
        return np.maximum(
            np.maximum(self.row_lower[rows] - activity, activity - self.row_upper[rows]), 0.0
        )

    def without_rows(self, families: set[str]) -> MipProblem:
        """The same problem without the named row families."""
        keep = ~self.family_mask(families)
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
            row_objects={k: v for k, v in self.row_objects.items() if k in blocks},
        )
