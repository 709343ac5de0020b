"""Scenario sweeps: solve an instance under many what-ifs, locally or on a Dask cluster.

:func:`run_sweep` reads the instance once, applies each
:class:`~lean_chain.scenarios.Scenario` to its tables, validates and solves
the result, and compares every scenario with the base (the instance as it
is). Engines:

- ``processes`` (default): a local process pool; the instance's tables go to
  each worker once, through the pool's initializer. A worker that dies
  breaks the pool: the scenarios it was running are retried once in a new pool.
- a Dask cluster: ``scheduler="local"`` starts a
  :class:`distributed.LocalCluster`, ``scheduler="tcp://HOST:PORT"`` uses an
  existing one. The tables are scattered to every worker once
  (``broadcast=True``) and each scenario is a task with ``retries=1``; the
  local cluster lets a task be lost with its worker once
  (``distributed.scheduler.allowed-failures = 1``), so a dying worker costs
  only its scenario, retried once.

The same scenario gives the same plan on every engine (solves are
single-threaded and deterministic for a given gap and no time limit).

Examples
--------
>>> from lean_chain.scenarios import parse_scenarios
>>> scenarios = parse_scenarios([{"name": "more demand", "overrides": ["demand.units *= 1.2"]}])
>>> sweep = run_sweep("tests/data/tiny", scenarios, workers=1, engine="serial")
>>> sweep.table[["scenario", "status"]].to_dict("records")
[{'scenario': 'base', 'status': 'optimal'}, {'scenario': 'more demand', 'status': 'optimal'}]
>>> bool(sweep.table["objective_change"].iloc[1] > 0)  # 20 % more units cost more
True
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lean_chain.errors import InstanceError, LeanChainError
from lean_chain.scenarios import NotApplicable, Scenario, ScenarioError, apply_scenario

#: Name of the scenario that is the instance as it is.
BASE = "base"


@dataclass(frozen=True)
class SweepOptions:
    """How every scenario is solved: each field is a keyword of :func:`lean_chain.api.solve`
    (and goes as it is into the run record's options)."""

    method: str = "auto"
    solver: str = "highs"
    gap: float = 1e-4
    time_limit: float | None = None


@dataclass
class ScenarioResult:
    """One scenario's outcome; ``error`` is set (and ``status`` is ``failed``) if it has no plan."""

    name: str
    status: str
    objective: float = float("nan")
    bound: float = float("nan")
    gap: float = float("nan")
    wall_s: float = 0.0
    attempts: int = 1
    error: str | None = None
    cost_breakdown: dict[str, float] = field(default_factory=dict)
    channel_units: dict[str, float] = field(default_factory=dict)
    open_nodes: list[str] = field(default_factory=list)
    #: each SKU's main channel (by units), indexed by sku_id
    sku_channel: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    summary: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: plan tables too large to hold, written a block at a time (``Plan.streamed``)
    streamed: dict = field(default_factory=dict)
    #: What the run store keeps of this solve (:func:`lean_chain.runstore.run_record`).
    record: dict | None = None


@dataclass
class Sweep:
    """All scenario results, the comparison ``table`` and where the runs were written."""

    results: list[ScenarioResult]
    table: pd.DataFrame
    wall_s: float
    engine: str
    written: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class _Raw:
    """The instance as read: typed tables before currency conversion, and parameters."""

    tables: dict[str, pd.DataFrame]
    params: dict[str, Any]
    source: Path


def read_raw(path: str | Path) -> _Raw:
    """Read an instance folder or workbook without validating it (scenarios change it first)."""
    from lean_chain.io.instance_io import read_instance_tables

    read = read_instance_tables(path)
    if read.issues or any(frame is None for frame in read.tables.values()):
        raise InstanceError([read.locate(i) for i in read.issues])
    return _Raw(read.tables, read.params, read.source)


def solve_scenario(raw: _Raw, scenario: Scenario, options: SweepOptions) -> ScenarioResult:
    """Apply ``scenario`` to ``raw``, validate, solve; a user error becomes a failed result."""
    from lean_chain.api import solve
    from lean_chain.load import instance_from_tables
    from lean_chain.runstore import run_record

    started = time.perf_counter()
    if scenario.error:
        return ScenarioResult(scenario.name, "failed", error=scenario.error)
    try:
        tables, params = apply_scenario(raw.tables, raw.params, scenario)
        instance = instance_from_tables(tables, params, raw.source)
        plan = solve(instance, **asdict(options), threads=1)
    except NotApplicable as exc:
        return ScenarioResult(
            scenario.name, "not applicable", wall_s=time.perf_counter() - started, error=str(exc)
        )
    except (ScenarioError, LeanChainError) as exc:
        return ScenarioResult(
            scenario.name,
            "failed",
            wall_s=time.perf_counter() - started,
            error=f"{type(exc).__name__}: {exc}",
        )
    flows = plan.tables["flows"]
    units = flows.groupby("sku_id")["units"]
    main = flows.loc[units.idxmax(), ["sku_id", "channel_id"]] if len(flows) else flows
    nodes = plan.tables.get("nodes", pd.DataFrame())
    open_nodes = (
        sorted(nodes.loc[nodes["open"].astype(bool), "node_id"].astype(str))
        if {"open", "node_id"} <= set(nodes.columns)
        else sorted(set(flows["stock_node"].astype(str)) - {""})
    )
    return ScenarioResult(
        scenario.name,
        plan.status,
        objective=plan.objective,
        bound=plan.bound,
        gap=plan.gap,
        wall_s=time.perf_counter() - started,
        cost_breakdown=dict(plan.cost_breakdown),
        channel_units=flows.groupby("channel_id")["units"].sum().to_dict(),
        open_nodes=open_nodes,
        sku_channel=pd.Series(main["channel_id"].to_numpy(), index=main["sku_id"].to_numpy()),
        summary=plan.summary(),
        tables=plan.tables,
        streamed=plan.streamed,
        record=run_record(
            plan,
            instance,
            instance_path=raw.source,
            options={"scenario": scenario.name, **asdict(options)},
        ),
    )


# --- engines -------------------------------------------------------------------------------

_WORKER_RAW: _Raw | None = None


def _single_threaded() -> None:
    """Workers run side by side: each solve on one thread (numba kernels and HiGHS)."""
    import numba

    numba.set_num_threads(1)


def _init_worker(raw: _Raw) -> None:
    global _WORKER_RAW
    _WORKER_RAW = raw
    _single_threaded()


def _solve_in_worker(scenario: Scenario, options: SweepOptions) -> ScenarioResult:
    assert _WORKER_RAW is not None
    return _guarded(_WORKER_RAW, scenario, options)


def _guarded(
    raw: _Raw, scenario: Scenario, options: SweepOptions, single_threaded: bool = False
) -> ScenarioResult:
    """:func:`solve_scenario`, with an unexpected error recorded instead of raised."""
    if single_threaded:
        _single_threaded()  # numba's thread count is per thread: set it in the task
    try:
        return solve_scenario(raw, scenario, options)
    except Exception as exc:  # a bug, not a user error: keep it, and the other scenarios
        detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return ScenarioResult(scenario.name, "failed", error=f"internal error: {detail}")


Report = Callable[[str, ScenarioResult | None], None]


def _run_serial(raw, scenarios, options, report) -> list[ScenarioResult]:
    results = []
    for scenario in scenarios:
        report("start", None)
        results.append(_guarded(raw, scenario, options))
        report("done", results[-1])
    return results


def _run_processes(raw, scenarios, options, workers, report) -> list[ScenarioResult]:
    """A local process pool; the scenarios in flight when a worker dies are retried once."""
    pending = {s.name: s for s in scenarios}
    attempts = dict.fromkeys(pending, 0)
    done: dict[str, ScenarioResult] = {}
    context = multiprocessing.get_context("spawn")
    while pending:
        with cf.ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(raw,)
        ) as pool:
            futures = {}
            for name, scenario in pending.items():
                attempts[name] += 1
                futures[pool.submit(_solve_in_worker, scenario, options)] = name
                report("start", None)
            broken = False
            for future in cf.as_completed(futures):
                name = futures[future]
                try:
                    result = future.result()
                except cf.process.BrokenProcessPool:
                    broken = True
                    if attempts[name] >= 2:
                        done[name] = ScenarioResult(
                            name,
                            "failed",
                            attempts=attempts[name],
                            error="its worker process died twice",
                        )
                        pending.pop(name)
                        report("done", done[name])
                    else:
                        report("retry", None)
                    continue
                result.attempts = attempts[name]
                done[name] = result
                pending.pop(name)
                report("done", result)
            if not broken:
                break
    return [done[s.name] for s in scenarios]


