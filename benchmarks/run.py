"""`make bench`: every speed figure the issues ask for, printed one per line.

Each benchmarks/bench_*.py module has `run() -> dict[str, str]` (figure name → text).
Figures are wall-clock on this machine; run on an otherwise idle machine.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(HERE))
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        for name, figure in module.run().items():
            print(f"{name}: {figure}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
