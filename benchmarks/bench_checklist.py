"""Reading a large export and making the day's to-do list for it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from playbook import checklist, sample
from playbook.orders import read_orders


def run(n_todo: int = 1_000_000, n_csv: int = 200_000) -> dict[str, str]:
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        sample.orders(n_csv, seed=2).to_csv(path, index=False)
        start = time.perf_counter()
        read_orders(path)
        elapsed = time.perf_counter() - start
        figures[f"read_orders(CSV of {n_csv:,} orders)"] = (
            f"{elapsed:.2f} s ({n_csv / elapsed:,.0f} orders/s)"
        )

    orders = sample.orders(n_todo, seed=1)
    start = time.perf_counter()
    todo = checklist.todo(orders, sample.REFERENCE_DAY)
    elapsed = time.perf_counter() - start
    figures[f"checklist.todo({n_todo:,} orders → {len(todo):,} to-dos)"] = (
        f"{elapsed:.2f} s ({n_todo / elapsed:,.0f} orders/s)"
    )
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure}")