def _run_dask(raw, scenarios, options, workers, scheduler, report) -> list[ScenarioResult]:
    """The same on a Dask cluster: tables scattered once per worker, one task per scenario."""
    import dask
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        if scheduler == "local":
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
                silence_logs=logging.CRITICAL,  # shutdown chatter of the local cluster
            )
            client = Client(cluster)
        else:
            client = Client(scheduler, timeout="20s")
        try:
            shared = client.scatter(raw, broadcast=True)
            futures = {}
            for scenario in scenarios:
                future = client.submit(
                    _guarded, shared, scenario, options, True, retries=1, pure=False, key=None
                )
                futures[future] = scenario.name
                report("start", None)
            done: dict[str, ScenarioResult] = {}
            for future in as_completed(futures):
                name = futures[future]
                try:
                    done[name] = future.result()
                except Exception as exc:  # the worker died (KilledWorker) or the task failed
                    done[name] = ScenarioResult(
                        name, "failed", attempts=2, error=f"lost on the cluster: {exc!r}"
                    )
                report("done", done[name])
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    return [done[s.name] for s in scenarios]


# --- comparison ------------------------------------------------------------------------------


def compare(results: list[ScenarioResult]) -> pd.DataFrame:
    """One row per scenario: objective and its change against the base, the change per
    cost component, the channel mix (share of units) and its shift, nodes opened and
    closed, and the number of SKUs whose main channel changed."""
    base = next((r for r in results if r.name == BASE and r.error is None), None)
    components = sorted({c for r in results for c in r.cost_breakdown})
    channels = sorted({c for r in results for c in r.channel_units})
    rows = []
    for result in results:
        row: dict[str, Any] = {
            "scenario": result.name,
            "status": result.status,
            "objective": result.objective,
            "gap": result.gap,
            "wall_s": round(result.wall_s, 3),
            "attempts": result.attempts,
        }
        ok = result.error is None and base is not None
        row["objective_change"] = result.objective - base.objective if ok else np.nan
        row["objective_change_pct"] = (
            100.0 * row["objective_change"] / base.objective if ok and base.objective else np.nan
        )
        total = sum(result.channel_units.values()) or np.nan
        base_total = (sum(base.channel_units.values()) or np.nan) if base else np.nan
        for channel in channels:
            share = result.channel_units.get(channel, 0.0) / total
            row[f"share_{channel}"] = share if result.error is None else np.nan
            if ok:
                row[f"share_change_{channel}"] = (
                    share - base.channel_units.get(channel, 0.0) / base_total
                )
        for component in components:
            row[f"change_{component}"] = (
                result.cost_breakdown.get(component, 0.0) - base.cost_breakdown.get(component, 0.0)
                if ok
                else np.nan
            )
        if ok:
            opened = sorted(set(result.open_nodes) - set(base.open_nodes))
            closed = sorted(set(base.open_nodes) - set(result.open_nodes))
            row["nodes_opened"] = " ".join(opened)
            row["nodes_closed"] = " ".join(closed)
            mine, theirs = result.sku_channel.align(base.sku_channel, join="inner")
            row["skus_changed_channel"] = int((mine != theirs).sum())
        row["error"] = result.error or ""
        rows.append(row)
    return pd.DataFrame(rows)


