"""Fuzz benchmark of issue 10 ("nothing lost, nothing cryptic"): malformed instances and
output-path faults through ``lean-chain validate`` and ``lean-chain solve``.

A seeded mutator (numpy RNG) copies ``tests/data/tiny`` or ``instances/global_export`` into a
temporary folder (the originals are hashed before and after and never written) and applies one
mutation of one of the kinds in ``KINDS``: columns (delete, duplicate, rename, notes column),
cells (text, negative, huge, nan, inf, blank, unicode, long text, bad booleans, unknown ids),
rows (duplicate keys, shuffled), file structure (trailing delimiters, extra or missing fields,
';' and tab delimiters, latin-1 / UTF-16 / BOM / CRLF, truncated, empty, header-only, binary,
missing, a folder instead of the file), ``parameters.yaml`` (wrong types, ranges, huge numbers,
nan/inf, duplicate keys, aliases and an alias bomb, unknown keys, syntax errors, encodings,
missing or a folder) and ``--out`` faults (an existing folder that is not a run, a file, the
instance itself, a parent that is a file, a symbolic link, a previous run with and without
``--force``, a stale ``.run.tmp-*`` of a killed writer, an empty folder).

Each mutant runs ``validate DIR`` and then ``solve DIR --out RUN --time-limit 20 --gap 0.01``
(``--time-limit``/``--gap`` options), by default in-process through ``lean_chain.cli.main`` in a
pool of worker processes (``--jobs``; an exception escaping ``main`` counts as a traceback; a
worker that runs past ``--timeout`` is killed: a hang), or with ``--subprocess`` as real
``lean-chain`` processes. Every mutation kind says whether the mutated input must be rejected
(``reject``), must be accepted (``accept``: a BOM, CRLF, a notes column...) or may be either.
Classes, worst first:

- ``deletion``: anything outside the run folder changed or vanished (the mutant folder, a
  pre-existing ``--out`` target; hashed before and after), or a pre-existing target changed
  although solve refused it;
- ``hang``: a command ran past ``--timeout``; ``crash``: the process died from a signal;
- ``traceback``: 'Traceback' in stderr, or an exception escaped ``main``;
- ``partial_write``: a run folder without ``summary.json``, ``plan/`` or its marker, something
  written although solve refused (but for the diagnosis run of an infeasible model, exit 3:
  marker, ``diagnosis.json`` and ``summary.json`` of status infeasible, where no run was),
  or ``.RUN.tmp-*`` / ``.RUN.old-*`` / ``.RUN.lock`` left over;
- ``silent_acceptance``: exit 0 from validate or solve on input that must be rejected;
- ``other_exit``: an exit code other than 0, 2, 3 (e.g. 1 without a traceback, 4);
- ``cryptic_rejection``: exit 2/3 whose message names no instance file, folder or ``--out`` path;
- ``false_rejection``: a rejection of input that must be accepted;
- ``late_rejection``: validate said valid, solve then refused it as bad input (exit 2);
- ``clean_rejection``: exit 2/3 with a message naming the file; ``accepted``: exit 0 where
  that is allowed.

Prints the counts per class and per mutation kind and every non-clean case; writes
``benchmarks/results/bench_fuzz.csv`` (one row per mutant). ``tests/test_fuzz.py`` runs one
mutant of every kind on tiny in CI.

Run: ``python benchmarks/bench_fuzz.py [--count 200] [--seed 0] [--jobs 2] [--out CSV]
[--subprocess] [--timeout 60] [--bases tiny,global_export] [--index I --keep DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import io
import json
import multiprocessing as mp
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from lean_chain.model.schema import PARAMETERS, TABLES, Column  # noqa: E402

BASES = {
    "tiny": ROOT / "tests" / "data" / "tiny",
    "global_export": ROOT / "instances" / "global_export",
}
RESULTS = ROOT / "benchmarks" / "results"
PARAMS_FILE = "parameters.yaml"
RUN_NAME = "run"
MARKER = ".lean_chain_run"
#: Classes that are defects, worst first (the first that applies is a mutant's class).
DEFECTS = (
    "deletion",
    "hang",
    "crash",
    "traceback",
    "partial_write",
    "silent_acceptance",
    "other_exit",
    "cryptic_rejection",
    "false_rejection",
)
CLASSES = (*DEFECTS, "late_rejection", "clean_rejection", "accepted")
FILE_NAMES = (*(t.filename for t in TABLES.values()), PARAMS_FILE)


# ----------------------------------------------------------------------------- mutants


@dataclass
class Mutation:
    """What one mutant changed and what the tool must do with it."""

    table: str  # file name, or "--out"
    column: str = ""
    detail: str = ""
    expect: str = "reject"  # "reject", "accept" or "either"
    run: Path | None = None  # the --out path (default: WORK/run)
    force: bool = False


@dataclass
class Ctx:
    rng: np.random.Generator
    inst: Path
    work: Path

    def choice(self, items):
        items = list(items)
        return items[int(self.rng.integers(len(items)))]


class NotApplicable(Exception):
    """The kind has nothing to mutate in this instance (the generator draws another)."""


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def rows_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write_rows(path: Path, header: list[str], rows: list[list[str]], **kwargs: str) -> None:
    path.write_text(rows_text(header, rows, **kwargs), encoding="utf-8")


def present_tables(ctx: Ctx) -> list[str]:
    return [name for name, t in TABLES.items() if (ctx.inst / t.filename).is_file()]


def pick_column(ctx: Ctx, accept: Callable[[str, Column], bool]) -> tuple[str, Column]:
    """A (table, column) present in the instance for which ``accept`` holds, with rows."""
    options = []
    for name in present_tables(ctx):
        header, rows = read_rows(ctx.inst / TABLES[name].filename)
        if rows:
            options += [
                (name, c) for c in TABLES[name].columns if c.name in header and accept(name, c)
            ]
    if not options:
        raise NotApplicable
    return ctx.choice(options)


def set_cell(ctx: Ctx, table: str, column: str, value: str) -> str:
    """Set ``column`` of a random data row of ``table``; return 'row N: old -> new'."""
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    i = int(ctx.rng.integers(len(rows)))
    j = header.index(column)
    old = rows[i][j]
    rows[i][j] = value
    write_rows(path, header, rows)
    shown = value if len(value) <= 40 else f"{value[:20]}...({len(value)} chars)"
    return f"line {i + 2}: {old!r} -> {shown!r}"


def is_number(table: str, c: Column) -> bool:
    return c.type in ("float", "int")


def is_reference(table: str, c: Column) -> bool:
    return bool(c.references) or (table, c.name) == ("lanes", "channels")


def cell_expect(table: str, c: Column) -> str:
    """Must a replaced (non-blank) value of this column be rejected?"""
    if c.type != "str" or c.choices or is_reference(table, c):
        return "reject"
    return "either"  # free text, or an id that other tables may or may not use


# --- columns


def m_delete_column(ctx: Ctx) -> Mutation:
    table, col = pick_column(ctx, lambda t, c: True)
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    j = header.index(col.name)
    write_rows(path, header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows])
    return Mutation(
        TABLES[table].filename, col.name, "column deleted", "reject" if col.required else "either"
    )


def m_duplicate_column(ctx: Ctx) -> Mutation:
    table, col = pick_column(ctx, lambda t, c: True)
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    j = header.index(col.name)
    write_rows(path, [*header, header[j]], [[*r, r[j]] for r in rows])
    return Mutation(TABLES[table].filename, col.name, "column repeated at the end")


def rename_variants(name: str) -> list[str]:
    """Four misspellings of the column ``name``, each different from ``name``.

    The spaced variant of a name without '_' ('lat', 'lon', 'kind', ...) was the name itself:
    a rename that changed nothing, expected to be rejected, and counted as a silent acceptance
    (seed 12, mutants 139 and 148: nodes.csv 'lat' and 'lon' "renamed" to themselves). Such a
    name is capitalised instead ('Lat': headers are case-sensitive, as 'LAT' already shows);
    the list keeps four entries so that every other mutant draws what it drew before.
    """
    spaced = name.replace("_", " ") if "_" in name else name.capitalize()
    return [name.upper(), name + "s", spaced, "列" + name]


def m_rename_column(ctx: Ctx) -> Mutation:
    table, col = pick_column(ctx, lambda t, c: True)
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    j = header.index(col.name)
    header[j] = new = ctx.choice(rename_variants(col.name))
    write_rows(path, header, rows)
    return Mutation(TABLES[table].filename, col.name, f"renamed to {new!r}")


def m_notes_column(ctx: Ctx) -> Mutation:
    table = ctx.choice(present_tables(ctx))
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    write_rows(
        path,
        [*header, "x_note"],
        [[*r, ctx.choice(["ok", "café, «quoted»", "東京 📦"])] for r in rows],
    )
    return Mutation(TABLES[table].filename, "x_note", "notes column added", "accept")


# --- cells


def _cell_kind(accept, values, expect) -> Callable[[Ctx], Mutation]:
    def mutate(ctx: Ctx) -> Mutation:
        table, col = pick_column(ctx, accept)
        value = ctx.choice(values() if callable(values) else values)
        detail = set_cell(ctx, table, col.name, value)
        return Mutation(TABLES[table].filename, col.name, detail, expect(table, col))

    return mutate


m_text_in_number = _cell_kind(
    is_number, ["abc", "12,5", "1.2.3", "ten", "1e", "--1", "0x1F", "5 kg"], lambda t, c: "reject"
)
m_negative_number = _cell_kind(
    lambda t, c: is_number(t, c) and c.minimum is not None and c.minimum >= 0,
    ["-1", "-0.5", "-1e6", "-0.000001"],
    lambda t, c: "reject",
)
m_huge_number = _cell_kind(
    is_number,
    ["1e300", "-1e300", "1e20", "9" * 400, "1.7976931348623157e308"],
    lambda t, c: "reject",
)
m_nan_cell = _cell_kind(
    lambda t, c: c.type != "str",
    ["nan", "NaN", "NA", "N/A", "null", "None", "#N/A"],
    lambda t, c: "reject",
)
m_inf_cell = _cell_kind(
    is_number, ["inf", "-inf", "Infinity", "1e400", "-1e999"], lambda t, c: "reject"
)
m_blank_cell = _cell_kind(
    lambda t, c: True, ["", " ", "\t"], lambda t, c: "reject" if c.required else "either"
)
m_unicode_cell = _cell_kind(
    lambda t, c: True,
    ["東京", "é", "S1\u200b", "📦", "مرحبا", "e\u0301", "\ufeffA", "Ω≈ç√"],
    cell_expect,
)
m_long_string = _cell_kind(
    lambda t, c: True, ["x" * 100_000, "é" * 50_000, "1" * 5000], cell_expect
)
m_bool_garble = _cell_kind(
    lambda t, c: c.type == "bool", ["maybe", "2", "oui", "TRUE!", "-1", "ja"], lambda t, c: "reject"
)
m_dangling_reference = _cell_kind(
    is_reference, ["ZZ_UNKNOWN", "XXX", "s1", "1210|ZZ99", "0"], lambda t, c: "reject"
)


# --- rows


def m_duplicate_key_row(ctx: Ctx) -> Mutation:
    table = ctx.choice(present_tables(ctx))
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    i = int(ctx.rng.integers(len(rows)))
    copy = list(rows[i])
    changed = [j for j, name in enumerate(header) if name not in TABLES[table].key]
    detail = f"line {i + 2} repeated"
    if changed and ctx.rng.random() < 0.5:
        j = ctx.choice(changed)
        copy[j] = rows[(i + 1) % len(rows)][j] if len(rows) > 1 else copy[j]
        detail += f" with {header[j]} from another row"
    rows.insert(int(ctx.rng.integers(len(rows) + 1)), copy)
    write_rows(path, header, rows)
    return Mutation(TABLES[table].filename, ",".join(TABLES[table].key), detail)


def m_shuffle_rows(ctx: Ctx) -> Mutation:
    table = ctx.choice(present_tables(ctx))
    path = ctx.inst / TABLES[table].filename
    header, rows = read_rows(path)
    order = ctx.rng.permutation(len(rows))
    write_rows(path, header, [rows[k] for k in order])
    return Mutation(TABLES[table].filename, "", "rows shuffled", "accept")


# --- file structure


def _table_path(ctx: Ctx, include_absent: bool = False) -> tuple[str, Path]:
    names = list(TABLES) if include_absent else present_tables(ctx)
    table = ctx.choice(names)
    return table, ctx.inst / TABLES[table].filename


def m_trailing_delimiter(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    header, rows = read_rows(path)
    where = ctx.choice(["every data row", "one data row", "header and every row"])
    if where == "one data row":
        i = int(ctx.rng.integers(len(rows)))
        rows[i] = [*rows[i], ""]
    else:
        rows = [[*r, ""] for r in rows]
        if where.startswith("header"):
            header = [*header, ""]
    write_rows(path, header, rows)
    return Mutation(TABLES[table].filename, "", f"trailing ',' on {where}")


def m_extra_field(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    header, rows = read_rows(path)
    i = int(ctx.rng.integers(len(rows)))
    rows[i] = [*rows[i], ctx.choice(["extra", "1", "x,y"])]
    write_rows(path, header, rows)
    return Mutation(TABLES[table].filename, "", f"line {i + 2} has an extra field")


def m_short_row(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    header, rows = read_rows(path)
    i = int(ctx.rng.integers(len(rows)))
    cut = int(ctx.rng.integers(1, len(header)))
    rows[i] = rows[i][:cut]
    write_rows(path, header, rows)
    return Mutation(TABLES[table].filename, "", f"line {i + 2} cut to {cut} fields", "either")


def _delimiter(symbol: str, name: str) -> Callable[[Ctx], Mutation]:
    def mutate(ctx: Ctx) -> Mutation:
        table, path = _table_path(ctx)
        header, rows = read_rows(path)
        write_rows(path, header, rows, delimiter=symbol)
        return Mutation(TABLES[table].filename, "", f"{name} as delimiter")

    return mutate


m_semicolon_delimiter = _delimiter(";", "';'")
m_tab_delimiter = _delimiter("\t", "tab")


def _encoded(encoding: str, non_ascii: bool, expect: str) -> Callable[[Ctx], Mutation]:
    def mutate(ctx: Ctx) -> Mutation:
        table, path = _table_path(ctx)
        header, rows = read_rows(path)
        if non_ascii:  # an ASCII file is the same bytes in latin-1
            header, rows = [*header, "x_note"], [[*r, "café Zürich"] for r in rows]
        text = rows_text(header, rows)
        if ctx.rng.random() < 0.5:
            text = text.replace("\n", "\r\n")
        path.write_bytes(text.encode(encoding))
        return Mutation(TABLES[table].filename, "x_note" if non_ascii else "", encoding, expect)

    return mutate


m_encoding_latin1 = _encoded("latin-1", True, "either")
m_encoding_utf16 = _encoded("utf-16", False, "either")
m_encoding_bom = _encoded("utf-8-sig", True, "accept")


def m_crlf(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    return Mutation(TABLES[table].filename, "", "CRLF line ends", "accept")


def m_truncated_file(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    data = path.read_bytes()
    cut = int(ctx.rng.integers(1, len(data)))
    path.write_bytes(data[:cut])
    return Mutation(TABLES[table].filename, "", f"cut at byte {cut} of {len(data)}", "either")


def m_empty_file(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx, include_absent=True)
    path.write_bytes(b"")
    return Mutation(
        TABLES[table].filename, "", "empty file", "reject" if TABLES[table].required else "either"
    )


def uses_foreign_currency(ctx: Ctx) -> bool:
    """Whether a currency column of the instance names another currency than the instance's."""
    base = yaml_lines(ctx).get("currency", "").strip('"')
    for name in present_tables(ctx):
        column = TABLES[name].currency_column
        header, rows = read_rows(ctx.inst / TABLES[name].filename)
        if column and column in header:
            j = header.index(column)
            if any(r[j].strip() not in ("", base) for r in rows if len(r) > j):
                return True
    return False


