"""Numbers and tables as text with numpy: a CSV writer for big tables, fixed-decimal text.

:func:`write_csv` writes the bytes that ``frame.to_csv(path, index=False)`` writes
(pandas' defaults: ``,`` between fields, ``"`` around a field holding ``,``, ``"`` or a
line break, an empty field for a missing value, floats as :func:`repr`, booleans as
``True``/``False``), five to fifteen times faster on wide tables of a million rows.
Every field of a chunk of rows gets a fixed slot of a byte matrix, padded with NUL
bytes; separators sit between the slots, and one boolean compaction drops the padding.
Floats are written digit by digit from integer arithmetic (three digits per table
look-up) where their shortest round-trip text has at most six decimals and is not
in scientific notation — the case of money rounded to 1e-6 — and by :func:`repr`
otherwise; a text column is encoded once per distinct value and gathered by code.

:func:`fixed_text` is ``'%.{d}f' % x`` for a whole array (numbers inside sentences).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"id": ["A", "B,C"], "cost": [1.5, float("nan")], "ok": [True, False]})
>>> to_csv_bytes(frame) == frame.to_csv(index=False).encode()
True
>>> fixed_text(np.array([3.14159, -0.5, 12.0]), 2).tolist()
['3.14', '-0.50', '12.00']
"""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

import numpy as np
import pandas as pd

#: Rows per chunk: the byte matrix of one chunk stays a few tens of MB.
CHUNK_ROWS = 65_536


def _word_table(texts: list[str]) -> np.ndarray:
    """Four-byte texts as one uint32 each (bytes in memory order)."""
    return np.array([t.encode("ascii") for t in texts], dtype="S4").view(np.uint32)


def _nul(text: str, keep_last: bool = False) -> str:
    """``text`` with its leading zeros as NUL bytes (all of it for zero, unless ``keep_last``)."""
    stripped = text.lstrip("0")
    if keep_last and not stripped:
        stripped = "0"
    return "\0" * (len(text) - len(stripped)) + stripped


def _nul_trailing(text: str, keep_first: bool = False) -> str:
    """``text`` with its trailing zeros as NUL bytes (all but one if ``keep_first``)."""
    stripped = text.rstrip("0")
    if keep_first and not stripped:
        stripped = text[:1]
    return stripped + "\0" * (len(text) - len(stripped))


_FOUR = [f"{v:04d}" for v in range(10_000)]
#: Four digits of 0..9999 as one word each: zero-padded; leading zeros NUL; leading
#: zeros NUL but the last digit kept; trailing zeros NUL.
_WORDS = np.concatenate(
    [
        _word_table(_FOUR),
        _word_table([_nul(t) for t in _FOUR]),
        _word_table([_nul(t, keep_last=True) for t in _FOUR]),
        _word_table([_nul_trailing(t) for t in _FOUR]),
    ]
)
_PADDED, _LEADING, _LEADING_KEEP, _TRAILING = (0, 10_000, 20_000, 30_000)
#: The point and the first two decimals of a float (0..99) as one word: ``.dd`` and
#: ``.d`` with trailing zeros NUL.
_POINT2 = np.concatenate(
    [
        _word_table([f".{v:02d}\0" for v in range(100)]),
        _word_table(["." + _nul_trailing(f"{v:02d}", keep_first=True) + "\0" for v in range(100)]),
    ]
)
_MINUS, _COMMA, _NEWLINE = _word_table(["\0\0\0-", ",\0\0\0", "\n\0\0\0"])
#: Floats below this (in magnitude) are written from integer digits: nine before the
#: point, so that one ulp (< 1.2e-7) cannot hold two multiples of 1e-6.
_DIGIT_FLOAT_MAX = 1e9
#: repr switches to scientific notation below this magnitude.
_REPR_FIXED_MIN = 1e-4


