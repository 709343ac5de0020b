"""Model-build throughput: lean_chain's formulation against PuLP and linopy, and a 4 M-column
model handed to HiGHS.

The model: a synthetic multi-SKU CBEC import network generated in-process
(pandas DataFrames written as an instance folder in a temporary directory):
one supplier (JP), ``--zones`` bonded zones (CN; fixed cost, storage and
throughput capacity) and ``--regions`` consumer regions (CN; a CBEC quota);
channel 1210 (supplier > bonded_zone > region, stocked at the zone) and 9610
(supplier > region, direct mail); every SKU is sold in every region. Each
(SKU, region) demand row then has zones + 1 paths, so the MIP has about
regions x (zones + 1) share columns and regions x (6 zones + 5) nonzeros per
SKU; the SKU count sets the size.

Measured, per size from 1e5 to 1e7 nonzeros (``--sizes``):

- ``lean_chain``: ``lean_chain.costs.model.build_cost_model`` (index, paths,
  landed costs, stock) + ``lean_chain.formulation.build.build_problem`` (the
  sparse MipProblem), timed from a freshly loaded instance (loading the CSVs
  is reported, not counted). nonzeros/s = nnz / (cost model + formulation);
  bytes/nnz = the MipProblem arrays' nbytes (CSR data, indices, indptr,
  bounds, costs, integrality) / nnz;
- ``pulp``: the same MipProblem rebuilt with PuLP objects the fast way
  (one ``LpVariable`` per column, the objective and each row as an
  ``LpAffineExpression`` of (variable, coefficient) pairs from the CSR
  slice, ``LpConstraint`` per row), up to ``--pulp-max-nnz`` (1e6). It
  starts from the finished arrays, so it does not pay for the costs;
- ``linopy`` (if installed, else "linopy not installed: skipped"): the same
  MipProblem with linopy's sparse (CSR) path (``Model(sparse=True)``, v1
  semantics): one ``add_variables`` per column block, each row block as
  ``(var.sel(col=...) * coeffs).groupby(rows).sum()`` per column block, added
  up, ``add_constraints``; the objective per block. Timed to the last
  ``add_constraints`` (no export to a solver), up to ``--linopy-max-nnz``.

Then a model with at least ``--highs-columns`` (4,000,000) columns is built
and handed to HiGHS through highspy exactly as the ``highs`` backend does it
(``lean_chain.solvers.highs._highs_lp`` + ``Highs.passModel``), stopping right
after passModel: build + pass is timed (target <= 5 s), with the seconds of
each formulation step. If it misses the target (or with ``--profile``), cost
model + formulation + HighsLp + passModel are profiled with cProfile and the
top functions printed. The speed of filling a fresh 512 MB array is printed
too: first-touch page faults dominate big builds on some VMs.

Prints the ratios lean_chain / PuLP throughput (target >= 20x) and writes
``benchmarks/results/bench_build.csv`` (temp file, then rename).

Run: ``python benchmarks/bench_build.py [--sizes 1e5,3e5,1e6,3e6,1e7] [--zones 10]
[--regions 20] [--pulp-max-nnz 1e6] [--linopy-max-nnz 1e7] [--highs-columns 4e6]
[--repeat 3] [--no-highs] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import io
import math
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lean_chain  # noqa: E402
from lean_chain.costs.model import build_cost_model  # noqa: E402
from lean_chain.formulation.build import STEPS, ProblemBuilder, build_problem  # noqa: E402
from lean_chain.formulation.problem import MipProblem  # noqa: E402
from lean_chain.solvers.base import load_first, stdout_to  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
FIELDS = [
    "experiment",
    "variant",
    "target_nnz",
    "n_sku",
    "zones",
    "regions",
    "columns",
    "rows",
    "nonzeros",
    "load_s",
    "cost_model_s",
    "formulation_s",
    "build_s",
    "pass_s",
    "total_s",
    "nnz_per_s",
    "bytes_per_nnz",
    "runs",
    "note",
]


# --------------------------------------------------------------------------- instance


def write_network(folder: Path, n_sku: int, zones: int, regions: int, seed: int = 0) -> Path:
    """A multi-SKU CBEC import network as an instance folder (see the module docstring)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    zone_ids = [f"B{i}" for i in range(zones)]
    region_ids = [f"R{r}" for r in range(regions)]
    nodes = pd.DataFrame(
        {
            "node_id": ["S", *zone_ids, *region_ids],
            "kind": ["supplier"] + ["bonded_zone"] * zones + ["region"] * regions,
            "country": ["JP"] + ["CN"] * (zones + regions),
            "lat": np.r_[35.0, rng.uniform(20, 40, zones + regions)].round(3),
            "lon": np.r_[139.0, rng.uniform(100, 122, zones + regions)].round(3),
            "fixed_cost": np.r_[0.0, rng.uniform(1e5, 5e5, zones).round(0), np.zeros(regions)],
            "storage_capacity_m3": np.r_[np.nan, np.full(zones, 1e5), np.full(regions, np.nan)],
            "throughput_capacity_units": np.r_[
                np.nan, np.full(zones, 1e9), np.full(regions, np.nan)
            ],
            "handling_cost_per_unit": np.r_[
                0.0, rng.uniform(1, 3, zones).round(2), np.zeros(regions)
            ],
            "consumers": np.r_[np.nan, np.full(zones, np.nan), np.full(regions, 1e7)],
        }
    )
    inbound = pd.DataFrame(
        {
            "lane_id": [f"S-{b}" for b in zone_ids],
            "from_node": "S",
            "to_node": zone_ids,
            "mode": "sea",
            "channels": "1210",
            "cost_per_kg": rng.uniform(1, 3, zones).round(2),
            "lead_time_days": rng.integers(5, 15, zones),
            "lead_time_std_days": 1.0,
        }
    )
    outbound = pd.DataFrame(
        {
            "lane_id": [f"{b}-{r}" for b in zone_ids for r in region_ids],
            "from_node": np.repeat(zone_ids, regions),
            "to_node": np.tile(region_ids, zones),
            "mode": "truck",
            "channels": "1210",
            "cost_per_unit": rng.uniform(3, 12, zones * regions).round(2),
            "lead_time_days": rng.integers(1, 5, zones * regions),
            "lead_time_std_days": 0.5,
        }
    )
    direct = pd.DataFrame(
        {
            "lane_id": [f"S-{r}" for r in region_ids],
            "from_node": "S",
            "to_node": region_ids,
            "mode": "express",
            "channels": "9610",
            "cost_per_kg": rng.uniform(20, 40, regions).round(2),
            "lead_time_days": rng.integers(4, 8, regions),
            "lead_time_std_days": 1.0,
        }
    )
    lanes = pd.concat([inbound, outbound, direct], ignore_index=True)
    retail = rng.lognormal(np.log(200), 0.8, n_sku).clip(10, 4000).round(2)
    skus = pd.DataFrame(
        {
            "sku_id": [f"K{i}" for i in range(n_sku)],
            "category": "general",
            "supplier_id": "S",
            "procurement_cost": (retail * rng.uniform(0.3, 0.6, n_sku)).round(2),
            "retail_price": retail,
            "weight_kg": rng.uniform(0.1, 3, n_sku).round(3),
            "volume_m3": rng.uniform(0.0005, 0.01, n_sku).round(5),
        }
    )
    demand = pd.DataFrame(
        {
            "sku_id": np.repeat(skus["sku_id"].to_numpy(), regions),
            "region_id": np.tile(region_ids, n_sku),
            "units": rng.integers(10, 5000, n_sku * regions),
            "demand_std_daily": rng.uniform(0.1, 3, n_sku * regions).round(3),
        }
    )
    channels = pd.DataFrame(
        {
            "channel_id": ["1210", "9610"],
            "direction": "import",
            "path_shape": ["supplier>bonded_zone>region", "supplier>region"],
            "stock_node_kind": ["bonded_zone", ""],
            "fixed_cost_per_sku": [500.0, 0.0],
            "counts_toward_cbec_quota": True,
            "processing_days": [1.0, 2.0],
        }
    )
    tax_rules = pd.DataFrame(
        {
            "channel_id": ["1210", "9610"],
            "destination_country": "CN",
            "regime": "cbec_retail",
            "vat_rate": 0.13,
        }
    )
    for name, table in (
        ("nodes", nodes),
        ("lanes", lanes),
        ("skus", skus),
        ("demand", demand),
        ("channels", channels),
        ("tax_rules", tax_rules),
        ("fx", pd.DataFrame({"currency": ["CNY"], "rate_to_instance": [1.0]})),
    ):
        table.to_csv(folder / f"{name}.csv", index=False)
    params = {"name": f"bench_build_{n_sku}", "currency": "CNY", "max_channels_per_sku": 2}
    (folder / "parameters.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")
    return folder


