"""Self-checked exercises: ``check()`` tells a trainee at once whether an answer is right.

The notebooks in ``exercises/`` end with ``playbook.exercises.check("<id>", answer, lang)``.
It never raises, so an untouched notebook still runs headless, and it answers in the staff
language. The words (title, task, rule, hints, feedback) live in content/exercises.yaml;
the expected answers are not written anywhere: each is computed with the playbook's own
tools from the exercise's ``data``, so exercises follow the rules when content changes.
Trainers find reference answers in ``trainer/answers/<id>.py``.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, model_validator

from . import ids
from .content import CONTENT_DIR, Bilingual, BilingualList, _Strict, placeholders, validate_file
from .errors import ContentError

FILE = "exercises.yaml"
MODULES: tuple[str, ...] = ("sop", "triage", "resolution", "messages", "health")


class ExerciseData(_Strict):
    """What an exercise works on; every value also appears in its notebook's setup cell."""

    orders: int | None = Field(None, gt=0)  # sample.orders(orders, seed=seed, today=today)
    seed: int | None = None
    today: dt.date | None = None
    row: int | None = Field(None, ge=0)  # the order of the exercise: orders.iloc[row]
    window: int | None = Field(None, gt=0)  # days
    message: str | None = None  # a buyer's message
    draft: str | None = None  # a seller's draft to rewrite
    keep: list[str] = Field(default_factory=list)  # facts a rewrite must keep


