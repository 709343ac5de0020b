"""Scale benchmark: lean_chain's decomposition and exact MIP on generated instances of growing size.

Instances: ``lean_chain.generate``'s tables (``generate_tables`` + ``write_tables``,
exactly what ``lean-chain generate --skus N --regions 30 --nodes 10 --seed S``
writes) for every size in ``--sizes`` (default 1000,10000,100000 SKUs) and seed
in ``--seeds`` (default 1), written to a temporary folder by a child process
and removed after the last method has used it.

Every (size, seed, method) case runs in its own child process (one at a
time, never two at once), so its peak RSS is its own: the parent reads the
child's ``ru_maxrss`` from ``os.wait4`` after it exits. No instance is ever
held by the parent, and the generator runs in a child of its own (its memory
is not counted in any case).

In the child, per case:

- ``load_s``: ``lean_chain.load_instance`` (read, validate, compile the index);
- ``lean_chain.solve(instance, method=..., time_limit=--time-limit)`` with
  ``gap=0.01`` for ``decompose`` and ``gap=1e-4, threads=1`` for ``exact``;
  ``model_s`` = seconds from the call to its first progress report (the
  plannability check and the cost model), ``solve_s`` = the whole call;
- ``first_plan_s``: ``plan.info["decomposition"]["first_plan_s"]`` (seconds from
  the start of the decomposition, after the cost model); ``plan_after_load_s``
  = ``model_s + first_plan_s`` (for ``exact``: the progress report of the
  construction heuristic's plan, its MIP start);
- ``to_1pct_s``: ``plan.info["decomposition"]["seconds_to_gap"]["0.01"]``
  (None if the 1 % certified gap was not reached; also 5 % and 0.5 % in the CSV);
- ``total_s`` = ``load_s + solve_s``; ``objective``, ``bound``, ``gap``
  (``plan.objective/bound/gap``), ``rounds``, ``pairs``
  (``plan.info["model_size"]["pairs"]``), ``peak_rss_gib``.

The exact MIP runs only for sizes <= ``--exact-max-skus`` (default 2000). Where
both ran, the decomposition's TRUE gaps against it are printed: (decomposition
objective - exact bound) / decomposition objective (how far the decomposition
plan can be from optimal) and (exact objective - decomposition bound) / exact
objective (how loose the certified bound is). A decomposition bound above the
exact objective, or an exact bound above the decomposition objective, is a
bug: printed loudly, and the script exits 1 (after writing the CSV).

Ratios are against the baseline of the same run: per method and seed, time
per SKU at each size / time per SKU at the smallest size, and least-squares
slopes of log(total_s), log(first_plan_s) and log(plan_after_load_s) against
log(SKUs) (1.0 = linear). Time-limited runs cap the times: the slopes say so.

The machine is shared (2 cores; other sessions' solves run beside this
benchmark): ``--repeat K`` runs every case K times and keeps the fastest
(default 1: the cases take minutes). The load average is printed before and
after. Writes ``benchmarks/results/bench_scale.csv`` (one row per size, seed and
method; temp file, then rename) after every case; ``--merge`` keeps the rows of
an existing CSV whose (size, seed, method) this run does not measure.

Run: ``python benchmarks/bench_scale.py [--sizes 1000,10000,100000] [--seeds 1]
[--time-limit 600] [--methods decompose,exact] [--exact-max-skus 2000] [--repeat 1]
[--quick] [--merge] [--verbose] [--out FILE]``. ``--quick``: sizes 200,1000 and
60 s (a smoke test). ``--methods decompose,profit`` adds profit mode (``objective="profit"``,
the decomposition at the same 1 % gap) beside the cost-mode decomposition, for the
profit-vs-cost time ratio of issue 18.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
REGIONS = 30
NODES = 10
DECOMPOSE_GAP = 0.01
EXACT_GAP = 1e-4
#: Relative slack on the bound checks (float noise of sums over many pairs).
BOUND_TOLERANCE = 1e-9
#: A child still running at factor x time limit + slack is killed (by its pid).
HARD_LIMIT_FACTOR = 2.0
HARD_LIMIT_SLACK_S = 900.0
METHODS = ["decompose", "exact"]
#: Opt-in with ``--methods decompose,profit``: profit mode (``objective="profit"``; the
#: decomposition at its gap), printed beside the cost-mode cases of the same size.
OPTIONAL_METHODS = ["profit"]

FIELDS = [
    "skus",
    "seed",
    "method",
    "status",
    "stop",
    "regions",
    "nodes",
    "time_limit_s",
    "gap_target",
    "gen_s",
    "load_s",
    "model_s",
    "first_plan_s",
    "plan_after_load_s",
    "to_5pct_s",
    "to_1pct_s",
    "to_05pct_s",
    "solve_s",
    "total_s",
    "child_wall_s",
    "objective",
    "bound",
    "gap",
    "rounds",
    "peak_rss_gib",
    "pairs",
    "columns",
    "rows",
    "nonzeros",
    "time_per_sku_ms",
    "per_sku_ratio",
    "exact_objective",
    "exact_bound",
    "exact_status",
    "exact_total_s",
    "true_gap_vs_exact_bound",
    "bound_looseness_vs_exact_objective",
    "bound_check",
    "runs",
    "message",
]


# --------------------------------------------------------------------------- child side


def child_generate(skus: int, seed: int, folder: Path) -> dict:
    from lean_chain.generate import generate_tables, write_tables

    start = time.perf_counter()
    tables, params = generate_tables(skus, REGIONS, NODES, seed)
    write_tables(folder, tables, params)
    return {"gen_s": time.perf_counter() - start, "name": params["name"]}


def child_solve(folder: Path, method: str, time_limit: float, threads: int, verbose: bool) -> dict:
    import numpy as np

    import lean_chain

    row: dict = {}
    start = time.perf_counter()
    instance = lean_chain.load_instance(folder)
    row["load_s"] = time.perf_counter() - start
    events: list[tuple[str, float, float, float]] = []

    def progress(phase: str, elapsed: float, objective: float, bound: float) -> None:
        events.append((phase, elapsed, objective, bound))
        if verbose:
            print(
                f"    [{method}] {elapsed:8.2f} s  {phase:<40.40} plan {objective:,.0f}  "
                f"bound {bound:,.0f}",
                flush=True,
            )

    profit = method == "profit"
    exact = method == "exact"
    start = time.perf_counter()
    try:
        plan = lean_chain.solve(
            instance,
            method="decompose" if profit else method,
            gap=EXACT_GAP if exact else DECOMPOSE_GAP,
            time_limit=time_limit,
            threads=threads if exact else None,
            progress=progress,
            objective="profit" if profit else "cost",
        )
    except lean_chain.LeanChainError as exc:
        row["solve_s"] = time.perf_counter() - start
        row["status"] = "error"
        row["message"] = f"{type(exc).__name__}: {exc}"[:500]
        return row
    row["solve_s"] = time.perf_counter() - start
    row["model_s"] = events[0][1] if events else None
    info = plan.info
    row.update(status=plan.status, objective=plan.objective, bound=plan.bound, gap=plan.gap)
    size = info.get("model_size", {})
    for key in ("pairs", "columns", "rows", "nonzeros"):
        row[key] = size.get(key)
    if exact:
        row["plan_after_load_s"] = next(
            (
                t
                for phase, t, obj, _ in events
                if phase in ("heuristic plan", "profit start") and np.isfinite(obj)
            ),
            None,
        )
        row["message"] = f"{info.get('solver_message', '')}; start: {info.get('mip_start', '')}"
        row["stop"] = "gap" if plan.status == "optimal" else "time limit"
    else:
        dec = info["decomposition"]
        to_gap = dec["seconds_to_gap"]
        row.update(
            first_plan_s=dec["first_plan_s"],
            to_5pct_s=to_gap.get("0.05"),
            to_1pct_s=to_gap.get("0.01"),
            to_05pct_s=to_gap.get("0.005"),
            rounds=dec["rounds"],
        )
        if row["first_plan_s"] is not None and row["model_s"] is not None:
            row["plan_after_load_s"] = row["model_s"] + row["first_plan_s"]
        if plan.gap is not None and plan.gap <= DECOMPOSE_GAP:
            row["stop"] = "gap"
        elif row["solve_s"] >= time_limit:
            row["stop"] = "time limit"
        else:
            row["stop"] = "stalled"  # subgradient step or round limit before gap and time
        row["message"] = info.get("method_reason", "")
    if profit:
        row["message"] += (
            f"; profit {plan.kpis['profit']:,.0f}, lost units {plan.kpis['lost_units']:,.0f}"
        )
    return row


def _plain(value):
    """numpy scalars as Python numbers for JSON."""
    return value.item() if hasattr(value, "item") else str(value)


def child_main(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    try:
        if args.child == "generate":
            result = child_generate(args.skus, args.seed, Path(args.folder))
        else:
            result = child_solve(
                Path(args.folder), args.method, args.time_limit, args.threads, args.verbose
            )
    except Exception as exc:  # the parent records it as the case's result
        traceback.print_exc()
        result = {"status": "error", "message": f"{type(exc).__name__}: {exc}"[:500]}
    result["child_wall_s"] = time.perf_counter() - started
    result["child_maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tmp = Path(args.json + ".tmp")
    tmp.write_text(json.dumps(result, default=_plain))
    os.replace(tmp, args.json)
    return 0


# --------------------------------------------------------------------------- parent side


def run_child(argv: list[str], json_path: Path, hard_limit_s: float | None) -> dict:
    """Run this script as a child, wait for it, return its JSON plus peak RSS (GiB)."""
    json_path.unlink(missing_ok=True)
    command = [sys.executable, str(Path(__file__).resolve()), *argv, "--json", str(json_path)]
    proc = subprocess.Popen(command)
    deadline = None if hard_limit_s is None else time.monotonic() + hard_limit_s
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            break
        if deadline is not None and time.monotonic() > deadline and not killed:
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)  # wait4 reaped it: tell Popen
    result: dict = {}
    if json_path.exists():
        result = json.loads(json_path.read_text())
    if killed:
        result.update(status="killed", message=f"killed at the hard limit of {hard_limit_s:g} s")
    elif proc.returncode != 0 or not result:
        result.setdefault("status", f"crashed (exit {proc.returncode})")
    result["peak_rss_gib"] = usage.ru_maxrss / 1024**2  # KiB on Linux
    return result


def number(value) -> float:
    return float(value) if isinstance(value, int | float) and value is not None else math.nan


def fmt(value, spec: str) -> str:
    """``format(value, spec)``; a missing value is ``-``, right-aligned to the spec's width."""
    if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
        width = re.match(r"\d*", spec).group()
        return "-".rjust(int(width) if width else 1)
    return format(value, spec)