def columns_per_sku(zones: int, regions: int) -> int:
    """Columns per SKU: shares regions x (zones + 1), y per channel (2), s per zone."""
    return regions * (zones + 1) + 2 + zones


def problem_bytes(problem: MipProblem) -> int:
    m = problem.matrix
    arrays = [
        problem.objective,
        m.data,
        m.indices,
        m.indptr,
        problem.row_lower,
        problem.row_upper,
        problem.col_lower,
        problem.col_upper,
        problem.integrality,
    ]
    return int(sum(a.nbytes for a in arrays))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# --------------------------------------------------------------------------- builds


def lean_chain_build(folder: Path, steps: dict | None = None) -> tuple[MipProblem, dict]:
    """Load (not counted), then cost model + formulation (counted).

    With ``steps``, the formulation is run step by step as ``build_problem``
    runs it (``STEPS`` then ``ProblemBuilder.build``) and each step's seconds
    are stored in ``steps``.
    """
    start = time.perf_counter()
    instance = lean_chain.load_instance(folder)
    load_s = time.perf_counter() - start
    gc.collect()
    start = time.perf_counter()
    model = build_cost_model(instance)
    middle = time.perf_counter()
    if steps is None:
        problem = build_problem(model)
    else:
        builder = ProblemBuilder()
        for step in STEPS:
            began = time.perf_counter()
            step(builder, model)
            steps[step.__name__] = time.perf_counter() - began
        began = time.perf_counter()
        problem = builder.build()
        steps["ProblemBuilder.build"] = time.perf_counter() - began
    end = time.perf_counter()
    return problem, {
        "load_s": load_s,
        "cost_model_s": middle - start,
        "formulation_s": end - middle,
        "build_s": end - start,
    }


