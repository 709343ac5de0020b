"""Shared fixtures: the tiny instance and a builder for small variants of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
TINY = DATA / "tiny"
SHARED = ROOT.parent / "shared"


def edit_instance(
    source: Path,
    target: Path,
    tables: dict[str, pd.DataFrame | Callable[[pd.DataFrame], pd.DataFrame]] | None = None,
    params: dict | None = None,
) -> Path:
    """Copy the instance folder ``source`` to ``target`` and apply edits.

    ``tables`` maps a table name (``"skus"``, ``"lanes"``...) to a new
    DataFrame or to a function that takes the table (all columns as text) and
    returns the edited one; ``params`` updates ``parameters.yaml``.
    """
    shutil.copytree(source, target)
    for name, edit in (tables or {}).items():
        path = target / f"{name}.csv"
        if callable(edit):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            frame = edit(frame)
        else:
            frame = edit
        frame.to_csv(path, index=False)
    if params:
        current = yaml.safe_load((target / "parameters.yaml").read_text()) or {}
        current.update(params)
        (target / "parameters.yaml").write_text(yaml.safe_dump(current))
    return target


def set_cells(key: str, value: str, **cells: object) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Table edit: set ``cells`` on the rows whose ``key`` column equals ``value``."""

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        mask = frame[key] == value
        assert mask.any(), f"no row with {key} = {value}"
        for column, cell in cells.items():
            if column not in frame.columns:
                frame[column] = ""
            frame.loc[mask, column] = str(cell)
        return frame

    return edit


def chain(*edits: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Table edit: apply ``edits`` in order."""

    def edit(frame: pd.DataFrame) -> pd.DataFrame:
        for step in edits:
            frame = step(frame)
        return frame

    return edit


def solve_checked(path):
    """Load and solve ``path``; the evaluation core agrees and finds no violation."""
    import lean_chain

    inst = lean_chain.load_instance(path)
    plan = lean_chain.solve(inst)
    assert plan.status == "optimal"
    evaluation = lean_chain.evaluate(inst, plan)
    assert evaluation.objective == pytest.approx(plan.objective, rel=1e-6)
    assert evaluation.violations == []
    assert sum(plan.cost_breakdown.values()) == pytest.approx(plan.objective, rel=1e-9)
    return inst, plan


def units_by(plan, *keys: str) -> dict:
    """Units shipped per value of ``keys`` (columns of the flows table)."""
    grouped = plan.tables["flows"].groupby(list(keys))["units"].sum()
    return {k: float(v) for k, v in grouped.items() if v > 1e-9}


@pytest.fixture(autouse=True, scope="session")
def isolated_run_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every solve a test runs is recorded in a temporary run store, never the user's own.

    Session-scoped so that it is in place before module fixtures solve;
    ``LEAN_CHAIN_RUN_STORE`` is inherited by the subprocesses a test starts.
    """
    path = tmp_path_factory.mktemp("run_store") / "runs.sqlite"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEAN_CHAIN_RUN_STORE", str(path))
        yield path


@pytest.fixture
def tiny_dir() -> Path:
    return TINY


@pytest.fixture
def make_variant(tmp_path: Path) -> Callable[..., Path]:
    """``make_variant(tables=..., params=..., source=TINY)`` -> a new instance folder."""
    counter = {"n": 0}

    def make(tables=None, params=None, source: Path = TINY) -> Path:
        counter["n"] += 1
        return edit_instance(source, tmp_path / f"variant{counter['n']}", tables, params)

    return make


def interrupt_solve(
    instance_dir: Path, run: Path, method: str, when: str, signal_name: str, delay: float = 0.0
) -> tuple[int, str, str, float]:
    """Run ``lean-chain solve`` in a subprocess and send it ``signal_name`` once a
    progress line containing ``when`` appeared (plus ``delay`` seconds).

    Returns the exit code, stdout, stderr and the seconds from the signal to the exit.
    """
    import signal
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "lean_chain.cli", "solve", str(instance_dir)]
    command += ["--out", str(run), "--method", method, "--gap", "0"]
    # a shell starts background jobs with SIGINT ignored, and Python then never turns Ctrl-C
    # into KeyboardInterrupt: give the child the default disposition, as a terminal would
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started, lines = time.monotonic(), []
    while time.monotonic() - started < 240:
        line = process.stderr.readline()
        lines.append(line)
        if when in line or not line:
            break
    time.sleep(delay)
    process.send_signal(getattr(signal, signal_name))
    sent = time.monotonic()
    out, err = process.communicate(timeout=120)
    return process.returncode, out, "".join(lines) + err, time.monotonic() - sent
