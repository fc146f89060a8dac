"""Measure what a learned blame model would add to the rule-based check (research, not product).

Why: on three sealed sets the rules kept precision at 1.0 but caught only about half of the
blame (0.48-0.55 recall), because each new writer finds wordings the cue lists lack. This
probe trains a character and word n-gram logistic regression on every labelled policy set
except the one named, and reports precision and recall of the rules, the model, and either,
at several thresholds, on the named set. The threshold the product would use must come from
``--cv`` (grouped by set, on the training sets only), not from the held-out numbers.

    pip install -e '.[research]'
    python tools/blame_model_probe.py tests/data/policy/heldout9.jsonl [--cv]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline, make_union

from playbook.phrases import normalise
from playbook.policy import check_policy

RULE = "blames_buyer"
THRESHOLDS = (0.4, 0.5, 0.6, 0.7, 0.8)


def _cases(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _model():
    features = make_union(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
    )
    return make_pipeline(features, LogisticRegression(C=4, max_iter=3000, class_weight="balanced"))


def _score(predicted: np.ndarray, truth: np.ndarray) -> str:
    tp = int((predicted & truth).sum())
    precision = tp / max(int(predicted.sum()), 1)
    return f"P {precision:.3f} R {tp / max(int(truth.sum()), 1):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("held_out", type=Path, help="the set to measure on (left out of training)")
    parser.add_argument("--cv", action="store_true", help="also 5-fold CV grouped by set")
    args = parser.parse_args()
    folder = args.held_out.parent
    train = [
        (path.name, case)
        for path in sorted(folder.glob("*.jsonl"))
        if path.resolve() != args.held_out.resolve()
        for case in _cases(path)
    ]
    test = _cases(args.held_out)
    x = [normalise(c["text"]) for _, c in train]
    y = np.array([RULE in c["rules"] for _, c in train])
    truth = np.array([RULE in c["rules"] for c in test])
    if args.cv:
        groups = [name for name, _ in train]
        cv = cross_val_predict(
            _model(), x, y, groups=groups, cv=GroupKFold(5), method="predict_proba"
        )
        for t in THRESHOLDS:
            print(f"cv, model alone, threshold {t}: {_score(cv[:, 1] >= t, y)}")
    probability = _model().fit(x, y).predict_proba([normalise(c["text"]) for c in test])[:, 1]
    found = [{f.rule for f in check_policy(c["text"], c["lang"])} for c in test]
    rules = np.array([RULE in rules for rules in found])
    print(f"{args.held_out.name}: {len(test)} cases, {int(truth.sum())} blame")
    print(f"rules alone: {_score(rules, truth)}")
    for t in THRESHOLDS:
        model = probability >= t
        either = _score(model | rules, truth)
        print(f"threshold {t}: model {_score(model, truth)} | rules or model {either}")


if __name__ == "__main__":
    main()
