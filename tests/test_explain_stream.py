"""The alternatives written a block at a time (issue 19 item 5): the same bytes as the
whole table written at once, on the bundled instances and tests/data/tiny; a plan too
large to hold its table streams it into its run folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import lean_chain
from lean_chain import api
from lean_chain.costs.model import build_cost_model
from lean_chain.explain import alternatives, run_alternatives, write_alternatives
from lean_chain.io.fast_csv import write_csv

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"


def _whole_table_csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode("utf-8")


@pytest.mark.parametrize(
    ("folder", "lp"),
    [
        (TINY, False),
        (TINY, True),  # LP break-evens: notes appended to the break-even sentences
        (ROOT / "instances" / "cn_import", False),
        (ROOT / "instances" / "global_export", False),
    ],
)
def test_streamed_csv_is_the_whole_table_csv(folder, lp, tmp_path):
    instance = lean_chain.load_instance(folder)
    # any plan will do: a loose gap keeps the bundled instances quick
    plan = lean_chain.solve(instance, gap=0.05, time_limit=60, sensitivity=False)
    model = build_cost_model(instance)
    kwargs = {"status": plan.status, "gap": plan.gap, "lp": lp}
    table = alternatives(model, plan.decisions, **kwargs)
    expected = _whole_table_csv(table)
    # blocks cut anywhere, also inside a demand row (one-row blocks on tiny only: a
    # block costs a few milliseconds of overhead)
    for block_rows in (1, 7, 10**6) if folder == TINY else (997, 10**6):
        path = tmp_path / f"alternatives_{block_rows}.csv"
        rows = write_alternatives(path, model, plan.decisions, block_rows=block_rows, **kwargs)
        assert rows == len(table)
        assert path.read_bytes() == expected
    write_csv(table, tmp_path / "whole.csv")
    assert (tmp_path / "whole.csv").read_bytes() == expected


def test_a_plan_too_large_to_hold_streams_its_alternatives(tmp_path, monkeypatch):
    instance = lean_chain.load_instance(TINY)
    held = lean_chain.solve(instance, sensitivity=False)
    monkeypatch.setattr(api, "ALTERNATIVES_TABLE_MAX_ROWS", 0)
    plan = lean_chain.solve(instance, sensitivity=False)
    assert "alternatives" not in plan.tables
    assert "block at a time" in plan.info["alternatives"]
    run = lean_chain.write_plan(plan, tmp_path / "run")
    written = (run / "plan" / "alternatives.csv").read_bytes()
    assert written == _whole_table_csv(held.tables["alternatives"])
    pd.testing.assert_frame_equal(plan.explain(sku="A"), held.explain(sku="A"))
    assert run_alternatives(run)["status"].tolist() == ["chosen", "dearer", "chosen", "dearer"]


def test_a_streamed_table_that_fails_never_costs_the_plan(tmp_path, monkeypatch):
    """The explanation is an extra: if writing it fails or is interrupted (Ctrl-C), the run
    is still written, without plan/alternatives.csv and with the reason in summary.json."""
    monkeypatch.setattr(api, "ALTERNATIVES_TABLE_MAX_ROWS", 0)
    plan = lean_chain.solve(lean_chain.load_instance(TINY), sensitivity=False)

    for error, why in (
        (ValueError("no explanation today"), "no explanation today"),
        (KeyboardInterrupt(), "interrupted"),
    ):

        def broken(path, *args, error=error, **kwargs):
            Path(path).write_text("half a ta")
            raise error

        # the plan's own deferred writer, failing inside the explanation
        monkeypatch.setattr("lean_chain.explain.write_alternatives", broken)
        run = lean_chain.write_plan(plan, tmp_path / type(error).__name__)
        assert (run / "plan" / "flows.csv").is_file()
        assert not (run / "plan" / "alternatives.csv").exists()
        summary = json.loads((run / "summary.json").read_text())
        assert why in summary["alternatives"]
        assert summary["objective"] == pytest.approx(plan.objective)


def test_streaming_where_numba_has_only_its_workqueue_layer(tmp_path):
    """Without OpenMP or TBB numba runs parallel kernels on its workqueue layer, which
    aborts the process when two threads launch kernels at once: the explanation then
    runs its kernels from one thread, and writes the same bytes."""
    import os
    import subprocess
    import sys

    script = f"""
import numba
import lean_chain
from lean_chain.costs.model import build_cost_model
from lean_chain.explain import write_alternatives
instance = lean_chain.load_instance({str(TINY)!r})
plan = lean_chain.solve(instance, sensitivity=False)
model = build_cost_model(instance)
write_alternatives({str(tmp_path / "alternatives.csv")!r}, model, plan.decisions, block_rows=1)
print(numba.threading_layer())
"""
    env = dict(os.environ, NUMBA_THREADING_LAYER="workqueue")
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "workqueue"
    instance = lean_chain.load_instance(TINY)
    plan = lean_chain.solve(instance, sensitivity=False)
    expected = _whole_table_csv(alternatives(build_cost_model(instance), plan.decisions))
    assert (tmp_path / "alternatives.csv").read_bytes() == expected
