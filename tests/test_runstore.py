"""The run store: record, list, show, compare, delete; schema version; concurrent writers."""

from __future__ import annotations

import copy
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import lean_chain
from lean_chain.io.excel import write_template
from lean_chain.runstore import (
    ENV_VAR,
    SCHEMA_VERSION,
    RunNotFoundError,
    RunStore,
    RunStoreError,
    default_store_path,
    instance_fingerprint,
    run_record,
)

TINY = Path(__file__).resolve().parent / "data" / "tiny"


@pytest.fixture(scope="module")
def tiny_solved():
    instance = lean_chain.load_instance(TINY)
    return instance, lean_chain.solve(instance)


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    return RunStore(tmp_path / "store" / "runs.sqlite")


def test_tests_never_use_the_real_store(isolated_run_store):
    assert default_store_path() == isolated_run_store
    assert Path.home() not in isolated_run_store.parents or "pytest" in str(isolated_run_store)


def test_default_path_is_the_user_data_folder(monkeypatch):
    import platformdirs

    monkeypatch.delenv(ENV_VAR)
    assert default_store_path() == Path(platformdirs.user_data_dir("lean_chain")) / "runs.sqlite"
    monkeypatch.setenv(ENV_VAR, "/somewhere/else.sqlite")
    assert RunStore().path == Path("/somewhere/else.sqlite")


def test_record_list_show_delete(store, tiny_solved, tmp_path):
    instance, plan = tiny_solved
    assert store.list().empty and not store.path.exists()  # reading creates nothing
    run_id = store.record(
        plan,
        instance,
        instance_path=TINY,
        options={"gap": 0.01},
        run_dir=tmp_path / "RUN",
        excel_out=tmp_path / "plan.xlsx",
    )
    assert run_id == 1
    runs = store.list()
    assert runs.loc[0, ["id", "instance_name", "status", "method", "solver"]].tolist() == [
        1,
        "tiny",
        "optimal",
        "exact",
        "highs",
    ]
    assert runs.loc[0, "objective"] == pytest.approx(plan.objective)
    shown = store.show(run_id)
    assert shown["instance_path"] == str(TINY)
    assert shown["run_dir"] == str(tmp_path / "RUN")
    assert shown["excel_out"] == str(tmp_path / "plan.xlsx")
    assert shown["options"] == {"gap": 0.01}
    assert shown["cost_breakdown"] == pytest.approx(plan.cost_breakdown)
    assert shown["kpis"]["channel_share"] == {"1210": 1.0, "9610": 0.0}
    assert shown["instance_params"]["currency"] == "CNY"
    assert shown["fingerprint"] == instance_fingerprint(instance)
    assert shown["summary"]["status"] == "optimal"
    tables = shown["tables"]
    assert tables["sku_channel"][["sku_id", "channel_id", "units", "share"]].to_dict("records") == [
        {"sku_id": "A", "channel_id": "1210", "units": 100.0, "share": 1.0},
        {"sku_id": "B", "channel_id": "1210", "units": 10.0, "share": 1.0},
    ]
    mix = tables["channel_mix"]
    assert set(mix["dimension"]) == {"category", "region"}
    assert mix[mix["dimension"] == "region"]["units"].sum() == pytest.approx(110.0)
    assert tables["stock"]["node_id"].tolist() == ["BZ"]
    assert tables["stock"]["open"].tolist() == [True]
    store.delete(run_id)
    assert store.list().empty
    with pytest.raises(RunNotFoundError, match="no run 1"):
        store.show(run_id)
    with pytest.raises(RunNotFoundError):
        store.delete(run_id)
    with sqlite3.connect(store.path) as conn:  # the comparison tables went with the run
        assert conn.execute("SELECT COUNT(*) FROM run_sku_channel").fetchone() == (0,)


def test_schema_version_wal_and_newer_stores_refused(store, tiny_solved):
    store.record(tiny_solved[1], tiny_solved[0])
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION),
        )
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),)
        )
    with pytest.raises(RunStoreError, match="newer lean_chain"):
        store.list()


