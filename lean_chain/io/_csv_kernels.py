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
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

FLOAT, INT, BOOL = 0, 1, 2
#: Floats below this (in magnitude) are written from integer digits: nine before the
#: point, so that one ulp (< 1.2e-7) cannot hold two multiples of 1e-6.
DIGIT_FLOAT_MAX = 1e9
#: Most bytes a number written here takes: sign, 19 or 20 digits (int64), or
#: sign, nine digits, the point and six decimals (float).
NUMBER_WIDTH = 21


# Bytes are moved a machine word at a time, through raw pointers ("addresses" below):
# numba moves one byte per array index (about 1 ns a byte), and an array passed to a
# function that is not inlined is reference-counted, atomically, on every call. A
# pointer is valid while its array is alive (an argument of the kernel); nothing is
# read or written outside the ranges given (no bounds check: the callers size them).
_BYTES = types.CPointer(types.uint8)


@intrinsic
def _address(typingctx, array):  # pragma: no cover - compiled
    """A pointer to ``array``'s first byte."""

    def codegen(context, builder, signature, args):
        return context.make_array(signature.args[0])(context, builder, args[0]).data

    return _BYTES(array), codegen


def _unaligned_access(width: int) -> tuple:
    """Load and store of an unsigned ``width``-byte integer at byte ``index`` of a
    pointer, at any alignment (x86 and ARM64 allow it; LLVM emits one instruction)."""
    word, number = ir.IntType(8 * width), getattr(types, f"uint{8 * width}")

    def pointer(builder, address, index):
        return builder.bitcast(builder.gep(address, [index]), word.as_pointer())

    @intrinsic
    def load(typingctx, address, index):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            return builder.load(pointer(builder, *args), align=1)

        return number(_BYTES, types.intp), codegen

    @intrinsic
    def store(typingctx, address, index, value):  # pragma: no cover - compiled
        def codegen(context, builder, signature, args):
            builder.store(args[2], pointer(builder, args[0], args[1]), align=1)
            return context.get_dummy_value()

        return types.none(_BYTES, types.intp, number), codegen

    return load, store


_load1, _store1 = _unaligned_access(1)
_load2, _store2 = _unaligned_access(2)
_load4, _store4 = _unaligned_access(4)
_load8, _store8 = _unaligned_access(8)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _copy(out, pos: int, source, start: int, n: int) -> int:
    """Bytes ``start..start + n`` at address ``source`` to ``pos`` at address ``out``
    (no overlap); the position after. Words of 8 bytes, the last one overlapping the
    one before; two overlapping loads of 4 or 2 bytes below 8: nothing is read or
    written outside the two ranges."""
    if n >= 8:
        k = 0
        while k + 8 < n:
            _store8(out, pos + k, _load8(source, start + k))
            k += 8
        _store8(out, pos + n - 8, _load8(source, start + n - 8))
    elif n >= 4:
        first, last = _load4(source, start), _load4(source, start + n - 4)
        _store4(out, pos, first)
        _store4(out, pos + n - 4, last)
    elif n >= 2:
        first, last = _load2(source, start), _load2(source, start + n - 2)
        _store2(out, pos, first)
        _store2(out, pos + n - 2, last)
    elif n == 1:
        _store1(out, pos, _load1(source, start))
    return pos + n