def fresh_memory_mb_per_s(megabytes: int = 512) -> float:
    """MB/s of filling a freshly allocated array: first-touch page faults, the cost of
    every new array (on this VM it varies from ~0.2 to ~10 GB/s)."""
    start = time.perf_counter()
    block = np.ones(megabytes * 131072)
    seconds = time.perf_counter() - start
    del block
    return megabytes / seconds


def pulp_build(problem: MipProblem) -> float:
    """Seconds to rebuild ``problem`` with PuLP objects (the fast way)."""
    load_first()  # OR-Tools before PuLP (see lean_chain.solvers.base.load_first)
    import pulp

    gc.collect()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        prob = pulp.LpProblem("bench", pulp.LpMinimize)
        lower = [v if math.isfinite(v) else None for v in problem.col_lower.tolist()]
        upper = [v if math.isfinite(v) else None for v in problem.col_upper.tolist()]
        kinds = [pulp.LpInteger if f else pulp.LpContinuous for f in problem.integrality.tolist()]
        variables = [
            pulp.LpVariable(f"c{j}", lower[j], upper[j], kinds[j]) for j in range(problem.n_cols)
        ]
        prob.setObjective(
            pulp.LpAffineExpression(zip(variables, problem.objective.tolist(), strict=True))
        )
        matrix = problem.matrix
        indptr, indices = matrix.indptr.tolist(), matrix.indices.tolist()
        values = matrix.data.tolist()
        row_lower, row_upper = problem.row_lower.tolist(), problem.row_upper.tolist()
        for i in range(problem.n_rows):
            a, b = indptr[i], indptr[i + 1]
            expr = pulp.LpAffineExpression(
                zip([variables[k] for k in indices[a:b]], values[a:b], strict=True)
            )
            lo, up = row_lower[i], row_upper[i]
            if lo == up:
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{i}", lo))
                continue
            if math.isfinite(lo):
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{i}l", lo))
            if math.isfinite(up):
                prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{i}u", up))
    seconds = time.perf_counter() - start
    del prob, variables
    return seconds


def linopy_available() -> bool:
    try:
        import linopy  # noqa: F401
    except ImportError:
        return False
    return True


