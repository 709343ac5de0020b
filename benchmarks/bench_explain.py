"""Explanation benchmark (issue 19): the time and memory of ``plan/alternatives.csv``
against the solve, on generated catalogues.

Per size in ``--sizes`` (default 1000,10000 SKUs; 30 regions, 10 stocking nodes, seed
1, exactly ``lean-chain generate --skus N``), in a child process of its own (so its peak
RSS is its own):

- ``solve_s``: ``lean_chain.solve(instance, gap=0.01, time_limit=--time-limit)`` (method
  auto: the decomposition at these sizes); ``net_solve_s`` the solve without the
  explanation it builds itself (``explain_in_solve_s``: up to
  ``api.ALTERNATIVES_TABLE_MAX_ROWS`` candidate rows the plan holds the alternatives
  table, taken as ``explain_s``; above, the table is streamed when the run is written
  and the solve has none);
- ``explain_s``: :func:`lean_chain.explain.alternatives` on the plan again (the whole
  table; best of ``--repeat`` runs), ``write_s``: that table written as
  ``plan_io.write_run`` writes a held table (:func:`lean_chain.io.fast_csv.write_csv`,
  best of ``--repeat``), against ``pandas_write_s``: the same table through
  ``DataFrame.to_csv`` (the baseline, the same bytes; one run, only up to
  ``--baseline-max`` SKUs: it takes minutes at 100k);
- ``streamed_s``: :func:`lean_chain.explain.write_alternatives`, the explanation
  computed and written a block of rows at a time (what ``write_run`` does above the
  threshold; the same bytes), best of ``--repeat``, with the cost model's coupling
  problem built, as a plan solved by the decomposition leaves it (its structure builds
  it; ``formulation.build`` keeps it per model); ``streamed_cold_s``: the first such
  call on the fresh model, which builds it (what a plan of the exact MIP pays; its
  ``streamed_s`` is taken as that);
- ``ratio`` = explain_s / net_solve_s: the explanation's share of the solve it
  explains (target <= 0.10); ``ratio_written`` the same with the CSV written, the way
  ``write_run`` writes it at this size (``written_by``: ``table`` = explain_s +
  write_s, ``blocks`` = streamed_s); ``ratio_streamed`` = streamed_s / net_solve_s;
- ``explain_peak_mib``: tracemalloc's peak of one more ``alternatives`` call (numpy
  arrays and the table; measured separately, tracemalloc slows it down; only up to
  ``--trace-table-max`` SKUs), ``streamed_peak_mib`` the same of ``write_alternatives``,
  against ``peak_rss_mib``, the peak RSS of the solve's process;
- ``pairs``, ``rows`` (candidates listed, excluded paths included), ``csv_mib``.

With ``--plan-cache DIR`` a child keeps its solved plan (decisions, status, gap, solve
time and peak RSS) in ``DIR/plan_N.pkl`` and a later run reuses it instead of solving
again: for 100k SKUs, whose solve takes minutes, the explanation can be measured again
without it (``solve_s`` and ``peak_rss_mib`` are then those of the recorded solve; a
plan recorded before streaming existed held its table: its ``explain_in_solve_s``, if
recorded in the pickle, is used, else ``explain_s``).

Writes ``benchmarks/results/bench_explain.csv``. Run: ``python
benchmarks/bench_explain.py [--sizes 1000,10000] [--time-limit 600] [--repeat 3]
[--plan-cache DIR]``; above 10k SKUs under ``flock /tmp/lc_bigmem.lock`` on a shared
machine.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

RESULTS = Path(__file__).parent / "results" / "bench_explain.csv"
FIELDS = (
    "skus",
    "method",
    "pairs",
    "rows",
    "solve_s",
    "explain_in_solve_s",
    "net_solve_s",
    "explain_s",
    "write_s",
    "pandas_write_s",
    "write_speedup",
    "streamed_s",
    "streamed_cold_s",
    "written_by",
    "ratio",
    "ratio_written",
    "ratio_streamed",
    "explain_peak_mib",
    "streamed_peak_mib",
    "peak_rss_mib",
    "csv_mib",
)


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(repeat: int, work, *, fresh: Path | None = None) -> tuple[float, object]:
    """The best wall time of ``repeat`` runs of ``work()`` and its last result; the file
    ``fresh`` is removed before each run, untimed (a run writes a new file: rewriting
    one would also time the release of the old file's 2.7 GB of cached pages at 100k)."""
    best, result = float("inf"), None
    for _ in range(max(repeat, 1)):
        if fresh is not None:
            fresh.unlink(missing_ok=True)
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def _solved(skus: int, time_limit: float, scratch: Path, cache: Path | None) -> dict:
    """The solved plan of the generated instance (from ``cache`` when it holds one)."""
    import lean_chain
    from lean_chain.generate import generate_tables, write_tables

    cached = cache / f"plan_{skus}.pkl" if cache is not None else None
    if cached is not None and cached.is_file():
        with cached.open("rb") as handle:
            return pickle.load(handle)
    folder = (cache if cache is not None else scratch) / f"instance_{skus}"
    if not (folder / "skus.csv").exists():
        tables, params = generate_tables(skus, regions=30, nodes=10, seed=1)
        write_tables(folder, tables, params, overwrite=True)
        del tables
    instance = lean_chain.load_instance(folder)
    started = time.perf_counter()
    plan = lean_chain.solve(instance, gap=0.01, time_limit=time_limit)
    solved = {
        "folder": str(folder),
        "decisions": plan.decisions,
        "status": plan.status,
        "gap": plan.gap,
        "method": plan.info.get("method"),
        "solve_s": time.perf_counter() - started,
        "peak_rss_mib": _peak_rss_mib(),
        "held": "alternatives" in plan.tables,
    }
    if cached is not None:
        with cached.open("wb") as handle:
            pickle.dump(solved, handle)
    return solved


def _traced_peak_mib(work) -> float:
    tracemalloc.start()
    work()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def child(
    skus: int,
    time_limit: float,
    repeat: int,
    baseline_max: int,
    trace_table_max: int,
    cache: Path | None,
) -> dict:
    """Solve (or reuse a solve), explain and write one size; returns the measurements."""
    import lean_chain
    from lean_chain.costs.model import build_cost_model
    from lean_chain.explain import alternatives, write_alternatives
    from lean_chain.io.fast_csv import write_csv

    with tempfile.TemporaryDirectory() as scratch:
        solved = _solved(skus, time_limit, Path(scratch), cache)
        model = build_cost_model(lean_chain.load_instance(solved["folder"]))
        decisions = solved["decisions"]
        kwargs = {"status": solved["status"], "gap": solved["gap"]}
        explain = functools.partial(alternatives, model, decisions, **kwargs)
        path = Path(scratch) / "alternatives.csv"
        stream = functools.partial(write_alternatives, path, model, decisions, **kwargs)
        # first on this model: builds its coupling problem, which a plan solved by the
        # decomposition finds built (its structure built it); the exact MIP's does not
        streamed_cold_s, _ = _best(1, stream, fresh=path)
        explain_s, table = _best(repeat, explain)
        write_s, _ = _best(repeat, functools.partial(write_csv, table, path), fresh=path)
        pandas_write_s = None
        if skus <= baseline_max:
            pandas_write = functools.partial(table.to_csv, path, index=False)
            pandas_write_s, _ = _best(1, pandas_write, fresh=path)
        rows = len(table)
        del table
        streamed_s, _ = _best(repeat, stream, fresh=path)
        if solved["method"] != "decompose":  # the explanation builds the coupling problem
            streamed_s = max(streamed_s, streamed_cold_s)
        csv_mib = path.stat().st_size / 2**20
        peak_rss = max(_peak_rss_mib(), solved["peak_rss_mib"])
        explain_peak = _traced_peak_mib(explain) if skus <= trace_table_max else None
        streamed_peak = _traced_peak_mib(stream)
    held = solved.get("held", True)
    in_solve = solved.get("explain_in_solve_s", explain_s if held else 0.0)
    net = max(solved["solve_s"] - in_solve, 1e-9)
    return {
        "skus": skus,
        "method": solved["method"],
        "pairs": model.n_pairs,
        "rows": rows,
        "solve_s": round(solved["solve_s"], 3),
        "explain_in_solve_s": round(in_solve, 3),
        "net_solve_s": round(net, 3),
        "explain_s": round(explain_s, 3),
        "write_s": round(write_s, 3),
        "pandas_write_s": None if pandas_write_s is None else round(pandas_write_s, 3),
        "write_speedup": None if pandas_write_s is None else round(pandas_write_s / write_s, 1),
        "streamed_s": round(streamed_s, 3),
        "streamed_cold_s": round(streamed_cold_s, 3),
        "written_by": "table" if rows <= _table_max_rows() else "blocks",
        "ratio": round(explain_s / net, 4),
        "ratio_written": round(
            (explain_s + write_s if rows <= _table_max_rows() else streamed_s) / net, 4
        ),
        "ratio_streamed": round(streamed_s / net, 4),
        "explain_peak_mib": explain_peak,
        "streamed_peak_mib": streamed_peak,
        "peak_rss_mib": round(peak_rss, 1),
        "csv_mib": round(csv_mib, 1),
    }


def _table_max_rows() -> int:
    from lean_chain.api import ALTERNATIVES_TABLE_MAX_ROWS

    return ALTERNATIVES_TABLE_MAX_ROWS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-max", type=int, default=10_000)
    parser.add_argument("--trace-table-max", type=int, default=10_000)
    parser.add_argument("--plan-cache", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(
            json.dumps(
                child(
                    args.child,
                    args.time_limit,
                    args.repeat,
                    args.baseline_max,
                    args.trace_table_max,
                    args.plan_cache,
                )
            )
        )
        return 0
    rows = []
    for skus in (int(s) for s in args.sizes.split(",")):
        command = [
            sys.executable,
            __file__,
            "--child",
            str(skus),
            "--time-limit",
            str(args.time_limit),
            "--repeat",
            str(args.repeat),
            "--baseline-max",
            str(args.baseline_max),
            "--trace-table-max",
            str(args.trace_table_max),
        ]
        if args.plan_cache is not None:
            args.plan_cache.mkdir(parents=True, exist_ok=True)
            command += ["--plan-cache", str(args.plan_cache)]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        baseline = (
            f" (pandas to_csv {row['pandas_write_s']:.2f} s: {row['write_speedup']:.1f}x)"
            if row["pandas_write_s"] is not None
            else ""
        )
        explain_peak = row["explain_peak_mib"]
        print(
            f"{skus:>7,} SKUs ({row['method']}): {row['pairs']:,} pairs, {row['rows']:,} rows; "
            f"solve {row['solve_s']:.2f} s (without its explanation {row['net_solve_s']:.2f} s), "
            f"explain {row['explain_s']:.3f} s (ratio {row['ratio']:.3f}), "
            f"CSV {row['write_s']:.2f} s{baseline}, streamed {row['streamed_s']:.2f} s; "
            f"written by {row['written_by']}: ratio with the CSV {row['ratio_written']:.3f}; "
            f"peak: table {'-' if explain_peak is None else f'{explain_peak:.0f}'} MiB, "
            f"streamed {row['streamed_peak_mib']:.0f} MiB, solve process "
            f"{row['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