def with_base(scenarios: list[Scenario]) -> list[Scenario]:
    """``scenarios`` with the base (no changes) first, unless one is named ``base``."""
    if any(s.name == BASE for s in scenarios):
        return sorted(scenarios, key=lambda s: s.name != BASE)
    return [Scenario(BASE), *scenarios]


def run_sweep(
    instance: str | Path,
    scenarios: list[Scenario],
    *,
    options: SweepOptions | None = None,
    workers: int = 2,
    engine: str = "processes",
    scheduler: str | None = None,
    progress: Callable[[str, ScenarioResult | None], None] | None = None,
) -> Sweep:
    """Solve ``instance`` under the base and every scenario; compare them.

    Parameters
    ----------
    instance : path
        Instance folder (or workbook).
    scenarios : list of Scenario
        From :func:`lean_chain.scenarios.read_scenarios`; a ``base`` with no
        changes is added first unless present.
    options : SweepOptions
        Method, solver, gap and time limit of every solve.
    workers : int
        Worker processes (or Dask workers for ``scheduler="local"``).
    engine : {"processes", "serial", "dask"}
        ``dask`` is implied by ``scheduler``.
    scheduler : str, optional
        ``"local"`` (a new LocalCluster) or a Dask scheduler address.
    progress : callable, optional
        Called as ``progress(event, result)`` with event ``start``, ``retry``
        or ``done`` (with the result).

    Returns
    -------
    Sweep
    """
    options = options or SweepOptions()
    raw = read_raw(instance)
    scenarios = with_base(list(scenarios))
    report = progress or (lambda _event, _result: None)
    started = time.perf_counter()
    if scheduler is not None:
        engine = "dask"
        results = _run_dask(raw, scenarios, options, workers, scheduler, report)
        engine = f"dask ({'LocalCluster' if scheduler == 'local' else scheduler})"
    elif engine == "serial" or workers <= 0:
        results = _run_serial(raw, scenarios, options, report)
    elif engine == "processes":
        results = _run_processes(raw, scenarios, options, workers, report)
    else:
        raise ValueError(f"unknown engine {engine!r}: processes, serial or a scheduler")
    return Sweep(results, compare(results), time.perf_counter() - started, engine)


