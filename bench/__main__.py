"""Run every benchmark in this folder: ``python -m bench`` (or ``make bench``).

``python -m bench nn_scalar`` runs only the named ones.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    chosen = argv or names
    for name in chosen:
        if name not in names:
            raise SystemExit(f"no benchmark named {name!r}; there are: {', '.join(names)}")
        print(f"\n=== bench/{name}.py ===", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