def test_not_a_database_is_a_run_store_error(tmp_path):
    path = tmp_path / "runs.sqlite"
    path.write_text("not sqlite at all " * 100)
    with pytest.raises(RunStoreError, match=r"runs\.sqlite"):
        RunStore(path).list()
    with pytest.raises(RunStoreError, match="folder"):
        RunStore(tmp_path).list()


def test_compare_shows_what_changed(store, tiny_solved):
    instance, plan = tiny_solved
    record = run_record(plan, instance)
    a = store.add(record)
    changed = copy.deepcopy(record)
    changed["objective"] = record["objective"] + 50.0
    changed["cost_breakdown"]["freight"] += 50.0
    sku = changed["tables"]["sku_channel"]
    sku.loc[sku["sku_id"] == "B", "channel_id"] = "9610"
    mix = changed["tables"]["channel_mix"]
    mix.loc[(mix["dimension"] == "category") & (mix["key"] == "cosmetics"), "channel_id"] = "9610"
    changed["tables"]["stock"]["on_hand_units"] += 7.0
    changed["fingerprint"] = "different"
    b = store.add(changed)

    diff = store.compare(a, b)
    assert diff["same_instance"] is False
    runs = diff["runs"].set_index("field")
    assert runs.loc["objective", "delta"] == pytest.approx(50.0)
    costs = diff["costs"].set_index("component")
    assert costs.loc["freight", "delta"] == pytest.approx(50.0)
    assert costs.drop(index="freight")["delta"].abs().max() == 0.0
    category = diff["channel_mix_category"].set_index(["category", "channel_id"])
    assert category.loc[("cosmetics", "1210"), ["units_a", "units_b", "delta"]].tolist() == [
        10.0,
        0.0,
        -10.0,
    ]
    assert category.loc[("cosmetics", "9610"), ["share_a", "share_b"]].tolist() == [0.0, 1.0]
    assert diff["stock"]["delta"].tolist() == [7.0]
    assert diff["changed_skus"].to_dict("records") == [
        {
            "sku_id": "B",
            "channel_id_a": "1210",
            "share_a": 1.0,
            "channel_id_b": "9610",
            "share_b": 1.0,
        }
    ]
    with pytest.raises(RunNotFoundError):
        store.compare(a, 99)


def test_fingerprint_follows_content_not_format(tiny_solved, tmp_path, make_variant):
    instance, _ = tiny_solved
    book = write_template(tmp_path / "tiny.xlsx", source=TINY)
    assert instance_fingerprint(lean_chain.load_instance(book)) == instance_fingerprint(instance)
    cheaper = make_variant(tables={"skus": lambda f: f.assign(procurement_cost="1")})
    assert instance_fingerprint(lean_chain.load_instance(cheaper)) != instance_fingerprint(instance)


def _record_many(path: str, record: dict, count: int, start) -> None:
    store = RunStore(path)
    start.wait(timeout=120)  # both processes write at the same time, not one after the other
    for _ in range(count):
        store.add(record)


def test_two_processes_recording_at_once(tmp_path, tiny_solved):
    path = tmp_path / "shared.sqlite"
    record = run_record(tiny_solved[1], tiny_solved[0])
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [
        context.Process(target=_record_many, args=(str(path), record, 50, start)) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
        assert worker.exitcode == 0
    runs = RunStore(path).list()
    assert len(runs) == 100 and runs["id"].tolist() == list(range(1, 101))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        per_run = pd.read_sql_query(
            "SELECT run_id, COUNT(*) AS n FROM run_sku_channel GROUP BY run_id", conn
        )
    assert len(per_run) == 100 and set(per_run["n"]) == {2}


def test_store_in_an_unwritable_place_raises(tmp_path, tiny_solved):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(RunStoreError):
        RunStore(blocker / "runs.sqlite").record(tiny_solved[1], tiny_solved[0])
    assert os.path.isfile(blocker)