HEADER = (
    f"{'skus':>7} {'seed':>4} {'method':<9} {'status':<8} {'stop':<10} {'load_s':>7} "
    f"{'model_s':>7} {'1st_plan':>8} {'plan@load':>9} {'to_1%':>7} {'total_s':>8} {'objective':>16} "
    f"{'bound':>16} {'gap':>8} {'rounds':>6} {'RSS_GiB':>7} {'pairs':>10}"
)


def row_line(row: dict) -> str:
    return (
        f"{row['skus']:>7} {row['seed']:>4} {row['method']:<9} {str(row.get('status'))[:8]:<8} "
        f"{str(row.get('stop') or '-')[:10]:<10} {fmt(row.get('load_s'), '7.2f')} "
        f"{fmt(row.get('model_s'), '7.2f')} {fmt(row.get('first_plan_s'), '8.2f')} "
        f"{fmt(row.get('plan_after_load_s'), '9.2f')} "
        f"{fmt(row.get('to_1pct_s'), '7.1f')} {fmt(row.get('total_s'), '8.1f')} "
        f"{fmt(row.get('objective'), '16,.0f')} {fmt(row.get('bound'), '16,.0f')} "
        f"{fmt(row.get('gap'), '8.2%')} {fmt(row.get('rounds'), '6d')} "
        f"{fmt(row.get('peak_rss_gib'), '7.2f')} {fmt(row.get('pairs'), '10,d')}"
    )