def linopy_build(problem: MipProblem, keep: list | None = None) -> float:
    """Seconds to rebuild ``problem`` with linopy's sparse (CSR) path (model appended to ``keep``)."""
    import linopy
    import xarray as xr

    linopy.options["semantics"] = "v1"  # required by Model(sparse=True)
    coo = problem.matrix.tocoo()
    gc.collect()
    start = time.perf_counter()
    m = linopy.Model(sparse=True)
    blocks = []  # (start, stop, variable)
    for name, cols in problem.col_blocks.items():
        if cols.stop == cols.start:
            continue
        integer = bool(problem.integrality[cols.start])
        binary = (
            integer
            and np.all(problem.col_lower[cols] == 0)
            and np.all(problem.col_upper[cols] == 1)
        )
        index = pd.RangeIndex(cols.start, cols.stop, name="col")
        if binary:
            var = m.add_variables(coords=[index], name=name, binary=True)
        else:
            var = m.add_variables(
                lower=xr.DataArray(problem.col_lower[cols], coords=[index]),
                upper=xr.DataArray(problem.col_upper[cols], coords=[index]),
                coords=[index],
                name=name,
                integer=integer,
            )
        blocks.append((cols.start, cols.stop, var))
    objective = None
    for lo, hi, var in blocks:
        term = (var * xr.DataArray(problem.objective[lo:hi], coords=[var.indexes["col"]])).sum()
        objective = term if objective is None else objective + term
    m.add_objective(objective)
    order = np.argsort(coo.row, kind="stable")
    rows, cols, vals = coo.row[order], coo.col[order], coo.data[order]
    row_ptr = np.searchsorted(rows, np.arange(problem.n_rows + 1))
    for name, block in problem.row_blocks.items():
        a, b = row_ptr[block.start], row_ptr[block.stop]
        r, c, v = rows[a:b] - block.start, cols[a:b], vals[a:b]
        lhs = None
        for lo, hi, var in blocks:
            mask = (c >= lo) & (c < hi)
            if not mask.any():
                continue
            nz = "nz"
            part = (
                (var.sel(col=xr.DataArray(c[mask], dims=nz)) * xr.DataArray(v[mask], dims=nz))
                .groupby(xr.DataArray(r[mask], dims=nz, name="row"))
                .sum()
            )
            lhs = part if lhs is None else lhs + part
        row_index = pd.RangeIndex(block.stop - block.start, name="row")
        lower = xr.DataArray(problem.row_lower[block], coords=[row_index])
        upper = xr.DataArray(problem.row_upper[block], coords=[row_index])
        if np.array_equal(problem.row_lower[block], problem.row_upper[block]):
            m.add_constraints(lhs == lower, name=name)
            continue
        if np.isfinite(problem.row_lower[block]).all():
            m.add_constraints(lhs >= lower, name=f"{name}_lo")
        if np.isfinite(problem.row_upper[block]).all():
            m.add_constraints(lhs <= upper, name=f"{name}_up")
    seconds = time.perf_counter() - start
    if m.ncons != problem.n_rows or m.nvars != problem.n_cols:
        print(
            f"  (linopy built {m.nvars} columns and {m.ncons} rows; expected {problem.n_cols} "
            f"and {problem.n_rows})"
        )
    if keep is not None:
        keep.append(m)
    del m
    return seconds


def highs_pass(problem: MipProblem) -> tuple[float, float, dict]:
    """Seconds to prepare the arrays (0: the backend passes the CSR arrays as they are) and to
    hand them to HiGHS exactly as the ``highs`` backend does (``_pass_model``)."""
    from lean_chain.solvers.highs import _import_highspy, _pass_model

    highspy = _import_highspy()
    with stdout_to(os.devnull):
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    start = middle = time.perf_counter()
    status = _pass_model(highspy, highs, problem)
    end = time.perf_counter()
    if status == highspy.HighsStatus.kError:
        raise RuntimeError("HiGHS rejected the model (passModel returned kError)")
    held = highs.getLp()
    info = {
        "columns": int(held.num_col_),
        "rows": int(held.num_row_),
        "nonzeros": len(held.a_matrix_.value_),
        "integer": int(sum(1 for t in held.integrality_ if int(t) != 0)),
    }
    del highs, held
    return middle - start, end - middle, info


# --------------------------------------------------------------------------- running


def best_of(repeat: int, func):
    """The run with the smallest 'build_s' of ``repeat`` runs (returns problem, timings, runs)."""
    best = None
    for _ in range(repeat):
        problem, timings = func()
        if best is None or timings["build_s"] < best[1]["build_s"]:
            best = (problem, timings)
        else:
            del problem
    return best[0], best[1]


