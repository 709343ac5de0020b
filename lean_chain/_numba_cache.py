"""Keep numba's compiled-kernel cache in a per-user folder, never inside the package.

With ``cache=True`` numba writes ``__pycache__/*.nbi`` and ``*.nbc`` next to the
source when that folder is writable, i.e. into ``site-packages/lean_chain`` for a
regular install. pip does not record those files, so uninstalling leaves a
``lean_chain/`` folder behind that shadows a later editable install as an empty
namespace package (issue 15).

numba reads ``NUMBA_CACHE_DIR`` when its config is loaded, and the cache location
of a function is fixed when it is decorated, so ``lean_chain/__init__.py`` imports
this module before anything imports numba.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from platformdirs import user_cache_dir


def kernel_cache_dir() -> Path:
    """The folder for compiled kernels.

    A user-set ``NUMBA_CACHE_DIR`` wins (it applies to every numba user in the
    process); otherwise ``$LEAN_CHAIN_CACHE_DIR/numba``, otherwise ``numba`` in
    the per-user cache folder (``~/.cache/lean_chain/numba`` on Linux).
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    root = os.environ.get("LEAN_CHAIN_CACHE_DIR") or user_cache_dir("lean_chain")
    return Path(root) / "numba"


def configure() -> None:
    """Point numba's cache at :func:`kernel_cache_dir` unless the user already did."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    os.environ["NUMBA_CACHE_DIR"] = str(kernel_cache_dir())
    config = sys.modules.get("numba.core.config")
    if config is not None:
        # numba was imported first: re-read the environment now, as numba's own
        # compiler does before each compile, so kernels decorated later see it.
        config.reload_config()


configure()
