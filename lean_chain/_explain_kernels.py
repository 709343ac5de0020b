"""Compiled kernels of :mod:`lean_chain.explain`: per demand row, over its candidates.

The candidates of a demand row are consecutive (pairs are ordered by demand row), so
these kernels work segment by segment, in parallel, without a global sort or hash.
Compiled once per user (``cache=True``, see :mod:`lean_chain._numba_cache`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

#: Segments longer than this are sorted by numpy's merge sort (in the kernel), shorter
#: ones by insertion (no allocation; a demand row has a few dozen candidates at most).
INSERTION_MAX = 48


@njit(nogil=True, cache=True, inline="always")
def _after(a: float, b: float) -> bool:
    """Whether ``a`` sorts after ``b`` as numpy sorts floats (NaN last)."""
    if a != a:
        return b == b
    return a > b


@njit(parallel=True, nogil=True, cache=True)
def sort_segments(order: np.ndarray, starts: np.ndarray, keys: np.ndarray) -> None:
    """Sort ``order[starts[s]:starts[s + 1]]`` of each segment ``s`` by ``keys[order]``,
    stably, in place."""
    for s in prange(starts.shape[0] - 1):
        a, b = starts[s], starts[s + 1]
        if b - a > INSERTION_MAX:
            segment = order[a:b].copy()
            order[a:b] = segment[np.argsort(keys[segment], kind="mergesort")]
            continue
        for i in range(a + 1, b):
            item = order[i]
            key = keys[item]
            j = i - 1
            while j >= a and _after(keys[order[j]], key):
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = item


@njit(parallel=True, nogil=True, cache=True)
def best_saving_per_option(
    sku_starts: np.ndarray, row: np.ndarray, option: np.ndarray, saving: np.ndarray
) -> np.ndarray:
    """Per element: the sum over the rows of its segment (SKU) of the largest ``saving``
    of that row's elements with its ``option``. A segment's elements are
    ``sku_starts[s]..sku_starts[s + 1]``, its rows consecutive within it."""
    out = np.zeros(row.shape[0])
    for s in prange(sku_starts.shape[0] - 1):
        a, b = sku_starts[s], sku_starts[s + 1]
        # the segment's distinct options (a few dozen), each element's slot among them
        options = np.empty(b - a, dtype=np.int64)
        slot = np.empty(b - a, dtype=np.int64)
        n_options = 0
        for i in range(a, b):
            k = 0
            while k < n_options and options[k] != option[i]:
                k += 1
            if k == n_options:
                options[k] = option[i]
                n_options += 1
            slot[i - a] = k
        total = np.zeros(n_options)
        best = np.full(n_options, -np.inf)
        i = a
        while i < b:  # row by row: the best of each option in the row
            j = i
            while j < b and row[j] == row[i]:
                k = slot[j - a]
                if saving[j] > best[k]:
                    best[k] = saving[j]
                j += 1
            for m in range(i, j):
                k = slot[m - a]
                if best[k] > -np.inf:
                    total[k] += best[k]
                    best[k] = -np.inf
            i = j
        for i in range(a, b):
            out[i] = total[slot[i - a]]
    return out


@njit(nogil=True, cache=True, inline="always")
def _alive(i: int, depth: int, valid: np.ndarray, keys: np.ndarray, lows: np.ndarray) -> bool:
    """Whether element ``i`` is valid and at the segment's least of its first ``depth``
    keys (``lows``)."""
    if not valid[i]:
        return False
    for q in range(depth):
        if not keys[q, i] <= lows[q]:
            return False
    return True


@njit(parallel=True, nogil=True, cache=True)
def first_least_per_segment(starts: np.ndarray, keys: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Per segment ``starts[s]..starts[s + 1]``: its first valid element with the least
    ``keys[0]``, among those the least ``keys[1]``, and so on; -1 if none. As numpy's
    minimum does, a NaN key among the candidates leaves none."""
    n_keys = keys.shape[0]
    n_segments = starts.shape[0] - 1
    out = np.full(n_segments, -1, dtype=np.int64)
    lows = np.empty((n_segments, max(n_keys, 1)))
    for s in prange(n_segments):
        a, b = starts[s], starts[s + 1]
        low = lows[s]
        for q in range(n_keys):
            least = np.inf
            for i in range(a, b):
                if _alive(i, q, valid, keys, low):
                    value = keys[q, i]
                    if value != value:
                        least = np.nan
                        break
                    least = min(least, value)
            low[q] = least
        for i in range(a, b):
            if _alive(i, n_keys, valid, keys, low):
                out[s] = i
                break
    return out


@njit(parallel=True, nogil=True, cache=True)
def column_entries(
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    start: int,
    stop: int,
    wanted: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of a CSR matrix in columns ``start + j`` with ``wanted[j]``
    (``start <= column < stop``), row by row: their rows, ``j`` and values."""
    n_rows = indptr.shape[0] - 1
    count = np.zeros(n_rows + 1, dtype=np.int64)
    for r in prange(n_rows):
        found = 0
        for k in range(indptr[r], indptr[r + 1]):
            column = indices[k]
            if start <= column < stop and wanted[column - start]:
                found += 1
        count[r + 1] = found
    for r in range(n_rows):
        count[r + 1] += count[r]
    rows = np.empty(count[n_rows], dtype=np.int64)
    columns = np.empty(count[n_rows], dtype=np.int64)
    values = np.empty(count[n_rows], dtype=data.dtype)
    for r in prange(n_rows):
        at = count[r]
        for k in range(indptr[r], indptr[r + 1]):
            column = indices[k]
            if start <= column < stop and wanted[column - start]:
                rows[at], columns[at], values[at] = r, column - start, data[k]
                at += 1
    return rows, columns, values
