"""Train the learned second opinion of ``blames_buyer`` and write its weights file.

Why: the cue lists keep precision at 1.0 but catch about half of the blame a new writer
comes up with. A logistic regression over the character and word n-grams of
:func:`playbook.blame_model.ngrams` (tf-idf, l2-normalised) is trained on every labelled
policy set and written as plain JSON, which the playbook reads without scikit-learn.

    pip install -e '.[research]'
    make blame-model            # what the shipped file was made with (see the Makefile)
    python tools/train_blame_model.py --cv --dry-run        # grouped CV figures only

``--cv`` cross-validates grouped by writer (each set had one writer, each blame corpus one
per language), so the figures say how the model does on a writer it never saw. "The check"
is what ships: the phrases, then the model where no phrase fired and no kind wording stands.
Its recall is optimistic on sets the phrases were tuned on.

The threshold: ``--calibrate-on`` names general sets (written to the labelling guide, with
its mix of rules and clean messages) that the phrase lists were never tuned on, and finds
the threshold with the best F1 of the check on them in the grouped CV; it is written unless
``--threshold`` overrides it (the Makefile says why when it does). The blame corpora are
not used for that: they are half hard look-alikes on purpose, unlike real chat.
``--hold-out`` leaves a set out of training, for one sealed measurement with
``playbook eval``.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import hashlib
import json
from pathlib import Path

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from playbook.blame_model import FORMAT, MODEL_FILE, model_from_document, ngrams
from playbook.evaluate import load_policy_cases
from playbook.phrases import normalise
from playbook.policy import POLICY_DIR, check_policy, load_policy

RULE = "blames_buyer"
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "policy"
C = 4.0  # inverse regularisation strength, chosen by grouped CV in an earlier stop
MIN_DF = 2  # an n-gram must occur in two messages to be kept
THRESHOLDS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


def _fit(texts: list[str], labels: np.ndarray) -> tuple[TfidfVectorizer, LogisticRegression]:
    vectoriser = TfidfVectorizer(analyzer=ngrams, sublinear_tf=True, min_df=MIN_DF)
    matrix = vectoriser.fit_transform(texts)
    model = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    return vectoriser, model.fit(matrix, labels)


def _score(predicted: np.ndarray, truth: np.ndarray) -> str:
    tp = int((predicted & truth).sum())
    precision, recall = tp / max(int(predicted.sum()), 1), tp / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f"P {precision:.3f} R {recall:.3f} F1 {f1:.3f}"


def _document(vectoriser: TfidfVectorizer, model: LogisticRegression, threshold: float) -> dict:
    coefficients = model.coef_[0]
    return {
        "format": FORMAT,
        "threshold": threshold,
        "intercept": round(float(model.intercept_[0]), 6),
        "ngrams": {
            gram: [round(float(vectoriser.idf_[i]), 5), round(float(coefficients[i]), 5)]
            for gram, i in sorted(vectoriser.vocabulary_.items())
        },
    }


def _cross_validate(
    texts: list[str], labels: np.ndarray, cases: list[dict], groups: list[str], sets: list[str]
) -> dict[float, float]:
    """Print, per threshold, the model alone and the check as shipped (rules, then the model
    where no rule fired and no innocent phrase or damper stands), each set predicted by a
    model that never saw its writer. Returns each threshold's F1 of the check on ``sets``
    (all messages when empty)."""
    probability, learned = np.zeros(len(texts)), np.zeros(len(texts), dtype=bool)
    policy = load_policy()
    folds = GroupKFold(n_splits=min(6, len(set(groups))))
    for train, test in folds.split(texts, labels, groups):
        vectoriser, model = _fit([texts[i] for i in train], labels[train])
        found = model.predict_proba(vectoriser.transform([texts[i] for i in test]))
        probability[test] = found[:, 1]
        # threshold 0: the model speaks wherever the check lets it; which is what we need
        fold = copy.copy(policy)
        fold.blame_model = model_from_document(_document(vectoriser, model, 0.0))
        for i in test:
            found = check_policy(cases[i]["text"], cases[i]["lang"], policy=fold)
            learned[i] = any(f.rule == RULE and f.source == "model" for f in found)
    rules = np.array([RULE in {f.rule for f in check_policy(c["text"], c["lang"], learned=False)}
                      for c in cases])  # fmt: skip
    chosen = np.array([c["set"] in sets for c in cases]) if sets else np.ones(len(cases), bool)
    print(f"grouped CV over {len(set(groups))} writers, {len(texts)} messages")
    print(f"  rules alone:   all {_score(rules, labels)}")
    f1 = {}
    for t in THRESHOLDS:
        check = rules | (learned & (probability >= t))
        model = _score(probability >= t, labels)
        line = f"  t={t:<4}  model {model} | the check {_score(check, labels)}"
        if sets:
            on = _score(check[chosen], labels[chosen])
            line += f" | on {'+'.join(sets)}: {on}"
        print(line)
        tp = int((check & labels & chosen).sum())
        f1[t] = 2 * tp / max(int((check & chosen).sum()) + int((labels & chosen).sum()), 1)
    return f1


def _same_answers(document: dict, vectoriser, model, texts: list[str]) -> None:
    """The playbook's reader must give scikit-learn's probabilities (up to rounding)."""
    reader = model_from_document(document)
    sample = texts[:: max(len(texts) // 300, 1)]
    expected = model.predict_proba(vectoriser.transform(sample))[:, 1]
    worst = max(abs(reader.probability(t) - p) for t, p in zip(sample, expected, strict=True))
    if worst > 1e-3:
        raise SystemExit(f"the playbook's reader disagrees with scikit-learn by {worst:.4f}")
    print(f"reader check: {len(sample)} messages, largest difference {worst:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of labelled *.jsonl sets")
    parser.add_argument("--hold-out", type=Path, action="append", default=[], metavar="SET",
                        help="leave this set out of training (repeatable)")  # fmt: skip
    parser.add_argument(
        "--threshold",
        type=float,
        help="the model's threshold (default: calibrated with --calibrate-on, else 0.5)",
    )
    parser.add_argument(
        "--calibrate-on",
        action="append",
        default=[],
        metavar="SET",
        help="choose the threshold that maximises the check's grouped-CV F1 on "
        "this set (name without .jsonl; repeatable; implies --cv)",
    )
    parser.add_argument("--cv", action="store_true", help="print grouped CV figures first")
    parser.add_argument("--out", type=Path, default=POLICY_DIR / MODEL_FILE)
    parser.add_argument("--dry-run", action="store_true", help="do not write the weights file")
    args = parser.parse_args()
    held = {p.resolve() for p in args.hold_out}
    paths = [p for p in sorted(args.data.glob("*.jsonl")) if p.resolve() not in held]
    cases, groups = [], []
    for path in paths:
        for case in load_policy_cases(path):
            cases.append({**case, "set": path.stem})
            # the blame corpora had one writer per language, every other set one writer
            blame = path.stem.startswith("blame")
            groups.append(f"{path.stem}/{case['lang']}" if blame else path.stem)
    texts = [normalise(c["text"]) for c in cases]
    labels = np.array([RULE in c["rules"] for c in cases])
    threshold = 0.5 if args.threshold is None else args.threshold
    if args.cv or args.calibrate_on:
        missing = set(args.calibrate_on) - {c["set"] for c in cases}
        if missing:
            raise SystemExit(f"--calibrate-on: no training set named {sorted(missing)}")
        f1 = _cross_validate(texts, labels, cases, groups, args.calibrate_on)
        if args.calibrate_on:
            best = max(f1, key=lambda t: (f1[t], t))
            print(f"best F1 of the check on the calibration sets: {f1[best]:.3f} at {best}")
            threshold = best if args.threshold is None else threshold
    print(f"threshold {threshold}")
    vectoriser, model = _fit(texts, labels)
    document = _document(vectoriser, model, threshold)
    _same_answers(document, vectoriser, model, texts)
    document["about"] = {
        "rule": RULE,
        "trained": datetime.date.today().isoformat(),
        "scikit_learn": sklearn.__version__,
        "C": C,
        "min_df": MIN_DF,
        "messages": len(cases),
        "blame": int(labels.sum()),
        "calibrated_on": args.calibrate_on,
        "sets": {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:16] for p in paths},
    }
    ngram_table = document["ngrams"]
    print(f"trained on {len(paths)} sets, {len(cases)} messages, {len(ngram_table)} n-grams")
    if not args.dry_run:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        args.out.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.out} ({len(text) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
