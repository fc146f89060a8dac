"""Time the synthetic order generator: notebooks, tests and the other benchmarks build on it.

``python benchmarks/bench_sample.py`` prints the figure; a runner can import ``run()``.
"""

from __future__ import annotations

import time

from playbook import sample

N = 1_000_000


def run(n: int = N, repeat: int = 3) -> dict[str, str]:
    """Best wall time of ``repeat`` calls of ``sample.orders(n)``, content already loaded."""
    sample.orders(10)  # load and validate the content once, outside the timing
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        frame = sample.orders(n)
        times.append(time.perf_counter() - start)
        del frame
    best = min(times)
    return {f"sample.orders({n:,}), best of {repeat}": f"{best:.2f} s ({n / best:,.0f} orders/s)"}


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure}")
