"""A learned second opinion for ``blames_buyer``, read from a weights file beside the lexicons.

Why: on every sealed set the cue lists kept precision at 1.0 but caught only about half of
the blame a new writer came up with ("Wer nicht liest, muss halt mit dem Ergebnis leben").
A linear model over character and word n-grams generalises to new wordings. The weights
come from ``tools/train_blame_model.py`` (scikit-learn, the ``research`` extra); reading
them needs only the standard library, so ``import playbook`` stays light and a trained file
gives the same answers on every machine.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .errors import ContentError

MODEL_FILE = "blame_model.json"
FORMAT = 1
CHAR_SIZES = range(2, 6)  # character n-grams of 2 to 5 inside each space-separated token
_TOKEN = re.compile(r"\w\w+")


def ngrams(norm: str) -> list[str]:
    """The n-gram features of one normalised text ("c" + character n-gram, "w" + word n-gram).

    Character n-grams run inside each token padded with spaces, so they carry word starts
    and ends and stay meaningful for Chinese, which has no spaces.
    """
    out = []
    for token in norm.split():
        padded = f" {token} "
        for n in CHAR_SIZES:
            if len(padded) < n:
                break
            out.extend("c" + padded[i : i + n] for i in range(len(padded) - n + 1))
    words = _TOKEN.findall(norm)
    out.extend("w" + w for w in words)
    out.extend(f"w{a} {b}" for a, b in itertools.pairwise(words))
    return out


@dataclass(frozen=True)
class BlameModel:
    """Weights of a logistic regression over l2-normalised tf-idf n-grams."""

    idf: dict[str, float]
    weights: dict[str, float]
    intercept: float
    threshold: float
    about: dict

    def probability(self, norm: str) -> float:
        """How likely a normalised text blames the buyer, from 0 to 1 (as scikit-learn's
        ``predict_proba`` with sublinear tf and l2 norm)."""
        counts = Counter(g for g in ngrams(norm) if g in self.idf)
        values = {g: (1 + math.log(c)) * self.idf[g] for g, c in counts.items()}
        norm2 = math.sqrt(sum(v * v for v in values.values())) or 1.0
        dot = sum(v * self.weights.get(g, 0.0) for g, v in values.items())
        z = self.intercept + dot / norm2
        return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def load_blame_model(path: Path) -> BlameModel | None:
    """The model in ``path``, or None when the policy folder has none (rules only)."""
    if not path.is_file():
        return None
    try:
        return model_from_document(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        raise ContentError(
            [f"{path.name}: not a blame model written by tools/train_blame_model.py ({exc})"]
        ) from None


def model_from_document(data: dict) -> BlameModel:
    """A model from the JSON document the trainer writes (raises on a malformed one)."""
    if data.get("format") != FORMAT:
        raise ValueError(f"format {data.get('format')!r}, this playbook reads {FORMAT}")
    table = data["ngrams"]
    return BlameModel(
        idf={g: float(v[0]) for g, v in table.items()},
        weights={g: float(v[1]) for g, v in table.items() if v[1]},
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
        about=dict(data.get("about", {})),
    )
