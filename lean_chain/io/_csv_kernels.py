"""Compiled kernels of :mod:`lean_chain.io.fast_csv`: the bytes of CSV rows.

Imported on the first big table written (numba loads in about half a second, which
``import lean_chain`` does not pay). Compiled once per user (``cache=True``, in the
folder :mod:`lean_chain._numba_cache` chooses). ``nogil``: the thread that writes the
previous chunk to the file runs while the next one is formatted.

A field is one of: a number written here (``kinds`` 0 float, 1 integer, 2 boolean), or
bytes of a table (``codes[j, i] >= 0``: entry ``codes[j, i]`` of ``blob`` /
``offsets``), which is how text and the rare numbers written by :func:`repr` come in.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

FLOAT, INT, BOOL = 0, 1, 2
#: Floats below this (in magnitude) are written from integer digits: nine before the
#: point, so that one ulp (< 1.2e-7) cannot hold two multiples of 1e-6.
DIGIT_FLOAT_MAX = 1e9
#: repr switches to scientific notation below this magnitude (written here for the
#: multiples of 1e-6, as repr writes them).
REPR_FIXED_MIN = 1e-4
#: Most bytes a number written here takes: sign, 19 or 20 digits (int64), or
#: sign, nine digits, the point and six decimals (float).
NUMBER_WIDTH = 21


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _rint(x: float) -> float:
    """``np.rint`` (half to even) of 0 <= x < 2**52, where x + 0.5 is exact (numba's
    np.rint of a scalar is a slow call)."""
    r = math.floor(x + 0.5)
    if r - x == 0.5 and r % 2.0 == 1.0:
        r -= 1.0
    return r


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _digits_float(value: float) -> bool:
    """Whether :func:`repr` of ``value`` is its integer digits, a point and at most six
    decimals (the value is a multiple of 1e-6 as a float; not scientific)."""
    magnitude = abs(value)
    if not magnitude < DIGIT_FLOAT_MAX:  # also NaN and infinities
        return False
    millionths = _rint(magnitude * 1e6)
    if magnitude < REPR_FIXED_MIN and millionths == 0.0 and magnitude != 0.0:
        return False
    return millionths / 1e6 == magnitude


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _repr_needed(value: float) -> bool:
    return value == value and not _digits_float(value)


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def repr_needed(floats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``floats`` (columns × rows) not missing and not written here: their
    rows and columns, row by row."""
    m, n = floats.shape
    count = np.zeros(n + 1, dtype=np.int64)
    for i in prange(n):
        for j in range(m):
            if _repr_needed(floats[j, i]):
                count[i + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    rows = np.empty(count[n], dtype=np.int64)
    columns = np.empty(count[n], dtype=np.int64)
    for i in prange(n):
        if count[i + 1] > count[i]:
            at = count[i]
            for j in range(m):
                if _repr_needed(floats[j, i]):
                    rows[at], columns[at] = i, j
                    at += 1
    return rows, columns


#: 10 to 10**18: where an int64 gains a digit.
_POWERS_OF_TEN = np.array([10**k for k in range(1, 19)], dtype=np.int64)
#: "00" to "99": two digits per division.
_PAIRS = np.frombuffer("".join(f"{v:02d}" for v in range(100)).encode("ascii"), dtype=np.uint8)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _count_digits(value: np.int64) -> int:
    """How many decimal digits ``value`` (0 <= value < 2**63) has: a sum of comparisons
    (a loop that stops at the count mispredicts its exit once per number)."""
    n = 1
    for k in range(_POWERS_OF_TEN.shape[0]):
        n += value >= _POWERS_OF_TEN[k]
    return n


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_digits(out: np.ndarray, pos: int, value: int) -> int:
    """Decimal digits of ``value`` (0 <= value < 2**63) at ``pos``; the position after."""
    n = _count_digits(value)
    at = pos + n
    while value >= 100:
        rest = value // 100
        pair = 2 * (value - 100 * rest)
        at -= 2
        out[at] = _PAIRS[pair]
        out[at + 1] = _PAIRS[pair + 1]
        value = rest
    if value >= 10:
        out[at - 2] = _PAIRS[2 * value]
        out[at - 1] = _PAIRS[2 * value + 1]
    else:
        out[at - 1] = 48 + value
    return pos + n


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_small(out: np.ndarray, pos: int, millionths: np.int64) -> int:
    """repr of ``millionths`` (1 to 99) times 1e-6: the shortest digits that read back
    as that float (which is the nearest float to the decimal, as ``k / 1e6`` is)."""
    if millionths < 10:
        out[pos] = 48 + millionths
        exponent = 54  # 6
        pos += 1
    else:
        tens = millionths // 10
        units = millionths - 10 * tens
        out[pos] = 48 + tens
        pos += 1
        if units:
            out[pos] = 46  # .
            out[pos + 1] = 48 + units
            pos += 2
        exponent = 53  # 5
    out[pos], out[pos + 1], out[pos + 2], out[pos + 3] = 101, 45, 48, exponent  # e-0x
    return pos + 4


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_float(out: np.ndarray, pos: int, value: float) -> int:
    """``value`` as repr writes it (a multiple of 1e-6 below 1e9); NaN: nothing.

    Written with few data-dependent branches (a mispredicted branch costs more than the
    arithmetic): zero first (a third of the fields of a plan's tables), the integer
    part's digits counted by comparisons, all six decimals written and the trailing
    zeros then left out. Up to 17 bytes are written from ``pos`` (within the field's
    :data:`NUMBER_WIDTH`); the ones after the returned position are written over by
    what follows."""
    if value != value:
        return pos
    if math.copysign(1.0, value) < 0.0:
        out[pos] = 45  # -
        pos += 1
    if value == 0.0:
        out[pos], out[pos + 1], out[pos + 2] = 48, 46, 48  # 0.0
        return pos + 3
    # integer arithmetic on the value in millionths (exact below 2**53)
    scaled = np.int64(_rint(abs(value) * 1e6))
    if 0 < scaled < 100:  # below 1e-4: repr's scientific notation, "4.4e-05", "5e-06"
        return _put_small(out, pos, scaled)
    integer = np.uint64(scaled) // np.uint64(1_000_000)
    fraction = np.uint64(scaled) - np.uint64(1_000_000) * integer
    pos = _put_digits(out, pos, np.int64(integer))
    out[pos] = 46  # .
    high = fraction // np.uint64(10_000)
    middle = fraction // np.uint64(100) - np.uint64(100) * high
    low = fraction - np.uint64(100) * (fraction // np.uint64(100))
    out[pos + 1], out[pos + 2] = _PAIRS[2 * high], _PAIRS[2 * high + 1]
    out[pos + 3], out[pos + 4] = _PAIRS[2 * middle], _PAIRS[2 * middle + 1]
    out[pos + 5], out[pos + 6] = _PAIRS[2 * low], _PAIRS[2 * low + 1]
    # the decimals up to the last non-zero one ("x.0" for whole numbers)
    zeros = (
        np.int64(fraction % np.uint64(10) == 0)
        + np.int64(fraction % np.uint64(100) == 0)
        + np.int64(fraction % np.uint64(1_000) == 0)
        + np.int64(fraction % np.uint64(10_000) == 0)
        + np.int64(fraction % np.uint64(100_000) == 0)
    )
    return pos + 7 - zeros


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_int(out: np.ndarray, pos: int, value: np.int64) -> int:
    if value >= 0:
        return _put_digits(out, pos, value)
    out[pos] = 45  # -
    if value == -9223372036854775807 - 1:  # no positive int64 of its size
        pos = _put_digits(out, pos + 1, 922337203685477580)
        out[pos] = 56  # 8
        return pos + 1
    return _put_digits(out, pos + 1, -value)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_bool(out: np.ndarray, pos: int, value: bool) -> int:
    if value:
        out[pos], out[pos + 1], out[pos + 2], out[pos + 3] = 84, 114, 117, 101  # True
        return pos + 4
    out[pos], out[pos + 1], out[pos + 2], out[pos + 3], out[pos + 4] = 70, 97, 108, 115, 101
    return pos + 5


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def quoted_fields(blob: np.ndarray, offsets: np.ndarray, special: np.ndarray) -> np.ndarray:
    """Per field (bytes ``offsets[c]..offsets[c + 1]`` of ``blob``): whether it holds a
    ``special`` byte, one the csv writer quotes."""
    out = np.zeros(offsets.shape[0] - 1, dtype=np.bool_)
    for c in prange(offsets.shape[0] - 1):
        for k in range(offsets[c], offsets[c + 1]):
            if special[blob[k]]:
                out[c] = True
                break
    return out


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def row_bounds(codes: np.ndarray, table_bound: np.ndarray, chunk_bound: np.ndarray) -> np.ndarray:
    """Per row: the most bytes it takes written (fields by ``codes`` as in
    :func:`format_rows`, each bounded by ``table_bound`` / ``chunk_bound``, a number by
    ``NUMBER_WIDTH``; separators included)."""
    n_table = table_bound.shape[0]
    out = np.empty(codes.shape[1], dtype=np.int64)
    for i in prange(codes.shape[1]):
        total = codes.shape[0]  # separators and the line end
        for j in range(codes.shape[0]):
            code = codes[j, i]
            if code >= n_table:
                total += chunk_bound[code - n_table]
            elif code >= 0:
                total += table_bound[code]
            else:
                total += NUMBER_WIDTH
        out[i] = total
    return out


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_text(
    out: np.ndarray, pos: int, blob: np.ndarray, start: int, stop: int, quote: bool
) -> int:
    """Bytes ``start..stop`` of ``blob`` as a CSV field: in double quotes, its quotes
    doubled, if ``quote``. (Indices, not a view of ``blob``: a view is
    reference-counted, atomically, per field.)"""
    if not quote:
        for k in range(start, stop):
            out[pos] = blob[k]
            pos += 1
        return pos
    out[pos] = 34  # "
    pos += 1
    for k in range(start, stop):
        out[pos] = blob[k]
        pos += 1
        if blob[k] == 34:
            out[pos] = 34
            pos += 1
    out[pos] = 34
    return pos + 1


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def format_rows(
    kinds: np.ndarray,
    slots: np.ndarray,
    floats: np.ndarray,
    ints: np.ndarray,
    codes: np.ndarray,
    blob: np.ndarray,
    offsets: np.ndarray,
    quoted: np.ndarray,
    chunk_blob: np.ndarray,
    chunk_offsets: np.ndarray,
    chunk_quoted: np.ndarray,
    parts: np.ndarray,
    starts: np.ndarray,
    out: np.ndarray,
    ends: np.ndarray,
) -> None:
    """CSV rows ``parts[p]..parts[p + 1]`` into ``out`` from byte ``starts[p]`` on, part
    by part in parallel; ``ends[p]``: where part ``p`` ends. Field ``j`` of row ``i`` is
    ``floats[slots[j], i]`` or ``ints[slots[j], i]`` by ``kinds[j]`` (column-major: a
    column is a contiguous row of its matrix), unless ``codes[j, i] >= 0``: then the
    text of entry ``c = codes[j, i]``
    (bytes ``offsets[c]..offsets[c + 1]`` of ``blob``), quoted if ``quoted[c]``; codes
    from ``len(quoted)`` on are entries of the chunk's own table (``chunk_*``), which
    the writer's table (distinct values, kept from chunk to chunk) is not copied into."""
    n_cols = kinds.shape[0]
    n_table = quoted.shape[0]
    for p in prange(parts.shape[0] - 1):
        pos = starts[p]
        for i in range(parts[p], parts[p + 1]):
            for j in range(n_cols):
                if j:
                    out[pos] = 44  # ,
                    pos += 1
                code = codes[j, i]
                if code >= n_table:
                    code -= n_table
                    start, stop = chunk_offsets[code], chunk_offsets[code + 1]
                    pos = _put_text(out, pos, chunk_blob, start, stop, chunk_quoted[code])
                elif code >= 0:
                    pos = _put_text(out, pos, blob, offsets[code], offsets[code + 1], quoted[code])
                elif kinds[j] == FLOAT:
                    pos = _put_float(out, pos, floats[slots[j], i])
                elif kinds[j] == INT:
                    pos = _put_int(out, pos, ints[slots[j], i])
                else:
                    pos = _put_bool(out, pos, ints[slots[j], i] != 0)
            out[pos] = 10  # \n
            pos += 1
        ends[p] = pos


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def compact_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-NUL bytes of each row of ``matrix`` (rows × width), one row after the
    other, and where each row starts (one more at the end)."""
    n, width = matrix.shape
    offsets = np.zeros(n + 1, dtype=np.int64)
    for i in prange(n):
        count = 0
        for k in range(width):
            if matrix[i, k] != 0:
                count += 1
        offsets[i + 1] = count
    for i in range(n):
        offsets[i + 1] += offsets[i]
    out = np.empty(offsets[n], dtype=np.uint8)
    for i in prange(n):
        pos = offsets[i]
        for k in range(width):
            byte = matrix[i, k]
            if byte != 0:
                out[pos] = byte
                pos += 1
    return out, offsets


@njit(parallel=True, nogil=True, cache=True)
def _touch(values: np.ndarray) -> None:
    """A parallel kernel that does nothing useful: run once to start numba's threading
    layer, so that :func:`concurrent_launches_safe` can ask which one it is."""
    for i in prange(values.shape[0]):
        values[i] = 0


def concurrent_launches_safe() -> bool:
    """Whether two threads may run parallel kernels at the same time: numba's ``omp``
    and ``tbb`` threading layers allow it; ``workqueue`` (the fallback where neither
    library is installed) aborts the process on a concurrent launch."""
    import numba

    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet in this process
        _touch(np.zeros(1, dtype=np.int64))
        layer = numba.threading_layer()
    return layer in ("omp", "tbb")


#: Numbers in sentences are written here below this (times ``10**decimals``); larger
#: ones, NaN and infinities by ``%`` in Python.
FIXED_SCALED_MAX = 1e15
#: Dekker's splitter for float64: 2**27 + 1.
_SPLITTER = 134217729.0
#: 10**d as floats and as integers, d = 0 to 3 (decimals of numbers in sentences).
_SCALES = np.array([1.0, 10.0, 100.0, 1000.0])
_POWERS = np.array([1, 10, 100, 1000], dtype=np.int64)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _fixed_scaled(value: float, scale: float) -> np.int64:
    """``abs(value) * scale`` rounded to the nearest integer, ties to even, from the
    exact binary value (as ``'%.{d}f'`` rounds, ``scale = 10**d``); -1 where it is
    not below :data:`FIXED_SCALED_MAX` (also NaN and infinities).

    The product is rounded once by the multiplication; its exact error comes from
    Dekker's product (both factors split into halves of 26 bits), so that a product
    within its rounding error of a half is decided by the exact value."""
    a = abs(value)
    product = a * scale
    if not product < FIXED_SCALED_MAX:
        return np.int64(-1)
    c = _SPLITTER * a
    a_high = c - (c - a)
    a_low = a - a_high
    c = _SPLITTER * scale
    s_high = c - (c - scale)
    s_low = scale - s_high
    error = ((a_high * s_high - product) + a_high * s_low + a_low * s_high) + a_low * s_low
    whole = math.floor(product)
    above_half = (product - whole - 0.5) + error  # exact sign: both terms are exact
    rounded = np.int64(whole)
    if above_half > 0.0 or (above_half == 0.0 and rounded % 2 == 1):
        rounded += 1
    return rounded


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _sentence_length(program, i: int) -> tuple[int, bool, bool]:
    """Bytes of text ``i`` of ``program`` (see :func:`sentence_lengths`), whether it
    holds a character the CSV writer quotes, and whether a number in it is left to
    Python."""
    ops, literal_offsets, literal_quoted = program[0], program[2], program[3]
    numbers, codes, table_offsets, table_quoted, masks = program[4], program[5], *program[7:]
    length, quoted, left = 0, False, False
    for j in range(ops.shape[0]):
        kind, arg, mask, decimals = ops[j, 0], ops[j, 1], ops[j, 2], ops[j, 3]
        if mask >= 0 and not masks[mask, i]:
            continue
        if kind == 0:
            length += literal_offsets[arg + 1] - literal_offsets[arg]
            quoted |= literal_quoted[arg]
        elif kind == 1:
            value = numbers[arg, i]
            rounded = _fixed_scaled(value, _SCALES[decimals])
            if rounded < 0:
                left = True
                continue
            whole = rounded // _POWERS[decimals]
            length += _count_digits(whole) + (decimals + 1 if decimals > 0 else 0)
            if math.copysign(1.0, value) < 0.0:
                length += 1
        else:
            code = codes[arg, i]
            if code >= 0:
                length += table_offsets[code + 1] - table_offsets[code]
                quoted |= table_quoted[code]
    return length, quoted, left


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def sentence_lengths(program, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per text of ``program``: its bytes, whether the CSV writer quotes it, and whether
    a number in it is left to Python (NaN, infinite or too big: :func:`put_sentences`
    leaves its bytes to the caller).

    ``program`` is ``(ops, literal_data, literal_offsets, literal_quoted, numbers,
    codes, table_data, table_offsets, table_quoted, masks)``: text ``i`` is the pieces
    of ``ops`` one after the other, a row per piece: kind (0: literal ``arg`` of
    ``literal_data`` / ``literal_offsets``; 1: number ``numbers[arg, i]`` with
    ``decimals`` decimals, ``'%.{d}f'``; 2: text ``codes[arg, i]`` of ``table_data`` /
    ``table_offsets``, -1 none), ``arg``, ``mask`` (the piece is written where
    ``masks[mask, i]``; -1: everywhere) and ``decimals``."""
    lengths = np.empty(n, dtype=np.int64)
    quoted = np.empty(n, dtype=np.bool_)
    left = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        lengths[i], quoted[i], left[i] = _sentence_length(program, i)
    return lengths, quoted, left


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def put_sentences(program, starts: np.ndarray, left: np.ndarray, out: np.ndarray) -> None:
    """Text ``i`` of ``program`` (see :func:`sentence_lengths`) into ``out`` from byte
    ``starts[i]`` on, unless ``left[i]``."""
    ops, literal_data, literal_offsets = program[0], program[1], program[2]
    numbers, codes, table_data, table_offsets, masks = *program[4:8], program[9]
    for i in prange(starts.shape[0]):
        if left[i]:
            continue
        pos = starts[i]
        for j in range(ops.shape[0]):
            kind, arg, mask, decimals = ops[j, 0], ops[j, 1], ops[j, 2], ops[j, 3]
            if mask >= 0 and not masks[mask, i]:
                continue
            if kind == 0:
                for k in range(literal_offsets[arg], literal_offsets[arg + 1]):
                    out[pos] = literal_data[k]
                    pos += 1
            elif kind == 1:
                value = numbers[arg, i]
                rounded = _fixed_scaled(value, _SCALES[decimals])
                if math.copysign(1.0, value) < 0.0:
                    out[pos] = 45  # -
                    pos += 1
                power = _POWERS[decimals]
                whole = rounded // power
                pos = _put_digits(out, pos, whole)
                if decimals > 0:
                    out[pos] = 46  # .
                    fraction = rounded - whole * power
                    for k in range(decimals, 0, -1):
                        rest = fraction // 10
                        out[pos + k] = 48 + (fraction - 10 * rest)
                        fraction = rest
                    pos += decimals + 1
            else:
                code = codes[arg, i]
                if code >= 0:
                    for k in range(table_offsets[code], table_offsets[code + 1]):
                        out[pos] = table_data[k]
                        pos += 1


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def put_texts(
    data: np.ndarray, offsets: np.ndarray, items: np.ndarray, starts: np.ndarray, out: np.ndarray
) -> None:
    """Text ``items[i]`` of ``data`` / ``offsets`` into ``out`` from byte ``starts[i]``
    on (-1: nothing)."""
    for i in prange(items.shape[0]):
        item = items[i]
        if item >= 0:
            pos = starts[i]
            for k in range(offsets[item], offsets[item + 1]):
                out[pos] = data[k]
                pos += 1
