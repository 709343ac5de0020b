"""Generate the bundled instances ``cn_import`` and ``global_export``.

Usage::

    python instances/generate.py [--out instances] [--seed N]

Each instance is a preset of the size-parameterised generator
(:data:`lean_chain.generate.PRESETS`): :func:`lean_chain.generate.preset_tables` with
the preset's sizes, seed, node limits and sales platforms (``--seed`` draws both with
another seed). The output is a pure function of the seeds; ``instances/README.md`` describes both instances and their assumptions,
which live as named constants in ``lean_chain/generate.py`` and
``lean_chain/_catalog.py``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from lean_chain.generate import PRESETS, preset_tables, write_tables


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parent),
        help="folder to write the instance folders into (default: the folder of this script)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="random seed (default: each preset's own)"
    )
    args = parser.parse_args(argv)
    for name in PRESETS:
        tables, params = preset_tables(name, args.seed)
        folder = write_tables(Path(args.out) / name, tables, params, overwrite=True)
        print(f"{folder}: " + ", ".join(f"{k} {len(v)}" for k, v in tables.items()))


if __name__ == "__main__":
    main()
