"""The library surface on the tiny instance, whose optimum is worked out by hand."""

from __future__ import annotations

import pytest

import lean_chain
from lean_chain.costs.evaluate import BREAKDOWN_KEYS

TINY_OPTIMUM = (
    100 * (100 + 2 * 1.0 + 5 + 1 + 0.091 * 200)
    + 10 * (50 + 2 * 0.5 + 5 + 1 + 0.7 * (100 + 100 * 0.15 / 0.85) * 0.13 + 0.7 * 100 * 0.15 / 0.85)
    + 1000
)


def test_tiny_optimum_by_hand(tiny_dir):
    """Tiny: supplier S1 (JP), bonded zone BZ (fixed 1000, handling 1/unit), province R1.

    Channel 1210 (S1 -L1-> BZ -L2-> R1): sea 2 CNY/kg, truck 5 CNY/unit, handling 1.
    Channel 9610 (S1 -L3-> R1): express 30 CNY/kg. Both CBEC retail: tax on w = retail.
    A (100 units, 100 CNY, 1 kg, retail 200, c = 0): tax 0.091 x 200 = 18.2;
      1210: 100 + 2 + 5 + 1 + 18.2 = 126.2/unit; 9610: 100 + 30 + 18.2 = 148.2/unit.
    B (10 units, 50 CNY, 0.5 kg, retail 100, c = 15 %): tax 23.0588;
      1210: 50 + 1 + 5 + 1 + 23.0588 = 80.0588/unit; 9610: 50 + 15 + 23.0588 = 88.0588.
    Both via BZ: 12,620 + 800.588 + 1,000 = 14,420.588 (best); A via BZ and B direct:
    14,500.588; both direct: 15,700.588. One channel per SKU (max_channels_per_sku 1).
    """
    inst = lean_chain.load_instance(tiny_dir)
    plan = lean_chain.solve(inst)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=1e-9)
    assert plan.objective == pytest.approx(14420.588235294117, rel=1e-12)
    assert plan.gap == pytest.approx(0.0, abs=1e-9)
    flows = plan.tables["flows"].set_index("sku_id")
    assert flows.loc["A", "path_key"] == "1210|L1>L2"
    assert flows.loc["B", "route"] == "S1>BZ>R1"
    assert list(plan.cost_breakdown) == list(BREAKDOWN_KEYS)
    assert sum(plan.cost_breakdown.values()) == pytest.approx(plan.objective, rel=1e-12)
    assert plan.cost_breakdown["node_fixed"] == 1000
    assert plan.kpis["channel_share"] == {"1210": 1.0, "9610": 0.0}


def test_backends_agree_on_tiny(tiny_dir):
    inst = lean_chain.load_instance(tiny_dir)
    highs = lean_chain.solve(inst, solver="ortools-highs")
    scip = lean_chain.solve(inst, solver="ortools-scip")
    assert highs.objective == pytest.approx(scip.objective, rel=1e-9)


def test_evaluate_agrees_with_solver(tiny_dir):
    inst = lean_chain.load_instance(tiny_dir)
    plan = lean_chain.solve(inst)
    evaluation = lean_chain.evaluate(inst, plan)
    assert evaluation.objective == pytest.approx(plan.objective, rel=1e-9)
    assert evaluation.violations == []


def test_unknown_solver_names_the_choices(tiny_dir):
    inst = lean_chain.load_instance(tiny_dir)
    with pytest.raises(lean_chain.SolverNotAvailableError, match="ortools-highs"):
        lean_chain.solve(inst, solver="gurobi")


def test_infeasible_model_names_the_binding_family(make_variant):
    """Every path to R1 promises at least 2 days: 100 % within 1 day cannot be met."""

    def tighten(nodes):
        nodes.loc[nodes["node_id"] == "R1", "service_days"] = "1"
        nodes.loc[nodes["node_id"] == "R1", "service_share"] = "1"
        return nodes

    inst = lean_chain.load_instance(make_variant(tables={"nodes": tighten}))
    with pytest.raises(lean_chain.InfeasibleError, match=r"region R1: the target of 100.0%") as err:
        lean_chain.solve(inst)
    assert [f["rule"] for f in err.value.diagnosis["findings"]] == ["service"]


def test_infeasible_by_throughput_is_named(make_variant):
    """The bonded zone handles 50 units but 9610 is not allowed: demand 110 cannot flow."""

    def no_direct_mail(lanes):
        return lanes[lanes["lane_id"] != "L3"]

    def small_zone(nodes):
        nodes.loc[nodes["node_id"] == "BZ", "throughput_capacity_units"] = "50"
        return nodes

    inst = lean_chain.load_instance(
        make_variant(tables={"lanes": no_direct_mail, "nodes": small_zone})
    )
    with pytest.raises(lean_chain.InfeasibleError, match=r"throughput"):
        lean_chain.solve(inst)


class _StoppedAtLimit:
    """The HiGHS backend, its result reported as a time limit would leave it: FEASIBLE,
    with its bound lowered by ``bound_shift``."""

    def __init__(self, bound_shift: float) -> None:
        from lean_chain.solvers import get_backend

        self.backend = get_backend("highs")
        self.bound_shift = bound_shift

    def solve(self, problem, options):
        import dataclasses

        from lean_chain.solvers import Status

        result = self.backend.solve(problem, options)
        return dataclasses.replace(
            result, status=Status.FEASIBLE, bound=result.bound - self.bound_shift
        )


@pytest.mark.parametrize(
    ("bound_shift", "expected"),
    [(0.0, "optimal"), (0.005 * TINY_OPTIMUM, "optimal"), (0.02 * TINY_OPTIMUM, "feasible")],
)
def test_a_limit_reached_within_the_asked_gap_is_optimal(
    tiny_dir, monkeypatch, bound_shift, expected
):
    # the exact method reports its status by the plan's gap, as the decomposition does:
    # a search stopped by a limit with its plan already within --gap is optimal
    monkeypatch.setattr(lean_chain.api, "get_backend", lambda name: _StoppedAtLimit(bound_shift))
    plan = lean_chain.solve(lean_chain.load_instance(tiny_dir), gap=0.01, sensitivity=False)
    assert plan.objective == pytest.approx(TINY_OPTIMUM, rel=1e-9)
    assert plan.gap == pytest.approx(bound_shift / TINY_OPTIMUM, rel=1e-6, abs=1e-9)
    assert plan.status == expected