_LOW_BITS = np.uint64(0x0101010101010101)
_HIGH_BITS = np.uint64(0x8080808080808080)
_QUOTES = np.uint64(0x2222222222222222)  # '"' in every byte


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _has_quote(source, start: int, n: int) -> bool:
    """Whether bytes ``start..start + n`` at address ``source`` hold a double quote: a
    word at a time (a zero byte of ``word ^ quotes``, the classic bit trick)."""
    found = np.uint64(0)
    k = 0
    while k + 8 <= n:
        x = _load8(source, start + k) ^ _QUOTES
        found |= (x - _LOW_BITS) & ~x & _HIGH_BITS
        k += 8
    while k < n:
        found |= np.uint64(_load1(source, start + k) == 34)
        k += 1
    return found != 0


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _repr_needed(value: float) -> bool:
    """Whether ``value`` is not missing and :func:`repr` of it is not its integer digits,
    a point and at most six decimals (it is not a multiple of 1e-6 as a float below
    1e9; scientific below 1e-4 is written here for multiples, see :func:`_put_small`).

    Without a branch, so that a column's values are checked several at a time. The
    value in millionths is rounded half up: a tie would be a value half-way between
    two multiples, at least 5e-7 from each, more than its own rounding error below
    1e9 (1.2e-7), so the rounding of ties never changes the answer."""
    magnitude = abs(value)
    millionths = math.floor(magnitude * 1e6 + 0.5)
    digits = (magnitude < DIGIT_FLOAT_MAX) & (millionths / 1e6 == magnitude)
    return (value == value) & (not digits)


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def repr_needed(floats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``floats`` (columns × rows, C-contiguous) not missing and not
    written here: their rows and columns, row by row."""
    m, n = floats.shape
    values = floats.ravel()
    total = 0
    for k in prange(values.shape[0]):  # the usual case, none, first: a plain reduction
        total += _repr_needed(values[k])
    if total == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    count = np.zeros(n + 1, dtype=np.int64)
    for i in prange(n):
        for j in range(m):
            count[i + 1] += _repr_needed(floats[j, i])
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


#: "00" to "99" as 2-byte words (first digit in the low byte, as memory holds them).
_PAIR_WORDS = _PAIRS.view(np.uint16).astype(np.uint64)
#: Trailing zeros of "00" to "99": 2 for "00", 1 for "10" to "90", 0 otherwise.
_PAIR_ZEROS = np.array([2 if v == 0 else int(v % 10 == 0) for v in range(100)], dtype=np.int64)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_small(out, pos: int, millionths: np.int64) -> int:
    """repr of ``millionths`` (1 to 99) times 1e-6 at address ``out``: the shortest
    digits that read back as that float (which is the nearest float to the decimal, as
    ``k / 1e6`` is)."""
    if millionths < 10:
        _store1(out, pos, 48 + millionths)
        exponent = 54  # 6
        pos += 1
    else:
        tens = millionths // 10
        units = millionths - 10 * tens
        _store1(out, pos, 48 + tens)
        pos += 1
        if units:
            _store1(out, pos, 46)  # .
            _store1(out, pos + 1, 48 + units)
            pos += 2
        exponent = 53  # 5
    _store4(out, pos, 0x302D65 | exponent << 24)  # e-0x (little-endian)
    return pos + 4


_U8, _U16, _U24, _U32, _U40, _U48 = (np.uint64(k) for k in (8, 16, 24, 32, 40, 48))
_U100, _U10K, _U1M, _U100M = (np.uint64(k) for k in (100, 10_000, 1_000_000, 100_000_000))
#: 10 to 10**8 (unsigned: no sign fix-ups in the arithmetic, no negative-index checks).
_DECADES = np.array([10**k for k in range(1, 9)], dtype=np.uint64)
_ZERO_CHARACTER, _POINT = np.uint64(48), np.uint64(46)
_ZERO_POINT_ZERO = np.uint32(0x302E30)  # "0.0" (little-endian)


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_float(out, pos: int, value: float) -> int:
    """``value`` as repr writes it (NaN or a multiple of 1e-6 below 1e9, see
    :func:`repr_needed`) at address ``out``; NaN: nothing.

    NaN and zero (a sixth and a third of a plan's numbers, often whole columns, whose
    branches :func:`format_rows` makes predictable by writing a column at a time) are
    written at once. Other numbers without data-dependent branches, in unsigned
    integers (no sign fix-ups): the integer part's last eight digits as one word
    shifted to its digit count (counted by comparisons), the point and all six
    decimals as another, the trailing zeros then left out (from a table of two-digit
    pairs). Up to 18 bytes are written from ``pos`` (within the field's
    :data:`NUMBER_WIDTH`); the ones after the returned position are written over by
    what follows."""
    if value != value:
        return pos
    _store1(out, pos, 45)  # -: kept if negative, written over otherwise
    pos += math.copysign(1.0, value) < 0.0
    if value == 0.0:  # often whole columns of a table: a branch well predicted
        _store4(out, pos, _ZERO_POINT_ZERO)
        return pos + 3
    magnitude = abs(value)
    # the value in millionths, exact below 2**53 (no tie: the value is a multiple)
    scaled = np.uint64(math.floor(magnitude * 1e6 + 0.5))
    if scaled - np.uint64(1) < np.uint64(99):  # 1e-6 to 99e-6: "4.4e-05", "5e-06"
        return _put_small(out, pos, np.int64(scaled))
    integer = scaled // _U1M
    fraction = scaled - _U1M * integer
    n = 1
    for k in range(8):
        n += integer >= _DECADES[k]
    leading = integer // _U100M  # the ninth digit
    upper = (integer - _U100M * leading) // _U10K
    lower = integer - _U100M * leading - _U10K * upper
    word = (
        _PAIR_WORDS[upper // _U100]
        | _PAIR_WORDS[upper % _U100] << _U16
        | _PAIR_WORDS[lower // _U100] << _U32
        | _PAIR_WORDS[lower % _U100] << _U48
    )
    if n == 9:
        _store1(out, pos, _ZERO_CHARACTER + leading)
        _store8(out, pos + 1, word)
    else:  # the last n of the eight digits
        _store8(out, pos, word >> (_U8 * np.uint64(8 - n)))
    pos += n
    high = fraction // _U10K
    middle = (fraction - _U10K * high) // _U100
    low = fraction - _U10K * high - _U100 * middle
    decimals = (
        _POINT | _PAIR_WORDS[high] << _U8 | _PAIR_WORDS[middle] << _U24 | _PAIR_WORDS[low] << _U40
    )
    _store8(out, pos, decimals)
    # the decimals up to the last non-zero one ("x.0" for whole numbers)
    zeros = _PAIR_ZEROS[low] + (low == 0) * (
        _PAIR_ZEROS[middle] + (middle == 0) * _PAIR_ZEROS[high]
    )
    return pos + 7 - min(zeros, 5)


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
        total = codes.shape[0] + 8  # separators, the line end, a word of slack (see format_rows)
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
def _put_text(out, pos: int, blob, start: int, stop: int, quote: bool) -> int:
    """Bytes ``start..stop`` at address ``blob`` as a CSV field at address ``out``: in
    double quotes, its quotes doubled, if ``quote``."""
    n = stop - start
    if not quote:
        return _copy(out, pos, blob, start, n)
    _store1(out, pos, 34)  # "
    if not _has_quote(blob, start, n):
        pos = _copy(out, pos + 1, blob, start, n)
        _store1(out, pos, 34)
        return pos + 1
    pos += 1
    for k in range(start, stop):
        byte = _load1(blob, k)
        _store1(out, pos, byte)
        pos += 1
        if byte == 34:
            _store1(out, pos, 34)
            pos += 1
    _store1(out, pos, 34)
    return pos + 1


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _put_entry(out, pos: int, blob, offsets: np.ndarray, quoted: np.ndarray, code: int) -> int:
    """Entry ``code`` of a table of texts (bytes ``offsets[code]..offsets[code + 1]`` at
    address ``blob``, quoted if ``quoted[code]``) as a CSV field at ``pos`` of ``out``."""
    return _put_text(out, pos, blob, offsets[code], offsets[code + 1], quoted[code])


#: Rows formatted together, a column at a time (their bytes stay in the core's cache).
TILE_ROWS = 16


@njit(nogil=True, cache=True, error_model="numpy", inline="always")
def _move_down(out, to: int, start: int, n: int) -> None:
    """Bytes ``start..start + n`` of ``out`` to ``to <= start`` (ranges may overlap)."""
    if to == start:
        return
    if start - to >= 8:  # a word read is never one written before it
        _copy(out, to, out, start, n)
        return
    for k in range(n):
        _store1(out, to + k, _load1(out, start + k))


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
    row_bound: np.ndarray,
    parts: np.ndarray,
    starts: np.ndarray,
    out: np.ndarray,
    ends: np.ndarray,
) -> None:
    """CSV rows ``parts[p]..parts[p + 1]`` into ``out`` from byte ``starts[p]`` on, part
    by part in parallel; ``ends[p]``: where part ``p`` ends. Field ``j`` of row ``i`` is
    ``floats[slots[j], i]`` or ``ints[slots[j], i]`` by ``kinds[j]`` (column-major: a
    column is a contiguous row of its matrix), unless ``codes[j, i] >= 0`` (text
    columns, and floats that need :func:`repr`): then the text of entry
    ``c = codes[j, i]`` (bytes ``offsets[c]..offsets[c + 1]`` of ``blob``), quoted if
    ``quoted[c]``; codes
    from ``len(quoted)`` on are entries of the chunk's own table (``chunk_*``), which
    the writer's table (distinct values, kept from chunk to chunk) is not copied into.
    Row ``i`` takes at most ``row_bound[i]`` bytes (:func:`row_bounds`); a part's rows
    take at most ``starts[p + 1] - starts[p]``.

    A tile of :data:`TILE_ROWS` rows is written a column at a time, each row from the
    start of its bound (so that a row's place does not wait for the length of every
    field before it, and a column's kind is one branch for the whole tile), then the
    rows are moved down to follow one another."""
    n_cols = kinds.shape[0]
    n_table = quoted.shape[0]
    at, blob_at, chunk_at = _address(out), _address(blob), _address(chunk_blob)
    for p in prange(parts.shape[0] - 1):
        row_start = np.empty(TILE_ROWS, dtype=np.int64)
        row_end = np.empty(TILE_ROWS, dtype=np.int64)
        pos = starts[p]
        slot = starts[p]
        for first in range(parts[p], parts[p + 1], TILE_ROWS):
            m = min(TILE_ROWS, parts[p + 1] - first)
            for r in range(m):
                row_start[r] = slot
                row_end[r] = slot
                slot += row_bound[first + r]
            for j in range(n_cols):
                kind, column = kinds[j], slots[j]
                if j:
                    for r in range(m):
                        _store1(at, row_end[r], 44)  # ,
                        row_end[r] += 1
                # a loop per kind: no branch on the kind in it
                if kind == FLOAT:
                    for r in range(m):
                        code, end = codes[j, first + r], row_end[r]
                        if code < 0:
                            row_end[r] = _put_float(at, end, floats[column, first + r])
                        else:  # written by repr: in the chunk's table
                            code -= n_table
                            row_end[r] = _put_entry(
                                at, end, chunk_at, chunk_offsets, chunk_quoted, code
                            )
                elif kind == INT:
                    for r in range(m):
                        row_end[r] = _put_int(out, row_end[r], ints[column, first + r])
                elif kind == BOOL:
                    for r in range(m):
                        row_end[r] = _put_bool(out, row_end[r], ints[column, first + r] != 0)
                else:
                    for r in range(m):
                        code, end = codes[j, first + r], row_end[r]
                        if code < n_table:
                            row_end[r] = _put_entry(at, end, blob_at, offsets, quoted, code)
                        else:
                            code -= n_table
                            row_end[r] = _put_entry(
                                at, end, chunk_at, chunk_offsets, chunk_quoted, code
                            )
            for r in range(m):
                _store1(at, row_end[r], 10)  # \n
                n = row_end[r] + 1 - row_start[r]
                _move_down(at, pos, row_start[r], n)
                pos += n
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
    at, literal_at, table_at = _address(out), _address(literal_data), _address(table_data)
    for i in prange(starts.shape[0]):
        if left[i]:
            continue
        pos = starts[i]
        for j in range(ops.shape[0]):
            kind, arg, mask, decimals = ops[j, 0], ops[j, 1], ops[j, 2], ops[j, 3]
            if mask >= 0 and not masks[mask, i]:
                continue
            if kind == 0:
                start = literal_offsets[arg]
                pos = _copy(at, pos, literal_at, start, literal_offsets[arg + 1] - start)
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
                    start = table_offsets[code]
                    pos = _copy(at, pos, table_at, start, table_offsets[code + 1] - start)


@njit(parallel=True, nogil=True, cache=True, error_model="numpy")
def put_texts(
    data: np.ndarray, offsets: np.ndarray, items: np.ndarray, starts: np.ndarray, out: np.ndarray
) -> None:
    """Text ``items[i]`` of ``data`` / ``offsets`` into ``out`` from byte ``starts[i]``
    on (-1: nothing)."""
    at, data_at = _address(out), _address(data)
    for i in prange(items.shape[0]):
        item = items[i]
        if item >= 0:
            start = offsets[item]
            _copy(at, starts[i], data_at, start, offsets[item + 1] - start)
