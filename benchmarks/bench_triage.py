"""Triage speed on one core (batch) and quality on the labelled sets in tests/data/triage."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from playbook.evaluate import evaluate, load_cases
from playbook.triage import assess_many

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "triage"


def run(n: int = 20_000) -> dict[str, str]:
    figures = {}
    cases = [c for name in ("dev.jsonl", "heldout2.jsonl") if (DATA / name).exists()
             for c in load_cases(DATA / name)]  # fmt: skip
    texts = [c["text"] for c in cases] or ["it does not work"]
    frame = pd.DataFrame({"text": (texts * (n // len(texts) + 1))[:n]})
    assess_many(frame.head(50), progress=False)  # compile the signals outside the timing
    start = time.perf_counter()
    assess_many(frame, progress=False)
    elapsed = time.perf_counter() - start
    figures[f"triage.assess_many({n:,} messages, one core)"] = f"{n / elapsed:,.0f} messages/s"
    tuned = ("dev.jsonl", "dev2.jsonl", "dev3.jsonl", "heldout.jsonl", "heldout2.jsonl")
    for name in (*tuned, "heldout3.jsonl"):
        if (DATA / name).exists():
            f = evaluate(load_cases(DATA / name)).figures()
            kind = "tuned on" if name in tuned else "held out"
            figures[f"triage quality, {kind}: {name} ({f['cases']} cases)"] = (
                f"category accuracy {f['category_accuracy']:.3f}, "
                f"reason macro-F1 {f['reason_macro_f1']:.3f}, "
                f"flag micro-F1 {f['flag_micro_f1']:.3f}"
            )
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure}")
