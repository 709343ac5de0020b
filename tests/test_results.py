"""Plan tables (lean_chain/results.py): what the run folder's plan/*.csv say."""

from __future__ import annotations

import pytest

import lean_chain
from lean_chain.results import PLAN_TABLES
from tests.conftest import TINY


@pytest.fixture(scope="module")
def plan():
    return lean_chain.solve(lean_chain.load_instance(TINY))


def test_every_plan_table_is_written(plan):
    assert set(PLAN_TABLES) <= set(plan.tables)


def test_flows_serve_all_demand_along_named_routes(plan):
    """tiny's optimum ships A (100) and B (10) through the bonded zone (worked in test_api)."""
    flows = plan.tables["flows"].set_index("sku_id")
    assert flows["units"].to_dict() == {"A": 100.0, "B": 10.0}
    assert set(flows["route"]) == {"S1>BZ>R1"}
    assert set(flows["stock_node"]) == {"BZ"}
    # units x unit landed cost is the variable part of the objective
    variable = float((flows["units"] * flows["unit_landed_cost"]).sum())
    assert variable <= plan.objective + 1e-9


def test_channel_and_node_tables_agree_with_the_flows(plan):
    channels = plan.tables["sku_channels"]
    assert sorted(channels["sku_id"]) == ["A", "B"]
    assert set(channels["channel_id"]) == {"1210"}
    assert channels["units"].sum() == pytest.approx(110.0)
    nodes = plan.tables["nodes"].set_index("node_id")
    assert bool(nodes.loc["BZ", "open"])
