"""The numpy CSV writer writes the bytes of pandas' ``to_csv(index=False)``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lean_chain
from lean_chain.io import fast_csv
from lean_chain.io.fast_csv import (
    Coded,
    fixed_text,
    sentences,
    to_csv_bytes,
    write_blocks,
    write_csv,
)

TINY = Path(__file__).resolve().parent.parent / "data" / "tiny"


@pytest.fixture(autouse=True)
def compiled_writer_for_every_size(monkeypatch):
    """These small tables would go to pandas: test the compiled writer on them."""
    monkeypatch.setattr(fast_csv, "PANDAS_BELOW_ROWS", 0)


def test_small_tables_go_to_pandas_with_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setattr(fast_csv, "PANDAS_BELOW_ROWS", 3)
    calls = []
    monkeypatch.setattr(fast_csv, "_frame_columns", lambda *a: calls.append(a) or [])
    frame = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y,z"]})
    assert to_csv_bytes(frame) == pandas_bytes(frame)
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == pandas_bytes(frame)
    assert not calls  # the kernel's path was never taken


def pandas_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def assert_same_csv(frame: pd.DataFrame, chunk_rows: int = 7) -> None:
    """Byte-identical to pandas, also when the rows are cut into small chunks."""
    expected = pandas_bytes(frame)
    assert to_csv_bytes(frame) == expected
    assert to_csv_bytes(frame, chunk_rows=chunk_rows) == expected


def test_floats_as_pandas_writes_them():
    rng = np.random.default_rng(3)
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-5, 1e-4, 0.1, 1 / 3, 100.0, 5e-324]
    special += [999_999_999.999999, 1e9, 1e16, 123_456_789.123456, 12_345_678.0, -2.5]
    # every digit count of the integer part, every count of trailing zeros in the decimals
    special += [10.0**k for k in range(-6, 9)] + [-(10.0**k) - 0.5 for k in range(9)]
    special += [1.5, 1.25, 1.125, 1.0625, 1.03125, 1.000001, 0.000100, 0.00012, 99.99999]
    values = np.concatenate(
        [
            np.round(rng.normal(0, 1e4, 3000), 6),
            np.round(rng.normal(0, 1e8, 3000), 6),
            np.round(rng.normal(0, 10, 3000), 2),
            rng.normal(0, 1, 300),  # full precision: repr
            special,
        ]
    )
    assert_same_csv(pd.DataFrame({"x": values, "y": values[::-1].copy()}), chunk_rows=1000)


def test_integers_booleans_and_text():
    rng = np.random.default_rng(4)
    n = 500
    texts = np.array(["a", "b,c", 'say "hi"', "", "m³", "two\nlines", "r\rz", " sp "], dtype=object)
    frame = pd.DataFrame(
        {
            "id": texts[rng.integers(0, len(texts), n)],
            "small": rng.integers(-(10**6), 10**6, n),
            "big": rng.integers(-(2**63), 2**63 - 1, n),
            "u8": rng.integers(0, 255, n).astype(np.uint8),
            "flag": rng.random(n) < 0.5,
            "sentence": [f"cheaper by {i / 7:.2f}, but full" for i in range(n)],  # distinct
        }
    )
    frame.loc[3, "id"] = None
    frame.loc[5, "big"] = -(2**63)
    frame.loc[6, "big"] = 0
    frame["mixed"] = pd.Series([1.5, "x", None, True, 7] * (n // 5), dtype=object)
    assert_same_csv(frame, chunk_rows=64)


def test_edge_shapes():
    assert_same_csv(pd.DataFrame({"a": np.zeros(0), "b": np.zeros(0, dtype=object)}))
    assert_same_csv(pd.DataFrame({"a,b": [1.0], 'q"': ["x"]}))  # quoted header
    assert_same_csv(pd.DataFrame({"only": [np.nan, np.nan]}))
    assert_same_csv(pd.DataFrame({"s": ["", "x"]}))


def test_texts_of_every_length_among_numbers():
    """Texts are copied a word at a time (8, 4, 2, 1 bytes with overlapping tails) and
    rows are formatted a tile at a time, then moved together: every length from 0 to
    40 bytes, quoted or not, with a quote inside or not, beside numbers of every width
    and repeated texts (the writer's table) as well as distinct ones (the chunk's)."""
    rng = np.random.default_rng(6)
    alphabet = np.array(list("abcxyz0129 ³"), dtype=object)
    pieces = []
    for length in range(41):
        word = "".join(rng.choice(alphabet, length))
        pieces += [word, ("," + word)[:length], ('"' + word)[:length], word[::-1]]
    texts = np.array(pieces, dtype=object)
    n = 3000
    frame = pd.DataFrame(
        {
            "repeated": texts[rng.integers(0, len(texts), n)],
            "x": np.round(rng.normal(0, 10.0 ** rng.integers(-3, 9, n)), 6),
            "distinct": [f"{texts[i % len(texts)]}#{i}" for i in range(n)],
            "zero_or_missing": np.where(rng.random(n) < 0.5, 0.0, np.nan),
            "short": texts[rng.integers(0, 8, n)],  # 0 or 1 byte: rows with no slack
            "flag": rng.random(n) < 0.3,
        }
    )
    assert_same_csv(frame, chunk_rows=97)


def test_rows_move_down_over_any_distance():
    """The move that puts a tile's rows together copies words when the rows are 8 bytes
    apart or more (``row_bounds`` leaves that much slack) and bytes when they are closer,
    so any distance gives the bytes numpy's overlapping copy gives."""
    from numba import njit

    from lean_chain.io import _csv_kernels as kernels

    @njit
    def move_down(out, to, start, n):
        kernels._move_down(kernels._address(out), to, start, n)

    rng = np.random.default_rng(7)
    for distance in range(12):
        for n in range(26):
            out = rng.integers(0, 256, 64, dtype=np.uint8)
            expected = out.copy()
            expected[3 : 3 + n] = out[3 + distance : 3 + distance + n].copy()
            move_down(out, 3, 3 + distance, n)
            assert (out == expected).all(), (distance, n)


