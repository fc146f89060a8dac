"""Measure triage against labelled cases (the contract's JSON Lines format).

Prints what a reviewer needs to trust the classifier: category accuracy, reason macro-F1,
per-flag precision/recall/F1, a confusion matrix, per-language accuracy, and the misses.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import ids
from .content import Content, load_content
from .errors import PlaybookError
from .triage import ORDER_KEYS, assess


class CasesError(PlaybookError):
    """A labelled-cases file has lines that are not valid cases (each line named)."""


def _read_objects(path: Path) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """(line number, object) for each JSON Lines line, and the lines that are not objects."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CasesError(f"{path}: cannot read ({exc})") from None
    objects, problems = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(case, dict):
            problems.append(f"line {number}: expected an object")
            continue
        objects.append((number, case))
    return objects, problems


def _finish(path: Path, cases: list[dict[str, Any]], problems: list[str]) -> list[dict[str, Any]]:
    if problems:
        raise CasesError(f"{path}: {len(problems)} bad line(s):\n  - " + "\n  - ".join(problems))
    if not cases:
        raise CasesError(f"{path}: no cases")
    return cases


def is_policy_cases(path: str | Path) -> bool:
    """Whether a labelled file holds seller messages × policy rules (a ``rules`` key)."""
    objects, _ = _read_objects(Path(path))
    return bool(objects) and "rules" in objects[0][1]


