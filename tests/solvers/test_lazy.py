"""Lazy link rows: the same optimum as the full model, on a published benchmark."""

from __future__ import annotations

import pytest
from conftest import SHARED

import lean_chain
from lean_chain.convert import orlib_cap_to_instance

CAP41_OPTIMUM = 1040444.375  # optima.txt


@pytest.mark.parametrize("solver", ["highs", "ortools-scip"])
def test_lazy_links_reach_the_published_optimum(tmp_path, solver):
    folder = orlib_cap_to_instance(SHARED / "benchdata" / "orlib-cap" / "cap41.txt", tmp_path / "i")
    inst = lean_chain.load_instance(folder)
    plan = lean_chain.solve(inst, solver=solver, lazy_links=True, gap=1e-9)
    assert plan.objective == pytest.approx(CAP41_OPTIMUM, rel=1e-6)
    assert "lazy rows" in plan.info["solver_message"]
    assert lean_chain.evaluate(inst, plan).violations == []


def test_lazy_links_keep_links_without_capacity_rows(tiny_dir):
    """Tiny has no capacity rows: only the link rows keep flows out of an unopened bonded
    zone, so the MIP rounds must add them back; the optimum is the tiny one."""
    inst = lean_chain.load_instance(tiny_dir)
    plan = lean_chain.solve(inst, lazy_links=True)
    assert plan.objective == pytest.approx(14420.588235294117, rel=1e-9)
    assert lean_chain.evaluate(inst, plan).violations == []