def m_header_only(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    header, _ = read_rows(path)
    write_rows(path, header, [])
    # no demand: a message or an empty plan; no exchange rates: fine while every amount is in
    # the instance currency (it need not be listed in fx.csv)
    required = TABLES[table].required and table != "demand"
    if table == "fx":
        required = uses_foreign_currency(ctx)
    return Mutation(
        TABLES[table].filename, "", "header line only", "reject" if required else "either"
    )


def m_folder_instead(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx, include_absent=True)
    if path.exists():
        path.unlink()
    path.mkdir()
    (path / "inside.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return Mutation(TABLES[table].filename, "", "a folder where the file should be")


def m_missing_file(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    path.unlink()
    return Mutation(
        TABLES[table].filename, "", "file removed", "reject" if TABLES[table].required else "either"
    )


def m_binary_garbage(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx, include_absent=True)
    data = ctx.rng.integers(0, 256, size=int(ctx.rng.integers(16, 4096)), dtype=np.uint8).tobytes()
    path.write_bytes(b"\xff\x00" + data)
    return Mutation(TABLES[table].filename, "", f"{len(data) + 2} random bytes")


def m_unbalanced_quote(ctx: Ctx) -> Mutation:
    table, path = _table_path(ctx)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    i = int(ctx.rng.integers(1, len(lines)))
    lines[i] = '"' + lines[i]
    path.write_text("".join(lines), encoding="utf-8")
    return Mutation(TABLES[table].filename, "", f"unbalanced '\"' on line {i + 1}", "either")


# --- parameters.yaml


def yaml_lines(ctx: Ctx) -> dict[str, str]:
    """The base parameters as key -> YAML snippet (JSON scalars are YAML)."""
    import yaml

    data = yaml.safe_load((ctx.inst / PARAMS_FILE).read_text(encoding="utf-8"))
    return {k: json.dumps(v, ensure_ascii=False) for k, v in data.items()}


def write_yaml(
    ctx: Ctx, entries: dict[str, str] | list[tuple[str, str]], encoding: str = "utf-8"
) -> None:
    items = entries.items() if isinstance(entries, dict) else entries
    text = "".join(f"{k}: {v}\n" for k, v in items)
    (ctx.inst / PARAMS_FILE).write_bytes(text.encode(encoding))


#: Wrong values per parameter type: (YAML snippet, must it be rejected?).
WRONG = {
    "str": [
        ("[CNY, USD]", True),
        ("{a: 1}", True),
        ("true", True),
        ("2024-01-01", True),
        ("''", None),
    ],
    "float": [
        ("[1, 2]", True),
        ("{a: 1}", True),
        ("true", True),
        ("''", True),
        ("ten", True),
        ("2024-01-01", True),
        ("yes", True),
        ("", None),
    ],
    "int": [("1.5", True), ("[1]", True), ("true", True), ("two", True), ("'3'", None)],
    "bool": [("maybe", True), ("2", True), ("[true]", True), ("1.5", True), ("{}", True)],
}


def m_yaml_wrong_type(ctx: Ctx) -> Mutation:
    name = ctx.choice(PARAMETERS)
    param = PARAMETERS[name]
    value, must = ctx.choice(WRONG[param.type])
    if param.type == "str" and value == "''":
        must = True if param.required else None
    entries = yaml_lines(ctx)
    entries[name] = value
    write_yaml(ctx, entries)
    return Mutation(PARAMS_FILE, name, f"{name}: {value}", "reject" if must else "either")


def m_yaml_out_of_range(ctx: Ctx) -> Mutation:
    name, value = ctx.choice(
        [
            ("horizon_days", "0"),
            ("horizon_days", "-5"),
            ("service_level", "1.5"),
            ("service_level", "0.2"),
            ("max_channels_per_sku", "0"),
            ("holding_rate_per_year", "-0.1"),
            ("review_period_days", "-1"),
            ("cbec_annual_limit_per_person", "-100"),
        ]
    )
    entries = yaml_lines(ctx)
    entries[name] = value
    write_yaml(ctx, entries)
    return Mutation(PARAMS_FILE, name, f"{name}: {value}")


def m_yaml_huge_number(ctx: Ctx) -> Mutation:
    name = ctx.choice([n for n, p in PARAMETERS.items() if p.type in ("float", "int")])
    value = ctx.choice(["1e300", "-1e300", "1" + "0" * 400, ".inf", "-.inf", ".nan", "1e20"])
    entries = yaml_lines(ctx)
    entries[name] = value
    write_yaml(ctx, entries)
    return Mutation(PARAMS_FILE, name, f"{name}: {value[:20]}")


def m_yaml_duplicate_key(ctx: Ctx) -> Mutation:
    entries = list(yaml_lines(ctx).items())
    name, value = ctx.choice(entries)
    other = {"currency": '"USD"', "name": '"other"', "description": '"other"'}.get(name, "7")
    entries.append((name, ctx.choice([value, other])))
    write_yaml(ctx, entries)
    return Mutation(PARAMS_FILE, name, f"{name} given twice")


def m_yaml_alias(ctx: Ctx) -> Mutation:
    entries = yaml_lines(ctx)
    if ctx.rng.random() < 0.5:
        entries["horizon_days"] = "&h 365"
        entries["review_period_days"] = "*h"
        write_yaml(ctx, entries)
        return Mutation(PARAMS_FILE, "review_period_days", "alias *h of horizon_days", "either")
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        bomb.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(bomb) + "\n" + "".join(f"{k}: {v}\n" for k, v in entries.items())
    (ctx.inst / PARAMS_FILE).write_text(text, encoding="utf-8")
    return Mutation(PARAMS_FILE, "", f"alias bomb ({len(text)} bytes, 9^9 expansion)")


def m_yaml_unknown_key(ctx: Ctx) -> Mutation:
    entries = yaml_lines(ctx)
    key = ctx.choice(["horizon_dayz", "Currency", "service level", "max_channels"])
    entries[key] = "30"
    write_yaml(ctx, entries)
    return Mutation(PARAMS_FILE, key, "unknown key")


def m_yaml_missing_key(ctx: Ctx) -> Mutation:
    entries = yaml_lines(ctx)
    name = ctx.choice(list(entries))
    del entries[name]
    write_yaml(ctx, entries)
    return Mutation(
        PARAMS_FILE, name, "key removed", "reject" if PARAMETERS[name].required else "either"
    )


def m_yaml_not_mapping(ctx: Ctx) -> Mutation:
    text = ctx.choice(["- currency\n- CNY\n", "hello\n", "42\n", "null\n", "---\n...\n", "[]\n"])
    (ctx.inst / PARAMS_FILE).write_text(text, encoding="utf-8")
    return Mutation(PARAMS_FILE, "", f"document {text.strip()!r}")


def m_yaml_syntax_error(ctx: Ctx) -> Mutation:
    entries = yaml_lines(ctx)
    bad = ctx.choice(
        ["currency: [CNY\n", "\tcurrency: CNY\n", "currency: CNY: USD\n", "currency: 'CNY\n", "{\n"]
    )
    text = "".join(f"{k}: {v}\n" for k, v in entries.items() if k != "currency") + bad
    (ctx.inst / PARAMS_FILE).write_text(text, encoding="utf-8")
    return Mutation(PARAMS_FILE, "currency", f"syntax error {bad.strip()!r}")


def m_yaml_encoding(ctx: Ctx) -> Mutation:
    entries = yaml_lines(ctx)
    entries["description"] = '"café in Zürich"'
    encoding = ctx.choice(["latin-1", "utf-16", "utf-8-sig"])
    write_yaml(ctx, entries, encoding)
    return Mutation(
        PARAMS_FILE, "description", encoding, "accept" if encoding == "utf-8-sig" else "either"
    )


def m_yaml_unicode(ctx: Ctx) -> Mutation:
    entries = yaml_lines(ctx)
    name = ctx.choice(["name", "description", "currency"])
    value = ctx.choice(['"東京 📦"', '"\u200b"', '"x" ' * 0 + '"' + "é" * 20_000 + '"'])
    entries[name] = value
    write_yaml(ctx, entries)
    return Mutation(
        PARAMS_FILE, name, f"{name}: {value[:12]}...", "reject" if name == "currency" else "either"
    )


YAML_FAULTS = ("missing", "folder", "empty", "truncated", "binary", "huge")


def _yaml_file_fault(fault: str) -> Callable[[Ctx], Mutation]:
    def mutate(ctx: Ctx) -> Mutation:
        path = ctx.inst / PARAMS_FILE
        expect = "reject"
        if fault == "missing":
            path.unlink()
        elif fault == "folder":
            path.unlink()
            path.mkdir()
        elif fault == "empty":
            path.write_bytes(b"")
        elif fault == "truncated":
            data = path.read_bytes()
            path.write_bytes(data[: int(ctx.rng.integers(1, len(data)))])
            expect = "either"
        elif fault == "binary":
            noise = ctx.rng.integers(0, 256, size=512, dtype=np.uint8).tobytes()
            path.write_bytes(b"\xff\xfe\x00" + noise)
        else:  # a valid document far bigger than any parameters file
            entries = yaml_lines(ctx)
            entries["description"] = json.dumps("long text " * 20_000)
            write_yaml(ctx, entries)
            expect = "either"
        return Mutation(PARAMS_FILE, "", fault, expect)

    return mutate


# --- --out faults (on an unmodified copy, which must validate)


def fake_run(folder: Path) -> None:
    (folder / "plan").mkdir(parents=True)
    (folder / "plan" / "flows.csv").write_text("sku_id,units\nA,1\n", encoding="utf-8")
    (folder / "summary.json").write_text('{"status": "optimal"}\n', encoding="utf-8")
    (folder / MARKER).write_text(
        '{"version": 1, "created": "2026-01-01T00:00:00+00:00"}\n', encoding="utf-8"
    )


#: --out faults: name -> what the solve must do
OUT_FAULTS = {
    "nonrun_folder": "reject",
    "file": "reject",
    "instance": "reject",
    "parent_file": "reject",
    "symlink": "reject",
    "previous_run": "reject",
    "previous_run_force": "accept",
    "stale_tmp": "accept",
    "empty_folder": "accept",
    "inside_instance": "either",
}


def _out_fault(fault: str) -> Callable[[Ctx], Mutation]:
    def mutate(ctx: Ctx) -> Mutation:
        run = ctx.work / RUN_NAME
        notes = ctx.work / "notes.txt"
        detail = fault
        if fault == "nonrun_folder":
            run.mkdir()
            (run / "my_plan.xlsx").write_bytes(b"precious")
            (run / "sub").mkdir()
            (run / "sub" / "data.csv").write_text("a\n1\n", encoding="utf-8")
            detail = "an existing folder that is not a run"
        elif fault == "file":
            run.write_text("precious\n", encoding="utf-8")
            detail = "an existing file"
        elif fault == "instance":
            run = ctx.inst
            detail = "the instance folder itself"
        elif fault == "parent_file":
            notes.write_text("precious\n", encoding="utf-8")
            run = notes / RUN_NAME
            detail = "a path under a file"
        elif fault == "symlink":
            target = ctx.work / "elsewhere"
            target.mkdir()
            (target / "keep.txt").write_text("precious\n", encoding="utf-8")
            run.symlink_to(target, target_is_directory=True)
            detail = "a symbolic link to a folder"
        elif fault.startswith("previous_run"):
            fake_run(run)
            detail = "a previous run" + (" with --force" if fault.endswith("force") else "")
        elif fault == "stale_tmp":
            stale = ctx.work / f".{RUN_NAME}.tmp-deadbeef"
            (stale / "plan").mkdir(parents=True)
            (stale / "summary.json").write_text("{", encoding="utf-8")
            detail = "a stale .run.tmp-* of a killed writer next to it"
        elif fault == "empty_folder":
            run.mkdir()
            detail = "an empty folder"
        else:
            run = ctx.inst / RUN_NAME
            detail = "a new folder inside the instance"
        force = fault == "previous_run_force"
        return Mutation("--out", "", detail, OUT_FAULTS[fault], run=run, force=force)

    return mutate


#: kind -> (mutator, weight in random draws)
KINDS: dict[str, tuple[Callable[[Ctx], Mutation], float]] = {
    "delete_column": (m_delete_column, 1),
    "duplicate_column": (m_duplicate_column, 1),
    "rename_column": (m_rename_column, 1),
    "notes_column": (m_notes_column, 0.5),
    "text_in_number": (m_text_in_number, 1),
    "negative_number": (m_negative_number, 1),
    "huge_number": (m_huge_number, 1),
    "nan_cell": (m_nan_cell, 1),
    "inf_cell": (m_inf_cell, 1),
    "blank_cell": (m_blank_cell, 1),
    "unicode_cell": (m_unicode_cell, 1),
    "long_string": (m_long_string, 0.5),
    "bool_garble": (m_bool_garble, 0.5),
    "dangling_reference": (m_dangling_reference, 1),
    "duplicate_key_row": (m_duplicate_key_row, 1),
    "shuffle_rows": (m_shuffle_rows, 0.5),
    "trailing_delimiter": (m_trailing_delimiter, 1),
    "extra_field": (m_extra_field, 1),
    "short_row": (m_short_row, 0.5),
    "semicolon_delimiter": (m_semicolon_delimiter, 0.5),
    "tab_delimiter": (m_tab_delimiter, 0.5),
    "encoding_latin1": (m_encoding_latin1, 0.5),
    "encoding_utf16": (m_encoding_utf16, 0.5),
    "encoding_bom": (m_encoding_bom, 0.5),
    "crlf": (m_crlf, 0.3),
    "truncated_file": (m_truncated_file, 1),
    "empty_file": (m_empty_file, 0.5),
    "header_only": (m_header_only, 1),
    "folder_instead": (m_folder_instead, 0.5),
    "missing_file": (m_missing_file, 0.5),
    "binary_garbage": (m_binary_garbage, 0.3),
    "unbalanced_quote": (m_unbalanced_quote, 0.3),
    "yaml_wrong_type": (m_yaml_wrong_type, 1.5),
    "yaml_out_of_range": (m_yaml_out_of_range, 0.7),
    "yaml_huge_number": (m_yaml_huge_number, 0.7),
    "yaml_duplicate_key": (m_yaml_duplicate_key, 0.5),
    "yaml_alias": (m_yaml_alias, 0.5),
    "yaml_unknown_key": (m_yaml_unknown_key, 0.3),
    "yaml_missing_key": (m_yaml_missing_key, 0.5),
    "yaml_not_mapping": (m_yaml_not_mapping, 0.3),
    "yaml_syntax_error": (m_yaml_syntax_error, 0.5),
    "yaml_encoding": (m_yaml_encoding, 0.5),
    "yaml_unicode": (m_yaml_unicode, 0.3),
    **{f"yaml_{fault}": (_yaml_file_fault(fault), 0.15) for fault in YAML_FAULTS},
    **{f"out_{fault}": (_out_fault(fault), 0.25) for fault in OUT_FAULTS},
}


@dataclass
class Mutant:
    seed: int
    index: int
    base: str
    kind: str
    mutation: Mutation
    inst: Path
    work: Path


def make_mutant(
    seed: int, index: int, work: Path, bases: list[str], kind: str | None = None
) -> Mutant:
    """Copy a base instance into ``work/inst`` and mutate it, reproducibly from (seed, index)."""
    rng = np.random.default_rng([seed, index])
    base = bases[index % len(bases)]
    names = list(KINDS)
    weights = np.array([KINDS[k][1] for k in names], dtype=np.float64)
    for _ in range(100):
        chosen = kind or names[int(rng.choice(len(names), p=weights / weights.sum()))]
        if work.exists():
            shutil.rmtree(work)
        work.mkdir(parents=True)
        inst = work / "inst"
        shutil.copytree(BASES[base], inst)
        try:
            mutation = KINDS[chosen][0](Ctx(rng, inst, work))
        except NotApplicable:
            if kind:
                raise
            continue
        return Mutant(seed, index, base, chosen, mutation, inst, work)
    raise RuntimeError("no applicable mutation kind")


# ----------------------------------------------------------------------------- running


@dataclass
class Outcome:
    rc: int | None  # None: timed out
    stderr: str
    escaped: bool = False
    seconds: float = 0.0


def run_in_process(argv: list[str], timeout: float) -> Outcome:
    """``lean_chain.cli.main(argv)`` with stdout/stderr captured; an escaping exception is rc 1."""
    from lean_chain.cli import main

    err, out = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGTERM)
    escaped = False
    start = time.perf_counter()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            try:
                rc = main(argv)
            except SystemExit as exc:  # argparse
                rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except Exception:
                traceback.print_exc()
                rc, escaped = 1, True
    finally:
        signal.signal(signal.SIGTERM, handler)
    seconds = time.perf_counter() - start
    # in-process a hang cannot be stopped: it is caught by the worker's deadline, and
    # here only marked when the command ran past the limit
    return Outcome(None if seconds > timeout else rc, err.getvalue(), escaped, seconds)


def run_subprocess(argv: list[str], timeout: float) -> Outcome:
    exe = shutil.which("lean-chain")
    command = [exe] if exe else [sys.executable, "-m", "lean_chain.cli"]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            command + argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = (
            exc.stderr.decode(errors="replace")
            if isinstance(exc.stderr, bytes)
            else exc.stderr or ""
        )
        return Outcome(None, stderr, False, time.perf_counter() - start)
    return Outcome(done.returncode, done.stderr, False, time.perf_counter() - start)


def snapshot(root: Path, skip: Callable[[Path], bool]) -> dict[str, str]:
    """Every entry under ``root`` (links not followed) -> its kind and content hash."""
    result: dict[str, str] = {}
    if not root.exists() and not root.is_symlink():
        return result
    if root.is_symlink() or root.is_file():
        return {".": entry_hash(root)}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in list(dirs):
            path = here / name
            if skip(path):
                dirs.remove(name)
                continue
            result[str(path.relative_to(root))] = entry_hash(path)
        for name in files:
            path = here / name
            if not skip(path):
                result[str(path.relative_to(root))] = entry_hash(path)
    return result


def entry_hash(path: Path) -> str:
    if path.is_symlink():
        return "link:" + os.readlink(path)
    if path.is_dir():
        return "dir"
    try:
        return "file:" + hashlib.sha1(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable:{exc.errno}"


def leftovers(run: Path) -> list[str]:
    """Temporary siblings of ``run`` that a writer must not leave behind."""
    pattern = re.compile(rf"\.{re.escape(run.name)}\.(tmp-.*|old-.*|lock)")
    try:
        return sorted(p.name for p in run.parent.iterdir() if pattern.fullmatch(p.name))
    except OSError:
        return []


def target_state(run: Path) -> str:
    if run.is_symlink():
        return "symlink"
    if not run.exists():
        return "missing"
    if run.is_file():
        return "file"
    if (run / MARKER).exists():
        return "run"
    return "empty" if not any(run.iterdir()) else "folder"


def complete_run(run: Path) -> bool:
    return (
        run.is_dir()
        and not run.is_symlink()
        and (run / "summary.json").is_file()
        and (run / "plan").is_dir()
        and (run / MARKER).is_file()
    )


def complete_diagnosis(run: Path) -> bool:
    """``run`` is the run folder of an infeasible model: its marker, ``diagnosis.json`` and a
    ``summary.json`` of status ``infeasible``, and no plan."""
    try:
        status = json.loads((run / "summary.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return False
    return (
        run.is_dir()
        and not run.is_symlink()
        and status == "infeasible"
        and (run / "diagnosis.json").is_file()
        and (run / MARKER).is_file()
        and not (run / "plan").exists()
    )


def first_line(stderr: str) -> str:
    """The first line of a message (progress lines skipped), with the next if it ends in ':'."""
    lines = [
        line for line in stderr.splitlines() if line.strip() and not line.startswith("[lean-chain ")
    ]
    if not lines:
        return ""
    text = lines[0].strip()
    if text.endswith(":") and len(lines) > 1:
        text += " " + lines[1].strip()
    return text[:300]


def names_a_file(stderr: str, mutant: Mutant, run: Path) -> bool:
    text = "\n".join(line for line in stderr.splitlines() if not line.startswith("[lean-chain "))
    if mutant.mutation.table == "--out":
        return str(run) in text or run.name in text
    return any(name in text for name in FILE_NAMES) or str(mutant.inst) in text


def run_mutant(
    mutant: Mutant, *, subprocess_mode: bool, timeout: float, time_limit: float, gap: float
) -> dict:
    """Run validate and solve on ``mutant``; return its CSV row with its class."""
    m = mutant.mutation
    run = m.run or mutant.work / RUN_NAME
    before_state = target_state(run)
    replaceable = before_state in ("missing", "empty") or (before_state == "run" and m.force)
    stale = {f".{run.name}.tmp-deadbeef"}
    run_abs = run.absolute()

    def skip(path: Path) -> bool:
        return path.absolute() == run_abs or (
            path.parent.absolute() == run_abs.parent and path.name.startswith(f".{run.name}.")
        )

    other_before = snapshot(mutant.work, skip)
    run_before = snapshot(run, lambda p: False)
    runner = run_subprocess if subprocess_mode else run_in_process
    validate = runner(["validate", str(mutant.inst)], timeout)
    argv = [
        "solve",
        str(mutant.inst),
        "--out",
        str(run),
        "--time-limit",
        f"{time_limit:g}",
        "--gap",
        f"{gap:g}",
    ]
    solve = runner([*argv, *(["--force"] if m.force else [])], timeout)
    other_after = snapshot(mutant.work, skip)
    run_after = snapshot(run, lambda p: False)
    # a stale temporary folder is cleaned up by the next write, not by a refused solve
    left = [name for name in leftovers(run) if not (name in stale and solve.rc != 0)]

    outcomes = [solve] if m.table == "--out" else [validate, solve]
    rcs = [o.rc for o in outcomes]
    problems = []
    if other_after != other_before:
        problems.append("deletion")
    if solve.rc != 0 and run_after != run_before and not replaceable:
        problems.append("deletion")
    if solve.rc == 0 and not replaceable:
        problems.append("deletion")  # replaced a file, a folder or a run without --force
    if any(o.rc is None for o in (validate, solve)):
        problems.append("hang")
    if any(o.rc is not None and o.rc < 0 for o in (validate, solve)):
        problems.append("crash")
    if any(o.escaped or "Traceback" in o.stderr for o in (validate, solve)):
        problems.append("traceback")
    if solve.rc == 0 and not complete_run(run):
        problems.append("partial_write")
    # An infeasible model (exit 3) writes its diagnosis as a run folder where there was none
    # (README, docs/model.md "When there is no plan"); a previous run is kept instead. Seed
    # 13 mutant 99 (global_export without max_channels_per_sku: the default 2 is infeasible)
    # was counted a partial write for that documented folder.
    diagnosed = solve.rc == 3 and before_state in ("missing", "empty") and complete_diagnosis(run)
    if solve.rc != 0 and run_after != run_before and replaceable and not diagnosed:
        problems.append("partial_write")
    if left:
        problems.append("partial_write")
    if m.expect == "reject" and 0 in rcs:
        problems.append("silent_acceptance")
    if any(rc not in (0, 2, 3) for rc in rcs if rc is not None):
        problems.append("other_exit")
    rejected = [o for o in outcomes if o.rc in (2, 3)]
    # bad input must name its file; "no plan" (exit 3) speaks of SKUs and rules instead
    if any(
        not (names_a_file(o.stderr, mutant, run) if o.rc == 2 else first_line(o.stderr))
        for o in rejected
    ):
        problems.append("cryptic_rejection")
    if m.expect == "accept" and rejected:
        problems.append("false_rejection")
    if m.table == "--out" and validate.rc != 0:
        problems.append("false_rejection")  # the instance itself is valid
    if problems:
        kind = min(problems, key=DEFECTS.index)
    elif m.table != "--out" and validate.rc == 0 and solve.rc == 2:
        kind = "late_rejection"
    elif rejected:
        kind = "clean_rejection"
    else:
        kind = "accepted"
    message = next(
        (first_line(o.stderr) for o in (validate, solve) if o.rc != 0 and first_line(o.stderr)), ""
    )
    return {
        "seed": mutant.seed,
        "index": mutant.index,
        "base": mutant.base,
        "kind": mutant.kind,
        "table": m.table,
        "column": m.column,
        "detail": m.detail[:120],
        "expect": m.expect,
        "validate_exit": "timeout" if validate.rc is None else validate.rc,
        "solve_exit": "timeout" if solve.rc is None else solve.rc,
        "class": kind,
        "problems": "|".join(dict.fromkeys(problems)),
        "leftovers": "|".join(left),
        "validate_s": round(validate.seconds, 3),
        "solve_s": round(solve.seconds, 3),
        "first_stderr_line": message,
        "traceback": last_traceback_line(validate.stderr + solve.stderr),
    }


def last_traceback_line(stderr: str) -> str:
    """The exception line of the last traceback in ``stderr`` (``''`` if none)."""
    if "Traceback" not in stderr:
        return ""
    tail = stderr[stderr.rindex("Traceback") :].splitlines()
    lines = [
        line for line in tail if line and not line.startswith((" ", "Traceback", "[lean-chain "))
    ]
    return lines[0][:300] if lines else ""


@dataclass
class Settings:
    seed: int
    bases: list[str]
    root: str
    subprocess_mode: bool
    timeout: float
    time_limit: float
    gap: float
    keep: bool = False
    kinds: list[str] = field(default_factory=list)


def fuzz_one(
    settings: Settings, index: int, report: Callable[[dict], None] = lambda meta: None
) -> dict:
    work = Path(settings.root) / f"m{index:05d}"
    try:
        mutant = make_mutant(settings.seed, index, work, settings.bases)
        report(
            {
                "kind": mutant.kind,
                "table": mutant.mutation.table,
                "column": mutant.mutation.column,
                "base": mutant.base,
                "detail": mutant.mutation.detail,
            }
        )
        return run_mutant(
            mutant,
            subprocess_mode=settings.subprocess_mode,
            timeout=settings.timeout,
            time_limit=settings.time_limit,
            gap=settings.gap,
        )
    finally:
        if not settings.keep:
            shutil.rmtree(work, ignore_errors=True)


def _worker(conn, settings: Settings) -> None:
    # C-level output (solver logs) must not interleave with the table; Python-level
    # stderr is captured per command
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the pool
    # pay the imports once per worker
    import lean_chain.api
    import lean_chain.cli  # noqa: F401

    while True:
        index = conn.recv()
        if index is None:
            return
        try:
            row = fuzz_one(settings, index, lambda meta: conn.send(("meta", meta)))
        except Exception:
            row = {
                "index": index,
                "class": "bench_error",
                "first_stderr_line": traceback.format_exc()[-300:],
            }
        conn.send(("row", row))


def run_pool(
    settings: Settings, indices: list[int], jobs: int, progress: bool = True
) -> list[dict]:
    """Fuzz ``indices`` in ``jobs`` worker processes; a worker past its deadline is killed."""
    ctx = mp.get_context("spawn")
    deadline_s = 2 * settings.timeout + 30  # validate + solve + copying
    pending = deque(indices)
    rows: list[dict] = []
    workers: list[dict] = []

    def start() -> dict:
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker, args=(child, settings), daemon=True)
        proc.start()
        child.close()
        return {"proc": proc, "conn": parent, "index": None, "deadline": 0.0, "meta": {}}

    workers = [start() for _ in range(max(1, jobs))]
    started = time.monotonic()
    try:
        while pending or any(w["index"] is not None for w in workers):
            for w in workers:
                if w["index"] is None and pending:
                    w["index"], w["meta"] = pending.popleft(), {}
                    w["deadline"] = time.monotonic() + deadline_s + 60  # worker start-up
                    w["conn"].send(w["index"])
            busy = [w for w in workers if w["index"] is not None]
            for conn in wait([w["conn"] for w in busy], timeout=1.0):
                w = next(w for w in busy if w["conn"] is conn)
                try:
                    tag, payload = conn.recv()
                except EOFError:  # the worker died (a signal from native code)
                    rc = w["proc"].exitcode
                    rows.append(
                        {
                            "seed": settings.seed,
                            "index": w["index"],
                            **w["meta"],
                            "class": "crash",
                            "validate_exit": "",
                            "solve_exit": rc,
                        }
                    )
                    w["proc"].join()
                    workers[workers.index(w)] = start()
                    continue
                if tag == "meta":
                    w["meta"] = payload
                    w["deadline"] = time.monotonic() + deadline_s
                    continue
                rows.append(payload)
                w["index"] = None
                if progress and len(rows) % 25 == 0:
                    print(
                        f"  {len(rows)}/{len(indices)} mutants, {time.monotonic() - started:.0f} s",
                        flush=True,
                    )
            for i, w in enumerate(workers):
                if w["index"] is not None and time.monotonic() > w["deadline"]:
                    w["proc"].kill()  # our own worker, by its handle
                    w["proc"].join()
                    rows.append(
                        {
                            "seed": settings.seed,
                            "index": w["index"],
                            **w["meta"],
                            "class": "hang",
                            "validate_exit": "",
                            "solve_exit": "timeout",
                        }
                    )
                    workers[i] = start()
    finally:
        for w in workers:
            with contextlib.suppress(OSError, BrokenPipeError):
                w["conn"].send(None)
        for w in workers:
            w["proc"].join(timeout=10)
            if w["proc"].is_alive():
                w["proc"].kill()
                w["proc"].join()
    return sorted(rows, key=lambda r: r["index"])


# ----------------------------------------------------------------------------- report

COLUMNS = [
    "seed",
    "index",
    "base",
    "kind",
    "table",
    "column",
    "detail",
    "expect",
    "validate_exit",
    "solve_exit",
    "class",
    "problems",
    "leftovers",
    "validate_s",
    "solve_s",
    "first_stderr_line",
    "traceback",
]


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def print_report(rows: list[dict]) -> None:
    total = len(rows)
    classes = Counter(r["class"] for r in rows)
    print(f"\n{total} mutants")
    print(f"{'class':20s} {'count':>6s} {'share':>7s}")
    for name in (*CLASSES, "bench_error"):
        if classes.get(name):
            print(f"{name:20s} {classes[name]:6d} {classes[name] / total:7.1%}")
    must = [r for r in rows if r.get("expect") == "reject"]
    if must:
        clean = sum(r["class"] == "clean_rejection" for r in must)
        print(
            f"clean rejections / mutants that must be rejected: {clean}/{len(must)} = {clean / len(must):.3f}"
        )
    defects = sum(classes.get(c, 0) for c in DEFECTS)
    print(f"defects / mutants: {defects}/{total} = {defects / total:.3f}")
    shown = [c for c in CLASSES if classes.get(c)]
    print("\nper mutation kind:")
    print(f"{'kind':22s} {'n':>4s} " + " ".join(f"{c[:10]:>10s}" for c in shown))
    by_kind: dict[str, Counter] = {}
    for r in rows:
        by_kind.setdefault(r.get("kind", "?"), Counter())[r["class"]] += 1
    for kind in sorted(by_kind):
        counts = by_kind[kind]
        print(
            f"{kind:22s} {sum(counts.values()):4d} "
            + " ".join(f"{counts.get(c, 0):10d}" for c in shown)
        )
    bad = [r for r in rows if r["class"] in (*DEFECTS, "late_rejection", "bench_error")]
    if bad:
        print("\nnot clean:")
        for r in bad:
            print(
                f"  #{r['index']} {r['class']}: {r.get('base')} {r.get('kind')} {r.get('table')} "
                f"{r.get('column', '')} [{r.get('detail', '')}] validate {r.get('validate_exit')} "
                f"solve {r.get('solve_exit')} {r.get('problems', '')}: "
                f"{r.get('traceback') or r.get('first_stderr_line', '')}"
            )


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha1()
    for key, value in sorted(snapshot(folder, lambda p: False).items()):
        digest.update(f"{key}={value}\n".encode())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="mutants (default 200)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_fuzz.csv")
    parser.add_argument("--bases", default="tiny,global_export", help="instances, alternating")
    parser.add_argument("--subprocess", action="store_true", help="run the lean-chain executable")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per command")
    parser.add_argument("--time-limit", type=float, default=20.0, help="solve --time-limit")
    parser.add_argument("--gap", type=float, default=0.01, help="solve --gap")
    parser.add_argument(
        "--index", type=int, default=None, help="run only this mutant, in this process"
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="with --index: keep the mutant here"
    )
    args = parser.parse_args(argv)
    bases = args.bases.split(",")
    unknown = sorted(set(bases) - set(BASES))
    if unknown:
        parser.error(f"unknown bases {unknown}; known: {', '.join(BASES)}")
    originals = {name: tree_hash(BASES[name]) for name in bases}

    if args.index is not None:
        root = args.keep or Path(tempfile.mkdtemp(prefix="bench_fuzz_"))
        settings = Settings(
            args.seed,
            bases,
            str(root),
            args.subprocess,
            args.timeout,
            args.time_limit,
            args.gap,
            keep=True,
        )
        row = fuzz_one(settings, args.index)
        print(json.dumps(row, indent=2, ensure_ascii=False))
        print(f"mutant kept in {root / f'm{args.index:05d}'}")
        return 0

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_fuzz_") as tmp:
        settings = Settings(
            args.seed, bases, tmp, args.subprocess, args.timeout, args.time_limit, args.gap
        )
        mode = "subprocesses" if args.subprocess else "in-process workers"
        print(
            f"fuzzing {args.count} mutants of {', '.join(bases)} (seed {args.seed}, {args.jobs} {mode})"
        )
        rows = run_pool(settings, list(range(args.count)), args.jobs)
    wall = time.perf_counter() - start
    print_report(rows)
    changed = [name for name in bases if tree_hash(BASES[name]) != originals[name]]
    print(f"\noriginal instances unchanged: {'no: ' + ', '.join(changed) if changed else 'yes'}")
    print(f"wall {wall:.0f} s ({wall / max(len(rows), 1):.2f} s per mutant with {args.jobs} jobs)")
    write_csv(rows, args.out)
    print(f"wrote {args.out}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