def test_other_columns_go_to_pandas(tmp_path):
    frame = pd.DataFrame({"when": pd.to_datetime(["2026-01-01", "2026-02-01"]), "v": [1.0, 2.0]})
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_bytes() == pandas_bytes(frame)
    assert to_csv_bytes(frame.astype({"v": np.float32})) == pandas_bytes(
        frame.astype({"v": np.float32})
    )


@pytest.fixture(scope="module")
def tiny_plan():
    return lean_chain.solve(lean_chain.load_instance(TINY))


@pytest.fixture(scope="module")
def generated_plan(tmp_path_factory):
    from lean_chain.generate import generate_tables, write_tables

    tables, params = generate_tables(40, regions=6, nodes=4, seed=2)
    folder = write_tables(tmp_path_factory.mktemp("gen") / "instance", tables, params)
    return lean_chain.solve(lean_chain.load_instance(folder), sensitivity=False)


@pytest.mark.parametrize("which", ["tiny_plan", "generated_plan"])
def test_plan_tables_round_trip(which, request, tmp_path):
    """Every plan table (alternatives included) as pandas writes it, and read back equal."""
    plan = request.getfixturevalue(which)
    assert "alternatives" in plan.tables
    for name, frame in plan.tables.items():
        assert to_csv_bytes(frame, chunk_rows=5) == pandas_bytes(frame), name
        write_csv(frame, tmp_path / f"{name}.csv")
        back = pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False, na_values=[""])
        old = pd.read_csv(
            pd.io.common.BytesIO(pandas_bytes(frame)), keep_default_na=False, na_values=[""]
        )
        pd.testing.assert_frame_equal(back, old)


def test_fixed_text_matches_percent_format():
    rng = np.random.default_rng(5)
    values = np.concatenate(
        [
            rng.normal(0, 1e3, 5000),
            rng.normal(0, 1e6, 500),
            [0.125, 0.375, 2.5, -0.0, 0.0, 9999.5, np.nan, np.inf, -np.inf, 1e20, -1e17],
        ]
    )
    for decimals in (0, 1, 2, 3, 4):
        expected = [f"%.{decimals}f" % v for v in values]
        assert fixed_text(values, decimals).tolist() == expected
    assert fixed_text(np.zeros(0)).tolist() == []


def test_sentences_join_literals_and_numbers():
    delta = np.array([1.5, -0.25, np.nan, 1e20])
    year = np.array([100.4, 2.5, 3.0, 0.0])
    got = sentences(["dearer by ", (delta, 2), " CNY (", (year, 0), " m³ a year)"], 4)
    expected = [
        f"dearer by {d:.2f} CNY ({y:.0f} m³ a year)" for d, y in zip(delta, year, strict=True)
    ]
    assert got.tolist() == expected
    assert sentences(["x"], 0).tolist() == []