def run_case(args, skus: int, seed: int, method: str, folder: Path, scratch: Path) -> dict:
    argv = ["--child", "solve", "--folder", str(folder), "--method", method]
    argv += ["--time-limit", str(args.time_limit), "--threads", str(args.threads)]
    if args.verbose:
        argv.append("--verbose")
    hard = HARD_LIMIT_FACTOR * args.time_limit + HARD_LIMIT_SLACK_S
    runs = []
    for _ in range(max(args.repeat, 1)):
        result = run_child(argv, scratch / f"{skus}_{seed}_{method}.json", hard)
        load, solve = number(result.get("load_s")), number(result.get("solve_s"))
        result["total_s"] = load + solve
        runs.append(result)
    finite = [r for r in runs if math.isfinite(r["total_s"]) and r.get("status") != "error"]
    best = min(finite, key=lambda r: r["total_s"]) if finite else runs[0]
    best.update(
        skus=skus,
        seed=seed,
        method=method,
        regions=REGIONS,
        nodes=NODES,
        time_limit_s=args.time_limit,
        gap_target=EXACT_GAP if method == "exact" else DECOMPOSE_GAP,
        runs=len(runs),
    )
    return best


def compare(decomp: dict, exact: dict) -> list[str]:
    """Fill the decomposition row's true gaps against the exact MIP; return violations."""
    decomp.update(
        exact_objective=exact.get("objective"),
        exact_bound=exact.get("bound"),
        exact_status=exact.get("status"),
        exact_total_s=exact.get("total_s"),
    )
    d_obj, d_bnd = number(decomp.get("objective")), number(decomp.get("bound"))
    e_obj, e_bnd = number(exact.get("objective")), number(exact.get("bound"))
    problems = []
    if math.isfinite(d_obj) and math.isfinite(e_bnd):
        decomp["true_gap_vs_exact_bound"] = (d_obj - e_bnd) / abs(d_obj)
        if e_bnd > d_obj + BOUND_TOLERANCE * abs(d_obj):
            problems.append(f"exact bound {e_bnd:,.4f} > decomposition objective {d_obj:,.4f}")
    if math.isfinite(e_obj) and math.isfinite(d_bnd):
        decomp["bound_looseness_vs_exact_objective"] = (e_obj - d_bnd) / abs(e_obj)
        if d_bnd > e_obj + BOUND_TOLERANCE * abs(e_obj):
            problems.append(f"decomposition bound {d_bnd:,.4f} > exact objective {e_obj:,.4f}")
    checked = math.isfinite(d_bnd) and math.isfinite(e_obj)
    decomp["bound_check"] = ("VIOLATED" if problems else "ok") if checked else "not checked"
    return problems


def slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log(y) against log(x); None with fewer than 2 sizes."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if y and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    return sum((p[0] - mx) * (p[1] - my) for p in pts) / sxx


def ratios(rows: list[dict], methods: list[str]) -> None:
    print("\ntime per SKU (total_s / SKUs) against the smallest size of the same run and seed:")
    for method in methods:
        for seed in sorted({r["seed"] for r in rows}):
            mine = sorted(
                (r for r in rows if r["method"] == method and r["seed"] == seed),
                key=lambda r: r["skus"],
            )
            mine = [r for r in mine if math.isfinite(number(r.get("total_s")))]
            if not mine:
                continue
            base = mine[0]["total_s"] / mine[0]["skus"]
            for r in mine:
                r["time_per_sku_ms"] = 1000 * r["total_s"] / r["skus"]
                r["per_sku_ratio"] = r["total_s"] / r["skus"] / base
                capped = " (time-limited)" if r.get("stop") == "time limit" else ""
                print(
                    f"  {method:<9} seed {seed:<3} {r['skus']:>7,} SKUs: "
                    f"{r['time_per_sku_ms']:9.3f} ms/SKU  ratio {r['per_sku_ratio']:6.3f}{capped}"
                )
    print("\nslopes of log(time) against log(SKUs) (least squares over all seeds; 1.0 = linear):")
    for method in methods:
        mine = [r for r in rows if r["method"] == method]
        parts = []
        for key in ("total_s", "first_plan_s", "plan_after_load_s"):
            got = [(r["skus"], number(r.get(key))) for r in mine]
            got = [(x, y) for x, y in got if math.isfinite(y)]
            s = slope([x for x, _ in got], [y for _, y in got]) if got else None
            parts.append(f"{key} {fmt(s, '.2f')}")
        capped = sum(1 for r in mine if r.get("stop") == "time limit")
        note = f"   ({capped} run(s) stopped by the time limit: total_s capped)" if capped else ""
        print(f"  {method:<9} " + ", ".join(parts) + note)