def load_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a labelled JSON Lines file; every bad line is reported at once."""
    path = Path(path)
    objects, problems = _read_objects(path)
    cases = []
    for number, case in objects:
        missing = [k for k in ("id", "text", "category", "reason", "flags") if k not in case]
        if missing:
            problems.append(f"line {number}: missing {missing}")
            continue
        if case["reason"] not in ids.REASON_CATEGORY:
            problems.append(f"line {number} ({case['id']}): unknown reason {case['reason']!r}")
        elif ids.REASON_CATEGORY[case["reason"]] != case["category"]:
            problems.append(
                f"line {number} ({case['id']}): reason {case['reason']} is not in category "
                f"{case['category']}"
            )
        bad_flags = [f for f in case["flags"] if f not in ids.FLAG_IDS]
        if bad_flags:
            problems.append(f"line {number} ({case['id']}): unknown flags {bad_flags}")
        cases.append(case)
    return _finish(path, cases, problems)


def load_policy_cases(path: str | Path) -> list[dict[str, Any]]:
    """Read and check labelled seller messages: ``{"id", "lang", "text", "rules": [...]}``."""
    path = Path(path)
    objects, problems = _read_objects(path)
    cases = []
    for number, case in objects:
        missing = [k for k in ("id", "text", "rules") if k not in case]
        if missing:
            problems.append(f"line {number}: missing {missing}")
            continue
        unknown = [r for r in case["rules"] if r not in ids.POLICY_RULE_IDS]
        if unknown:
            problems.append(f"line {number} ({case['id']}): unknown rules {unknown}")
        cases.append(case)
    return _finish(path, cases, problems)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass
class EvalReport:
    n: int
    category_accuracy: float
    reason_accuracy: float
    reason_macro_f1: float
    reason_scores: pd.DataFrame
    flag_scores: pd.DataFrame
    flag_micro_f1: float
    confusion: pd.DataFrame
    by_language: pd.DataFrame
    misses: list[dict[str, Any]] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {
            "cases": self.n,
            "category_accuracy": round(self.category_accuracy, 4),
            "reason_accuracy": round(self.reason_accuracy, 4),
            "reason_macro_f1": round(self.reason_macro_f1, 4),
            "flag_micro_f1": round(self.flag_micro_f1, 4),
        }


def evaluate(cases: list[dict[str, Any]], content: Content | None = None) -> EvalReport:
    """Assess every case and compare with its labels."""
    content = content or load_content()
    truth_reason, pred_reason, rows, misses = [], [], [], []
    flag_counts = {f: Counter() for f in ids.FLAG_IDS}
    for case in cases:
        order = {k: case[k] for k in ORDER_KEYS if k in case} or None
        got = assess(case["text"], order, lang=case.get("lang"), content=content)
        truth_reason.append(case["reason"])
        pred_reason.append(got.reason)
        flags_true, flags_pred = set(case["flags"]), set(got.flags)
        for flag in ids.FLAG_IDS:
            key = (
                ("tp" if flag in flags_pred else "fn")
                if flag in flags_true
                else ("fp" if flag in flags_pred else "tn")
            )
            flag_counts[flag][key] += 1
        right = got.category == case["category"]
        rows.append({"lang": case.get("lang", "?"), "category_ok": right,
                     "reason_ok": got.reason == case["reason"]})  # fmt: skip
        if got.reason != case["reason"] or flags_true != flags_pred:
            misses.append(
                {
                    "id": case["id"],
                    "text": case["text"],
                    "expected": f"{case['reason']} {sorted(flags_true)}",
                    "got": f"{got.reason} {sorted(flags_pred)}",
                    "signals": {label: got.signals_for(label) for label in got._labels()},
                }
            )
    reason_rows = []
    for reason in ids.REASON_IDS:
        tp = sum(t == p == reason for t, p in zip(truth_reason, pred_reason, strict=True))
        fp = sum(
            p == reason and t != reason for t, p in zip(truth_reason, pred_reason, strict=True)
        )
        fn = sum(
            t == reason and p != reason for t, p in zip(truth_reason, pred_reason, strict=True)
        )
        precision, recall, f1 = _prf(tp, fp, fn)
        reason_rows.append({"reason": reason, "precision": precision, "recall": recall,
                            "f1": f1, "support": tp + fn})  # fmt: skip
    reason_scores = pd.DataFrame(reason_rows).set_index("reason")
    flag_rows = []
    for flag, c in flag_counts.items():
        precision, recall, f1 = _prf(c["tp"], c["fp"], c["fn"])
        flag_rows.append({"flag": flag, "precision": precision, "recall": recall, "f1": f1,
                          "support": c["tp"] + c["fn"]})  # fmt: skip
    flag_scores = pd.DataFrame(flag_rows).set_index("flag")
    total = Counter()
    for c in flag_counts.values():
        total.update(c)
    confusion = pd.crosstab(
        pd.Categorical(truth_reason, categories=ids.REASON_IDS, ordered=True),
        pd.Categorical(pred_reason, categories=ids.REASON_IDS, ordered=True),
        rownames=["expected"],
        colnames=["predicted"],
        dropna=False,
    )
    frame = pd.DataFrame(rows)
    by_language = frame.groupby("lang")[["category_ok", "reason_ok"]].mean()
    by_language["cases"] = frame.groupby("lang").size()
    supported = reason_scores[reason_scores["support"] > 0]
    return EvalReport(
        n=len(cases),
        category_accuracy=float(frame["category_ok"].mean()),
        reason_accuracy=float(frame["reason_ok"].mean()),
        reason_macro_f1=float(supported["f1"].mean()) if len(supported) else 0.0,
        reason_scores=reason_scores,
        flag_scores=flag_scores,
        flag_micro_f1=_prf(total["tp"], total["fp"], total["fn"])[2],
        confusion=confusion,
        by_language=by_language.rename(
            columns={"category_ok": "category_acc", "reason_ok": "reason_acc"}
        ),
        misses=misses,
    )


def format_report(report: EvalReport, *, misses: int = 0) -> str:
    """The report as text for a terminal."""
    short = {r: r[:8] for r in ids.REASON_IDS}
    with pd.option_context("display.width", 200, "display.precision", 3):
        parts = [
            f"cases: {report.n}",
            f"category accuracy: {report.category_accuracy:.3f}",
            f"reason accuracy:   {report.reason_accuracy:.3f}",
            f"reason macro-F1:   {report.reason_macro_f1:.3f}",
            f"flag micro-F1:     {report.flag_micro_f1:.3f}",
            "",
            "per reason:",
            report.reason_scores.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "per flag:",
            report.flag_scores.to_string(float_format=lambda v: f"{v:.3f}"),
            "",
            "confusion (rows expected, columns predicted):",
            report.confusion.rename(index=short, columns=short).to_string(),
            "",
            "per language:",
            report.by_language.to_string(float_format=lambda v: f"{v:.3f}"),
        ]
    for miss in report.misses[:misses]:
        parts += ["", f"{miss['id']}: expected {miss['expected']}, got {miss['got']}",
                  f"  {miss['text'][:160]}", f"  signals: {miss['signals']}"]  # fmt: skip
    return "\n".join(parts)