class Exercise(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    module: Literal["sop", "triage", "resolution", "messages", "health"]
    notebook: str = Field(pattern=r"^[0-9]{2}_[a-z0-9_]+\.ipynb$")
    title: Bilingual
    task: Bilingual
    rule: Bilingual
    hints: BilingualList
    data: ExerciseData
    feedback: dict[str, Bilingual]


# the shared words of check()'s answers → the placeholders each may use
WORDS: dict[str, frozenset[str]] = {
    "passed": frozenset(),
    "not_passed": frozenset(),
    "no_answer": frozenset(),
    "hint": frozenset({"hint"}),
    "rule": frozenset({"rule"}),
    "error": frozenset({"error"}),
    "unknown_exercise": frozenset({"id", "known"}),
}


class ExercisesFile(_Strict):
    words: dict[str, Bilingual]
    exercises: list[Exercise] = Field(min_length=1)

    @model_validator(mode="after")
    def _complete(self) -> ExercisesFile:
        missing = [k for k in WORDS if k not in self.words]
        unknown = [k for k in self.words if k not in WORDS]
        if missing or unknown:
            raise ValueError(f"words: missing {missing}, unknown {unknown}")
        problems = _placeholder_problems("words", self.words, WORDS)
        seen: set[str] = set()
        for exercise in self.exercises:
            if exercise.id in seen:
                problems.append(f"exercise id {exercise.id!r} appears twice")
            seen.add(exercise.id)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _placeholder_problems(
    where: str, texts: Mapping[str, Bilingual], allowed: Mapping[str, frozenset[str]]
) -> list[str]:
    problems = []
    for key, text in texts.items():
        for lang in ids.STAFF_LANGS:
            extra = placeholders(text(lang)) - allowed.get(key, frozenset())
            if extra:
                problems.append(
                    f"{where}.{key}.{lang}: unknown placeholder(s) {sorted(extra)}; "
                    f"available: {sorted(allowed.get(key, ()))}"
                )
    return problems


# ------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer: passed or not, and feedback lines in the staff language."""

    exercise: str
    passed: bool
    lines: tuple[str, ...]
    title: str = ""
    lang: str = "en"

    @property
    def feedback(self) -> str:
        return "\n".join(self.lines)

    @property
    def mark(self) -> str:
        return "✓" if self.passed else "✗"

    def _heading(self) -> str:
        words = _words_or_none()
        key = "passed" if self.passed else "not_passed"
        verdict = words[key](self.lang) if words else ("passed" if self.passed else "not yet")
        return f"{self.mark} {verdict}" + (f" · {self.title}" if self.title else "")

    def __repr__(self) -> str:
        return "\n".join([self._heading(), *(f"  {line}" for line in self.lines)])

    def _repr_html_(self) -> str:
        colour, background = ("#2e7d32", "#e8f5e9") if self.passed else ("#c62828", "#ffebee")
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        return (
            f"<div style='border-left:4px solid {colour};background:{background};"
            f"padding:6px 12px'><b style='color:{colour}'>{html.escape(self._heading())}</b>"
            f"<ul style='margin:4px 0'>{items}</ul></div>"
        )


# ------------------------------------------------------------------------------ loading


class _Setup:
    """One exercise's data made concrete: its sample store and its order."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.data = exercise.data

    @functools.cached_property
    def orders(self) -> pd.DataFrame:
        from . import sample

        d = self.data
        return sample.orders(d.orders, seed=d.seed, today=d.today.isoformat())

    @property
    def today(self) -> str:
        return self.data.today.isoformat()

    @property
    def order(self) -> dict[str, Any]:
        return self.orders.iloc[self.data.row].to_dict()


# a checker: (setup, answer, lang, say) → (passed, feedback lines)
Say = Callable[..., str]
Checker = Callable[[_Setup, Any, str, Say], tuple[bool, list[str]]]


@dataclass(frozen=True)
class _Spec:
    check: Checker
    needs: tuple[str, ...]  # data fields
    feedback: dict[str, frozenset[str]]  # feedback key → placeholders


CHECKERS: dict[str, _Spec] = {}


def _checker(exercise_id: str, needs: tuple[str, ...], feedback: dict[str, set[str] | frozenset]):
    def register(function: Checker) -> Checker:
        CHECKERS[exercise_id] = _Spec(
            function, needs, {k: frozenset(v) for k, v in feedback.items()}
        )
        return function

    return register


def load_exercises(path: str | Path | None = None) -> dict[str, Exercise]:
    """Every exercise by id, validated (the package's own file when ``path`` is None).

    Raises ContentError naming file → exercise (id) → field for every problem.
    """
    if path is None:
        return _default()[1]
    return _load(Path(path))[1]


@functools.cache
def _default() -> tuple[ExercisesFile, dict[str, Exercise]]:
    return _load(CONTENT_DIR / FILE)


def _load(path: Path) -> tuple[ExercisesFile, dict[str, Exercise]]:
    parsed, problems = validate_file(path, ExercisesFile)
    if parsed is None:
        raise ContentError(problems)
    problems = []
    for number, exercise in enumerate(parsed.exercises):
        where = f"{path.name} → exercises[{number}] ({exercise.id})"
        spec = CHECKERS.get(exercise.id)
        if spec is None:
            problems.append(f"{where} → id: no checker for it; known: {sorted(CHECKERS)}")
            continue
        absent = [n for n in spec.needs if getattr(exercise.data, n) in (None, [])]
        if absent:
            problems.append(f"{where} → data: missing {absent}")
        missing = [k for k in spec.feedback if k not in exercise.feedback]
        unknown = [k for k in exercise.feedback if k not in spec.feedback]
        if missing or unknown:
            problems.append(f"{where} → feedback: missing {missing}, unknown {unknown}")
        problems += [
            f"{where} → {p}"
            for p in _placeholder_problems("feedback", exercise.feedback, spec.feedback)
        ]
    absent = sorted(set(CHECKERS) - {e.id for e in parsed.exercises})
    if absent:
        problems.append(f"{path.name} → exercises: no entry for {absent}")
    if problems:
        raise ContentError(problems)
    return parsed, {e.id: e for e in parsed.exercises}


def _words_or_none() -> dict[str, Bilingual] | None:
    try:
        return _default()[0].words
    except ContentError:
        return None


def get(exercise_id: str) -> Exercise:
    exercises = load_exercises()
    if exercise_id not in exercises:
        raise KeyError(f"no exercise {exercise_id!r}; known: {sorted(exercises)}")
    return exercises[exercise_id]


def hints(exercise_id: str, lang: str = "en") -> list[str]:
    """The exercise's hints, gentlest first."""
    return get(exercise_id).hints(lang)


def catalogue(lang: str = "en") -> pd.DataFrame:
    """The exercises as a table: id, module, notebook, title."""
    return pd.DataFrame(
        [
            {"id": e.id, "module": e.module, "notebook": e.notebook, "title": e.title(lang)}
            for e in load_exercises().values()
        ]
    )


# ------------------------------------------------------------------------------ check


def check(exercise_id: str, answer: Any, lang: str = "en") -> CheckResult:
    """Compare a trainee's answer with what the playbook computes; never raises.

    ``answer`` is None while the trainee has not answered: that is "not passed" with the
    first hint. Wrong answers get feedback on the specific mistake and the rule it breaks.
    """
    lang = lang if lang in ids.STAFF_LANGS else "en"
    try:
        file, exercises = _default()
    except ContentError as exc:
        return CheckResult(exercise_id, False, tuple(str(exc).splitlines()), lang=lang)
    words = file.words
    exercise = exercises.get(exercise_id)
    if exercise is None:
        text = words["unknown_exercise"](lang).format(id=exercise_id, known=sorted(exercises))
        return CheckResult(str(exercise_id), False, (text,), lang=lang)
    title = exercise.title(lang)
    if answer is None:
        lines = [words["no_answer"](lang), words["hint"](lang).format(hint=exercise.hints(lang)[0])]
        return CheckResult(exercise_id, False, tuple(lines), title, lang)

    def say(key: str, **values: Any) -> str:
        return exercise.feedback[key](lang).format(**values)

    try:
        passed, lines = CHECKERS[exercise_id].check(_Setup(exercise), answer, lang, say)
    except Exception as exc:  # a trainee's odd answer must never stop the notebook
        lines, passed = [words["error"](lang).format(error=f"{type(exc).__name__}: {exc}")], False
    if not passed:
        lines.append(words["rule"](lang).format(rule=exercise.rule(lang)))
    return CheckResult(exercise_id, passed, tuple(lines), title, lang)


# ------------------------------------------------------------------------------ checkers


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


CENT = 0.005 + 1e-9  # money answers are right to the cent


def _close(a: float | None, b: float | None, tolerance: float) -> bool:
    return a is not None and b is not None and abs(a - b) <= tolerance


@_checker(
    "sop_today",
    needs=("orders", "seed", "today"),
    feedback={
        "format": set(), "correct": {"order_id", "step", "reason"}, "earliest_deadline": set(),
        "wrong_step": {"step"}, "later_in_list": {"position"}, "not_due": {"order_id", "step"},
        "unknown_order": {"order_id"},
    },
)  # fmt: skip
def _sop_today(setup: _Setup, answer: Any, lang: str, say: Say) -> tuple[bool, list[str]]:
    from .checklist import todo

    if isinstance(answer, Mapping | pd.Series) and {"order_id", "step"} <= set(answer.keys()):
        answer = (answer["order_id"], answer["step"])
    if not isinstance(answer, tuple | list) or len(answer) != 2:
        return False, [say("format")]
    order_id, step = (_text(v) for v in answer)
    if order_id is None or step is None:
        return False, [say("format")]
    table = todo(setup.orders, setup.today, lang=lang)
    first = table.iloc[0]
    if (order_id, step) == (first["order_id"], first["step"]):
        return True, [say("correct", order_id=order_id, step=step, reason=first["reason"])]
    earliest = table.sort_values("deadline", kind="stable").iloc[0]
    if (order_id, step) == (earliest["order_id"], earliest["step"]):
        return False, [say("earliest_deadline")]
    if order_id == first["order_id"]:
        return False, [say("wrong_step", step=step)]
    if order_id not in set(setup.orders["order_id"]):
        return False, [say("unknown_order", order_id=order_id)]
    hit = table.index[(table["order_id"] == order_id) & (table["step"] == step)]
    if len(hit):
        return False, [say("later_in_list", position=int(hit[0]) + 1)]
    return False, [say("not_due", order_id=order_id, step=step)]


@_checker(
    "triage_delivered",
    needs=("orders", "seed", "today", "row", "message"),
    feedback={
        "format": set(), "unknown_id": {"field", "value", "known"}, "reason": set(),
        "reason_bad_faith": set(), "flags_missing": {"flags"}, "flags_extra": {"flags"},
        "resolution_pays": {"given"}, "resolution": set(), "correct": set(),
    },
)  # fmt: skip
def _triage(setup: _Setup, answer: Any, lang: str, say: Say) -> tuple[bool, list[str]]:
    from .content import load_content
    from .triage import assess

    if not isinstance(answer, Mapping):
        return False, [say("format")]
    reason, resolution = answer.get("reason"), answer.get("resolution")
    flags = answer.get("flags") or []
    if isinstance(flags, str):
        flags = [flags]
    if not isinstance(flags, list | tuple | set):
        return False, [say("format")]
    for field, values, known in (
        ("reason", [reason], ids.REASON_IDS),
        ("flags", list(flags), ids.FLAG_IDS),
        ("resolution", [resolution], ids.RESOLUTION_IDS),
    ):
        for value in values:
            if value not in known:
                return False, [say("unknown_id", field=field, value=value, known=list(known))]

    content = load_content()
    plan = content.resolutions
    expected = assess(setup.data.message, setup.order, staff_lang=lang)
    lines: list[str] = []
    ok_reason = reason == expected.reason
    if ok_reason:
        lines.append(f"✓ reason: {reason}")
    else:
        key = "reason_bad_faith" if reason == "bad_faith" else "reason"
        lines.append(f"✗ reason: {say(key)} {plan.reasons[expected.reason].why(lang)}")
    missing = [f for f in expected.flags if f not in flags]
    extra = sorted(set(flags) - set(expected.flags))
    if not missing and not extra:
        lines.append(f"✓ flags: {', '.join(expected.flags) or '–'}")
    if missing:
        notes = " ".join(plan.flags[f].note(lang) for f in missing)
        lines.append(f"✗ flags: {say('flags_missing', flags=', '.join(missing))} {notes}")
    if extra:
        lines.append(f"✗ flags: {say('flags_extra', flags=', '.join(extra))}")
    ok_resolution = resolution == expected.resolutions[0]
    if ok_resolution:
        lines.append(f"✓ resolution: {resolution}")
    else:
        pays = resolution in {"resend", "full_refund", "partial_refund"}
        key = "resolution_pays" if pays else "resolution"
        note = plan.context["delivered_but_not_received"](lang)
        lines.append(f"✗ resolution: {say(key, given=resolution)} {note}")
    passed = ok_reason and not missing and not extra and ok_resolution
    if passed:
        lines.append(say("correct"))
    return passed, lines


@_checker(
    "partial_refund",
    needs=("orders", "seed", "today", "row"),
    feedback={
        "format": set(), "forgot_shipping": set(), "suggested_offer": set(), "full_value": set(),
        "too_high": {"given", "currency"}, "too_low": {"given", "currency"},
        "correct": {"value", "cost", "shipping", "profit", "currency"},
    },
)  # fmt: skip
def _partial_refund(setup: _Setup, answer: Any, lang: str, say: Say) -> tuple[bool, list[str]]:
    from .content import load_content
    from .resolution import Money

    given = _number(answer)
    if given is None:
        return False, [say("format")]
    money = Money.of(setup.order)
    limit = money.max_partial_refund
    if limit is None:
        raise ValueError("the exercise's order has no known cost")
    currency = money.currency or ""
    if _close(given, limit, CENT):
        return True, [
            say(
                "correct",
                value=f"{money.order_value:.2f}",
                cost=f"{money.cost:.2f}",
                shipping=f"{money.shipping_cost or 0:.2f}",
                profit=f"{limit:.2f}",
                currency=currency,
            )
        ]
    share = load_content().resolutions.money.suggest_share
    if _close(given, money.order_value - money.cost, CENT):
        return False, [say("forgot_shipping")]
    if _close(given, round(limit * share, 2), CENT):
        return False, [say("suggested_offer")]
    if _close(given, money.order_value, CENT):
        return False, [say("full_value")]
    key = "too_high" if given > limit else "too_low"
    return False, [say(key, given=f"{given:.2f}", currency=currency)]


@_checker(
    "message_rewrite",
    needs=("draft", "keep"),
    feedback={
        "format": set(), "unchanged": set(), "missing_fact": {"fact"},
        "finding": {"rule", "span", "explanation", "suggestion"}, "correct": set(),
    },
)  # fmt: skip
def _message_rewrite(setup: _Setup, answer: Any, lang: str, say: Say) -> tuple[bool, list[str]]:
    from .content import load_content
    from .policy import check_policy

    text = _text(answer)
    if text is None:
        return False, [say("format")]
    if " ".join(text.split()) == " ".join(setup.data.draft.split()):
        return False, [say("unchanged")]
    labels = load_content().labels("policy_rules", lang)
    lines = [
        say(
            "finding",
            rule=labels.get(f.rule, f.rule),
            span=f.span,
            explanation=f.explanation_zh if lang == "zh" else f.explanation,
            suggestion=f.suggestion_zh if lang == "zh" else f.suggestion,
        )
        for f in check_policy(text, lang="en")
    ]
    lines += [say("missing_fact", fact=fact) for fact in setup.data.keep if fact not in text]
    if lines:
        return False, lines
    return True, [say("correct")]


@_checker(
    "odr_window",
    needs=("orders", "seed", "today", "window"),
    feedback={
        "format": set(), "percent": {"given"}, "whole_table": set(), "one_kind": set(),
        "wrong": {"given"}, "correct": {"defects", "orders", "odr", "target"},
    },
)  # fmt: skip
def _odr_window(setup: _Setup, answer: Any, lang: str, say: Say) -> tuple[bool, list[str]]:
    from .health import summary

    given = _number(answer)
    if given is None:
        return False, [say("format")]
    row = summary(setup.orders, today=setup.today, window=setup.data.window).iloc[0]
    odr, tolerance = float(row["odr"]), 0.0005
    if _close(given, odr, tolerance):
        return True, [
            say(
                "correct",
                defects=int(row["defects"]),
                orders=int(row["orders"]),
                odr=f"{odr:.2%}",
                target=f"{float(row['odr_target']):.0%}",
            )
        ]
    if _close(given / 100, odr, tolerance):
        return False, [say("percent", given=given)]
    everything = summary(setup.orders, today=setup.today, window="all").iloc[0]
    if _close(given, float(everything["odr"]), tolerance):
        return False, [say("whole_table")]
    kinds = ("negative_feedback", "disputes", "chargebacks")
    if any(_close(given, int(row[k]) / int(row["orders"]), tolerance) for k in kinds):
        return False, [say("one_kind")]
    return False, [say("wrong", given=given)]
