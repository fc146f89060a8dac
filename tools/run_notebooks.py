"""Re-execute notebooks in place so their stored outputs are the reference nbval checks.

Run through `make notebooks` after editing a notebook or anything it displays. Uses the
default parameters (English) and strips volatile metadata so the diff shows only content.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def run(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    nb.metadata.pop("widgets", None)  # widget state is per run; nbval ignores it
    nbformat.write(nb, path)
    print(f"ran {path}")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        run(Path(name))