def _quoted_characters() -> str:
    """The characters that make pandas' csv writer (minimal quoting, ``\\n`` line
    ends) quote a field, as this Python's csv module decides."""
    found = ""
    for char in ',"\n\r':
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(["a" + char, "b"])
        if buffer.getvalue().startswith('"'):
            found += char
    return found


#: Characters (and their bytes) that make the csv writer quote a field.
_QUOTE_CHARS = _quoted_characters()
_QUOTE_BYTES = np.frombuffer(_QUOTE_CHARS.encode("ascii"), dtype=np.uint8)


def _integer_words(whole: np.ndarray, groups: int, out: np.ndarray) -> None:
    """Decimal digits of non-negative int64 ``whole`` < 10**(4 * groups) into ``groups``
    word columns of ``out``, leading zeros NUL (a zero keeps one digit)."""
    rest = whole
    for group in range(groups - 1, -1, -1):
        if group:  # floor division and a product: a third of np.divmod's time
            higher = rest // 10_000
            low, rest = rest - 10_000 * higher, higher
        else:
            low = rest
        # leading zeros are NUL where every higher word is zero
        if group == groups - 1:
            table = np.where(whole < 10_000, _LEADING_KEEP, _PADDED)
        else:
            table = np.where(whole < 10 ** (4 * (groups - group)), _LEADING, _PADDED)
        out[:, group] = _WORDS[low + table]


def _text_matrix(texts: list[str] | np.ndarray, width: int = 1) -> np.ndarray:
    """UTF-8 bytes of each text, NUL-padded: ``(n, w)`` bytes, ``w`` at least ``width``."""
    encoded = np.array([t.encode("utf-8") for t in texts], dtype=bytes)
    width = max(width, encoded.dtype.itemsize)
    encoded = encoded.astype(f"S{width}")
    return encoded.view(np.uint8).reshape(len(encoded), width)


def _put_rows(matrix: np.ndarray, rows: np.ndarray, texts: list[str]) -> np.ndarray:
    """``matrix`` (widened if needed) with ``rows`` replaced by ``texts``."""
    if len(rows) == 0:
        return matrix
    fill = _text_matrix(texts)
    if fill.shape[1] > matrix.shape[1]:
        wider = np.zeros((matrix.shape[0], fill.shape[1]), dtype=np.uint8)
        wider[:, : matrix.shape[1]] = matrix
        matrix = wider
    matrix[rows] = 0
    matrix[rows, : fill.shape[1]] = fill
    return matrix


def _put_words(out: np.ndarray, rows: np.ndarray, texts: list[str]) -> None:
    """Rows ``rows`` of the word slot ``out`` hold ``texts`` (at most 4 bytes a word)."""
    if len(rows):
        out[rows] = _text_matrix(texts, 4 * out.shape[1]).view(np.uint32)


def _float_words(values: np.ndarray, out: np.ndarray) -> None:
    """Floats as :func:`repr` writes them (missing: empty) into six words a row."""
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        scaled = np.rint(magnitude * 1e6)
        digit = (
            (magnitude < _DIGIT_FLOAT_MAX)
            & ((magnitude >= _REPR_FIXED_MIN) | (magnitude == 0.0))
            & (scaled / 1e6 == magnitude)
        )
    scaled = np.where(digit, scaled, 0.0)
    # exact in floats: below 2**53, and a quotient k / 1e6 is never within an ulp of
    # the next integer
    integer = np.floor(scaled / 1e6)
    fraction = (scaled - 1e6 * integer).astype(np.int64)
    integer = integer.astype(np.int64)
    high = fraction // 10_000
    low = fraction - 10_000 * high
    # sign, three words of integer digits, the point and two decimals, four decimals
    out[:, 0] = np.where(np.signbit(values), _MINUS, 0)
    _integer_words(integer, 3, out[:, 1:4])
    out[:, 4] = _POINT2[high + 100 * (low == 0)]
    out[:, 5] = _WORDS[low + _TRAILING]
    out[np.flatnonzero(~digit)] = 0  # missing: an empty field
    other = np.flatnonzero(~digit & ~np.isnan(values))
    _put_words(out, other, [repr(v) for v in values[other].tolist()])


