"""How long `import playbook` takes in a fresh interpreter (best of several runs)."""

from __future__ import annotations

import subprocess
import sys


def run(repeat: int = 7) -> dict[str, str]:
    code = "import time; t = time.perf_counter(); import playbook; print(time.perf_counter() - t)"
    times = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(repeat)
    ]  # fmt: skip
    return {"import playbook (best of 7)": f"{min(times) * 1000:.1f} ms"}


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure}")
