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
    from lean_chain.io.instance_io import load_instance

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
    from lean_chain.io.instance_io import load_instance
    from lean_chain.io.plan_io import check_run_target

    # refuse a bad --out before any work: it is checked again when writing
    check_run_target(args.out, force=args.force)
    _progress(args, f"loading {args.instance}")
    instance = load_instance(args.instance)
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
    """An infeasible run folder: summary.json (status infeasible) and diagnosis.json."""
    from lean_chain.io.plan_io import write_run

    summary = {
        "status": "infeasible",
        "instance": instance.name,
        "message": str(exc),
        "options": {"method": args.method, "solver": args.solver, "gap": args.gap},
    }
    text = json.dumps(exc.diagnosis, indent=2, ensure_ascii=False) + "\n"
    out = write_run(args.out, summary, {}, force=args.force, files={"diagnosis.json": text})
    _progress(args, f"wrote the diagnosis to {out}/diagnosis.json")


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from lean_chain.api import evaluate
    from lean_chain.io.instance_io import load_instance

    instance = load_instance(args.instance)
    if args.scenarios is not None and args.scenarios < 1:
        print("lean-chain: bad input: --scenarios must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    evaluation = evaluate(instance, args.run, scenarios=args.scenarios, seed=args.seed)
    print(json.dumps(evaluation.to_dict(), indent=2))
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


def _cmd_report(args: argparse.Namespace) -> int:
    from lean_chain.report import write_report

    out = write_report(args.run, args.output, instance=args.instance, compare=args.compare)
    print(json.dumps({"report": str(out), "bytes": out.stat().st_size}))
    return EXIT_OK


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
    p.add_argument("--quiet", action="store_true", help="no progress messages")
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
    p.set_defaults(func=_cmd_evaluate)

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

    p = sub.add_parser("generate", help="write a realistic generated instance of any size")
    p.add_argument("--skus", type=int, required=True, help="number of SKUs")
    p.add_argument("--regions", type=int, default=30, help="consumer regions (default 30)")
    p.add_argument("--nodes", type=int, default=10, help="stocking nodes (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--kind", choices=("import", "export", "mixed"), default="mixed")
    p.add_argument("--out", type=Path, required=True, help="new or empty folder to write")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("report", help="write a self-contained HTML report of a run (offline)")
    p.add_argument("run", type=Path, help="run folder written by solve")
    p.add_argument("-o", "--output", type=Path, required=True, help="HTML file to write")
    p.add_argument("--compare", type=Path, default=None, help="another run to show differences")
    p.add_argument(
        "--instance", type=Path, default=None, help="the run's instance (default: as recorded)"
    )
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        return args.func(args)
    except (InstanceError, PlanError) as exc:
        print(f"lean-chain: bad input: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputPathError as exc:
        print(f"lean-chain: bad output folder: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except InfeasibleError as exc:
        print(f"lean-chain: no plan: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except SelfCheckError as exc:
        print(f"lean-chain: self-check failed: {exc}", file=sys.stderr)
        return EXIT_SELF_CHECK
    except SolverNotAvailableError as exc:
        print(f"lean-chain: {exc}", file=sys.stderr)
        return EXIT_OTHER
    except KeyboardInterrupt:
        print("lean-chain: interrupted before a plan was found; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