def _int_words(values: np.ndarray, out: np.ndarray) -> None:
    """Integers as :class:`str` writes them into five words a row."""
    digit = (values > -(10**16)) & (values < 10**16)
    out[:, 0] = np.where(values < 0, _MINUS, 0)
    _integer_words(np.where(digit, np.abs(values), 0), 4, out[:, 1:])
    other = np.flatnonzero(~digit)
    _put_words(out, other, [str(v) for v in values[other].tolist()])


_BOOL_WORDS = _text_matrix(["False", "True"], 8).view(np.uint32)


def _bool_words(values: np.ndarray, out: np.ndarray) -> None:
    out[:] = _BOOL_WORDS[values.astype(np.int64)]


def _is_int(dtype) -> bool:
    """Integers that fit int64."""
    return isinstance(dtype, np.dtype) and (
        dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8)
    )


#: Per column kind: how its values are read, how many words a field takes, the writer.
_WORD_KINDS = {
    "float": (np.float64, 6, _float_words),
    "int": (np.int64, 5, _int_words),
    "bool": (bool, 2, _bool_words),
}


def _kind(dtype) -> str:
    if dtype == np.dtype(np.float64):
        return "float"
    if _is_int(dtype):
        return "int"
    if dtype == np.dtype(bool):
        return "bool"
    return "text"


def _csv_field(value: object) -> str:
    """One value as the csv module writes it (minimal quoting; missing: empty)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    text = value if isinstance(value, str) else str(value)
    if any(char in text for char in _QUOTE_CHARS):
        return '"' + text.replace('"', '""') + '"'
    return text


def _field_table(values: np.ndarray, separator: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Each value as a CSV field followed by ``separator``, NUL-padded, as one row of
    bytes; and each row's width (field and separator)."""
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # the usual case
        texts = values
        encoded = list(map(str.encode, texts))
        # the few fields to quote, found in all the bytes at once
        flat = np.frombuffer(b"\0".join(encoded), dtype=np.uint8)
        special = np.zeros(len(flat), dtype=bool)
        for byte in _QUOTE_BYTES:
            special |= flat == byte
        if special.any():
            ends = np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)) + 1)
            for i in np.unique(np.searchsorted(ends, np.flatnonzero(special), side="right")):
                encoded[i] = ('"' + texts[i].replace('"', '""') + '"').encode("utf-8")
    else:
        encoded = [_csv_field(v).encode("utf-8") for v in values]
    length = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    width = int(length.max()) + 1 if len(length) else 1
    table = np.array(encoded, dtype=f"S{width}").view(np.uint8).reshape(len(encoded), width)
    table[np.arange(len(encoded)), length] = ord(separator)
    return table, length + 1


class _Coded:
    """A text column: each distinct value's field once, gathered by code; a column of
    mostly distinct values (sentences) is encoded chunk by chunk instead."""

    def __init__(self, values: np.ndarray, separator: bytes, chunk_rows: int) -> None:
        self.values, self.separator = values, separator
        head = values[:chunk_rows]
        self.coded = len(pd.unique(head)) <= len(head) // 2
        if self.coded:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            table, width = _field_table(np.asarray(uniques, dtype=object), separator)
            # one more row for missing values (code -1): an empty field
            missing = np.zeros((1, table.shape[1]), dtype=np.uint8)
            missing[0, 0] = ord(separator)
            self.table = np.vstack([table, missing])
            self.width = np.append(width, 1)
            self.codes = codes

    def rows(self, start: int, stop: int) -> np.ndarray:
        if not self.coded:
            return _field_table(self.values[start:stop], self.separator)[0]
        codes = self.codes[start:stop]
        width = int(self.width[codes].max()) if len(codes) else 1
        return self.table[codes, :width]


