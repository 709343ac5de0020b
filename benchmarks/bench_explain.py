"""Explanation benchmark (issue 19): the time and memory of ``plan/alternatives.csv``
against the solve, on generated catalogues.

Per size in ``--sizes`` (default 1000,10000 SKUs; 30 regions, 10 stocking nodes, seed
1, exactly ``lean-chain generate --skus N``), in a child process of its own (so its peak
RSS is its own):

- ``solve_s``: ``lean_chain.solve(instance, gap=0.01, time_limit=--time-limit)`` (method
  auto: the decomposition at these sizes), which builds the alternatives table itself;
- ``explain_s``: :func:`lean_chain.explain.alternatives` on the plan again (the
  median of ``--repeat`` runs), ``write_s``: the table written as CSV;
- ``ratio`` = explain_s / (solve_s - explain_s): the explanation's share of the solve
  it explains (target <= 0.10);
- ``explain_peak_mib``: tracemalloc's peak of one more ``alternatives`` call (numpy
  arrays and the table; measured separately, tracemalloc slows it down), against
  ``peak_rss_mib``, the child's peak RSS (the solve's peak, which includes its own
  explanation);
- ``pairs``, ``rows`` (candidates listed, excluded paths included).

Writes ``benchmarks/results/bench_explain.csv``. Run: ``python
benchmarks/bench_explain.py [--sizes 1000,10000] [--time-limit 600] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
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
    "explain_s",
    "write_s",
    "ratio",
    "explain_peak_mib",
    "peak_rss_mib",
)


def child(skus: int, time_limit: float, repeat: int) -> dict:
    """Generate, solve and explain one size; returns the measurements."""
    import lean_chain
    from lean_chain.costs.model import build_cost_model
    from lean_chain.explain import alternatives
    from lean_chain.generate import generate_tables, write_tables

    with tempfile.TemporaryDirectory() as scratch:
        tables, params = generate_tables(skus, regions=30, nodes=10, seed=1)
        folder = write_tables(Path(scratch) / "instance", tables, params)
        del tables
        instance = lean_chain.load_instance(folder)
        started = time.perf_counter()
        plan = lean_chain.solve(instance, gap=0.01, time_limit=time_limit)
        solve_s = time.perf_counter() - started
        model = build_cost_model(instance)
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            table = alternatives(model, plan.decisions, status=plan.status, gap=plan.gap)
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        table.to_csv(Path(scratch) / "alternatives.csv", index=False)
        write_s = time.perf_counter() - started
        rows = len(table)
        del table
        tracemalloc.start()
        alternatives(model, plan.decisions, status=plan.status, gap=plan.gap)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    explain_s = statistics.median(times)
    return {
        "skus": skus,
        "method": plan.info.get("method"),
        "pairs": model.n_pairs,
        "rows": rows,
        "solve_s": round(solve_s, 3),
        "explain_s": round(explain_s, 3),
        "write_s": round(write_s, 3),
        "ratio": round(explain_s / max(solve_s - explain_s, 1e-9), 4),
        "explain_peak_mib": round(peak / 2**20, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args.time_limit, args.repeat)))
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
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        row = json.loads(out.strip().splitlines()[-1])
        rows.append(row)
        print(
            f"{skus:>7,} SKUs ({row['method']}): {row['pairs']:,} pairs, {row['rows']:,} rows; "
            f"solve {row['solve_s']:.2f} s, explain {row['explain_s']:.3f} s "
            f"(ratio {row['ratio']:.3f}), CSV {row['write_s']:.2f} s; explain peak "
            f"{row['explain_peak_mib']:.0f} MiB vs process peak {row['peak_rss_mib']:.0f} MiB",
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
