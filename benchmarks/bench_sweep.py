"""Sweep benchmark (issue 14): 20 what-if scenarios on a generated instance, three engines.

Instance: ``lean_chain.generate`` with ``--skus`` (default 1000), 30 regions, 10
nodes, seed 1, kind mixed, written to a temporary folder. Scenarios: 19 what-ifs
plus the base (freight by mode +/-, demand +/-, holding rate, one closed node
per stocking node...; see :func:`scenarios`), every one solved with
``--method`` (default auto, which picks the decomposition at this size) at ``--gap`` (default 0.05) and no time limit,
so each solve is deterministic.

Engines, in this order, each on the same scenarios:

- ``processes-1``: the local process pool with 1 worker (the baseline);
- ``processes-2``: the local process pool with 2 workers;
- ``dask-local-2``: a ``distributed.LocalCluster`` of 2 single-threaded workers
  started on 127.0.0.1.

Printed per engine: wall seconds (best of ``--repeat``, default 1: the machine
is shared, repeat and take the best) and the ratio to ``processes-1`` of the
same run; then the scenario-by-scenario check that every engine gives the same
status and objective (relative 1e-9) as the baseline — a mismatch is printed
and the script exits 1 after writing the CSV.

Writes ``benchmarks/results/bench_sweep.csv``: one row per (engine, scenario)
with status, objective, wall seconds of the scenario and of the engine's sweep.

Run: ``python benchmarks/bench_sweep.py [--skus 1000] [--method decompose]
[--gap 0.01] [--repeat 1] [--out FILE]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lean_chain.generate import generate_tables, write_tables  # noqa: E402
from lean_chain.scenarios import parse_scenarios  # noqa: E402
from lean_chain.sweep import SweepOptions, run_sweep  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def scenarios(nodes: list[str], modes: list[str]) -> list[dict]:
    """19 what-ifs: freight per mode, demand, holding, and closing each stocking node."""
    out = []
    for mode in modes:
        for factor in (1.3, 0.8):
            out.append(
                {
                    "name": f"{mode} freight x{factor}",
                    "overrides": [f"lanes[mode={mode}].cost_per_kg *= {factor}"],
                }
            )
    for factor in (1.2, 0.8, 1.5):
        out.append({"name": f"demand x{factor}", "overrides": [f"demand.units *= {factor}"]})
    out.append({"name": "holding 30%", "parameters": {"holding_rate_per_year": 0.3}})
    for node in nodes:
        out.append(
            {"name": f"close {node}", "overrides": [f"nodes[node_id={node}].fixed_cost = inf"]}
        )
    return out[:19]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=1000)
    parser.add_argument("--method", default="auto")
    parser.add_argument("--gap", type=float, default=0.05)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_sweep.csv")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tables, params = generate_tables(args.skus, 30, 10, 1, kind="mixed")
        folder = write_tables(Path(tmp) / "instance", tables, params)
        nodes = tables["nodes"]
        stocking = nodes.loc[
            nodes["kind"].isin(["bonded_zone", "overseas_warehouse"]), "node_id"
        ].tolist()
        modes = sorted(set(tables["lanes"]["mode"]))
        chosen = parse_scenarios(scenarios(stocking, modes))
        options = SweepOptions(method=args.method, gap=args.gap)
        print(
            f"{args.skus} SKUs, {len(chosen) + 1} scenarios (with the base), "
            f"method {args.method}, gap {args.gap:g}; load average {os.getloadavg()[0]:.2f}"
        )
        engines = {
            "processes-1": {"engine": "processes", "workers": 1},
            "processes-2": {"engine": "processes", "workers": 2},
            "dask-local-2": {"scheduler": "local", "workers": 2},
        }
        best: dict[str, tuple[float, pd.DataFrame]] = {}
        for name, kwargs in engines.items():
            for _ in range(args.repeat):
                started = time.perf_counter()
                sweep = run_sweep(folder, chosen, options=options, **kwargs)
                wall = time.perf_counter() - started
                if name not in best or wall < best[name][0]:
                    best[name] = (wall, sweep.table)
            print(f"{name:>14}: {best[name][0]:8.1f} s")
    base_wall, base = best["processes-1"]
    rows, mismatches = [], 0
    for name, (wall, table) in best.items():
        print(f"{name:>14}: ratio to processes-1 = {wall / base_wall:.2f}")
        same_status = list(table["status"]) == list(base["status"])
        objective_ok = (
            (table["objective"] - base["objective"]).abs()
            <= 1e-9 * base["objective"].abs().clip(lower=1.0)
        ) | (table["objective"].isna() & base["objective"].isna())
        if not same_status or not objective_ok.all():
            mismatches += 1
            print(f"MISMATCH {name}: scenarios differ from processes-1:")
            print(table.loc[~objective_ok, ["scenario", "status", "objective"]].to_string())
        for _, row in table.iterrows():
            rows.append(
                {
                    "engine": name,
                    "skus": args.skus,
                    "scenario": row["scenario"],
                    "status": row["status"],
                    "objective": row["objective"],
                    "scenario_wall_s": row["wall_s"],
                    "sweep_wall_s": round(wall, 2),
                    "ratio_to_processes_1": round(wall / base_wall, 3),
                    "error": row["error"],
                }
            )
    # a scenario without a feasible plan is a result (the same on every engine), not a failure
    errors = base["error"].fillna("").astype(str)
    failed = base.loc[
        (errors != "") & ~errors.str.startswith("InfeasibleError"), ["scenario", "error"]
    ]
    if len(failed):
        mismatches += 1
        print(f"FAILED scenarios ({len(failed)}): a sweep of failures measures nothing")
        print(failed.to_string(index=False))
    if not mismatches:
        print("every engine matches processes-1 scenario by scenario (status, objective to 1e-9)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".tmp")
    pd.DataFrame(rows).to_csv(tmp_out, index=False)
    tmp_out.replace(args.out)
    print(f"wrote {args.out}; load average {os.getloadavg()[0]:.2f}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