class _WordRun:
    """Consecutive columns of numbers and booleans: one word matrix, separators included."""

    def __init__(self, columns: list[tuple[str, np.ndarray]], last: bool) -> None:
        self.columns = columns
        self.last = last

    def rows(self, start: int, stop: int) -> np.ndarray:
        slots = [_WORD_KINDS[kind][1] for kind, _ in self.columns]
        words = np.empty((stop - start, sum(slots) + len(slots)), dtype=np.uint32)
        at = 0
        for (kind, values), slot in zip(self.columns, slots, strict=True):
            _WORD_KINDS[kind][2](values[start:stop], words[:, at : at + slot])
            words[:, at + slot] = _COMMA
            at += slot + 1
        if self.last:
            words[:, -1] = _NEWLINE
        keep = np.flatnonzero(words.any(axis=0))  # word columns NUL in every row go
        if len(keep) < words.shape[1]:
            words = words[:, keep]
        return np.ascontiguousarray(words).view(np.uint8)


def _pieces(frame: pd.DataFrame, chunk_rows: int) -> list[_Coded | _WordRun]:
    """How the columns of ``frame`` are written: text columns one by one, runs of
    number and boolean columns together."""
    pieces: list[_Coded | _WordRun] = []
    run: list[tuple[str, np.ndarray]] = []
    for position, name in enumerate(frame.columns):
        series = frame[name]
        kind = _kind(series.dtype)
        last = position == len(frame.columns) - 1
        if kind == "text":
            if run:
                pieces.append(_WordRun(run, last=False))
                run = []
            separator = b"\n" if last else b","
            pieces.append(_Coded(series.to_numpy(object), separator, chunk_rows))
        else:
            run.append((kind, series.to_numpy(_WORD_KINDS[kind][0])))
    if run:
        pieces.append(_WordRun(run, last=True))
    return pieces


def _assemble(pieces: list[np.ndarray], n: int) -> np.ndarray:
    """Rows of ``pieces`` (``(n, w)`` NUL-padded bytes) side by side, the padding
    dropped: the bytes of all rows, one after the other."""
    out = np.empty((n, sum(p.shape[1] for p in pieces)), dtype=np.uint8)
    at = 0
    for piece in pieces:
        out[:, at : at + piece.shape[1]] = piece
        at += piece.shape[1]
    flat = out.reshape(-1)
    return flat[flat != 0]


def _supported(frame: pd.DataFrame) -> bool:
    """Whether every column is of a kind written here (else pandas writes the frame);
    a one-column frame goes to pandas too (the csv module quotes an empty lone field)."""
    return (
        len(frame.columns) > 1
        and frame.columns.is_unique
        and all(
            dtype == np.dtype(np.float64)
            or dtype == np.dtype(bool)
            or _is_int(dtype)
            or pd.api.types.is_string_dtype(dtype)  # str and object
            for dtype in frame.dtypes
        )
    )


def _csv_chunks(frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS):
    """The CSV bytes of ``frame`` (header first, no index), a chunk of rows at a time."""
    yield (",".join(_csv_field(str(c)) for c in frame.columns) + "\n").encode("utf-8")
    pieces = _pieces(frame, chunk_rows)
    for start in range(0, len(frame), chunk_rows):
        stop = min(start + chunk_rows, len(frame))
        yield _assemble([p.rows(start, stop) for p in pieces], stop - start).tobytes()


def to_csv_bytes(frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS) -> bytes:
    """What :func:`write_csv` writes, as bytes."""
    if not _supported(frame):
        return frame.to_csv(index=False).encode("utf-8")
    return b"".join(_csv_chunks(frame, chunk_rows=chunk_rows))


