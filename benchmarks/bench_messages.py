"""Rendering speed of the buyer-message library (issue: 10,000 messages well under a second)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from playbook.content import load_content
from playbook.messages import check_policy, render

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "policy" / "dev.jsonl"


def run(n: int = 10_000) -> dict[str, str]:
    content = load_content()
    langs = list(content.locales.languages)
    jobs = [(t.id, t.example_values) for _, t in sorted(content.templates.items())]
    for template_id, values in jobs:  # compile every body outside the timing
        for lang in langs:
            render(template_id, lang, content=content, **values)
    batch = [(*jobs[i % len(jobs)], langs[i % len(langs)]) for i in range(n)]
    start = time.perf_counter()
    for template_id, values, lang in batch:
        render(template_id, lang, content=content, **values)
    elapsed = time.perf_counter() - start
    figures = {
        f"messages.render({n:,} messages, {len(jobs)} templates × {len(langs)} languages)": (
            f"{elapsed:.2f} s ({n / elapsed:,.0f} messages/s)"
        )
    }
    texts = [json.loads(line)["text"] for line in DEV.read_text("utf-8").splitlines() if line]
    check_policy(texts[0])  # load and compile the lexicons outside the timing
    start = time.perf_counter()
    for text in texts * 5:
        check_policy(text)
    elapsed = time.perf_counter() - start
    figures[f"messages.check_policy({len(texts) * 5:,} seller messages, language detected)"] = (
        f"{len(texts) * 5 / elapsed:,.0f} messages/s"
    )
    return figures


if __name__ == "__main__":
    for name, figure in run().items():
        print(f"{name}: {figure}")
