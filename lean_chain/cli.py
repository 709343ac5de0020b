"""``lean-chain``: a thin command line over :mod:`lean_chain.api`.

Exit codes: 0 a plan was written (optimal, or feasible at a limit with its
gap) or the command succeeded; 2 bad input (nothing written); 3 infeasible,
or no plan found within the limit; 4 the self-check failed; 130 stopped by
Ctrl-C or SIGTERM (the best plan so far is written, with status
``interrupted``, or nothing if there was none); 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import threading
import time
from pathlib import Path

from lean_chain._heap import reused_memory
from lean_chain.errors import (
    InfeasibleError,
    InstanceError,
    OutputPathError,
    PlanError,
    SelfCheckError,
    SolverNotAvailableError,
)
from lean_chain.solvers import DEFAULT_SOLVER, available_solvers

EXIT_OK, EXIT_OTHER, EXIT_BAD_INPUT, EXIT_INFEASIBLE, EXIT_SELF_CHECK = 0, 1, 2, 3, 4
#: Ctrl-C or SIGTERM (128 + SIGINT): the best plan so far was written if there was one.
EXIT_INTERRUPTED = 130


def _progress(args: argparse.Namespace, message: str) -> None:
    if not getattr(args, "quiet", False):
        print(f"[lean-chain {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class _SolveProgress:
    """Live progress of a solve: a rich status line on a terminal, plain log lines otherwise.

    Called as ``progress(phase, elapsed_s, best_objective, best_bound)``
    (see :func:`lean_chain.api.solve`); silent with ``--quiet``.
    """

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.live = None
        self.last_line = 0.0
        if not quiet and sys.stderr.isatty():
            from rich.console import Console

            self.live = Console(stderr=True).status("starting")
            self.live.start()

    @staticmethod
    def line(phase: str, elapsed: float, objective: float, bound: float) -> str:
        parts = [f"{phase}", f"{elapsed:7.1f} s"]
        if objective < float("inf"):
            parts.append(f"best plan {objective:,.2f}")
        if bound > float("-inf"):
            parts.append(f"bound {bound:,.2f}")
        if objective < float("inf") and bound > float("-inf"):
            parts.append(f"gap {max(objective - bound, 0.0) / max(abs(objective), 1e-10):.3%}")
        return " | ".join(parts)

    def __call__(self, phase: str, elapsed: float, objective: float, bound: float) -> None:
        if self.quiet:
            return
        text = self.line(phase, elapsed, objective, bound)
        if self.live is not None:
            self.live.update(text)
        elif not phase.startswith("round") or time.monotonic() - self.last_line >= 2.0:
            # rounds are frequent: at most one plain line every 2 s
            self.last_line = time.monotonic()
            print(f"[lean-chain {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


def _positive(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or value <= 0:  # nan <= 0 is False: checked first
        raise argparse.ArgumentTypeError(f"expected a positive finite number, got {text}")
    return value


def _threads(text: str) -> int:
    # more threads than cores aborted HiGHS (rc 134); -1 was passed on as is
    value, cores = int(text), os.cpu_count() or 1
    if not 1 <= value <= cores:
        raise argparse.ArgumentTypeError(f"expected 1 to {cores} (the cores here), got {text}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0, got {text}")
    return value


def _gap(text: str) -> float:
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"expected a relative gap in [0, 1), got {text}")
    return value


def _out_path(text: str) -> Path:
    # Path("") is ".": the empty string must be refused before it becomes the current folder
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder path, got an empty string")
    return Path(text)


def _require_demand(instance) -> None:
    from lean_chain.validate import check_plannable

    issues = check_plannable(instance)
    if issues:
        raise InstanceError(issues)


def _cmd_validate(args: argparse.Namespace) -> int:
    from lean_chain.costs.model import build_cost_model
    from lean_chain.load import load_instance

    instance = load_instance(args.instance)
    _require_demand(instance)
    model = build_cost_model(instance)
    report = {
        "instance": instance.name,
        "valid": True,
        "skus": len(instance.skus),
        "nodes": len(instance.nodes),
        "lanes": len(instance.lanes),
        "demand_rows": len(instance.demand),
        "channels": len(instance.channels),
        "paths": len(model.index.paths),
        "pairs": model.n_pairs,
        "dropped_candidates": model.index.pairs.dropped,
    }
    print(json.dumps(report, indent=2))
    return EXIT_OK


def _cmd_solve(args: argparse.Namespace) -> int:
    from lean_chain.api import solve, write_plan
    from lean_chain.io.plan_io import check_run_target
    from lean_chain.load import load_instance

    # refuse a bad --out before any work: it is checked again when writing
    check_run_target(args.out, force=args.force)
    _check_excel_out(args)
    _progress(args, f"loading {args.instance}")
    instance = load_instance(args.instance, as_of=args.as_of)
    _progress(args, f"rules in force on {instance.params['as_of']}")
    _require_demand(instance)
    _progress(
        args,
        f"{len(instance.skus)} SKUs, {len(instance.nodes)} nodes, "
        f"{len(instance.lanes)} lanes; method {args.method}, solver {args.solver}"
        + (f" (time limit {args.time_limit:g} s)" if args.time_limit else ""),
    )
    progress = _SolveProgress(args.quiet)
    try:
        plan = solve(
            instance,
            method=args.method,
            solver=args.solver,
            time_limit=args.time_limit,
            gap=args.gap,
            threads=args.threads,
            log_file=args.log_file,
            verbose=args.verbose,
            lazy_links=args.lazy_links,
            progress=progress,
            objective=args.objective,
        )
    except InfeasibleError as exc:
        if exc.diagnosis is not None:
            _write_diagnosis(args, instance, exc)
        raise
    finally:
        progress.stop()
    _progress(
        args,
        f"{plan.status} ({plan.info['method']}): objective {plan.objective:,.2f} "
        f"{instance.params['currency']}, gap {plan.gap if plan.gap is not None else float('nan'):.2e}, "
        f"{plan.info['model_size']['pairs']:,} pairs, {plan.wall_s:.1f} s; evaluation core agrees",
    )
    out = write_plan(plan, args.out, force=args.force)
    _progress(args, f"wrote {out}/summary.json and {out}/plan/")
    _write_excel_out(args, plan)
    _record_run(args, instance, plan, out)
    print(
        json.dumps(
            {
                k: plan.summary()[k]
                for k in ("status", "method", "objective", "bound", "gap", "solver", "wall_s")
            }
        )
    )
    return EXIT_INTERRUPTED if plan.status == "interrupted" else EXIT_OK


def _write_diagnosis(args: argparse.Namespace, instance, exc: InfeasibleError) -> None:
    """An infeasible run folder: summary.json (status infeasible) and diagnosis.json.

    A previous run at ``--out`` is kept (even with ``--force``): a plan is worth
    more than a diagnosis, which is also printed.
    """
    from lean_chain.io.plan_io import is_run_folder, write_run

    if is_run_folder(args.out):
        _progress(args, f"kept the previous run at {args.out}: no new plan to replace it")
        return

    summary = {
        "status": "infeasible",
        "instance": instance.name,
        "message": str(exc),
        "options": {"method": args.method, "solver": args.solver, "gap": args.gap},
    }
    text = json.dumps(exc.diagnosis, indent=2, ensure_ascii=False) + "\n"
    out = write_run(args.out, summary, {}, force=args.force, files={"diagnosis.json": text})
    _progress(args, f"wrote the diagnosis to {out}/diagnosis.json")


class _SweepProgress:
    """Scenarios done, running and failed with an ETA: a rich bar on a terminal, lines otherwise."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total, self.quiet = total, quiet
        self.done = self.running = self.failed = 0
        self.bar = None
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("sweep"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[state]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.task = self.bar.add_task("sweep", total=total, state="")
            self.bar.start()

    def __call__(self, event: str, result) -> None:
        if event == "start":
            self.running += 1
        elif event == "done":
            self.running -= 1
            self.done += 1
            self.failed += result.error is not None and result.status != "not applicable"
        state = f"running {self.running}, failed {self.failed}"
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done, state=state)
        elif event == "done":
            outcome = (
                f"{result.status}: {result.error}"
                if result.error
                else f"{result.status}, objective {result.objective:,.2f}"
            )
            print(
                f"[lean-chain {time.strftime('%H:%M:%S')}] scenario {self.done}/{self.total} "
                f"{result.name!r} {outcome} ({state})",
                file=sys.stderr,
                flush=True,
            )

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def _cmd_sweep(args: argparse.Namespace) -> int:
    from lean_chain.scenarios import ScenarioError, read_scenarios
    from lean_chain.sweep import (
        SweepOptions,
        check_sweep_target,
        run_sweep,
        with_base,
        write_sweep,
    )

    check_sweep_target(args.out, force=args.force)
    try:
        scenarios = read_scenarios(args.scenarios)
    except ScenarioError as exc:
        print(f"lean-chain: bad scenarios: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    for scenario in scenarios:
        if scenario.error:
            print(
                f"lean-chain: scenario {scenario.name!r} skipped: {scenario.error}", file=sys.stderr
            )
    options = SweepOptions(
        method=args.method, solver=args.solver, gap=args.gap, time_limit=args.time_limit
    )
    progress = _SweepProgress(len(with_base(scenarios)), args.quiet)
    try:
        sweep = run_sweep(
            args.instance,
            scenarios,
            options=options,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=progress,
        )
    finally:
        progress.stop()
    store = None
    if not args.no_store:
        from lean_chain.runstore import RunStore

        store = RunStore(args.run_store)
    try:
        out = write_sweep(sweep, args.out, force=args.force, store=store)
    except OSError as exc:
        raise OutputPathError(f"cannot write the sweep to {args.out}: {exc}") from exc
    shown = ["scenario", "status", "objective", "objective_change_pct", "skus_changed_channel"]
    table = sweep.table[[c for c in shown if c in sweep.table.columns]]
    if not args.quiet:
        print(table.to_string(index=False, float_format=lambda v: f"{v:,.2f}"), file=sys.stderr)
    _progress(
        args,
        f"{sweep.engine}: {sweep.wall_s:.1f} s; wrote {out}/sweep.csv and one run per scenario",
    )
    failed = [r.name for r in sweep.results if r.error and r.status != "not applicable"]
    print(json.dumps({"out": str(out), "scenarios": len(sweep.results), "failed": failed}))
    return EXIT_OTHER if failed else EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from lean_chain.api import evaluate
    from lean_chain.load import load_instance

    as_of = args.as_of
    if as_of is None:  # price the plan under the rules it was solved with
        summary_file = Path(args.run) / "summary.json"
        if summary_file.is_file():
            as_of = json.loads(summary_file.read_text()).get("as_of")
    instance = load_instance(args.instance, as_of=as_of)
    if args.scenarios is not None and args.scenarios < 1:
        print("lean-chain: bad input: --scenarios must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    evaluation = evaluate(instance, args.run, scenarios=args.scenarios, seed=args.seed)
    print(json.dumps(evaluation.to_dict(), indent=2))
    return EXIT_OK


def _cmd_explain(args: argparse.Namespace) -> int:
    from lean_chain.explain import print_table, run_alternatives, select

    table = run_alternatives(args.run, instance_dir=args.instance, recompute=args.recompute)
    table = select(table, sku=args.sku, region=args.region)
    if args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(table.to_json(orient="records", indent=2))
    else:
        print_table(table)
    return EXIT_OK


def _cmd_solvers(args: argparse.Namespace) -> int:
    print("\n".join(available_solvers()))
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    from lean_chain.convert import read_holmberg, read_orlib_cap, write_instance

    try:
        if args.format == "orlib-cap":
            problem = read_orlib_cap(args.file, capacity=args.capacity)
        else:
            problem = read_holmberg(args.file)
        out = write_instance(problem, args.out, overwrite=args.overwrite)
    except (ValueError, OSError) as exc:
        print(f"lean-chain: bad input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        json.dumps(
            {
                "instance": str(out),
                "name": problem.name,
                "warehouses": problem.n_facilities,
                "customers": problem.n_customers,
                "single_sourcing": problem.single_source,
            }
        )
    )
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    from lean_chain.generate import generate_tables, summary, write_tables

    try:
        tables, params = generate_tables(
            args.skus, args.regions, args.nodes, args.seed, kind=args.kind
        )
        out = write_tables(args.out, tables, params)
    except (ValueError, FileExistsError) as exc:
        print(f"lean-chain: bad input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(json.dumps({"instance": str(out), "name": params["name"], **summary(tables)}))
    return EXIT_OK


def _date(text: str) -> str:
    from lean_chain.model.dates import parse_date

    try:
        return parse_date(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _add_as_of(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        dest="as_of",
        type=_date,
        default=None,
        help="plan under the rules in force on this date, YYYY-MM-DD "
        "(default: the instance's as_of parameter, else today)",
    )


def _cmd_rules(args: argparse.Namespace) -> int:
    """``rules show``: the library's (or an instance's) tax rules in force, as a table."""
    import datetime

    import pandas as pd

    from lean_chain.rules import library_rules, split_names

    as_of = args.as_of or datetime.date.today().isoformat()
    if args.instance is not None:
        from lean_chain.load import load_instance

        rows = load_instance(args.instance, as_of=as_of).tax_rules
        if args.country:
            rows = rows[rows["destination_country"] == args.country]
        origin = f"instance {args.instance} (money in the instance currency)"
    else:
        names = split_names(args.library) if args.library else None
        rows = library_rules(names, as_of=as_of, country=args.country)
        origin = "bundled library lean_chain/rules/"
    keys = ["channel_id", "destination_country", "origin_country", "category", "regime"]
    dates = ["effective_from", "effective_to", "currency"]
    amounts = [
        c for c in rows.columns if rows[c].dtype.kind == "f" and rows[c].fillna(0).ne(0).any()
    ]
    shown = [*keys, *dates, *amounts, "source"]
    print(f"# tax rules in force on {as_of}: {origin}; {len(rows)} row(s)")
    with pd.option_context(
        "display.max_rows", None, "display.width", 250, "display.max_colwidth", 90
    ):
        print(rows[shown].to_string(index=False) if len(rows) else "(none)")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from lean_chain.report import write_report

    out = write_report(args.run, args.output, instance=args.instance, compare=args.compare)
    print(json.dumps({"report": str(out), "bytes": out.stat().st_size}))
    return EXIT_OK


# -- Excel and the run store (issue 13, parts 1 and 2) ---------------------------------


def _check_excel_out(args: argparse.Namespace) -> None:
    """Refuse a bad ``--excel-out`` before any work (an existing file needs ``--force``)."""
    if args.excel_out is not None:
        from lean_chain.io.excel import check_workbook_target

        check_workbook_target(args.excel_out, overwrite=args.force)


def _write_excel_out(args: argparse.Namespace, plan) -> None:
    if args.excel_out is not None:
        from lean_chain.io.excel import write_plan_workbook

        # every candidate path stays in plan/alternatives.csv (lean-chain explain): as a
        # sheet it would take longer to write than many solves (17 s for cn_import)
        tables = {name: frame for name, frame in plan.tables.items() if name != "alternatives"}
        book = write_plan_workbook(args.excel_out, plan.summary(), tables, overwrite=args.force)
        _progress(args, f"wrote {book}")


def _record_run(args: argparse.Namespace, instance, plan, out: Path) -> None:
    """Record the solve in the run store; a store that cannot be written only warns."""
    if args.no_store:
        return
    try:
        from lean_chain.runstore import RunStore

        store = RunStore(args.run_store)
        options = {
            "method": args.method,
            "solver": args.solver,
            "time_limit": args.time_limit,
            "gap": args.gap,
            "threads": args.threads,
            "lazy_links": args.lazy_links,
        }
        run_id = store.record(
            plan,
            instance,
            instance_path=args.instance,
            options=options,
            run_dir=out,
            excel_out=args.excel_out,
        )
        _progress(args, f"recorded as run {run_id} in {store.path}")
    except Exception as exc:  # the plan is written: recording it must never fail the solve
        print(
            f"lean-chain: warning: the run was not recorded in the run store ({exc}); "
            "the plan is written",
            file=sys.stderr,
        )


def _cmd_template(args: argparse.Namespace) -> int:
    from lean_chain.io.excel import write_template

    book = write_template(args.excel, source=args.source, overwrite=args.force)
    print(json.dumps({"workbook": str(book), "from": str(args.source) if args.source else None}))
    return EXIT_OK


def _cmd_convert_excel(args: argparse.Namespace) -> int:
    from lean_chain.load import convert_workbook

    out = convert_workbook(args.file, args.out)
    print(json.dumps({"instance": str(out), "workbook": str(args.file)}))
    return EXIT_OK


def _store(args: argparse.Namespace):
    from lean_chain.runstore import RunStore

    return RunStore(args.run_store)


def _print_frame(title: str, frame, empty: str = "(none)") -> None:
    import pandas as pd

    print(f"\n{title}")
    if frame.empty:
        print(f"  {empty}")
        return
    with pd.option_context("display.width", 200, "display.max_columns", 50):
        print(
            frame.to_string(index=False, float_format=lambda x: f"{x:,.4f}".rstrip("0").rstrip("."))
        )


def _cmd_runs(args: argparse.Namespace) -> int:
    from lean_chain.runstore import RunStoreError

    store = _store(args)
    try:
        return _RUNS_ACTIONS[args.action](args, store)
    except RunStoreError as exc:
        print(f"lean-chain: bad input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _runs_list(args: argparse.Namespace, store) -> int:
    runs = store.list()
    if args.json:
        print(runs.to_json(orient="records"))
    elif runs.empty:
        print(f"no runs in {store.path}")
    else:
        shown = runs.drop(columns=["fingerprint"]).assign(
            created_at=runs["created_at"].str.slice(0, 19)
        )
        _print_frame(f"runs in {store.path}", shown)
    return EXIT_OK


def _runs_show(args: argparse.Namespace, store) -> int:
    run = store.show(args.id)
    tables = run.pop("tables")
    run["tables"] = {name: frame.to_dict(orient="records") for name, frame in tables.items()}
    print(json.dumps(run, indent=2, default=str))
    return EXIT_OK


def _runs_compare(args: argparse.Namespace, store) -> int:
    diff = store.compare(args.a, args.b)
    if args.json:
        print(
            json.dumps(
                {
                    k: (v.to_dict(orient="records") if hasattr(v, "to_dict") else v)
                    for k, v in diff.items()
                },
                default=str,
            )
        )
        return EXIT_OK
    a, b = diff["a"], diff["b"]
    print(f"A = run {a}, B = run {b}; delta = B - A")
    if not diff["same_instance"]:
        print("note: the runs are of different instances (fingerprints differ)")
    _print_frame("run", diff["runs"])
    for key, title, column in (
        ("costs", "cost components", "delta"),
        ("kpis", "KPIs", "delta"),
        ("channel_mix_category", "channel mix by category (units)", "delta"),
        ("channel_mix_region", "channel mix by destination (units)", "delta"),
        ("stock", "stock per stocking node (on-hand units)", "delta"),
    ):
        frame = diff[key]
        changed = frame[frame[column].abs() > 1e-6]
        if key == "stock":
            changed = frame[(frame[column].abs() > 1e-6) | (frame["open_a"] != frame["open_b"])]
        hidden = len(frame) - len(changed)
        shown = frame if args.all else changed
        suffix = "" if args.all or not hidden else f"; {hidden} unchanged rows not shown (--all)"
        _print_frame(f"{title}{suffix}", shown, empty="no change")
    _print_frame("SKUs whose main channel changed", diff["changed_skus"], empty="none")
    return EXIT_OK


def _runs_delete(args: argparse.Namespace, store) -> int:
    store.delete(args.id)
    print(json.dumps({"deleted": args.id, "store": str(store.path)}))
    return EXIT_OK


_RUNS_ACTIONS = {
    "list": _runs_list,
    "show": _runs_show,
    "compare": _runs_compare,
    "delete": _runs_delete,
}


def _add_excel_and_runs_commands(sub, formats) -> None:
    """Register ``template``, ``convert excel``, ``runs`` and the solve options of issue 13."""
    solve = sub.choices["solve"]
    solve.add_argument(
        "--excel-out", type=Path, default=None, help="also write the plan as a formatted workbook"
    )
    solve.add_argument(
        "--run-store",
        type=Path,
        default=None,
        help="run store file (default: $LEAN_CHAIN_RUN_STORE or the user data folder)",
    )
    solve.add_argument("--no-store", action="store_true", help="do not record the run")

    f = formats.add_parser("excel", help="an instance workbook (lean-chain template --excel)")
    f.add_argument("file", type=Path, help=".xlsx workbook")
    f.add_argument("--out", type=Path, required=True, help="new or empty folder to write")
    f.set_defaults(func=_cmd_convert_excel)

    p = sub.add_parser("template", help="write an instance workbook to fill in Excel")
    p.add_argument("--excel", type=Path, required=True, help=".xlsx file to write")
    p.add_argument(
        "--from", dest="source", type=Path, default=None, help="fill it from this instance folder"
    )
    p.add_argument("--force", action="store_true", help="replace an existing file")
    p.set_defaults(func=_cmd_template)

    p = sub.add_parser("runs", help="list, show, compare or delete recorded runs")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("list", help="every recorded run")
    a.add_argument("--json", action="store_true", help="as JSON records")
    a = actions.add_parser("show", help="everything recorded about a run")
    a.add_argument("id", type=int)
    a = actions.add_parser("compare", help="what changed from run A to run B")
    a.add_argument("a", type=int)
    a.add_argument("b", type=int)
    a.add_argument("--all", action="store_true", help="also rows that did not change")
    a.add_argument("--json", action="store_true", help="as JSON")
    a = actions.add_parser("delete", help="delete a run's record (its folder is left alone)")
    a.add_argument("id", type=int)
    for a in actions.choices.values():
        a.add_argument(
            "--run-store",
            type=Path,
            default=None,
            help="run store file (default: $LEAN_CHAIN_RUN_STORE or the user data folder)",
        )
    p.set_defaults(func=_cmd_runs)


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops a solve like Ctrl-C: the best plan so far is kept."""
    raise KeyboardInterrupt


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lean-chain",
        description="Plan cross-border e-commerce supply chains at minimum landed cost.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("solve", help="solve an instance and write a run folder")
    p.add_argument("instance", type=Path, help="instance folder (CSV tables + parameters.yaml)")
    p.add_argument("--out", type=_out_path, required=True, help="run folder to write")
    p.add_argument(
        "--force", action="store_true", help="replace a previous run at --out (never other folders)"
    )
    p.add_argument(
        "--method",
        choices=("auto", "exact", "decompose"),
        default="auto",
        help="exact MIP, Lagrangian decomposition by SKU, or auto by size (default)",
    )
    p.add_argument("--solver", default=DEFAULT_SOLVER, choices=available_solvers())
    p.add_argument("--time-limit", type=_positive, default=None, help="seconds")
    p.add_argument("--gap", type=_gap, default=1e-6, help="relative optimality gap (default 1e-6)")
    p.add_argument("--threads", type=_threads, default=None, help="at most the number of cores")
    p.add_argument("--log-file", type=Path, default=None, help="solver log file")
    p.add_argument("--verbose", action="store_true", help="print the solver log")
    p.add_argument(
        "--lazy-links",
        action="store_true",
        help="generate share-to-binary link rows on demand (large facility-location models)",
    )
    p.add_argument(
        "--objective",
        choices=("cost", "profit"),
        default="cost",
        help="cost (default): serve all demand at least cost; profit: maximise contribution "
        "(revenue - commissions and fees - cost), serving demand is a choice (every method)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    _add_as_of(p)
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser("validate", help="check an instance and report every problem")
    p.add_argument("instance", type=Path)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("evaluate", help="recompute a plan's cost from the instance and its CSVs")
    p.add_argument("instance", type=Path)
    p.add_argument("run", type=Path, help="run folder written by solve")
    p.add_argument(
        "--scenarios", type=int, default=None, help="Monte Carlo scenarios (demand, lead times)"
    )
    p.add_argument("--seed", type=_seed, default=0, help="random seed of the scenarios")
    _add_as_of(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "explain", help="why each SKU ships as it does: every candidate path, its reason"
    )
    p.add_argument("run", type=Path, help="run folder written by solve")
    p.add_argument("--sku", default=None, help="only this SKU")
    p.add_argument("--region", default=None, help="only this region")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")
    p.add_argument(
        "--instance", type=Path, default=None, help="instance (default: the run's instance_path)"
    )
    p.add_argument(
        "--recompute",
        action="store_true",
        help="derive the alternatives from the plan CSVs (an edited plan, an older run)",
    )
    p.set_defaults(func=_cmd_explain)

    p = sub.add_parser("rules", help="the tax rules in force on a date (bundled library)")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("show", help="print the rules in force for a destination country")
    a.add_argument("--country", default=None, help="destination country (ISO alpha-2)")
    a.add_argument("--as-of", dest="as_of", type=_date, default=None, help="YYYY-MM-DD (today)")
    a.add_argument(
        "--instance", type=Path, default=None, help="an instance's rules instead of the library"
    )
    a.add_argument("--library", default=None, help="rule sets, e.g. 'us|eu' (default: all)")
    a.set_defaults(func=_cmd_rules)

    p = sub.add_parser("solvers", help="list solver backends")
    p.set_defaults(func=_cmd_solvers)

    p = sub.add_parser(
        "convert", help="turn a facility location benchmark file into an instance folder"
    )
    formats = p.add_subparsers(dest="format", required=True)
    f = formats.add_parser(
        "orlib-cap", help="OR-Library capacitated warehouse location (cap41-cap74, capa)"
    )
    f.add_argument("file", type=Path)
    f.add_argument(
        "--capacity",
        type=_positive,
        default=None,
        help="capacity of every warehouse; required for capa (8000/10000/12000/14000)",
    )
    f = formats.add_parser("holmberg", help="Holmberg single-source CFLP (p1-p24)")
    f.add_argument("file", type=Path)
    for f in formats.choices.values():
        f.add_argument("--out", type=Path, required=True, help="instance folder to write")
        f.add_argument("--overwrite", action="store_true", help="write into a non-empty folder")
    p.set_defaults(func=_cmd_convert)
    _add_excel_and_runs_commands(sub, formats)

    p = sub.add_parser("generate", help="write a realistic generated instance of any size")
    p.add_argument("--skus", type=int, required=True, help="number of SKUs")
    p.add_argument("--regions", type=int, default=30, help="consumer regions (default 30)")
    p.add_argument("--nodes", type=int, default=10, help="stocking nodes (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--kind", choices=("import", "export", "mixed"), default="mixed")
    p.add_argument("--out", type=Path, required=True, help="new or empty folder to write")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("sweep", help="solve what-if scenarios, locally or on a Dask cluster")
    p.add_argument("instance", type=Path, help="instance folder")
    p.add_argument(
        "--scenarios",
        required=True,
        help="scenario YAML file, or builtin:NAME (e.g. tariff-shocks)",
    )
    p.add_argument("--out", type=_out_path, required=True, help="folder for the runs and sweep.csv")
    p.add_argument("--force", action="store_true", help="replace a previous sweep at --out")
    p.add_argument(
        "--scheduler",
        default=None,
        help="'local' (a Dask LocalCluster) or tcp://HOST:PORT; default: a local process pool",
    )
    p.add_argument("--workers", type=_threads, default=min(2, os.cpu_count() or 1))
    p.add_argument("--method", choices=("auto", "exact", "decompose"), default="auto")
    p.add_argument("--solver", default=DEFAULT_SOLVER, choices=available_solvers())
    p.add_argument("--time-limit", type=_positive, default=None, help="seconds per scenario")
    p.add_argument("--gap", type=_gap, default=1e-4, help="relative gap (default 1e-4)")
    p.add_argument(
        "--run-store", type=Path, default=None, help="run store to record every scenario in"
    )
    p.add_argument("--no-store", action="store_true", help="do not record the scenarios")
    p.add_argument("--quiet", action="store_true", help="no progress messages")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("report", help="write a self-contained HTML report of a run (offline)")
    p.add_argument("run", type=Path, help="run folder written by solve")
    p.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    p.add_argument("--compare", type=Path, default=None, help="another run to show differences")
    p.add_argument(
        "--instance", type=Path, default=None, help="the run's instance (default: as recorded)"
    )
    p.set_defaults(func=_cmd_report)
    return parser


#: How each failure reaches the shell: the message's prefix and the exit code.
_FAILURES = {
    InstanceError: ("bad input: ", EXIT_BAD_INPUT),
    PlanError: ("bad input: ", EXIT_BAD_INPUT),
    OutputPathError: ("bad output folder: ", EXIT_BAD_INPUT),
    InfeasibleError: ("no plan: ", EXIT_INFEASIBLE),
    SelfCheckError: ("self-check failed: ", EXIT_SELF_CHECK),
    SolverNotAvailableError: ("", EXIT_OTHER),
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        # one process, one command: what the solve frees, writing the run reuses
        with reused_memory():
            return args.func(args)
    except tuple(_FAILURES) as exc:
        prefix, code = next(v for k, v in _FAILURES.items() if isinstance(exc, k))
        print(f"lean-chain: {prefix}{exc}", file=sys.stderr)
        return code
    except KeyboardInterrupt:
        print("lean-chain: interrupted before a plan was found; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