def write_csv(frame: pd.DataFrame, path: str | Path, *, chunk_rows: int = CHUNK_ROWS) -> None:
    """Write ``frame`` as ``frame.to_csv(path, index=False)`` would, byte for byte.

    Columns of floats, integers, booleans and text (missing values as empty fields)
    are written with numpy a chunk of rows at a time; a frame with any other column
    (dates, categoricals, repeated names), or a single column, goes to pandas.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"a": [1, 2], "b": ["x", "y,z"]}), path)
    >>> path.read_text().splitlines()
    ['a,b', '1,x', '2,"y,z"']
    """
    if not _supported(frame):
        frame.to_csv(path, index=False)
        return
    with open(path, "wb") as handle:
        for chunk in _csv_chunks(frame, chunk_rows=chunk_rows):
            handle.write(chunk)


def _fixed_matrix(values: np.ndarray, decimals: int) -> np.ndarray:
    """``'%.{decimals}f' % x`` per element (0 to 3 decimals), NUL-padded bytes per row."""
    n = len(values)
    with np.errstate(invalid="ignore", over="ignore"):
        product = np.abs(values) * 10.0**decimals
        scaled = np.rint(product)
        near_half = np.abs(product - np.floor(product) - 0.5) <= 1e-15 * product
        digit = (scaled < 1e15) & ~near_half
    whole = np.where(digit, scaled, 0.0).astype(np.int64)
    integer, fraction = np.divmod(whole, 10**decimals)
    # sign, four words of integer digits, the point and decimals
    words = np.zeros((n, 6), dtype=np.uint32)
    words[:, 0] = np.where(np.signbit(values), _MINUS, 0)
    _integer_words(integer, 4, words[:, 1:5])
    if decimals:
        words[:, 5] = _point_words(decimals)[fraction]
    other = np.flatnonzero(~digit)
    matrix = words.view(np.uint8).reshape(n, -1)
    return _put_rows(matrix, other, [f"%.{decimals}f" % v for v in values[other].tolist()])


def sentences(pieces: list, n: int) -> np.ndarray:
    """``n`` texts, each the concatenation of ``pieces``: a :class:`str` (the same in
    every text; no line breaks) or ``(values, decimals)``, numbers written as
    ``'%.{decimals}f'`` (0 to 3 decimals, see :func:`fixed_text`). One pass over bytes
    for the whole sentence, rather than one concatenation of objects per piece.

    >>> sentences(["dearer by ", (np.array([1.5, 20.0]), 2), " a unit"], 2).tolist()
    ['dearer by 1.50 a unit', 'dearer by 20.00 a unit']
    """
    if n == 0:
        return np.zeros(0, dtype=object)
    matrices = []
    for piece in [*pieces, "\n"]:
        if isinstance(piece, str):
            literal = np.frombuffer(piece.encode("utf-8"), dtype=np.uint8)
            matrices.append(np.broadcast_to(literal, (n, len(literal))))
        else:
            values, decimals = piece
            values = np.asarray(values, dtype=np.float64).reshape(-1)
            matrices.append(_fixed_matrix(values, decimals))
    text = _assemble(matrices, n).tobytes().decode("utf-8")
    return np.array(text.split("\n")[:-1], dtype=object)


def fixed_text(values: np.ndarray, decimals: int = 2) -> np.ndarray:
    """``'%.{decimals}f' % x`` for each element, as an object array of :class:`str`.

    The value times ``10**decimals``, rounded to the nearest integer, written digit by
    digit; values whose product lies within its rounding error of a half (where only
    the exact binary value decides), NaN, infinities and huge values go to ``%``.

    >>> fixed_text(np.array([0.125, -0.0, 1e20, float("nan")]), 1).tolist()
    ['0.1', '-0.0', '100000000000000000000.0', 'nan']
    """
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if decimals > 3:
        return np.char.mod(f"%.{decimals}f", values).astype(object)
    return sentences([(values, decimals)], len(values))


@functools.cache
def _point_words(decimals: int) -> np.ndarray:
    """The point and ``decimals`` (1 to 3) zero-padded decimals of 0..10**decimals - 1."""
    return _word_table([f".{v:0{decimals}d}".ljust(4, "\0") for v in range(10**decimals)])
