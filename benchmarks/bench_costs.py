"""Evaluation-core throughput against a true limit and its baselines, measured in the same run.

Landed cost at N (SKU, path) pairs (default 10 M), in pairs per second and in GB/s of
output (11 float64 per pair: 8 components, held, transaction and order value):

- ``write_limit_prefetch_fresh`` / ``write_limit_prefetch_prealloc``: the same writes,
  asking for each line a kernel block ahead as the core does; the limit that the ratios
  use is the faster of the two writers;
- ``write_limit_fresh`` / ``write_limit_prealloc``: the machine's write bandwidth for
  the same bytes per pair, with the same threads: a numba ``prange`` kernel that only
  writes the 11 outputs of every pair (a value per pair plus the row number; the row
  count a compile-time constant, see ``_writer``), into freshly allocated memory
  (each call pays the page faults, as a caller that allocates does) and into
  preallocated memory;
- ``read_write_floor`` / ``read_write_floor_prefetch``: the core's reads and writes alone:
  a ``prange`` kernel that reads the pair's codes and every column of its rows of the
  five tables, and writes the 11 outputs, without any arithmetic but their sums
  (``_read_write_kernel``), the second asking for its output lines ahead as the core
  does: the faster of the two is what a kernel with the core's inputs can hardly beat;
- ``codes_floor``: a kernel that reads each pair's 7 codes and no table, and writes its 11
  outputs (``_codes_and_writes``): the least that any kernel pricing pairs from their
  codes does;
- ``core_fresh``: the fused, compiled kernel lean_chain uses (``landed_cost_fused``)
  allocating its outputs, as ``landed_cost`` does;
- ``core_prealloc``: the same kernel writing into preallocated outputs (``out=``);
- ``core_index_order``: preallocated, with the pairs laid out as ``lean_chain.index``
  lays them out (by demand row, then path);
- ``kernel_order``: the precompute the core relies on, part of every pricing:
  ``LandedInputs.build`` finds the order in which the fused kernel prices the pairs, by
  blocks of 256 grouped by regime (``lean_chain.costs.pricing.kernel_order``, a byte
  per pair), timed into a preallocated array; ``core_prealloc_with_order``: that order,
  then ``core_prealloc`` in it, timed together;
- ``inputs_build``: all of ``LandedInputs.build`` (the order among it), what a pricing
  runs between the tables and the core;
- ``numpy``: the numpy kernel (``landed_cost_numpy``), timed on the first 2 M pairs;
- ``*_in_cache`` / ``*_to_memory``: the write limit, the floor and the core on one thread,
  CPU per pair, on 12,000 pairs priced over and over (their outputs stay in cache: the
  kernel's own work) and on all the pairs once (``bench_in_cache``);
- ``reference``: the pure-Python scalar reference of ``tests/costs/reference.py``,
  timed on a sample of 100,000 pairs.

Each is the best of ``--repeats`` runs (the machine may be shared: the best run is the
one least disturbed), printed with the CPU time of that run per pair (every thread's:
``NUMBA_NUM_THREADS=1`` gives one thread's cost). Prints core / limit (target:
core_prealloc >= 0.80 of write_limit_prealloc; also with the order), core / reference,
core / numpy, checks that the two kernels agree bit for bit, then times 1,000 Monte
Carlo scenarios of a 10,000-SKU plan stocked at 10 nodes (``--scenarios 0``: none), and
writes ``benchmarks/results/bench_costs.csv``.

Run: ``python benchmarks/bench_costs.py [--pairs 10000000] [--repeats 5] [--scenarios 1000]``.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import resource
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np
from numba import get_num_threads, njit, prange, set_num_threads

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "costs"))
sys.path.insert(0, str(ROOT))

from lean_chain.costs.kernels import landed_cost_fused, prefetch_outputs  # noqa: E402
from lean_chain.costs.landed import landed_cost_numpy  # noqa: E402
from lean_chain.costs.pricing import (  # noqa: E402
    COMPONENTS,
    FLAG_BITS,
    OUTPUTS,
    PARCEL_FIELDS,
    PATH,
    PATH_FIELDS,
    ROW,
    ROW_FIELDS,
    SKU,
    SKU_FIELDS,
    LandedCost,
    LandedInputs,
    kernel_order,
    pack,
    pair_arrays,
)
from lean_chain.model.regimes import REGIME_CODES, RULE, RULE_FIELDS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
BYTES_PER_PAIR = 8 * len(OUTPUTS)  # 11 float64 written per pair
N_COMPONENTS = len(COMPONENTS)  # rows of LandedCost.components, a constant to the write limit
NUMPY_PAIRS = 2_000_000


def synthetic_inputs(n_pairs: int, seed: int = 0) -> LandedInputs:
    """Random but valid kernel inputs (:func:`synthetic_tables` built)."""
    return LandedInputs.build(*synthetic_tables(n_pairs, seed))


def synthetic_tables(n_pairs: int, seed: int = 0) -> tuple:
    """Random but valid tables and pair arrays, pairs in random order of path and rule.

    100,000 SKUs with 10 demand rows each; pairs sorted by demand row (rows by SKU,
    as the index emits them), each pair on one of 2,000 paths under one of 64 tax
    rules covering every regime, drawn at random per pair (the worst case).
    """
    rng = np.random.default_rng(seed)
    n_sku, rows_per_sku, n_paths, n_rules = 100_000, 10, 2_000, 64
    n_rows = n_sku * rows_per_sku
    pair_row = np.sort(rng.integers(0, n_rows, n_pairs))
    retail = rng.uniform(10, 6000, n_sku)

    def uniform(lo, hi, shape):
        return rng.uniform(lo, hi, shape)

    freight = {
        part: uniform(0, hi, (3, n_paths))
        for part, hi in (
            ("freight", 30),
            ("border_freight", 10),
            ("inbound_freight", 10),
            ("fob_freight", 5),
        )
    }
    path_columns = {
        f"{part}_per_{unit}": table[i]
        for part, table in freight.items()
        for i, unit in enumerate(("kg", "m3", "unit"))
    }
    return (
        pack(
            SKU_FIELDS,
            procurement_cost=uniform(5, 2000, n_sku),
            weight_kg=uniform(0.05, 5, n_sku),
            volume_m3=uniform(1e-4, 0.05, n_sku),
            consumption_tax_rate=np.where(rng.random(n_sku) < 0.2, 0.15, 0.0),
            export_rebate_rate=np.where(rng.random(n_sku) < 0.5, 0.13, 0.0),
        ),
        pack(
            ROW_FIELDS,
            price=retail[np.arange(n_rows) // rows_per_sku],
            units_per_order=rng.integers(1, 4, n_rows).astype(np.float64),
            shipping_per_order=uniform(0, 30, n_rows),
        ),
        pack(PATH_FIELDS, handling_per_unit=uniform(0, 5, n_paths), **path_columns),
        pack(
            RULE_FIELDS,
            regime=np.arange(n_rules) % len(REGIME_CODES),
            duty_rate=uniform(0, 0.3, n_rules),
            vat_rate=uniform(0, 0.25, n_rules),
            apply_consumption_tax=rng.random(n_rules) < 0.5,
            customs_value_basis=rng.integers(0, 3, n_rules),
            vat_credited=rng.random(n_rules) < 0.5,
            cbec_tax_factor=np.full(n_rules, 0.7),
            parcel_tax_rate=rng.choice([0.13, 0.2, 0.5], n_rules),
            parcel_tax_exemption=np.full(n_rules, 50.0),
            duty_free_threshold=uniform(0, 2000, n_rules),
            vat_free_threshold=uniform(0, 1000, n_rules),
            taxable_value_share=rng.choice([1.0, 0.6], n_rules),
            flat_duty_per_order=np.where(rng.random(n_rules) < 0.3, 23.4, 0.0),
            flat_duty_below=np.where(rng.random(n_rules) < 0.3, 1170.0, 0.0),
            single_item_duty_rate=np.zeros(n_rules),
        ),
        pair_arrays(
            sku=pair_row // rows_per_sku,
            path=rng.integers(0, n_paths, n_pairs),
            row=pair_row,
            rule=rng.integers(0, n_rules, n_pairs),
            earns_rebate=rng.random(n_pairs) < 0.5,
            single_item_over_cap=rng.random(n_pairs) < 0.05,
            duty_paid_stock=rng.random(n_pairs) < 0.3,
            over_cap_duty_rate=np.full(n_pairs, 0.1),
            parcel_freight=np.where(rng.random(n_pairs) < 0.3, uniform(5, 80, n_pairs), 0.0),
            parcel_border=np.zeros(n_pairs),
            parcel_inbound=np.zeros(n_pairs),
        ),
    )


def index_ordered(tables: tuple) -> LandedInputs:
    """The pairs of :func:`synthetic_tables` laid out as the index emits them: within a
    demand row, paths in enumeration order (channel by channel), each path under its
    channel's rule, so regimes come in runs instead of changing at random per pair."""
    *entities, pair = tables
    order = np.lexsort((pair.path, pair.row))
    n_rules, n_paths = len(entities[3]), len(entities[2])
    values = {name: array[order] for name, array in pair._asdict().items()}
    values["rule"] = values["path"].astype(np.int64) * n_rules // n_paths
    return LandedInputs.build(*entities, pair_arrays(**values))