# --- output ----------------------------------------------------------------------------------

#: Marks a folder written by :func:`write_sweep`; only such a folder is ever replaced.
SWEEP_MARKER = ".lean_chain_sweep"


def check_sweep_target(out: str | Path, force: bool = False) -> Path:
    """``out`` may be new, an empty folder, or (with ``force``) a previous sweep.

    Raises :class:`~lean_chain.errors.OutputPathError` otherwise, before any work.
    """
    from lean_chain.errors import OutputPathError

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputPathError(f"{out} is a file, not a folder for the sweep's runs")
    if out.is_dir() and any(out.iterdir()):
        if not (out / SWEEP_MARKER).is_file():
            raise OutputPathError(
                f"{out} is a folder with other content, not a previous sweep: choose a new folder"
            )
        if not force:
            raise OutputPathError(f"{out} holds a previous sweep: add --force to replace it")
    return out


def _slug(name: str, taken: set[str]) -> str:
    base = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip("._") or "scenario"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}_{n}"
    taken.add(slug)
    return slug


def write_sweep(sweep: Sweep, out: str | Path, *, force: bool = False, store: Any = None) -> Path:
    """Write each solved scenario as a run folder, plus ``sweep.csv`` and ``sweep.xlsx``.

    ``out/SCENARIO/`` is a regular run folder (``summary.json``, ``plan/``);
    ``out/sweep.csv`` is :attr:`Sweep.table`; the workbook has the same
    table (written only where openpyxl is installed). With ``store`` (a
    :class:`lean_chain.runstore.RunStore`), every solved scenario is recorded
    there too, its options naming the scenario.
    """
    from lean_chain.io.plan_io import write_run

    out = check_sweep_target(out, force)
    out.mkdir(parents=True, exist_ok=True)
    (out / SWEEP_MARKER).write_text(f"engine: {sweep.engine}\n", encoding="utf-8")
    taken: set[str] = set()
    folders = []
    for result in sweep.results:
        slug = _slug(result.name, taken)
        if result.error is None:
            sweep.written[result.name] = write_run(
                out / slug,
                {"scenario": result.name, **result.summary},
                result.tables,
                force=True,
                streamed=result.streamed,
            )
            if store is not None and result.record is not None:
                store.add({**result.record, "run_dir": str(sweep.written[result.name].absolute())})
        folders.append(slug if result.error is None else "")
    table = sweep.table.assign(run_folder=folders)
    tmp = out / ".sweep.csv.tmp"
    table.to_csv(tmp, index=False)
    tmp.replace(out / "sweep.csv")
    try:
        table.to_excel(out / "sweep.xlsx", index=False, sheet_name="sweep")
    except ImportError:
        pass
    return out
