"""Numbers and tables as text with numpy: a CSV writer for big tables, fixed-decimal text.

:func:`write_csv` writes the bytes that ``frame.to_csv(path, index=False)`` writes
(pandas' defaults: ``,`` between fields, ``"`` around a field holding ``,``, ``"`` or a
line break, an empty field for a missing value, floats as :func:`repr`, booleans as
``True``/``False``), ten to twenty times faster on wide tables of a million rows;
:func:`write_blocks` writes a table given block by block (the whole table is never in
memory) with a text column as codes into its distinct values (:class:`Coded`).
A compiled kernel (:mod:`lean_chain.io._csv_kernels`, two threads) writes a chunk of
rows into a byte buffer while a thread writes the previous chunk to the file.
Floats are written digit by digit where their shortest round-trip text has at most
six decimals and is not in scientific notation — the case of money rounded to 1e-6
— and by :func:`repr` otherwise (found by the kernel, formatted in Python); a text
column is either one byte table of its distinct values or, for mostly distinct texts
(sentences), encoded a chunk at a time with one join; the kernel quotes a field that
holds a quote character.

:func:`fixed_text` is ``'%.{d}f' % x`` for a whole array (numbers inside sentences);
:func:`sentences` joins literals, such numbers and coded texts into one text per row,
by a compiled kernel straight into the bytes for big arrays (the exact product's error
decides a number within an ulp of a half), by numpy for small ones.

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
import dataclasses
import functools
import io
import itertools
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Rows per chunk: the byte matrix of one chunk stays a few tens of MB.
CHUNK_ROWS = 65_536
#: Tables of fewer rows are written by pandas (the same bytes): the compiled kernel's
#: first call in a fresh environment compiles it, about 9 s of CPU (cached afterwards),
#: which a small run such as the README's quick start (at most 34k rows a table) would
#: pay in silence at its end, for a write pandas does in under a second.
PANDAS_BELOW_ROWS = 50_000
#: :func:`sentences` of this many texts or more are written by a compiled kernel; fewer
#: by numpy (which a small run's explanation uses without compiling the kernel).
SENTENCE_KERNEL_ROWS = 20_000


def _word_table(texts: list[str]) -> np.ndarray:
    """Four-byte texts as one uint32 each (bytes in memory order)."""
    return np.array([t.encode("ascii") for t in texts], dtype="S4").view(np.uint32)


def _nul(text: str, keep_last: bool = False) -> str:
    """``text`` with its leading zeros as NUL bytes (all of it for zero, unless ``keep_last``)."""
    stripped = text.lstrip("0")
    if keep_last and not stripped:
        stripped = "0"
    return "\0" * (len(text) - len(stripped)) + stripped


_FOUR = [f"{v:04d}" for v in range(10_000)]
#: Four digits of 0..9999 as one word each: zero-padded; leading zeros NUL; leading
#: zeros NUL but the last digit kept.
_WORDS = np.concatenate(
    [
        _word_table(_FOUR),
        _word_table([_nul(t) for t in _FOUR]),
        _word_table([_nul(t, keep_last=True) for t in _FOUR]),
    ]
)
_PADDED, _LEADING, _LEADING_KEEP = (0, 10_000, 20_000)
_MINUS = _word_table(["\0\0\0-"])[0]


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


def _is_int(dtype) -> bool:
    """Integers that fit int64."""
    return isinstance(dtype, np.dtype) and (
        dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8)
    )


def _csv_field(value: object) -> str:
    """One value as the csv module writes it (minimal quoting; missing: empty)."""
    text = _field_text(value)
    if any(char in text for char in _QUOTE_CHARS):
        return '"' + text.replace('"', '""') + '"'
    return text


#: Bytes that make the csv writer quote a field, as a look-up table.
_SPECIAL = np.zeros(256, dtype=bool)
_SPECIAL[_QUOTE_BYTES] = True
#: Joins texts for one encoding call; a text that holds it goes the slow way.
_SEPARATOR = "\x1f"


def _encode_texts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value as the text of its CSV field, unquoted (missing: empty): the UTF-8
    bytes of all one after the other, and where each starts (one more at the end)."""
    n = len(values)
    offsets = np.zeros(n + 1, dtype=np.int64)
    if pd.api.types.infer_dtype(values, skipna=False) == "string":  # the usual case
        # one join and one encode for all, cut at the separators
        flat = np.frombuffer(_SEPARATOR.join(values).encode("utf-8"), dtype=np.uint8)
        cuts = np.flatnonzero(flat == ord(_SEPARATOR))
        if len(cuts) == n - 1:
            offsets[1:-1] = cuts - np.arange(n - 1)
            offsets[-1] = len(flat) - (n - 1)
            return flat[flat != ord(_SEPARATOR)] if n > 1 else flat, offsets
        encoded = [v.encode("utf-8") for v in values]
    else:
        encoded = [_field_text(v).encode("utf-8") for v in values]
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=n), out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets


def _quoted(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per field (bytes ``offsets[c]..offsets[c + 1]`` of ``blob``): whether the CSV
    writer quotes it."""
    from lean_chain.io import _csv_kernels

    return _csv_kernels.quoted_fields(blob, offsets, _SPECIAL)


def _field_text(value: object) -> str:
    """A value's text as the csv module writes it, before quoting (missing: empty)."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    return value if isinstance(value, str) else str(value)


@dataclass(frozen=True, eq=False)
class Coded:
    """A text column as integer codes into its distinct values: ``values[codes]``, a
    code of -1 a missing value (an empty field). What :func:`write_blocks` takes for
    columns of few distinct texts (ids, paths): each is encoded once."""

    codes: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    @classmethod
    def factorize(cls, values: np.ndarray) -> Coded:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return cls(codes, np.asarray(uniques, dtype=object))


#: Column kinds of the kernel (numbers) and of text (bytes of the table).
_KINDS = {"float": 0, "int": 1, "bool": 2, "text": 3}


def _column_kind(column) -> str:
    if isinstance(column, Coded | Texts):
        return "text"
    dtype = column.dtype
    if dtype == np.dtype(np.float64):
        return "float"
    if _is_int(dtype):
        return "int"
    if dtype == np.dtype(bool):
        return "bool"
    return "text"


class _RowWriter:
    """CSV rows from columns, a chunk at a time, by the compiled kernel.

    Numbers are written by the kernel, text fields are copied from one byte table:
    first the distinct values of :class:`Coded` columns (encoded once per writer),
    then the chunk's own fields (columns of mostly distinct texts, numbers that need
    :func:`repr`).
    """

    def __init__(self, n_columns: int) -> None:
        from lean_chain.io import _csv_kernels

        self.kernels = _csv_kernels
        self.n_columns = n_columns
        # buffers kept from chunk to chunk: fresh memory costs a page fault per 4 KiB,
        # which on some machines costs as much as formatting the bytes; the bytes of a
        # chunk alternate between two, so a chunk's bytes stay valid while the next
        # one is made (the file writer's one write in flight)
        self._buffers: dict[str, np.ndarray] = {}
        self._turn = 0
        self.blob = np.zeros(0, dtype=np.uint8)
        self.offsets = np.zeros(1, dtype=np.int64)
        self.quoted = np.zeros(0, dtype=bool)
        self._bound = None
        self.coded: dict[int, tuple[np.ndarray, int]] = {}  # id -> values, first code
        self.empty = self._add(*_encode_texts(np.array([""], dtype=object)))

    def _add(self, blob: np.ndarray, offsets: np.ndarray) -> int:
        """Append fields to the table; the code of the first."""
        base = len(self.offsets) - 1
        self.offsets = np.concatenate([self.offsets, self.offsets[-1] + offsets[1:]])
        self.blob = np.concatenate([self.blob, blob])
        self.quoted = np.concatenate([self.quoted, _quoted(blob, offsets)])
        return base

    def _coded(self, values: np.ndarray) -> int:
        """Code of the first of ``values`` in the table (encoded on first sight)."""
        known = self.coded.get(id(values))
        if known is None or known[0] is not values:
            known = (values, self._add(*_encode_texts(values)))
            self.coded[id(values)] = known
        return known[1]

    def rows(self, columns: list, start: int, stop: int) -> list[np.ndarray]:
        """The bytes of rows ``start..stop`` of ``columns``, in a few consecutive pieces
        (valid until the second next call: the writer's buffer)."""
        n, kernels = stop - start, self.kernels
        kinds = np.array([_KINDS[_column_kind(c)] for c in columns], dtype=np.int8)
        slots = np.zeros(len(columns), dtype=np.int64)
        is_float = kinds == _KINDS["float"]
        slots[is_float] = np.arange(is_float.sum())
        is_int = (kinds == _KINDS["int"]) | (kinds == _KINDS["bool"])
        slots[is_int] = np.arange(is_int.sum())
        # column-major: a column is copied in one contiguous stretch (the kernel reads a
        # row's fields from as many sequential streams)
        floats = self._buffer("floats", (int(is_float.sum()), n), np.float64)
        ints = self._buffer("ints", (int(is_int.sum()), n), np.int64)
        codes = self._buffer("codes", (len(columns), n), np.int32)
        codes.fill(-1)
        for column in columns:  # new distinct values first: the table grows
            if isinstance(column, Coded):
                self._coded(column.values)
        local_blobs, local_offsets, local_quoted = [], [], []
        local_base = len(self.offsets) - 1  # chunk fields follow the writer's table
        for j, column in enumerate(columns):
            if is_float[j]:
                floats[slots[j]] = column[start:stop]
            elif is_int[j]:
                ints[slots[j]] = column[start:stop]
            elif isinstance(column, Coded):
                base = self._coded(column.values)
                part = column.codes[start:stop]
                np.add(part, base, out=codes[j], casting="unsafe")
                codes[j][part < 0] = self.empty
            else:
                quoted = None
                if isinstance(column, Texts):  # already bytes
                    bounds = column.offsets[start : stop + 1]
                    blob, offsets = column.data[bounds[0] : bounds[-1]], bounds - bounds[0]
                    if column.quoted is not None:
                        quoted = column.quoted[start:stop]
                else:
                    blob, offsets = _encode_texts(column[start:stop])
                codes[j] = np.arange(local_base, local_base + n)
                local_blobs.append(blob)
                local_offsets.append(offsets)
                local_quoted.append(_quoted(blob, offsets) if quoted is None else quoted)
                local_base += n
        if is_float.any():
            at, which = kernels.repr_needed(floats)
            if len(at):
                texts = np.array([repr(v) for v in floats[which, at].tolist()], dtype=object)
                blob, offsets = _encode_texts(texts)
                columns_at = np.flatnonzero(is_float)[which]
                codes[columns_at, at] = local_base + np.arange(len(at))
                local_blobs.append(blob)
                local_offsets.append(offsets)
                local_quoted.append(_quoted(blob, offsets))
        # the chunk's own fields: codes from the writer's table's length on
        chunk_blob = np.concatenate([np.zeros(0, dtype=np.uint8), *local_blobs])
        chunk_offsets = [np.zeros(1, dtype=np.int64)]
        for part in local_offsets:
            chunk_offsets.append(chunk_offsets[-1][-1] + part[1:])
        chunk_offsets = np.concatenate(chunk_offsets)
        chunk_quoted = np.concatenate([np.zeros(0, dtype=bool), *local_quoted])
        # where each part of rows starts: the bytes its rows may take at most (a quoted
        # text may double its quotes; a number written here takes NUMBER_WIDTH at most)
        chunk_bound = np.diff(chunk_offsets) * (1 + chunk_quoted) + 2 * chunk_quoted
        row_bound = kernels.row_bounds(codes, self._bounds(), chunk_bound)
        n_parts = max(1, min(n, 4 * _threads()))
        parts = np.linspace(0, n, n_parts + 1).astype(np.int64)
        part_end = np.cumsum(row_bound)[parts[1:] - 1] if n else np.zeros(1, dtype=np.int64)
        starts = np.concatenate([[0], part_end[:-1]]).astype(np.int64)
        self._turn = 1 - self._turn
        out = self._buffer(f"out{self._turn}", (max(int(part_end[-1]), 1),), np.uint8)
        ends = np.zeros(n_parts, dtype=np.int64)
        kernels.format_rows(
            kinds,
            slots,
            floats,
            ints,
            codes,
            self.blob,
            self.offsets,
            self.quoted,
            chunk_blob,
            chunk_offsets,
            chunk_quoted,
            row_bound,
            parts,
            starts,
            out,
            ends,
        )
        return [out[starts[p] : ends[p]] for p in range(n_parts)]

    def _buffer(self, name: str, shape: tuple, dtype) -> np.ndarray:
        """An array of ``shape``: the start of the buffer ``name``, grown if too small."""
        size = int(np.prod(shape))
        buffer = self._buffers.get(name)
        if buffer is None or buffer.size < size:
            buffer = np.empty(size + size // 4, dtype=dtype)
            self._buffers[name] = buffer
        return buffer[:size].reshape(shape)

    def _bounds(self) -> np.ndarray:
        """Most bytes each field of the writer's table takes written (quoted or not)."""
        if self._bound is None or len(self._bound) != len(self.quoted):
            self._bound = np.diff(self.offsets) * (1 + self.quoted) + 2 * self.quoted
        return self._bound


def _threads() -> int:
    import numba

    return numba.get_num_threads()


def _header(names) -> bytes:
    return (",".join(_csv_field(str(c)) for c in names) + "\n").encode("utf-8")


def _chunks(names: list[str], blocks, chunk_rows: int):
    """Header, then the rows of each block (a list of columns) a chunk at a time."""
    yield [np.frombuffer(_header(names), dtype=np.uint8)]
    writer = None
    for columns in blocks:
        n = len(columns[0]) if len(columns) else 0
        if n and writer is None:
            writer = _RowWriter(len(names))
        for start in range(0, n, chunk_rows):
            yield writer.rows(columns, start, min(start + chunk_rows, n))


def _write_pieces(handle, pieces: list[np.ndarray]) -> None:
    for piece in pieces:
        handle.write(memoryview(piece))


def _write_chunks(path: str | Path, chunks) -> None:
    """Write ``chunks`` to ``path``; the file is written by a thread of its own while
    the next chunk is formatted (the kernel and file writes release the GIL)."""
    with open(path, "wb") as handle, ThreadPoolExecutor(max_workers=1) as pool:
        pending = None
        for pieces in chunks:
            if pending is not None:
                pending.result()
            pending = pool.submit(_write_pieces, handle, pieces)
        if pending is not None:
            pending.result()


def _frame_columns(frame: pd.DataFrame, chunk_rows: int) -> list:
    """The columns of ``frame`` as :func:`write_blocks` takes them: numbers and booleans
    as arrays, text of few distinct values :class:`Coded`, other text as objects."""
    columns = []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        kind = _column_kind(series.to_numpy(copy=False)) if _is_numpy(series) else "text"
        if kind == "float":
            columns.append(series.to_numpy(np.float64))
        elif kind in ("int", "bool"):
            columns.append(series.to_numpy(np.int64 if kind == "int" else bool))
        else:
            values = series.to_numpy(object)
            head = values[:chunk_rows]
            few = len(pd.unique(head)) <= len(head) // 2
            columns.append(Coded.factorize(values) if few else values)
    return columns


def _is_numpy(series: pd.Series) -> bool:
    return isinstance(series.dtype, np.dtype)


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


def to_csv_bytes(frame: pd.DataFrame, *, chunk_rows: int = CHUNK_ROWS) -> bytes:
    """What :func:`write_csv` writes, as bytes."""
    if not _supported(frame) or len(frame) < PANDAS_BELOW_ROWS:
        return frame.to_csv(index=False).encode("utf-8")
    columns = _frame_columns(frame, chunk_rows)
    chunks = _chunks(list(frame.columns), [columns], chunk_rows)
    return b"".join(piece.tobytes() for pieces in chunks for piece in pieces)


def write_csv(frame: pd.DataFrame, path: str | Path, *, chunk_rows: int = CHUNK_ROWS) -> None:
    """Write ``frame`` as ``frame.to_csv(path, index=False)`` would, byte for byte.

    Columns of floats, integers, booleans and text (missing values as empty fields)
    are written by a compiled kernel a chunk of rows at a time; a frame with any other
    column (dates, categoricals, repeated names), or a single column, or fewer than
    :data:`PANDAS_BELOW_ROWS` rows, goes to pandas.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_csv(pd.DataFrame({"a": [1, 2], "b": ["x", "y,z"]}), path)
    >>> path.read_text().splitlines()
    ['a,b', '1,x', '2,"y,z"']
    """
    if not _supported(frame) or len(frame) < PANDAS_BELOW_ROWS:
        frame.to_csv(path, index=False)
        return
    columns = _frame_columns(frame, chunk_rows)
    _write_chunks(path, _chunks(list(frame.columns), [columns], chunk_rows))


def write_blocks(
    path: str | Path, names: list[str], blocks, *, chunk_rows: int = CHUNK_ROWS
) -> None:
    """Write a table given as consecutive blocks of rows, one block in memory at a time:
    the bytes :func:`write_csv` writes for the concatenated table.

    ``blocks`` yields lists of columns in the order of ``names``: float64, integer and
    boolean arrays, object arrays of text, :class:`Texts` (text already bytes) and
    :class:`Coded` text (give the same ``values`` array in every block: it is encoded
    once).

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "t.csv"
    >>> ids = np.array(["x", "y,z"], dtype=object)
    >>> blocks = ([np.array([1.5, 2.0]), Coded(np.array([0, 1]), ids)] for _ in range(2))
    >>> write_blocks(path, ["a", "b"], blocks)
    >>> path.read_text().splitlines()
    ['a,b', '1.5,x', '2.0,"y,z"', '1.5,x', '2.0,"y,z"']
    """
    _write_chunks(path, _chunks(list(names), _ahead(blocks), chunk_rows))


class _Inline:
    """An executor that runs what it is given at once, in the caller's thread."""

    def __enter__(self) -> _Inline:
        return self

    def __exit__(self, *exc) -> None:
        return None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:  # handed to the caller by result()
            future.set_exception(error)
        return future


def kernel_worker(threads: int = 1) -> ThreadPoolExecutor | _Inline:
    """``threads`` worker threads for work that may run compiled parallel kernels beside
    the caller's: threads where numba's threading layer allows concurrent launches, the
    caller's own thread otherwise (the ``workqueue`` layer aborts on them)."""
    from lean_chain.io import _csv_kernels

    if _csv_kernels.concurrent_launches_safe():
        return ThreadPoolExecutor(max_workers=threads)
    return _Inline()


def _ahead(blocks):
    """``blocks``, each made by a thread of its own while the one before is formatted
    (both mostly release the GIL: numpy gathers, compiled kernels); an error or an
    interruption in the maker reaches the caller, who stops the maker on leaving."""
    iterator = iter(blocks)
    with kernel_worker() as pool:
        pending = pool.submit(next, iterator, None)
        try:
            while True:
                block = pending.result()
                if block is None:
                    return
                pending = pool.submit(next, iterator, None)
                yield block
        finally:
            pending.cancel()


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


def _assemble(pieces: list[np.ndarray], n: int) -> Texts:
    """Rows of ``pieces`` (``(n, w)`` NUL-padded bytes) side by side, the padding
    dropped: one text per row."""
    out = np.empty((n, sum(p.shape[1] for p in pieces)), dtype=np.uint8)
    at = 0
    for piece in pieces:
        out[:, at : at + piece.shape[1]] = piece
        at += piece.shape[1]
    from lean_chain.io import _csv_kernels

    return Texts(*_csv_kernels.compact_rows(out))


@dataclass(frozen=True, eq=False)
class Texts:
    """Texts as their UTF-8 bytes one after the other: text ``i`` is bytes
    ``offsets[i]..offsets[i + 1]`` of ``data``. What :func:`sentences` writes and
    :func:`write_blocks` takes for a column of mostly distinct texts: no
    :class:`str` per text, which costs more than the sentence itself.

    >>> Texts.of(["a", "", "b,c"]).tolist()
    ['a', '', 'b,c']
    """

    data: np.ndarray
    offsets: np.ndarray
    #: per text, whether it holds a character the CSV writer quotes (None: not known)
    quoted: np.ndarray | None = None

    @classmethod
    def of(cls, texts) -> Texts:
        """The texts of a sequence of :class:`str` (missing values: empty)."""
        data, offsets = _encode_texts(np.asarray(texts, dtype=object))
        return cls(data, offsets, _quoted(data, offsets))

    def quoted_or_found(self) -> np.ndarray:
        """:attr:`quoted`, found in the bytes if not known."""
        return _quoted(self.data, self.offsets) if self.quoted is None else self.quoted

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def tolist(self) -> list[str]:
        raw = self.data.tobytes()
        bounds = self.offsets.tolist()
        if not len(self.data) or int(self.data.max()) < 128:  # ASCII: bytes are characters
            text = raw.decode("ascii")
            return [text[a:b] for a, b in itertools.pairwise(bounds)]
        return [raw[a:b].decode("utf-8") for a, b in itertools.pairwise(bounds)]

    def to_objects(self) -> np.ndarray:
        """The texts as an object array of :class:`str`."""
        out = np.empty(len(self), dtype=object)
        out[:] = self.tolist()
        return out


@dataclass(frozen=True, eq=False)
class When:
    """A piece of :func:`sentences` written only in the rows where ``mask`` holds."""

    mask: np.ndarray
    pieces: list


def _piece_matrices(pieces: list, n: int) -> tuple[list[np.ndarray], np.ndarray]:
    """The ``(n, w)`` NUL-padded byte matrix of each piece of :func:`sentences`, and per
    row whether any piece holds a character the CSV writer quotes (numbers never do)."""
    matrices, quoted = [], np.zeros(n, dtype=bool)
    for piece in pieces:
        if isinstance(piece, str):
            literal = np.frombuffer(piece.encode("utf-8"), dtype=np.uint8)
            matrices.append(np.broadcast_to(literal, (n, len(literal))))
            quoted |= bool(_SPECIAL[literal].any())
        elif isinstance(piece, Coded):  # a text per row from a table: only those used
            codes = np.asarray(piece.codes, dtype=np.int64) + 1  # 0: none
            used = np.flatnonzero(np.bincount(codes, minlength=len(piece.values) + 1))
            position = np.zeros(len(piece.values) + 1, dtype=np.int64)
            position[used] = np.arange(len(used))
            table = _text_matrix(np.append("", piece.values)[used])
            matrices.append(table[position[codes]])
            quoted |= _SPECIAL[table].any(axis=1)[position[codes]]
        elif isinstance(piece, When):
            inner, inner_quoted = _piece_matrices(piece.pieces, n)
            for matrix in inner:
                matrices.append(np.where(piece.mask[:, None], matrix, np.uint8(0)))
            quoted |= inner_quoted & piece.mask
        else:
            values, decimals = piece
            values = np.asarray(values, dtype=np.float64).reshape(-1)
            matrices.append(_fixed_matrix(values, decimals))
    return matrices, quoted


def sentences(pieces: list, n: int) -> Texts:
    """``n`` texts, each the concatenation of ``pieces``: a :class:`str` (the same in
    every text), ``(values, decimals)``, numbers written as ``'%.{decimals}f'`` (0 to 3
    decimals, see :func:`fixed_text`), a :class:`Coded` text per row (-1: none), or
    :class:`When` (pieces in some rows only). One pass over bytes for the whole
    sentence, rather than one concatenation of objects per piece; no text may hold a
    NUL character.

    >>> sentences(["dearer by ", (np.array([1.5, 20.0]), 2), " a unit"], 2).tolist()
    ['dearer by 1.50 a unit', 'dearer by 20.00 a unit']
    >>> node = Coded(np.array([1, 0]), np.array(["BZ", "WH"], dtype=object))
    >>> sentences([node, When(np.array([True, False]), [" is full"])], 2).tolist()
    ['WH is full', 'BZ']
    """
    if n == 0:
        return Texts(np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64), np.zeros(0, bool))
    if n >= SENTENCE_KERNEL_ROWS:
        rows = RowTexts(n)
        rows.put(np.arange(n), Sentences(pieces, n))
        return rows.build()
    return _numpy_sentences(pieces, n)


def _numpy_sentences(pieces: list, n: int) -> Texts:
    """:func:`sentences` by numpy: a NUL-padded byte matrix per piece, side by side,
    the padding dropped."""
    matrices, quoted = _piece_matrices(pieces, n)
    return dataclasses.replace(_assemble(matrices, n), quoted=quoted)


@dataclass(frozen=True, eq=False)
class Sentences:
    """The ``n`` texts of :func:`sentences`, not yet written: :class:`RowTexts` writes
    them straight into the bytes of its rows, without a text of their own first.

    >>> rows = RowTexts(2)
    >>> rows.put(np.array([1, 0]), Sentences(["cost ", (np.array([1.5, 2.25]), 1)], 2))
    >>> rows.build().tolist()
    ['cost 2.2', 'cost 1.5']
    """

    pieces: list
    n: int

    def __len__(self) -> int:
        return self.n

    def texts(self) -> Texts:
        """The texts, written now."""
        return sentences(self.pieces, self.n)


def _rows_of(pieces: list, rows: np.ndarray) -> list:
    """The pieces of :func:`sentences` for ``rows`` only."""
    out = []
    for piece in pieces:
        if isinstance(piece, str):
            out.append(piece)
        elif isinstance(piece, Coded):
            out.append(Coded(np.asarray(piece.codes)[rows], piece.values))
        elif isinstance(piece, When):
            out.append(When(np.asarray(piece.mask)[rows], _rows_of(piece.pieces, rows)))
        else:
            values, decimals = piece
            out.append((np.asarray(values, dtype=np.float64).reshape(-1)[rows], decimals))
    return out


class _SentenceProgram:
    """The pieces of :func:`sentences` as the program of
    :func:`~lean_chain.io._csv_kernels.sentence_lengths`: one op per piece (kind,
    argument, mask, decimals), :class:`When` flattened into one mask per nesting."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.ops: list[tuple[int, int, int, int]] = []
        self.literals: list[str] = []
        self.numbers: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []
        self.tables: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []

    def add(self, pieces: list, mask: int) -> None:
        for piece in pieces:
            if isinstance(piece, str):
                self.ops.append((0, len(self.literals), mask, 0))
                self.literals.append(piece)
            elif isinstance(piece, Coded):
                base = sum(len(t) for t in self.tables)
                codes = np.asarray(piece.codes, dtype=np.int64)
                self.ops.append((2, len(self.codes), mask, 0))
                self.codes.append(np.where(codes >= 0, codes + base, -1))
                self.tables.append(np.asarray(piece.values, dtype=object))
            elif isinstance(piece, When):
                inner = np.asarray(piece.mask, dtype=bool)
                if mask >= 0:
                    inner = inner & self.masks[mask]
                self.masks.append(inner)
                self.add(piece.pieces, len(self.masks) - 1)
            else:
                values, decimals = piece
                if not 0 <= decimals <= 3:  # as the numpy path writes them
                    raise ValueError(f"0 to 3 decimals, not {decimals}")
                self.ops.append((1, len(self.numbers), mask, int(decimals)))
                self.numbers.append(np.asarray(values, dtype=np.float64).reshape(-1))

    def arguments(self) -> tuple:
        """The program: the kernels' first argument."""
        literal_data, literal_offsets = _encode_texts(np.array(self.literals, dtype=object))
        tables = np.concatenate(self.tables) if self.tables else np.zeros(0, dtype=object)
        table_data, table_offsets = _encode_texts(tables)
        return (
            np.array(self.ops, dtype=np.int64).reshape(-1, 4),
            literal_data,
            literal_offsets,
            _quoted(literal_data, literal_offsets),
            _stack(self.numbers, np.float64, self.n),
            _stack(self.codes, np.int64, self.n),
            table_data,
            table_offsets,
            _quoted(table_data, table_offsets),
            _stack(self.masks, np.bool_, self.n),
        )


def _stack(rows: list[np.ndarray], dtype, n: int) -> np.ndarray:
    """``rows`` (each of ``n`` values) as one ``(len(rows), n)`` array."""
    return np.stack(rows).astype(dtype, copy=False) if rows else np.zeros((0, n), dtype=dtype)


class RowTexts:
    """The texts of ``n`` rows put together from several sets of texts: row ``i`` is
    text ``first[i]`` followed by text ``second[i]`` of the sets put, in the order they
    were put (-1: nothing). :meth:`build` copies them in row order, and writes
    :class:`Sentences` straight into their rows (compiled kernels).

    >>> rows = RowTexts(3)
    >>> rows.put(np.array([0, 2]), Texts.of(["a", "b"]))
    >>> rows.put(np.array([2]), "!", append=True)
    >>> rows.build().tolist()
    ['a', '', 'b!']
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.first = np.full(n, -1, dtype=np.int64)
        self.second = np.full(n, -1, dtype=np.int64)
        self.sets: list[Texts | Sentences] = []
        #: per set: its rows and whether appended (for Sentences, written in place)
        self.rows: list[np.ndarray] = []
        self.appended: list[bool] = []
        self.size = 0

    def put(
        self,
        rows: np.ndarray,
        texts: Texts | Sentences | str,
        *,
        index: np.ndarray | None = None,
        append: bool = False,
    ) -> None:
        """``texts`` (one per row, or text ``index[i]`` for row ``rows[i]``, or one
        :class:`str` for all) as the text of ``rows`` (appended to it if ``append``)."""
        if isinstance(texts, str):
            texts, index = Texts.of([texts]), np.zeros(len(rows), dtype=np.int64)
        elif isinstance(texts, Sentences) and (index is not None or texts.n < SENTENCE_KERNEL_ROWS):
            texts = texts.texts()  # texts shared by rows, or few: written first
        if index is None:
            index = np.arange(len(texts), dtype=np.int64)
        index = np.asarray(index, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        (self.second if append else self.first)[rows] = self.size + index
        self.sets.append(texts)
        self.rows.append(rows)
        self.appended.append(append)
        self.size += len(texts)

    def build(self) -> Texts:
        from lean_chain.io import _csv_kernels

        if not self.sets:
            return Texts(
                np.zeros(0, dtype=np.uint8),
                np.zeros(self.n + 1, dtype=np.int64),
                np.zeros(self.n, dtype=bool),
            )
        lengths, quoted, programs = [], [], {}
        for k, texts in enumerate(self.sets):
            if isinstance(texts, Texts):
                lengths.append(np.diff(texts.offsets))
                quoted.append(texts.quoted_or_found())
                continue
            program = _SentenceProgram(texts.n)
            program.add(texts.pieces, -1)
            program = program.arguments()
            length, is_quoted, left = _csv_kernels.sentence_lengths(program, texts.n)
            items = np.flatnonzero(left)  # numbers left to '%': these texts by numpy
            slow = (
                _numpy_sentences(_rows_of(texts.pieces, items), len(items)) if len(items) else None
            )
            if slow is not None:
                length[items] = np.diff(slow.offsets)
                is_quoted[items] = slow.quoted
            programs[k] = (program, left, items, slow)
            lengths.append(length)
            quoted.append(is_quoted)
        length = np.append(np.concatenate(lengths), 0)  # -1: nothing
        first_length, second_length = length[self.first], length[self.second]
        offsets = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(first_length + second_length, out=offsets[1:])
        out = np.empty(int(offsets[-1]), dtype=np.uint8)
        starts = {False: offsets[:-1], True: offsets[:-1] + first_length}
        self._copy_texts(out, starts)
        base = np.cumsum([0, *(len(texts) for texts in self.sets)])
        for k, (program, left, items, slow) in programs.items():
            rows, append = self.rows[k], self.appended[k]
            at = starts[append][rows]
            # a row put again since holds another text: this one is not written there
            replaced = (self.second if append else self.first)[rows] != base[k] + np.arange(
                len(rows)
            )
            _csv_kernels.put_sentences(program, at, left | replaced, out)
            if slow is not None:
                kept = np.flatnonzero(~replaced[items])
                _csv_kernels.put_texts(slow.data, slow.offsets, kept, at[items[kept]], out)
        quoted = np.append(np.concatenate(quoted), False)
        return Texts(out, offsets, quoted[self.first] | quoted[self.second])

    def _copy_texts(self, out: np.ndarray, starts: dict) -> None:
        """The rows' texts of the sets already written (:class:`Texts`) into ``out``."""
        from lean_chain.io import _csv_kernels

        written = [k for k, texts in enumerate(self.sets) if isinstance(texts, Texts)]
        if not written:
            return
        # their bytes one after the other, and each set's items renumbered among them
        item = np.full(self.size + 1, -1, dtype=np.int64)
        data, offsets = [], [np.zeros(1, dtype=np.int64)]
        base, at, ends = 0, 0, 0
        for texts in self.sets:
            if isinstance(texts, Texts):
                item[base : base + len(texts)] = np.arange(at, at + len(texts))
                data.append(texts.data[texts.offsets[0] : texts.offsets[-1]])
                offsets.append(ends + texts.offsets[1:] - texts.offsets[0])
                at, ends = at + len(texts), ends + int(texts.offsets[-1] - texts.offsets[0])
            base += len(texts)
        data, offsets = np.concatenate(data), np.concatenate(offsets)
        for which, append in ((self.first, False), (self.second, True)):
            _csv_kernels.put_texts(data, offsets, item[which], starts[append], out)


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
    return sentences([(values, decimals)], len(values)).to_objects()


@functools.cache
def _point_words(decimals: int) -> np.ndarray:
    """The point and ``decimals`` (1 to 3) zero-padded decimals of 0..10**decimals - 1."""
    return _word_table([f".{v:0{decimals}d}".ljust(4, "\0") for v in range(10**decimals)])