def _adversarial_numbers(rng, n):
    """Floats of every size, exact and near halves at 0-3 decimals, signed zeros, NaN,
    infinities and values too big for the kernel."""
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e15, 9.99e14, 1e300, -1e-300, 2.5, 0.125]
    parts = [
        rng.normal(0, 1e3, n),
        np.round(rng.uniform(-100, 100, n), 3),  # 1.005-like: within an ulp of a half
        (rng.integers(-(10**6), 10**6, n) + 0.5) / 10.0 ** rng.integers(0, 4, n),
        10.0 ** rng.uniform(-8, 14, n) * rng.choice([-1, 1], n),
        rng.choice(special, n // 20),
    ]
    values = np.concatenate(parts)
    rng.shuffle(values)
    return values


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_compiled_sentences_are_the_numpy_ones_and_percent_format(monkeypatch, decimals):
    """The kernel path of sentences() writes the bytes (and quoting flags) of the numpy
    path, for literals, numbers, coded texts (missing, quoted) and nested When; its
    numbers are '%.{d}f' exactly, including the rows it leaves to Python."""
    rng = np.random.default_rng(40 + decimals)
    values = _adversarial_numbers(rng, 6000)
    n = len(values)
    node = Coded(rng.integers(-1, 3, n), np.array(["BZ", "W,H", 'q"x'], dtype=object))
    inner = fast_csv.When(rng.random(n) < 0.5, ["!", node])
    pieces = [
        "a, ",
        (values, decimals),
        " mid ",
        node,
        fast_csv.When(rng.random(n) < 0.5, [" full ", (values * 3, decimals), inner]),
        (np.abs(values), decimals),
    ]
    monkeypatch.setattr(fast_csv, "SENTENCE_KERNEL_ROWS", 0)
    compiled = sentences(pieces, n)
    plain = sentences([(values, decimals)], n)
    monkeypatch.setattr(fast_csv, "SENTENCE_KERNEL_ROWS", n + 1)
    by_numpy = sentences(pieces, n)
    assert np.array_equal(compiled.offsets, by_numpy.offsets)
    assert np.array_equal(compiled.data, by_numpy.data)
    assert np.array_equal(compiled.quoted, by_numpy.quoted)
    assert plain.tolist() == [f"%.{decimals}f" % v for v in values.tolist()]


def test_row_texts_write_sentences_in_place_as_joined_texts(monkeypatch):
    """RowTexts writes Sentences straight into their rows (kernel path), beside texts
    already written, shared texts and appended ones, with rows left out, rows put again
    and numbers left to '%': the bytes and quoting of writing each set first and
    joining them."""
    rng = np.random.default_rng(8)
    n = 3000
    order = rng.permutation(n)
    first_rows, second_rows, shared_rows = order[:1200], order[1200:2500], order[2500:2900]
    values = _adversarial_numbers(rng, 1200)[:1200]
    tail_rows = rng.choice(n, 700, replace=False)
    tail = rng.normal(0, 10, 700)
    shared = fast_csv.Texts.of(['"q", said', "plain"])
    shared_index = rng.integers(0, 2, len(shared_rows))

    def build():
        rows = fast_csv.RowTexts(n)
        rows.put(order[2900:], fast_csv.Sentences(["replaced ", (values[:100], 2)], 100))
        rows.put(first_rows, fast_csv.Sentences(["cost, ", (values, 2), " CNY"], 1200))
        rows.put(second_rows, "dearer")
        rows.put(order[2900:], fast_csv.Texts.of(["put again"]), index=np.zeros(100, dtype=int))
        rows.put(tail_rows, fast_csv.Sentences(["; by ", (tail, 1)], 700), append=True)
        rows.put(shared_rows, shared, index=shared_index)
        return rows.build()

    monkeypatch.setattr(fast_csv, "SENTENCE_KERNEL_ROWS", 0)
    in_place = build()
    monkeypatch.setattr(fast_csv, "SENTENCE_KERNEL_ROWS", 10**9)
    joined = build()
    assert np.array_equal(in_place.offsets, joined.offsets)
    assert np.array_equal(in_place.data, joined.data)
    assert np.array_equal(in_place.quoted, joined.quoted)
    expected = [""] * n
    for row, v in zip(first_rows, values.tolist(), strict=True):
        expected[row] = f"cost, {v:.2f} CNY"
    for row in second_rows:
        expected[row] = "dearer"
    for row, k in zip(shared_rows, shared_index, strict=True):
        expected[row] = ['"q", said', "plain"][k]
    for row in order[2900:]:  # the text put last
        expected[row] = "put again"
    for row, v in zip(tail_rows, tail.tolist(), strict=True):
        expected[row] += f"; by {v:.1f}"
    assert in_place.tolist() == expected
    assert in_place.quoted.tolist() == [("," in t) or ('"' in t) for t in expected]


def test_blocks_with_coded_text_as_the_whole_frame(tmp_path):
    """write_blocks over blocks (codes into distinct values, -1 missing) writes the
    bytes of the concatenated frame."""
    rng = np.random.default_rng(6)
    ids = np.array(["a", "b,c", 'q"t', "m³"], dtype=object)
    blocks, frames = [], []
    for n in (5, 0, 12):
        codes = rng.integers(-1, len(ids), n)
        values = np.round(rng.normal(0, 100, n), 6)
        sentence = np.array([f"x, {v:.1f}" for v in values], dtype=object)
        flag = rng.random(n) < 0.5
        blocks.append([Coded(codes, ids), values, sentence, flag])
        text = np.append(ids, "")[codes].astype(object)
        frames.append(pd.DataFrame({"id": text, "v": values, "s": sentence, "f": flag}))
    write_blocks(tmp_path / "t.csv", ["id", "v", "s", "f"], iter(blocks), chunk_rows=4)
    frame = pd.concat(frames, ignore_index=True)
    assert (tmp_path / "t.csv").read_bytes() == pandas_bytes(frame)
