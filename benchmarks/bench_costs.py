"""Evaluation-core throughput against its baselines, measured in the same run.

Landed cost at N (SKU, path) pairs (default 10 M), in pairs per second:

- ``reference``: the pure-Python scalar reference of ``tests/costs/reference.py``,
  timed on a sample of 100,000 pairs;
- ``numpy``: the vectorized numpy kernel (``landed_cost_numpy``);
- ``core``: the fused, compiled kernel lean_chain uses (``landed_cost_fused``);
- ``write_limit``: the physical limit, a one-pass write of the same float64
  output (11 values per pair) with ``np.multiply(a[:, None], b[None, :], out=out)``.

Monte Carlo: 1,000 scenarios of a 10,000-SKU plan stocked at 10 nodes.

Prints the ratios (core / write limit, core / reference, core / numpy), the
peak resident memory, and writes ``benchmarks/results/bench_costs.csv``.

Run: ``python benchmarks/bench_costs.py [--pairs 10000000] [--scenarios 1000]``.
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "costs"))
sys.path.insert(0, str(ROOT))

from lean_chain.costs.kernels import landed_cost_fused  # noqa: E402
from lean_chain.costs.landed import (  # noqa: E402
    COMPONENTS,
    REGIME_CODES,
    LandedInputs,
    landed_cost_numpy,
)

RESULTS = ROOT / "benchmarks" / "results"
OUTPUTS_PER_PAIR = len(COMPONENTS) + 3  # components, held value, transaction and order value


def index_ordered(inp: LandedInputs) -> LandedInputs:
    """The same pairs laid out as the index emits them: within a demand row, paths in
    enumeration order (channel by channel), each path under its channel's rule, so
    regimes come in runs instead of changing at random from pair to pair."""
    import dataclasses

    order = np.lexsort((inp.pair_path, inp.pair_row))
    n_rules = len(inp.rule_regime)
    n_paths = inp.path_handling.shape[0]
    path = inp.pair_path[order]
    return dataclasses.replace(
        inp,
        pair_sku=inp.pair_sku[order],
        pair_path=path,
        pair_row=inp.pair_row[order],
        pair_rule=(path.astype(np.int64) * n_rules // n_paths).astype(np.int32),
        pair_rebate=inp.pair_rebate[order],
        pair_single_item=inp.pair_single_item[order],
        pair_duty_paid_stock=inp.pair_duty_paid_stock[order],
        pair_parcel_freight=inp.pair_parcel_freight[order],
    )


def synthetic_inputs(n_pairs: int, seed: int = 0) -> LandedInputs:
    """Random but valid kernel inputs laid out as ``lean_chain.index`` lays them out.

    100,000 SKUs with 10 demand rows each; pairs grouped by demand row and rows
    by SKU (the index's order), each pair on one of 2,000 paths under one of 64
    tax rules covering every regime.
    """
    rng = np.random.default_rng(seed)
    n_sku, rows_per_sku, n_paths, n_rules = 100_000, 10, 2_000, 64
    n_rows = n_sku * rows_per_sku
    regime = np.arange(n_rules) % len(REGIME_CODES)
    pair_row = np.sort(rng.integers(0, n_rows, n_pairs))

    def uniform(lo, hi, n):
        return rng.uniform(lo, hi, n)

    return LandedInputs(
        sku_procurement=uniform(5, 2000, n_sku),
        sku_retail=uniform(10, 6000, n_sku),
        sku_weight=uniform(0.05, 5, n_sku),
        sku_volume=uniform(1e-4, 0.05, n_sku),
        sku_ct_rate=np.where(rng.random(n_sku) < 0.2, 0.15, 0.0),
        sku_rebate_rate=np.where(rng.random(n_sku) < 0.5, 0.13, 0.0),
        row_units_per_order=rng.integers(1, 4, n_rows).astype(np.float64),
        row_shipping=uniform(0, 30, n_rows),
        path_freight=uniform(0, 30, (3, n_paths)),
        path_border_freight=uniform(0, 10, (3, n_paths)),
        path_inbound_freight=uniform(0, 10, (3, n_paths)),
        path_handling=uniform(0, 5, n_paths),
        rule_regime=regime.astype(np.int64),
        rule_duty=uniform(0, 0.3, n_rules),
        rule_vat=uniform(0, 0.25, n_rules),
        rule_apply_ct=rng.random(n_rules) < 0.5,
        rule_cv_transaction=rng.random(n_rules) < 0.3,
        rule_vat_credited=rng.random(n_rules) < 0.5,
        rule_cbec_factor=np.full(n_rules, 0.7),
        rule_parcel_rate=rng.choice([0.13, 0.2, 0.5], n_rules),
        rule_parcel_exemption=np.full(n_rules, 50.0),
        rule_duty_free=uniform(0, 2000, n_rules),
        rule_vat_free=uniform(0, 1000, n_rules),
        rule_taxable_share=rng.choice([1.0, 0.6], n_rules),
        rule_flat_duty=np.where(rng.random(n_rules) < 0.3, 23.4, 0.0),
        rule_flat_below=np.where(rng.random(n_rules) < 0.3, 1170.0, 0.0),
        pair_sku=(pair_row // rows_per_sku).astype(np.int32),
        pair_path=rng.integers(0, n_paths, n_pairs, dtype=np.int32),
        pair_row=pair_row.astype(np.int32),
        pair_rule=rng.integers(0, n_rules, n_pairs, dtype=np.int32),
        pair_rebate=rng.random(n_pairs) < 0.5,
        pair_single_item=rng.random(n_pairs) < 0.05,
        pair_duty_paid_stock=rng.random(n_pairs) < 0.3,
        pair_parcel_freight=np.where(rng.random(n_pairs) < 0.3, uniform(5, 80, n_pairs), 0.0),
        pair_parcel_border=np.zeros(n_pairs),
        pair_parcel_inbound=np.zeros(n_pairs),
    )


def best_of(repeats: int, func) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def reference_rate(inp: LandedInputs, sample: int) -> float:
    """Pairs per second of the pure-Python reference on the first ``sample`` pairs.

    Each pair's inputs are first turned into the reference's plain dicts (not
    timed): a border lane carrying the freight up to the border, then an
    inland lane with the rest.
    """
    import reference  # tests/costs/reference.py: pure Python, imports nothing from lean_chain

    regimes = {v: k for k, v in REGIME_CODES.items()}
    calls = []
    for j in range(sample):
        k, p, d, u = (
            int(inp.pair_sku[j]),
            int(inp.pair_path[j]),
            int(inp.pair_row[j]),
            int(inp.pair_rule[j]),
        )
        border = inp.path_border_freight[:, p]
        inland = inp.path_freight[:, p] - border
        sku = {
            "procurement_cost": float(inp.sku_procurement[k]),
            "retail_price": float(inp.sku_retail[k]),
            "weight_kg": float(inp.sku_weight[k]),
            "volume_m3": float(inp.sku_volume[k]),
            "consumption_tax_rate": float(inp.sku_ct_rate[k]),
            "export_rebate_rate": float(inp.sku_rebate_rate[k]),
        }
        demand = {
            "units_per_order": float(inp.row_units_per_order[d]),
            "shipping_per_order": float(inp.row_shipping[d]),
        }
        lanes = [
            {
                "cost_per_kg": float(border[0]),
                "cost_per_m3": float(border[1]),
                "cost_per_unit": float(border[2]),
                "from_country": "CN",
                "to_country": "XX",
            },
            {
                "cost_per_kg": float(inland[0]),
                "cost_per_m3": float(inland[1]),
                "cost_per_unit": float(inland[2]),
                "from_country": "XX",
                "to_country": "XX",
            },
        ]
        rule = {
            "regime": regimes[int(inp.rule_regime[u])],
            "duty_rate": float(inp.rule_duty[u]),
            "vat_rate": float(inp.rule_vat[u]),
            "apply_consumption_tax": bool(inp.rule_apply_ct[u]),
            "customs_value_basis": "transaction" if inp.rule_cv_transaction[u] else "cif",
            "vat_basis": "retail_sale" if inp.rule_vat_credited[u] else "import",
            "cbec_tax_factor": float(inp.rule_cbec_factor[u]),
            "parcel_tax_rate": float(inp.rule_parcel_rate[u]),
            "parcel_tax_exemption": float(inp.rule_parcel_exemption[u]),
            "duty_free_threshold": float(inp.rule_duty_free[u]),
            "vat_free_threshold": float(inp.rule_vat_free[u]),
            "taxable_value_share": float(inp.rule_taxable_share[u]),
            "flat_duty_per_order": float(inp.rule_flat_duty[u]),
            "flat_duty_below": float(inp.rule_flat_below[u]),
        }
        channel = {"earns_export_rebate": bool(inp.pair_rebate[j])}
        calls.append((sku, demand, lanes, [float(inp.path_handling[p])], channel, rule))
    start = time.perf_counter()
    for args in calls:
        reference.unit_costs(*args)
    return sample / (time.perf_counter() - start)


def write_limit_seconds(n_pairs: int, repeats: int) -> float:
    """Best time of a one-pass write of the kernels' float64 output into fresh memory.

    Fresh memory each time, as the kernels allocate their outputs on every call.
    """
    a = np.ones(OUTPUTS_PER_PAIR)
    b = np.ones(n_pairs)

    def write() -> None:
        out = np.empty((OUTPUTS_PER_PAIR, n_pairs))
        np.multiply(a[:, None], b[None, :], out=out)

    return best_of(repeats, write)


def bench_landed(n_pairs: int, sample: int, repeats: int) -> list[dict]:
    inp = synthetic_inputs(n_pairs)
    write_s = write_limit_seconds(n_pairs, repeats)
    landed_cost_fused(synthetic_inputs(1000))  # compile (cached on disk) outside the timing
    core_s = best_of(repeats, lambda: landed_cost_fused(inp))
    ordered_s = best_of(repeats, partial(landed_cost_fused, index_ordered(inp)))
    numpy_s = best_of(1, lambda: landed_cost_numpy(inp))
    ref_rate = reference_rate(inp, sample)
    # the two kernels agree on the full output
    fused, plain = landed_cost_fused(inp), landed_cost_numpy(inp)
    worst = float(
        np.max(
            np.abs(fused.components - plain.components) / np.maximum(np.abs(plain.components), 1.0)
        )
    )
    del fused, plain
    rows = [
        {
            "benchmark": "landed_cost",
            "variant": "write_limit",
            "pairs": n_pairs,
            "seconds": write_s,
            "pairs_per_s": n_pairs / write_s,
        },
        {
            "benchmark": "landed_cost",
            "variant": "core",
            "pairs": n_pairs,
            "seconds": core_s,
            "pairs_per_s": n_pairs / core_s,
        },
        {
            "benchmark": "landed_cost",
            "variant": "core_index_order",
            "pairs": n_pairs,
            "seconds": ordered_s,
            "pairs_per_s": n_pairs / ordered_s,
        },
        {
            "benchmark": "landed_cost",
            "variant": "numpy",
            "pairs": n_pairs,
            "seconds": numpy_s,
            "pairs_per_s": n_pairs / numpy_s,
        },
        {
            "benchmark": "landed_cost",
            "variant": "reference",
            "pairs": sample,
            "seconds": sample / ref_rate,
            "pairs_per_s": ref_rate,
        },
    ]
    core = n_pairs / core_s
    print(f"landed cost, {n_pairs:,} pairs (best of {repeats}):")
    for row in rows:
        print(f"  {row['variant']:<12} {row['pairs_per_s']:>16,.0f} pairs/s")
    print(f"  core / write limit   = {core / (n_pairs / write_s):6.2f}   (target >= 0.50)")
    print(f"  core / reference     = {core / ref_rate:6.0f}x  (target >= 200x)")
    print(f"  core / numpy         = {core / (n_pairs / numpy_s):6.1f}x")
    ordered_rate = n_pairs / ordered_s
    print(
        f"  core in index order  = {ordered_rate / (n_pairs / write_s):6.2f} of the write limit, "
        f"{ordered_rate / ref_rate:6.0f}x the reference (regimes in runs, as lean_chain.index "
        "lays pairs out; the line above is the worst case, a random regime per pair)"
    )
    print(f"  max relative difference core vs numpy = {worst:.2e}")
    for row in rows:
        row["max_rel_diff_core_numpy"] = worst
    return rows


def bench_monte_carlo(
    scenarios: int, n_sku: int = 10_000, n_nodes: int = 10, n_regions: int = 10
) -> list[dict]:
    """1,000 scenarios of a plan with ``n_sku`` SKUs stocked at ``n_nodes`` nodes."""
    import tempfile

    import pandas as pd
    import yaml

    import lean_chain
    from lean_chain.costs.evaluate import Decisions
    from lean_chain.costs.model import build_cost_model
    from lean_chain.costs.montecarlo import simulate

    rng = np.random.default_rng(1)
    folder = Path(tempfile.mkdtemp(prefix="bench_mc_"))
    nodes = [{"node_id": "S", "kind": "supplier", "country": "JP", "lat": 35, "lon": 139}]
    nodes += [
        {
            "node_id": f"B{i}",
            "kind": "bonded_zone",
            "country": "CN",
            "lat": 30,
            "lon": 120,
            "fixed_cost": 1e5,
        }
        for i in range(n_nodes)
    ]
    nodes += [
        {
            "node_id": f"R{i}",
            "kind": "region",
            "country": "CN",
            "lat": 30,
            "lon": 110,
            "service_days": 3,
            "service_share": 0.0,
        }
        for i in range(n_regions)
    ]
    lanes = [
        {
            "lane_id": f"S-B{i}",
            "from_node": "S",
            "to_node": f"B{i}",
            "mode": "sea",
            "cost_per_kg": 2,
            "lead_time_days": 10,
            "lead_time_std_days": 2,
        }
        for i in range(n_nodes)
    ]
    lanes += [
        {
            "lane_id": f"B{i}-R{r}",
            "from_node": f"B{i}",
            "to_node": f"R{r}",
            "mode": "truck",
            "cost_per_unit": 3 + (i + r) % 5,
            "lead_time_days": 1 + (i + r) % 4,
            "lead_time_std_days": 0.5,
        }
        for i in range(n_nodes)
        for r in range(n_regions)
    ]
    skus = pd.DataFrame(
        {
            "sku_id": [f"K{i}" for i in range(n_sku)],
            "category": "general",
            "supplier_id": "S",
            "procurement_cost": rng.uniform(10, 500, n_sku),
            "retail_price": rng.uniform(50, 1500, n_sku),
            "weight_kg": rng.uniform(0.1, 3, n_sku),
            "volume_m3": rng.uniform(0.001, 0.01, n_sku),
        }
    )
    demand = pd.DataFrame(
        {
            "sku_id": np.repeat(skus["sku_id"], n_regions),
            "region_id": np.tile([f"R{r}" for r in range(n_regions)], n_sku),
        }
    )
    demand["units"] = rng.integers(20, 2000, len(demand))
    demand["demand_std_daily"] = rng.uniform(0.1, 3, len(demand))
    for name, rows in (("nodes", nodes), ("lanes", lanes)):
        pd.DataFrame(rows).to_csv(folder / f"{name}.csv", index=False)
    skus.to_csv(folder / "skus.csv", index=False)
    demand.to_csv(folder / "demand.csv", index=False)
    pd.DataFrame(
        [
            {
                "channel_id": "1210",
                "direction": "import",
                "path_shape": "supplier>bonded_zone>region",
                "stock_node_kind": "bonded_zone",
            }
        ]
    ).to_csv(folder / "channels.csv", index=False)
    pd.DataFrame(
        [
            {
                "channel_id": "1210",
                "destination_country": "CN",
                "regime": "cbec_retail",
                "vat_rate": 0.13,
            }
        ]
    ).to_csv(folder / "tax_rules.csv", index=False)
    pd.DataFrame([{"currency": "CNY", "rate_to_instance": 1}]).to_csv(
        folder / "fx.csv", index=False
    )
    (folder / "parameters.yaml").write_text(yaml.safe_dump({"currency": "CNY"}))
    inst = lean_chain.load_instance(folder)
    model = build_cost_model(inst)
    # a plan that splits each demand row evenly over the stocking nodes: every (SKU, node) used
    counts = np.bincount(model.kr_of_pair)
    share = 1.0 / counts[model.kr_of_pair]
    decisions = Decisions(
        share,
        np.ones(len(model.kc_sku), bool),
        np.ones(len(model.kh_sku), bool),
        np.ones(len(model.h_node), bool),
        np.zeros(len(model.ct_lane)),
    )
    simulate(model, decisions, scenarios=2, seed=0)  # compile outside the timing
    start = time.perf_counter()
    result = simulate(model, decisions, scenarios=scenarios, seed=42)
    seconds = time.perf_counter() - start
    summary = result.to_dict()
    print(
        f"Monte Carlo: {scenarios} scenarios x {n_sku:,} SKUs x {n_nodes} nodes "
        f"({len(model.kh_sku):,} SKU-node streams): {seconds:.2f} s (target <= 10 s); "
        f"expected cost {summary['expected_cost']:,.0f}, fill rate {summary['fill_rate']['all']:.4f}"
    )
    return [
        {
            "benchmark": "monte_carlo",
            "variant": "core",
            "pairs": model.n_pairs,
            "seconds": seconds,
            "pairs_per_s": scenarios * len(model.kh_sku) / seconds,
            "scenarios": scenarios,
            "batch_size": result.batch_size,
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenarios", type=int, default=1000)
    args = parser.parse_args()
    rows = bench_landed(args.pairs, args.sample, args.repeats)
    rows += bench_monte_carlo(args.scenarios)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:,.0f} MB")
    for row in rows:
        row["peak_rss_mb"] = peak_mb
    RESULTS.mkdir(parents=True, exist_ok=True)
    fields = sorted({key for row in rows for key in row})
    path = RESULTS / "bench_costs.csv"
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
