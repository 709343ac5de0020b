"""The newcomer's sequence in a fresh virtual environment (issue 15).

``pip install .``, a solve, then ``pip install -e ".[test]"`` and the console
script again. A solve used to compile the numba kernels into
``site-packages/lean_chain/costs/__pycache__``; pip does not record those files,
so the editable install left ``site-packages/lean_chain/`` behind and the console
script imported that empty namespace package instead of the project.

The project is copied to a temporary folder first, so that the build artifacts
(``build/``, ``*.egg-info``) land there and not in the working tree. To keep the
test to about a minute the heavy dependencies are not downloaded again: a
``.pth`` file puts the running interpreter's site-packages on the new
environment's path (unlike ``--system-site-packages``, this works when the tests
themselves run in a virtual environment). lean_chain itself is installed into the
new environment, non-editable and then editable.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY = ROOT / "tests" / "data" / "tiny"
# not part of the source a newcomer clones, or written by builds, runs and tools
NOT_SOURCE = (
    ".git",
    ".venv",
    "venv",
    "runs",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
)
TIMEOUT_S = 300

pytestmark = pytest.mark.slow


def run(command: list[str | Path], env: dict[str, str], cwd: Path) -> str:
    """Run ``command``; fail the test with its output if it exits non-zero."""
    done = subprocess.run(
        [str(part) for part in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, (
        f"{' '.join(map(str, command))} exited {done.returncode}\n"
        f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
    return done.stdout


def kernel_cache_files(folder: Path) -> list[Path]:
    return sorted(p for pattern in ("*.nbi", "*.nbc") for p in folder.rglob(pattern))


def outer_site_packages() -> list[Path]:
    """Where the running interpreter's dependencies are installed."""
    folders = [Path(p) for p in site.getsitepackages()]
    for folder in folders:
        stray = folder / "lean_chain"
        if (stray / "__init__.py").exists():
            pytest.skip(
                f"lean_chain is installed non-editable in {folder}: it would shadow the test's"
            )
        assert not stray.exists(), (
            f"{stray} is left over without __init__.py: the environment running the tests "
            "shows the bug of issue 15 itself"
        )
    return folders


def test_install_solve_then_editable_install(tmp_path):
    source = tmp_path / "lean_chain_clone"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    venv = tmp_path / "venv"
    cache = tmp_path / "cache"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "NUMBA_CACHE_DIR")
    }
    env |= {
        "LEAN_CHAIN_CACHE_DIR": str(cache),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
    }

    run([sys.executable, "-m", "venv", venv], env, tmp_path)
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    python = scripts / "python"
    site_packages = Path(
        run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            env,
            tmp_path,
        ).strip()
    )
    (site_packages / "outer_dependencies.pth").write_text(
        "".join(f"{folder}\n" for folder in outer_site_packages())
    )
    pip = [python, "-m", "pip", "install", "--quiet"]
    lean_chain = scripts / "lean-chain"

    # README, first command: install, then solve
    run([*pip, source], env, tmp_path)
    installed = site_packages / "lean_chain"
    assert (installed / "__init__.py").exists()
    run([lean_chain, "solve", TINY, "--out", tmp_path / "run", "--quiet"], env, tmp_path)
    assert (tmp_path / "run" / "summary.json").exists()
    cached_in_package = kernel_cache_files(installed)

    # README, second command: the editable install replaces the regular one
    run([*pip, "-e", f"{source}[test]"], env, tmp_path)
    assert "highs" in run([lean_chain, "solvers"], env, tmp_path)
    run([lean_chain, "solve", TINY, "--out", tmp_path / "run_editable", "--quiet"], env, tmp_path)
    assert (tmp_path / "run_editable" / "summary.json").exists()
    where = run([python, "-c", "import lean_chain; print(lean_chain.__file__)"], env, tmp_path)
    assert Path(where.strip()) == source / "lean_chain" / "__init__.py"

    # the cause: nothing outside pip's record of the regular install, kernels in the user cache
    assert not installed.exists(), f"pip left {installed} behind"
    assert not cached_in_package, f"kernels were cached inside the package: {cached_in_package}"
    assert kernel_cache_files(cache), "no kernel was cached in the user cache folder"
    assert not kernel_cache_files(source / "lean_chain"), "kernels were cached in the source tree"