def profile_build(folder: Path, top: int = 25) -> str:
    """cProfile of cost model + formulation + passModel (loading not profiled)."""
    from lean_chain.solvers.highs import _import_highspy, _pass_model

    highspy = _import_highspy()
    instance = lean_chain.load_instance(folder)
    with stdout_to(os.devnull):
        highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    profiler = cProfile.Profile()
    profiler.enable()
    _pass_model(highspy, highs, build_problem(build_cost_model(instance)))
    profiler.disable()
    del highs
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def fmt_rate(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:,.0f}"


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in FIELDS})
    os.chmod(tmp, 0o644)  # mkstemp makes it private
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1e5,3e5,1e6,3e6,1e7", help="target nonzeros")
    parser.add_argument("--zones", type=int, default=10)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--pulp-max-nnz", type=float, default=1e6)
    parser.add_argument("--linopy-max-nnz", type=float, default=1e7)
    parser.add_argument("--highs-columns", type=float, default=4e6)
    parser.add_argument("--no-highs", action="store_true", help="skip the HiGHS passModel step")
    parser.add_argument(
        "--repeat", type=int, default=3, help="best of N builds (models under 2e6 nnz)"
    )
    parser.add_argument("--profile", action="store_true", help="always profile the big build")
    parser.add_argument("--out", default=str(RESULTS / "bench_build.csv"))
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    zones, regions = args.zones, args.regions

    print(f"lean_chain {lean_chain.__version__}, {os.cpu_count()} CPUs")
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"filling a fresh 512 MB array: {fresh_memory_mb_per_s():,.0f} MB/s (page faults)")
    has_linopy = linopy_available()
    if not has_linopy:
        print("linopy not installed: skipped")
    rows: list[dict] = []
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_build_") as tmp:
        scratch = Path(tmp)
        # probe: nonzeros per SKU, and warm-up (compiled kernels, imports)
        probe, _ = lean_chain_build(write_network(scratch / "probe", 20, zones, regions))
        probe2, _ = lean_chain_build(write_network(scratch / "probe2", 40, zones, regions))
        per_sku = (probe2.matrix.nnz - probe.matrix.nnz) / 20
        fixed = probe.matrix.nnz - 20 * per_sku
        print(
            f"network: 1 supplier, {zones} bonded zones, {regions} regions, channels 1210 + 9610;"
            f" {per_sku:,.0f} nonzeros and {columns_per_sku(zones, regions)} columns per SKU"
        )
        print(f"PuLP is built up to {args.pulp_max_nnz:.0e} nonzeros (larger sizes: skipped)")
        if has_linopy:
            print(f"linopy (sparse path) is built up to {args.linopy_max_nnz:.0e} nonzeros")
        print(
            f"\n{'target':>8} {'SKUs':>6} {'columns':>10} {'rows':>10} {'nnz':>11} "
            f"{'variant':<11} {'build_s':>8} {'nnz/s':>13} {'B/nnz':>6}  (load_s; cost model + "
            "formulation)"
        )
        for target in sizes:
            n_sku = max(1, round((target - fixed) / per_sku))
            folder = write_network(scratch / f"n{n_sku}", n_sku, zones, regions)
            repeat = args.repeat if target < 2e6 else 1
            problem, t = best_of(repeat, lambda folder=folder: lean_chain_build(folder))
            nnz = int(problem.matrix.nnz)
            base = {
                "experiment": "build",
                "target_nnz": int(target),
                "n_sku": n_sku,
                "zones": zones,
                "regions": regions,
                "columns": problem.n_cols,
                "rows": problem.n_rows,
                "nonzeros": nnz,
            }
            lean = dict(
                base,
                variant="lean_chain",
                runs=repeat,
                **t,
                total_s=t["build_s"],
                nnz_per_s=nnz / t["build_s"],
                bytes_per_nnz=problem_bytes(problem) / nnz,
            )
            rows.append(lean)
            print(
                f"{target:8.0e} {n_sku:6d} {problem.n_cols:10,d} {problem.n_rows:10,d} {nnz:11,d} "
                f"{'lean_chain':<11} {t['build_s']:8.3f} {fmt_rate(lean['nnz_per_s']):>13} "
                f"{lean['bytes_per_nnz']:6.1f}  ({t['load_s']:.2f} s; {t['cost_model_s']:.3f} + "
                f"{t['formulation_s']:.3f})",
                flush=True,
            )
            others = []
            if target <= args.pulp_max_nnz:
                others.append(("pulp", pulp_build))
            if has_linopy and target <= args.linopy_max_nnz:
                others.append(("linopy", linopy_build))
            for variant, func in others:
                runs = args.repeat if nnz < 2e6 else 1
                try:
                    seconds = min(func(problem) for _ in range(runs))
                    note = ""
                except Exception as exc:  # a failing baseline is a result, not the end
                    seconds, note = math.nan, f"error: {type(exc).__name__}: {exc}"
                row = dict(
                    base,
                    variant=variant,
                    runs=runs,
                    build_s=seconds,
                    total_s=seconds,
                    nnz_per_s=nnz / seconds,
                    note=note
                    or "from the finished MipProblem arrays (no cost model)"
                    + ("; sparse path, v1 semantics" if variant == "linopy" else ""),
                )
                rows.append(row)
                print(
                    f"{'':8} {'':6} {'':10} {'':10} {'':11} {variant:<11} {seconds:8.3f} "
                    f"{fmt_rate(row['nnz_per_s']):>13}  {note}",
                    flush=True,
                )
            del problem
            gc.collect()
            shutil.rmtree(folder, ignore_errors=True)

        print("\nthroughput ratios (nonzeros/s):")
        for target in sizes:
            group = {r["variant"]: r for r in rows if r["target_nnz"] == int(target)}
            lean = group.get("lean_chain")
            parts = []
            for variant in ("pulp", "linopy"):
                other = group.get(variant)
                if lean and other and math.isfinite(other["nnz_per_s"]):
                    ratio = lean["nnz_per_s"] / other["nnz_per_s"]
                    target_note = " (target >= 20x)" if variant == "pulp" else ""
                    parts.append(f"lean_chain / {variant} = {ratio:6.1f}x{target_note}")
            if lean:
                print(f"  {target:8.0e} nnz: " + ("; ".join(parts) or "no baseline at this size"))

        if not args.no_highs:
            n_sku = math.ceil((args.highs_columns - zones) / columns_per_sku(zones, regions))
            print(f"\n{args.highs_columns:,.0f}-column model ({n_sku} SKUs) -> HiGHS (passModel):")
            folder = write_network(scratch / "highs", n_sku, zones, regions)
            fresh = fresh_memory_mb_per_s()
            steps: dict[str, float] = {}
            problem, t = lean_chain_build(folder, steps)
            to_lp_s, pass_s, held = highs_pass(problem)
            nnz = int(problem.matrix.nnz)
            total = t["build_s"] + to_lp_s + pass_s
            row = {
                "experiment": "highs_pass",
                "variant": "lean_chain+highspy",
                "target_nnz": "",
                "n_sku": n_sku,
                "zones": zones,
                "regions": regions,
                "columns": problem.n_cols,
                "rows": problem.n_rows,
                "nonzeros": nnz,
                **t,
                "pass_s": to_lp_s + pass_s,
                "total_s": total,
                "nnz_per_s": nnz / t["build_s"],
                "bytes_per_nnz": problem_bytes(problem) / nnz,
                "runs": 1,
                "note": f"HighsLp {to_lp_s:.3f} s + passModel {pass_s:.3f} s; HiGHS holds "
                f"{held['columns']} cols, {held['rows']} rows, {held['nonzeros']} nnz, "
                f"{held['integer']} integer; fresh-memory fill {fresh:,.0f} MB/s; steps: "
                + ", ".join(f"{k} {v:.2f}" for k, v in steps.items()),
            }
            rows.append(row)
            print(
                f"  columns {problem.n_cols:,}, rows {problem.n_rows:,}, nonzeros {nnz:,} "
                f"({row['bytes_per_nnz']:.1f} B/nnz); loading {t['load_s']:.2f} s (not counted)"
            )
            print(
                f"  cost model {t['cost_model_s']:.2f} s + formulation {t['formulation_s']:.2f} s"
                f" + HighsLp {to_lp_s:.2f} s + passModel {pass_s:.2f} s = {total:.2f} s "
                f"(target <= 5 s: {'met' if total <= 5 else 'MISSED'})"
            )
            print("  formulation steps: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
            print(f"  filling a fresh 512 MB array just before: {fresh:,.0f} MB/s")
            print(
                f"  HiGHS holds {held['columns']:,} columns, {held['rows']:,} rows, "
                f"{held['nonzeros']:,} nonzeros, {held['integer']:,} integer columns"
            )
            del problem
            gc.collect()
            if total > 5 or args.profile:
                print("\ncProfile of cost model + formulation + HighsLp + passModel of that model:")
                print(profile_build(folder))
            shutil.rmtree(folder, ignore_errors=True)

    out = Path(args.out)
    write_csv(rows, out)
    print(f"\npeak resident memory: {peak_rss_mb():,.0f} MB")
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")
    print(f"wall time of the benchmark: {time.perf_counter() - wall:.1f} s; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
