"""Facility location benchmarks converted into instances: lean_chain's MIP must find
the published optima of every OR-Library cap41-cap74 and Holmberg p1-p24 instance.

The benchmark files sit in ``../shared/benchdata`` beside the project (CI has
them too): these tests run there, they never skip.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import SHARED

import lean_chain
from lean_chain.cli import main
from lean_chain.convert import (
    holmberg_to_instance,
    orlib_cap_to_instance,
    read_holmberg,
    read_orlib_cap,
)

BENCH = SHARED / "benchdata"
ORLIB = BENCH / "orlib-cap"
HOLMBERG = BENCH / "holmberg-sscflp"

#: Every OR-Library cap instance with stated capacities (capa needs a capacity; not solved).
CAP_NAMES = [
    "cap41",
    "cap42",
    "cap43",
    "cap44",
    "cap51",
    "cap61",
    "cap62",
    "cap63",
    "cap64",
    "cap71",
    "cap72",
    "cap73",
    "cap74",
]
HOLMBERG_NAMES = [f"p{i}" for i in range(1, 25)]


def read_optima(path: Path) -> dict[str, tuple[float, int]]:
    """``name -> (published optimum, decimals printed)`` from an optima.txt file."""
    optima = {}
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        name, value = line.split()
        decimals = len(value.split(".")[1]) if "." in value else 0
        optima[name] = (float(value), decimals)
    return optima


def assert_optimum(objective: float, published: float, decimals: int) -> None:
    """Equal within 1e-6 relative, or within the rounding of the printed value."""
    assert objective == pytest.approx(published, rel=1e-6, abs=0.5 * 10.0**-decimals)


@pytest.fixture(scope="module")
def cap_optima() -> dict[str, tuple[float, int]]:
    return read_optima(ORLIB / "optima.txt")


@pytest.fixture(scope="module")
def holmberg_optima() -> dict[str, tuple[float, int]]:
    return read_optima(HOLMBERG / "optima.txt")


def test_every_benchmark_file_is_covered():
    """No instance is dropped silently: the lists above are exactly the files on disk."""
    on_disk = sorted(p.stem for p in ORLIB.glob("cap*.txt"))
    assert sorted([*CAP_NAMES, "capa"]) == on_disk
    assert sorted(HOLMBERG_NAMES) == sorted(p.name for p in HOLMBERG.glob("p*"))
    assert set(CAP_NAMES) <= set(read_optima(ORLIB / "optima.txt"))
    assert set(HOLMBERG_NAMES) == set(read_optima(HOLMBERG / "optima.txt"))


@pytest.mark.parametrize("name", CAP_NAMES)
def test_orlib_cap_reaches_published_optimum(name, cap_optima, tmp_path):
    out = orlib_cap_to_instance(ORLIB / f"{name}.txt", tmp_path / name)
    plan = lean_chain.solve(lean_chain.load_instance(out))
    assert plan.status == "optimal"
    assert_optimum(plan.objective, *cap_optima[name])


@pytest.mark.parametrize("name", HOLMBERG_NAMES)
def test_holmberg_reaches_published_optimum(name, holmberg_optima, tmp_path):
    out = holmberg_to_instance(HOLMBERG / name, tmp_path / name)
    instance = lean_chain.load_instance(out)
    assert instance.params["single_sourcing"] is True
    plan = lean_chain.solve(instance)
    assert plan.status == "optimal"
    assert_optimum(plan.objective, *holmberg_optima[name])
    shares = plan.decisions.share
    assert set(shares[shares > 0].round(9)) == {1.0}  # each customer from one warehouse


def test_capa_needs_a_capacity():
    with pytest.raises(ValueError, match=r"capa\.txt.*capacity"):
        read_orlib_cap(ORLIB / "capa.txt")
    problem = read_orlib_cap(ORLIB / "capa.txt", capacity=8000)
    assert problem.name == "capa_8000"
    assert (problem.n_facilities, problem.n_customers) == (100, 1000)
    assert set(problem.capacities) == {8000.0}


def test_holmberg_crlf_and_nul_padding_are_read():
    raw = (HOLMBERG / "p10").read_bytes()
    assert b"\r\n" in raw and raw.endswith(b"\x00")  # the file this test is about
    problem = read_holmberg(HOLMBERG / "p10")
    assert (problem.n_facilities, problem.n_customers) == (10, 50)
    assert problem.costs[-1][-1] == 673.0


# --- a small hand-worked instance --------------------------------------------------------

#: 2 warehouses (W1: capacity 6, fixed 100; W2: capacity 15, fixed 50), 3 customers with
#: demands 8, 6, 4; costs of serving the whole demand: C1 80 / 160, C2 60 / 30, C3 40 / 20.
SMALL_ORLIB = "2 3\n6 100\n15 50\n8\n80 160\n6\n60 30\n4\n40 20\n"
SMALL_HOLMBERG = "2 3\n6 100\n15 50\n8 6 4\n80 60 40\n160 30 20\n"
SMALL_SPLIT_OPTIMUM = 300.0
SMALL_SINGLE_OPTIMUM = 380.0


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_small_splittable_optimum_by_hand(tmp_path):
    """Per-unit costs (cost / demand): W1 10, 10, 10; W2 20, 5, 5.

    Total demand 18 exceeds either capacity (6, 15): both warehouses open, fixed 150.
    Every unit costs at least its cheapest per-unit cost, and W1 (the cheap one for C1)
    takes only 6 units: C1 >= 6 x 10 + 2 x 20 = 100, C2 >= 6 x 5 = 30, C3 >= 4 x 5 = 20.
    That bound is reached by 6 units of C1 at W1 and the rest at W2 (load 12 <= 15):
    150 + 100 + 30 + 20 = 300, with C1 split 0.75 / 0.25.
    """
    out = orlib_cap_to_instance(_write(tmp_path, "small.txt", SMALL_ORLIB), tmp_path / "inst")
    plan = lean_chain.solve(lean_chain.load_instance(out))
    assert plan.objective == pytest.approx(SMALL_SPLIT_OPTIMUM, rel=1e-9)
    flows = plan.tables["flows"]
    c1 = flows[flows["region_id"] == "C1"].set_index("route")["share"]
    assert c1["S>W1>C1"] == pytest.approx(0.75)
    assert c1["S>W2>C1"] == pytest.approx(0.25)


def test_small_single_source_optimum_by_hand(tmp_path):
    """Same data, Holmberg layout: each customer from one warehouse.

    Both open (150). C1 (8) does not fit in W1 (6): C1 at W2 (160), leaving 7 at W2 for
    C2 (6) + C3 (4) = 10, so one of them goes to W1 (only one fits there): C2 at W1 costs
    60 + 20 = 80, C3 at W1 costs 30 + 40 = 70. Optimum 150 + 160 + 70 = 380.
    """
    out = holmberg_to_instance(_write(tmp_path, "small", SMALL_HOLMBERG), tmp_path / "inst")
    plan = lean_chain.solve(lean_chain.load_instance(out))
    assert plan.objective == pytest.approx(SMALL_SINGLE_OPTIMUM, rel=1e-9)
    routes = set(plan.tables["flows"].query("share > 0")["route"])
    assert routes == {"S>W2>C1", "S>W2>C2", "S>W1>C3"}


def test_small_holmberg_with_crlf_and_nul_padding(tmp_path):
    text = SMALL_HOLMBERG.replace("\n", "\r\n").encode() + b"\x00" * 37
    problem = read_holmberg(_write(tmp_path, "padded", text))
    plain = read_holmberg(_write(tmp_path, "small", SMALL_HOLMBERG))
    assert replace(problem, name="small", source=plain.source) == plain
    assert problem.demands == [8.0, 6.0, 4.0]
    assert problem.costs == [[80.0, 60.0, 40.0], [160.0, 30.0, 20.0]]


@pytest.mark.parametrize(("capacity", "optimum"), [(20, 260.0), (10, 280.0)])
def test_small_capa_style_file_at_a_capacity(tmp_path, capacity, optimum):
    """Capacities written as the word 'capacity' (fixed costs 100, 50), as in capa.

    At 20 W2 alone holds all 18 units: 50 + 160 + 30 + 20 = 260 (W1 alone 280, both 280).
    At 10 neither holds 18: both open (150), C1 at W1 (80), C2 + C3 at W2 (50, load 10): 280.
    """
    text = SMALL_ORLIB.replace("6 100", "capacity 100").replace("15 50", "capacity 50")
    path = _write(tmp_path, "smalla.txt", text)
    with pytest.raises(ValueError, match="needs a capacity"):
        orlib_cap_to_instance(path, tmp_path / "none")
    out = orlib_cap_to_instance(path, tmp_path / "inst", capacity=capacity)
    instance = lean_chain.load_instance(out)
    assert instance.name == f"smalla_{capacity}"
    assert lean_chain.solve(instance).objective == pytest.approx(optimum, rel=1e-9)


def test_written_tables(tmp_path):
    out = orlib_cap_to_instance(_write(tmp_path, "small.txt", SMALL_ORLIB), tmp_path / "inst")
    assert sorted(p.name for p in out.iterdir()) == [
        "channels.csv",
        "demand.csv",
        "fx.csv",
        "lanes.csv",
        "nodes.csv",
        "parameters.yaml",
        "skus.csv",
        "tax_rules.csv",
    ]
    params = yaml.safe_load((out / "parameters.yaml").read_text())
    assert params["single_sourcing"] is False
    assert params["holding_rate_per_year"] == 0 and params["review_period_days"] == 0
    nodes = pd.read_csv(out / "nodes.csv").set_index("node_id")
    assert nodes.loc["W1", ["kind", "throughput_capacity_units", "fixed_cost"]].tolist() == [
        "domestic_dc",
        6.0,
        100.0,
    ]
    assert (nodes.loc[["C1", "C2", "C3"], "kind"] == "region").all()
    lanes = pd.read_csv(out / "lanes.csv").set_index("lane_id")
    assert lanes.loc["W2-C1", "cost_per_unit"] == 20.0  # 160 for the whole demand of 8
    assert lanes.loc["S-W1", "cost_per_unit"] == 0.0
    demand = pd.read_csv(out / "demand.csv")
    assert demand["units"].tolist() == [8.0, 6.0, 4.0]


def test_zero_demand_customers_are_left_out(tmp_path):
    text = "1 2\n10 5\n4\n8\n0\n0\n"
    out = orlib_cap_to_instance(_write(tmp_path, "zero.txt", text), tmp_path / "inst")
    instance = lean_chain.load_instance(out)
    assert instance.demand["region_id"].tolist() == ["C1"]
    assert "zero demand left out" in instance.params["description"]
    assert lean_chain.solve(instance).objective == pytest.approx(13.0)


# --- malformed input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "text", "message"),
    [
        (
            read_orlib_cap,
            "2 3\n6 100\n15 50\n8\n80 160\n6\n60 30\n4\n40\n",
            "expected exactly 15 numbers",
        ),
        (read_orlib_cap, SMALL_ORLIB + "7\n", "expected exactly 15 numbers"),
        (read_orlib_cap, SMALL_ORLIB.replace("60 30", "60 x30"), r"number 12 .*'x30'"),
        (read_orlib_cap, SMALL_ORLIB.replace("2 3", "2.5 3"), "whole number"),
        (read_orlib_cap, SMALL_ORLIB.replace("2 3", "0 3"), "whole number"),
        (
            read_orlib_cap,
            SMALL_ORLIB.replace("40 20", "40 -20"),
            "cost of facility 2 for customer 3",
        ),
        (
            read_orlib_cap,
            SMALL_ORLIB.replace("6 100", "capacity 100"),
            "some capacities are the word",
        ),
        (read_orlib_cap, "", r"starting with 'm n'"),
        (
            read_holmberg,
            SMALL_HOLMBERG.replace("160 30 20", "160 30"),
            "expected exactly 15 numbers",
        ),
        (read_holmberg, SMALL_HOLMBERG.replace("8 6 4", "8 -6 4"), "demand 2"),
        (read_holmberg, "2 3\n6 100\n15 50\n8 6\x00 4\n80 60 40\n160 30 20\n", "NUL"),
    ],
)
def test_malformed_file_names_file_and_expectation(tmp_path, reader, text, message):
    path = _write(tmp_path, "bad.txt", text)
    with pytest.raises(ValueError, match=message) as info:
        reader(path)
    assert "bad.txt" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_holmberg(tmp_path / "nowhere")


def test_capacity_refused_for_file_with_capacities(tmp_path):
    with pytest.raises(ValueError, match="states its capacities"):
        read_orlib_cap(_write(tmp_path, "small.txt", SMALL_ORLIB), capacity=10)


def test_refuses_non_empty_out_dir_unless_overwrite(tmp_path):
    path = _write(tmp_path, "small.txt", SMALL_ORLIB)
    out = tmp_path / "inst"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        orlib_cap_to_instance(path, out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    orlib_cap_to_instance(path, out, overwrite=True)
    assert (out / "nodes.csv").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    orlib_cap_to_instance(path, empty)  # an existing empty folder is fine
    with pytest.raises(FileExistsError, match="not a folder"):
        orlib_cap_to_instance(path, path)


# --- command line ------------------------------------------------------------------------------


def test_cli_convert_then_solve(tmp_path, capsys):
    path = _write(tmp_path, "small", SMALL_HOLMBERG)
    assert main(["convert", "holmberg", str(path), "--out", str(tmp_path / "inst")]) == 0
    assert '"warehouses": 2' in capsys.readouterr().out
    code = main(["solve", str(tmp_path / "inst"), "--out", str(tmp_path / "run"), "--quiet"])
    assert code == 0
    assert '"objective": 380.0' in capsys.readouterr().out


def test_cli_convert_capacity(tmp_path, capsys):
    text = SMALL_ORLIB.replace("6 100", "capacity 100").replace("15 50", "capacity 50")
    path = _write(tmp_path, "smalla.txt", text)
    out = tmp_path / "inst"
    assert main(["convert", "orlib-cap", str(path), "--out", str(out)]) == 2
    assert "needs a capacity" in capsys.readouterr().err
    assert not out.exists()
    assert main(["convert", "orlib-cap", str(path), "--capacity", "20", "--out", str(out)]) == 0
    assert main(["convert", "orlib-cap", str(path), "--capacity", "20", "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    args = ["convert", "orlib-cap", str(path), "--capacity", "20", "--out", str(out)]
    assert main([*args, "--overwrite"]) == 0


def test_cli_convert_bad_file(tmp_path, capsys):
    path = _write(tmp_path, "bad", "2 3\n1 2\n")
    assert main(["convert", "holmberg", str(path), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "bad input" in err and "expected exactly 15 numbers" in err
    assert main(["convert", "holmberg", str(tmp_path / "nowhere"), "--out", "x"]) == 2
