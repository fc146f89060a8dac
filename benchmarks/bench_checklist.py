"""The shipping SOP engine on a large store: the day's to-do list for many orders."""

from __future__ import annotations

import time

from playbook import checklist, sample
from playbook.orders import normalise_orders


def run(n: int = 1_000_000) -> dict[str, str]:
    orders = sample.orders(n, seed=1)
    raw = orders.astype({c: "object" for c in orders.select_dtypes("datetimetz").columns})
    start = time.perf_counter()
    normalise_orders(raw)
    normalise = time.perf_counter() - start

    start = time.perf_counter()
    todo = checklist.todo(orders, sample.REFERENCE_DAY)
    elapsed = time.perf_counter() - start
    return {
        f"normalise_orders({n:,} orders, datetimes as objects)": f"{normalise:.2f} s",
        f"checklist.todo({n:,} orders → {len(todo):,} to-dos)": (
            f"{elapsed:.2f} s ({n / elapsed:,.0f} orders/s)"
        ),
    }


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure}")