def write_csv(rows: list[dict], path: Path, merge: bool) -> None:
    keep: list[dict] = []
    if merge and path.exists():
        mine = {(str(r["skus"]), str(r["seed"]), r["method"]) for r in rows}
        with path.open(newline="", encoding="utf-8") as handle:
            keep = [
                r for r in csv.DictReader(handle) if (r["skus"], r["seed"], r["method"]) not in mine
            ]
    everything = keep + rows
    everything.sort(key=lambda r: (int(r["skus"]), int(r["seed"]), str(r["method"])))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in everything:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in FIELDS})
    os.chmod(tmp, 0o644)  # mkstemp makes it private
    os.replace(tmp, path)


def warm_up(scratch: Path, args) -> None:
    """A tiny instance through both methods: numba's kernel cache, solver libraries (not counted)."""
    folder = scratch / "warmup"
    run_child(
        ["--child", "generate", "--skus", "20", "--seed", "0", "--folder", str(folder)],
        scratch / "warmup_gen.json",
        None,
    )
    for method in METHODS:
        start = time.perf_counter()
        argv = ["--child", "solve", "--folder", str(folder), "--method", method]
        run_child([*argv, "--time-limit", "20", "--threads", "1"], scratch / "warmup.json", 300)
        print(f"  warm-up {method:<9} {time.perf_counter() - start:6.2f} s (not counted)")
    shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="SKU counts, comma-separated")
    parser.add_argument("--seeds", default="1", help="generator seeds, comma-separated")
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds per solve")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--exact-max-skus", type=int, default=2000, help="run the exact MIP only up to this size"
    )
    parser.add_argument("--threads", type=int, default=1, help="solver threads of the exact MIP")
    parser.add_argument("--repeat", type=int, default=1, help="runs per case, the fastest kept")
    parser.add_argument("--quick", action="store_true", help="sizes 200,1000 and 60 s (smoke)")
    parser.add_argument("--merge", action="store_true", help="keep other rows of an existing CSV")
    parser.add_argument("--verbose", action="store_true", help="print the progress of each case")
    parser.add_argument("--out", default=str(RESULTS / "bench_scale.csv"))
    # internal: one case in a child process
    parser.add_argument("--child", choices=("generate", "solve"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--method", help=argparse.SUPPRESS)
    parser.add_argument("--skus", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)

    if args.quick:
        args.sizes, args.time_limit = "200,1000", 60.0
    sizes = sorted({int(float(s)) for s in args.sizes.split(",") if s.strip()})
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if set(methods) - set(METHODS + OPTIONAL_METHODS) or not methods:
        parser.error(f"--methods must be among {', '.join(METHODS + OPTIONAL_METHODS)}")
    out = Path(args.out)

    import lean_chain

    print(
        f"lean_chain {lean_chain.__version__}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs (shared with other sessions: best of {args.repeat})"
    )
    print(
        f"sizes {sizes} SKUs x {REGIONS} regions x {NODES} nodes, seeds {seeds}, methods "
        f"{methods} (exact up to {args.exact_max_skus:,} SKUs), time limit {args.time_limit:g} s"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min)")
    wall = time.perf_counter()
    rows: list[dict] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        scratch = Path(tmp)
        warm_up(scratch, args)
        print("\n" + HEADER, flush=True)
        for seed in seeds:
            for skus in sizes:
                folder = scratch / f"gen_{skus}_{seed}"
                gen_argv = ["--child", "generate", "--skus", str(skus), "--seed", str(seed)]
                gen = run_child([*gen_argv, "--folder", str(folder)], scratch / "gen.json", None)
                if gen.get("status"):
                    print(f"{skus:>7} {seed:>4} generation failed: {gen.get('message')}")
                    shutil.rmtree(folder, ignore_errors=True)
                    continue
                done: dict[str, dict] = {}
                for method in methods:
                    if method == "exact" and skus > args.exact_max_skus:
                        continue
                    row = run_case(args, skus, seed, method, folder, scratch)
                    row["gen_s"] = gen.get("gen_s")
                    done[method] = row
                    rows.append(row)
                    print(row_line(row), flush=True)
                shutil.rmtree(folder, ignore_errors=True)  # one instance on disk at a time
                if "decompose" in done and "exact" in done:
                    found = compare(done["decompose"], done["exact"])
                    problems += [f"{skus} SKUs, seed {seed}: {p}" for p in found]
                cost_case = done.get("decompose") or done.get("exact")
                if "profit" in done and cost_case and cost_case.get("total_s"):
                    ratio = number(done["profit"].get("total_s")) / number(cost_case["total_s"])
                    print(
                        f"{skus:>7} {seed:>4} profit mode / cost mode ({cost_case['method']}) "
                        f"time: {ratio:.2f}x (target <= 1.5x)",
                        flush=True,
                    )
                write_csv(rows, out, args.merge)

    pairs = [r for r in rows if r["method"] == "decompose" and r.get("exact_status")]
    if pairs:
        print("\ndecomposition against the exact MIP (true gaps):")
        print(
            f"{'skus':>7} {'seed':>4} {'exact status':<12} {'exact s':>8} {'exact objective':>16} "
            f"{'exact bound':>16} {'(dec obj-ex bnd)/dec':>21} {'(ex obj-dec bnd)/ex':>20} "
            f"{'bound <= exact obj':>18}"
        )
        for r in pairs:
            print(
                f"{r['skus']:>7} {r['seed']:>4} {str(r['exact_status'])[:12]:<12} "
                f"{fmt(r.get('exact_total_s'), '8.1f')} {fmt(r.get('exact_objective'), '16,.0f')} "
                f"{fmt(r.get('exact_bound'), '16,.0f')} "
                f"{fmt(r.get('true_gap_vs_exact_bound'), '21.3%')} "
                f"{fmt(r.get('bound_looseness_vs_exact_objective'), '20.3%')} "
                f"{r.get('bound_check', '-'):>18}"
            )
    ratios(rows, methods)
    write_csv(rows, out, args.merge)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"wall time of the benchmark: {time.perf_counter() - wall:.1f} s; wrote {out}")
    if problems:
        for stream in (sys.stdout, sys.stderr):
            print("\n" + "!" * 78, file=stream)
            print(
                "BOUND VIOLATION (a bug in lean_chain): a lower bound above a feasible plan:",
                file=stream,
            )
            for p in problems:
                print(f"  {p}", file=stream)
            print("!" * 78, file=stream, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
