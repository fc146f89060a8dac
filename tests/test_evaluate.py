"""The evaluation tool: loading cases, the figures, thresholds, and the labelled sets."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from playbook import ids
from playbook.evaluate import CasesError, evaluate, load_cases

DATA = Path(__file__).parent / "data" / "triage"

CASES = [
    {"id": "t1", "lang": "en", "text": "it does not work", "category": "product",
     "reason": "defective", "flags": []},
    {"id": "t2", "lang": "en", "text": "never arrived", "category": "logistics",
     "reason": "not_received", "flags": []},
    {"id": "t3", "lang": "en", "text": "I will not pay customs", "category": "buyer",
     "reason": "duties_or_pickup", "flags": []},
    {"id": "t4", "lang": "en", "text": "refund or I leave 1 star, it is broken",
     "category": "product", "reason": "defective", "flags": ["review_threat"]},
]  # fmt: skip


def write(path: Path, cases) -> Path:
    path.write_text("\n".join(json.dumps(c) for c in cases), encoding="utf-8")
    return path


def test_perfect_small_set_scores_one(tmp_path: Path):
    report = evaluate(load_cases(write(tmp_path / "c.jsonl", CASES)))
    assert report.category_accuracy == 1.0
    assert report.flag_scores.loc["review_threat", "f1"] == 1.0
    assert report.confusion.loc["defective", "defective"] == 2
    assert not report.misses


def test_a_wrong_label_lowers_the_figures_and_is_listed(tmp_path: Path):
    wrong = [*CASES[:3], {**CASES[3], "reason": "wrong_item", "flags": []}]
    report = evaluate(load_cases(write(tmp_path / "c.jsonl", wrong)))
    assert report.reason_accuracy == 0.75
    assert report.flag_scores.loc["review_threat", "precision"] == 0.0
    assert [m["id"] for m in report.misses] == ["t4"]


def test_bad_lines_are_all_named(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "a", "text": "x", "category": "product", "reason": "lost", "flags": []}\n'
        "not json\n"
        '{"id": "b", "text": "x", "category": "buyer", "reason": "defective", "flags": ["rude"]}\n',
        encoding="utf-8",
    )
    with pytest.raises(CasesError) as caught:
        load_cases(path)
    message = str(caught.value)
    assert "line 1 (a): unknown reason 'lost'" in message
    assert "line 2: not JSON" in message
    assert "line 3 (b): reason defective is not in category buyer" in message
    assert "unknown flags ['rude']" in message


def run_eval(path: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "playbook.cli", "eval", str(path), *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def test_cli_eval_thresholds_set_the_exit_code(tmp_path: Path):
    path = write(tmp_path / "c.jsonl", CASES)
    ok = run_eval(path, "--min-category", "0.9")
    assert ok.returncode == 0, ok.stderr
    assert "category accuracy: 1.000" in ok.stdout and "confusion" in ok.stdout
    wrong = [*CASES[:3], {**CASES[3], "reason": "changed_mind", "category": "buyer"}]
    path = write(tmp_path / "w.jsonl", wrong)
    bad = run_eval(path, "--min-category", "0.9")
    assert bad.returncode == 1
    assert "below threshold: category_accuracy 0.750 < 0.9" in bad.stderr


@pytest.mark.parametrize(
    "name", ["dev.jsonl", "dev2.jsonl", "dev3.jsonl", "heldout.jsonl", "heldout2.jsonl"]
)
def test_labelled_sets_are_valid_and_cover_the_taxonomy(name: str):
    cases = load_cases(DATA / name)
    assert len({c["id"] for c in cases}) == len(cases)
    langs = Counter(c["lang"] for c in cases)
    assert set(langs) == {"en", "es", "ru", "pt", "fr", "de", "zh"}
    assert set(Counter(c["reason"] for c in cases)) == set(ids.REASON_IDS)
    assert {f for c in cases for f in c["flags"]} == set(ids.FLAG_IDS)


def test_dev_set_is_big_enough():
    assert len(load_cases(DATA / "dev.jsonl")) >= 200