def head(tables: tuple, n: int) -> LandedInputs:
    """The kernel inputs of the first ``n`` pairs of :func:`synthetic_tables`' ``tables``."""
    *entities, pair = tables
    return LandedInputs.build(*entities, type(pair)(*(v[:n] for v in pair)))


def best_of(repeats: int, func: Callable[[], object]) -> float:
    return timed(repeats, func)[0]


def timed(repeats: int, func: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU) seconds of the run with the least wall time: CPU counts every thread."""
    best = (np.inf, np.inf)
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        func()
        best = min(best, (time.perf_counter() - start, time.process_time() - cpu))
    return best


def reference_rate(inp: LandedInputs, sample: int) -> float:
    """Pairs per second of the pure-Python reference on the first ``sample`` pairs.

    Each pair's inputs are first turned into the reference's plain dicts (not
    timed): a border lane carrying the freight up to the border, then an
    inland lane with the rest.
    """
    import reference  # tests/costs/reference.py: pure Python, imports nothing from lean_chain

    regimes = {v: k for k, v in REGIME_CODES.items()}
    bases = {0: "cif", 1: "fob", 2: "transaction"}
    pair, calls = inp.pair, []
    for j in range(sample):
        s, r = inp.sku[pair.sku[j]], inp.row[pair.row[j]]
        p, u = inp.path[pair.path[j]], inp.rule[pair.rule[j]]
        total = p[PATH.freight_per_kg : PATH.freight_per_kg + 3]
        border = p[PATH.border_freight_per_kg : PATH.border_freight_per_kg + 3]
        sku = {
            "procurement_cost": float(s[SKU.procurement_cost]),
            "retail_price": float(r[ROW.price]),
            "weight_kg": float(s[SKU.weight_kg]),
            "volume_m3": float(s[SKU.volume_m3]),
            "consumption_tax_rate": float(s[SKU.consumption_tax_rate]),
            "export_rebate_rate": float(s[SKU.export_rebate_rate]),
        }
        demand = {
            "units_per_order": float(r[ROW.units_per_order]),
            "shipping_per_order": float(r[ROW.shipping_per_order]),
        }
        lanes = [
            {
                "cost_per_kg": float(cost[0]),
                "cost_per_m3": float(cost[1]),
                "cost_per_unit": float(cost[2]),
                "from_country": origin,
                "to_country": "XX",
            }
            for cost, origin in ((border, "CN"), (total - border, "XX"))
        ]
        rule = {
            "regime": regimes[int(u[RULE.regime])],
            "duty_rate": float(u[RULE.duty_rate]),
            "vat_rate": float(u[RULE.vat_rate]),
            "apply_consumption_tax": bool(u[RULE.apply_consumption_tax]),
            "customs_value_basis": bases[int(u[RULE.customs_value_basis])],
            "vat_basis": "retail_sale" if u[RULE.vat_credited] else "import",
            **{
                name: float(u[getattr(RULE, name)])
                # the plain numeric rule columns, cbec_tax_factor onwards (not single_item_duty_rate)
                for name in RULE_FIELDS[RULE_FIELDS.index("cbec_tax_factor") : -1]
            },
        }
        channel = {"earns_export_rebate": bool(pair.flags[j] & FLAG_BITS["earns_rebate"])}
        handling = [float(p[PATH.handling_per_unit])]
        calls.append((sku, demand, lanes, handling, channel, rule))
    start = time.perf_counter()
    for args in calls:
        reference.unit_costs(*args)
    return sample / (time.perf_counter() - start)


def _writer(prefetch: bool) -> Callable:
    """A ``prange`` kernel that writes 11 float64 per pair, as the core does (8 component
    rows, 3 arrays), nothing else; with ``prefetch``, asking for the lines it will write a
    block ahead as the core does (``lean_chain.costs.kernels.prefetch_outputs``): on this
    VM that writes the same bytes faster (one thread, 5 M pairs: 7.1 -> 5.6 ns a pair), so
    the limit is the faster of the two writers.

    The row count is a compile-time constant, as it is to the core: looping to
    ``components.shape[0]``, known only at run time, cost an int-to-float conversion per
    element and a vectorization check per pair, and wrote the same bytes 7-10 % slower
    (2026-12-03, 5 M pairs, the two kernels interleaved, best of 8: 4.20 and 4.07 vs 3.88
    and 3.78 ns a pair on two threads, 7.95 vs 7.17 on one), so it timed part of its own
    loop, not only the writes. The limit is the stricter for it.
    """

    @njit(parallel=True, nogil=True)
    def write_outputs(components, held_value, transaction_value, order_value):  # pragma: no cover
        n = held_value.shape[0]
        for j in prange(n):
            if prefetch:  # a constant to numba: the branch is compiled away
                prefetch_outputs(j, n, components, held_value, transaction_value, order_value)
            x = float(j)
            for i in range(N_COMPONENTS):
                components[i, j] = x + i
            held_value[j] = x
            transaction_value[j] = x
            order_value[j] = x

    return write_outputs


_WRITERS = {prefetch: _writer(prefetch) for prefetch in (False, True)}


def write(out: LandedCost, prefetch: bool = False) -> LandedCost:
    _WRITERS[prefetch](out.components, out.held_value, out.transaction_value, out.order_value)
    return out


def _read_write_kernel(prefetch: bool = False) -> Callable:
    """A ``prange`` kernel that reads what the core reads per pair and writes its 11 outputs.

    Per pair: its 7 codes (:data:`~lean_chain.costs.pricing.PAIR_CODES`), every
    column of its row of each of the five tables (the core loads them all: the
    rule's as one tuple), and the 11 outputs at the pair's place, each output the
    sum of every 11th value read, so that no read is dead and no long chain of
    adds stands between a pair's reads and its writes. No tax arithmetic, no
    dispatch, no kernel order. Generated from the tables' field lists, so it
    follows a column added to any of them. With ``prefetch``, it asks for the lines it
    will write a block ahead, as the core does; the floor is the faster of the two.
    """
    widths = {
        "sku": len(SKU_FIELDS),
        "row": len(ROW_FIELDS),
        "path": len(PATH_FIELDS),
        "rule": len(RULE_FIELDS),
        "parcel": len(PARCEL_FIELDS),
    }
    reads = [f"{table}[{table}_k, {column}]" for table, w in widths.items() for column in range(w)]
    terms = [reads[i :: len(OUTPUTS)] for i in range(len(OUTPUTS))]
    terms[0].append("float(pair.flags[t] + pair.order[t])")
    sums = [" + ".join(items) for items in terms]
    lines = [
        "def read_write(sku, row, path, rule, parcel, pair, components, held, transaction, order):",
        "    n = pair.sku.shape[0]",
        "    for t in prange(n):",
        *(["        prefetch(t, n, components, held, transaction, order)"] if prefetch else []),
        *(f"        {table}_k = pair.{table}[t]" for table in widths),
        *(f"        components[{i}, t] = {sums[i]}" for i in range(N_COMPONENTS)),
        *(
            f"        {name}[t] = {sums[N_COMPONENTS + i]}"
            for i, name in enumerate(("held", "transaction", "order"))
        ),
    ]
    namespace = {"prange": prange, "prefetch": prefetch_outputs}
    exec("\n".join(lines), namespace)
    return njit(parallel=True, nogil=True, error_model="numpy")(namespace["read_write"])


_READ_WRITE = {prefetch: _read_write_kernel(prefetch) for prefetch in (False, True)}


@njit(parallel=True, cache=True, nogil=True)
def _codes_and_writes(pair, components, held_value, transaction_value, order_value):
    """Read a pair's 7 codes, no table, and write its 11 outputs: the least any kernel
    that prices a pair from its codes must do (each output a sum of codes, none dead),
    asking for its output lines ahead as the write limit's faster writer does."""
    n = held_value.shape[0]
    for t in prange(n):
        prefetch_outputs(t, n, components, held_value, transaction_value, order_value)
        a = float(pair.sku[t]) + float(pair.flags[t])
        b = float(pair.path[t]) + float(pair.order[t])
        c = float(pair.row[t]) + float(pair.rule[t]) + float(pair.parcel[t])
        for i in range(N_COMPONENTS):
            components[i, t] = a + i
        held_value[t] = b
        transaction_value[t] = c
        order_value[t] = a + c


def read_write(inp: LandedInputs, out: LandedCost, prefetch: bool = False) -> LandedCost:
    """The read-and-write floor: :func:`_read_write_kernel` over ``inp`` into ``out``."""
    _READ_WRITE[prefetch](
        *inp.arrays(), out.components, out.held_value, out.transaction_value, out.order_value
    )
    return out


def time_core(
    tables: tuple, inp: LandedInputs, ordered: LandedInputs, out: LandedCost, repeats: int
) -> tuple[dict, dict]:
    """Best wall seconds and its CPU seconds of every landed-cost variant, interleaved."""
    n_pairs = inp.n_pairs
    # the kernel order (part of LandedInputs.build), found again into a preallocated
    # array: the part of building the inputs that the core's speed relies on
    scratch = np.empty(n_pairs, dtype=np.uint8)
    reordered = dataclasses.replace(inp, pair=inp.pair._replace(order=scratch))

    def core_with_order() -> LandedCost:
        kernel_order(inp.rule, inp.pair.rule, out=scratch)
        return landed_cost_fused(reordered, out)

    core_with_order()
    seconds, cpu = {}, {}
    # interleave the variants repeat by repeat, so that a busy spell of the shared
    # machine does not fall on one variant only
    variants = {
        "write_limit_fresh": lambda: write(LandedCost.empty(n_pairs)),
        "write_limit_prealloc": lambda: write(out),
        "write_limit_prefetch_fresh": lambda: write(LandedCost.empty(n_pairs), prefetch=True),
        "write_limit_prefetch_prealloc": lambda: write(out, prefetch=True),
        "read_write_floor": lambda: read_write(inp, out),
        "read_write_floor_prefetch": lambda: read_write(inp, out, prefetch=True),
        "codes_floor": lambda: _codes_and_writes(
            inp.pair, out.components, out.held_value, out.transaction_value, out.order_value
        ),
        "core_fresh": lambda: landed_cost_fused(inp),
        "core_prealloc": lambda: landed_cost_fused(inp, out),
        "core_index_order": lambda: landed_cost_fused(ordered, out),
        "kernel_order": lambda: kernel_order(inp.rule, inp.pair.rule, out=scratch),
        "core_prealloc_with_order": core_with_order,
        # everything a pricing runs before the core (the kernel order among it)
        "inputs_build": lambda: LandedInputs.build(*tables),
    }
    for _ in range(repeats):
        for name, func in variants.items():
            wall, used = timed(1, func)
            if wall < seconds.get(name, np.inf):
                seconds[name], cpu[name] = wall, used
    return seconds, cpu


def bench_landed(tables: tuple, sample: int, repeats: int) -> list[dict]:
    n_pairs = len(tables[-1].sku)
    inp, ordered = LandedInputs.build(*tables), index_ordered(tables)
    out = LandedCost.empty(n_pairs)
    write(LandedCost.empty(1000))  # compile (cached on disk) outside the timing
    write(LandedCost.empty(1000), prefetch=True)
    for prefetch in (False, True):  # compiled in memory
        read_write(head(tables, 1000), LandedCost.empty(1000), prefetch)
    landed_cost_fused(head(tables, 1000))
    out.components.fill(0.0), out.held_value.fill(0.0)  # touch every page once
    out.transaction_value.fill(0.0), out.order_value.fill(0.0)
    seconds, cpu = time_core(tables, inp, ordered, out, repeats)
    few = head(tables, min(n_pairs, NUMPY_PAIRS))
    numpy_s = best_of(1, lambda: landed_cost_numpy(few))
    ref_rate = reference_rate(inp, sample)
    # the two kernels agree bit for bit
    fused, plain = landed_cost_fused(few), landed_cost_numpy(few)
    same = all(
        np.array_equal(getattr(fused, f), getattr(plain, f))
        for f in ("components", "held_value", "transaction_value", "order_value")
    )
    del fused, plain
    rows = [
        {
            "benchmark": "landed_cost",
            "variant": name,
            "pairs": n_pairs,
            "seconds": s,
            "cpu_ns_per_pair": cpu[name] / n_pairs * 1e9,
        }
        for name, s in seconds.items()
    ]
    # numpy and the reference are timed on fewer pairs: their rows say how many
    rows.append(
        {"benchmark": "landed_cost", "variant": "numpy", "pairs": few.n_pairs, "seconds": numpy_s}
    )
    rows.append(
        {
            "benchmark": "landed_cost",
            "variant": "reference",
            "pairs": sample,
            "seconds": sample / ref_rate,
        }
    )
    rate = {row["variant"]: row["pairs"] / row["seconds"] for row in rows}
    threads = get_num_threads()
    for row in rows:
        row["pairs_per_s"] = rate[row["variant"]]
        row["gb_per_s"] = rate[row["variant"]] * BYTES_PER_PAIR / 1e9
        row["threads"] = threads
        row["repeats"] = repeats
        row["bit_identical_core_numpy"] = same
    print(f"landed cost, {n_pairs:,} pairs, {threads} threads, best of {repeats}:")
    for row in rows:
        used = row.get("cpu_ns_per_pair")
        print(
            f"  {row['variant']:<30} {row['pairs_per_s']:>14,.0f} pairs/s {row['gb_per_s']:7.2f} GB/s"
            + (f"  {used:6.2f} ns CPU/pair" if used is not None else "")
        )
    # the write limit: the faster of the plain and the prefetching writer
    limit = {
        kind: max(rate[f"write_limit_{kind}"], rate[f"write_limit_prefetch_{kind}"])
        for kind in ("fresh", "prealloc")
    }
    floor = max(rate["read_write_floor"], rate["read_write_floor_prefetch"])
    ratios = {
        "core_prealloc / write_limit_prealloc": rate["core_prealloc"] / limit["prealloc"],
        "read_write_floor / write_limit_prealloc": floor / limit["prealloc"],
        "core_prealloc / read_write_floor": rate["core_prealloc"] / floor,
        "codes_floor / write_limit_prealloc": rate["codes_floor"] / limit["prealloc"],
        "core_prealloc_with_order / write_limit_prealloc": rate["core_prealloc_with_order"]
        / limit["prealloc"],
        "core_index_order / write_limit_prealloc": rate["core_index_order"] / limit["prealloc"],
        "core_fresh / write_limit_fresh": rate["core_fresh"] / limit["fresh"],
        "core_prealloc / reference": rate["core_prealloc"] / rate["reference"],
        "core_prealloc / numpy": rate["core_prealloc"] / rate["numpy"],
    }
    targets = {
        "core_prealloc / write_limit_prealloc": "(target >= 0.80)",
        "core_prealloc / reference": "(target >= 200)",
    }
    for name, value in ratios.items():
        print(f"  {name:<48} = {value:8.2f}  {targets.get(name, '')}")
    print(f"  core and numpy kernels bit-identical: {same}")
    for row in rows:
        row.update({name: round(value, 4) for name, value in ratios.items()})
    return rows


#: Pairs priced over and over with their outputs in cache (11 x 8 bytes x 12,000 = 1 MB,
#: in the core's L2). Not a power of two: the outputs' rows are then a power of two of
#: bytes apart, fall in the same cache sets and evict each other (16,384 pairs: the core
#: 25 ns a pair against 9.9 at 12,000 or 16,000).
HOT_PAIRS = 12_000


def bench_in_cache(tables: tuple, repeats: int) -> list[dict]:
    """One thread's CPU per pair of the write limit, the floor and the core, outputs in cache.

    The first :data:`HOT_PAIRS` pairs of ``tables`` (:func:`synthetic_tables`), priced
    over and over into the same outputs, on one numba thread: what each kernel's own work
    costs when nothing waits for memory, against the same kernels writing all the pairs
    to memory once.
    Timed by the calling thread's CPU clock, which runs a one-thread ``prange`` itself:
    the process's would also count the idle OpenMP workers spinning between calls.
    """
    work_pairs = len(tables[-1].sku)
    threads = get_num_threads()
    set_num_threads(1)
    rows = []
    try:
        for n in (HOT_PAIRS, work_pairs):
            inp, out = head(tables, n), LandedCost.empty(n)
            kernels = {
                "write_limit": partial(write, out),
                "write_limit_prefetch": partial(write, out, prefetch=True),
                "read_write_floor": partial(read_write, inp, out),
                "read_write_floor_prefetch": partial(read_write, inp, out, prefetch=True),
                "core": partial(landed_cost_fused, inp, out),
            }
            for kernel in kernels.values():
                kernel()
            times = max(1, work_pairs // n)
            for name, kernel in kernels.items():
                best = np.inf
                for _ in range(repeats):
                    cpu = time.thread_time()
                    for _ in range(times):
                        kernel()
                    best = min(best, time.thread_time() - cpu)
                place = "in_cache" if n == HOT_PAIRS else "to_memory"
                rows.append(
                    {
                        "benchmark": "landed_cost_one_thread",
                        "variant": f"{name}_{place}",
                        "pairs": n,
                        "seconds": best / times,
                        "cpu_ns_per_pair": best / (times * n) * 1e9,
                        "threads": 1,
                        "repeats": repeats,
                    }
                )
    finally:
        set_num_threads(threads)
    print(f"one thread, CPU per pair, best of {repeats}:")
    for row in rows:
        print(f"  {row['variant']:<32} {row['cpu_ns_per_pair']:6.2f} ns")
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
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenarios", type=int, default=1000)
    args = parser.parse_args()
    tables = synthetic_tables(args.pairs)  # built once, for both
    rows = bench_landed(tables, args.sample, args.repeats)
    rows += bench_in_cache(tables, args.repeats)
    del tables
    if args.scenarios:
        rows += bench_monte_carlo(args.scenarios)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mb:,.0f} MB")
    for row in rows:
        row["peak_rss_mb"] = peak_mb
    RESULTS.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(key for row in rows for key in row))
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
