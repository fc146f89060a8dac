"""Training drills: realistic scenarios, graded field by field with feedback citing the rule.

The scenarios are data (``content/scenarios/*.yaml``, described in the README there) so a
trainer can add one without code. Each holds the answer the playbook expects; a test keeps
that answer in step with :mod:`playbook.triage` and :mod:`playbook.checklist`, unless the
scenario says in ``differs`` why it deliberately teaches something else.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, field_validator, model_validator

from . import ids
from .content import (
    CONTENT_DIR,
    Bilingual,
    Content,
    _describe_location,
    _Strict,
    load_content,
    read_yaml,
    validate_file,
)
from .errors import ContentError

SCENARIOS_DIR = CONTENT_DIR / "scenarios"
SKILLS_FILE = "skills.yaml"

KINDS: tuple[str, ...] = ("dispute", "sop")
DIFFICULTIES: tuple[int, ...] = (1, 2, 3)
SKILLS: tuple[str, ...] = ("triage", "risk_flags", "resolution", "evidence", "messages", "sop")
FIELDS: dict[str, tuple[str, ...]] = {
    "dispute": ("category", "reason", "flags", "resolution", "template"),
    "sop": ("step", "template"),
}
# the answer for "no step is due today" and "send no message"
NONE = "none"
PASS_SCORE = 0.8
# partial credit: a resolution further down the ranked list, a template of the same family,
# a step that is also due today (not the most urgent)
HALF = 0.5

_WORDS = (
    "no_answer", "right", "partly", "answer", "rule", "none_step", "no_template", "no_flags",
    "passed", "not_passed", "score", "field", "given", "expected", "feedback", "differs",
)  # fmt: skip
_SITUATIONS = ("evidence_request", "review_blackmail", "review_revision")


# ------------------------------------------------------------------------ the data


class FieldFeedback(Bilingual):
    """What a wrong answer to one field is told; ``when`` words it for a specific value."""

    when: dict[str, Bilingual] = Field(default_factory=dict)


class Expected(_Strict):
    """The answer per field: dispute fields or sop fields, never both (checked per kind)."""

    category: str | None = None
    reason: str | None = None
    flags: tuple[str, ...] | None = None
    resolution: str | None = None
    step: str | None = None
    template: str | None = None

    @field_validator("category")
    @classmethod
    def _category(cls, value: str | None) -> str | None:
        return _known(value, ids.CATEGORY_IDS, "category")

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return _known(value, ids.REASON_IDS, "reason")

    @field_validator("flags")
    @classmethod
    def _flags(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for flag in value or ():
            _known(flag, ids.FLAG_IDS, "flag")
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a flag is listed twice")
        return value

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, value: str | None) -> str | None:
        return _known(value, ids.RESOLUTION_IDS, "resolution")

    @field_validator("step")
    @classmethod
    def _step(cls, value: str | None) -> str | None:
        return _known(value, (*ids.STEP_IDS, NONE), "step")


def _known(value: str | None, allowed: Sequence[str], what: str) -> str | None:
    if value is not None and value not in allowed:
        raise ValueError(f"{value!r} is not a {what} id; the contract's: {list(allowed)}")
    return value


def _iso(value: Any) -> Any:
    """YAML reads unquoted dates as date/datetime objects; keep the text the contract uses."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Scenario(_Strict):
    """One drill: the situation, the expected answer per field, and what to tell a trainee."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["dispute", "sop"]
    difficulty: Literal[1, 2, 3]
    skills: tuple[Literal[SKILLS], ...] = Field(min_length=1)  # type: ignore[valid-type]
    title: Bilingual
    brief: Bilingual
    message: str | None = Field(None, min_length=1)
    message_lang: str | None = None
    order: dict[str, Any]
    today: str | None = None
    expected: Expected
    rule: Bilingual
    feedback: dict[str, FieldFeedback]
    differs: Bilingual | None = None

    _source: str = PrivateAttr("")
    _engine: dict[str, Any] | None = PrivateAttr(None)

    @field_validator("order", mode="before")
    @classmethod
    def _order_text(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: _iso(v) for key, v in value.items()}
        return value

    @field_validator("order")
    @classmethod
    def _order_columns(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = [k for k in value if k not in ids.ORDER_COLUMNS]
        if unknown:
            raise ValueError(f"unknown order columns {unknown}; known: {list(ids.ORDER_COLUMNS)}")
        missing = [
            c for c, (_, required) in ids.ORDER_COLUMNS.items() if required and c not in value
        ]
        if missing:
            raise ValueError(f"the order needs {missing}")
        return value

    @field_validator("today", mode="before")
    @classmethod
    def _today_text(cls, value: Any) -> Any:
        value = _iso(value)
        if isinstance(value, str):
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a date as YYYY-MM-DD") from None
        return value

    @field_validator("skills")
    @classmethod
    def _unique_skills(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError("a skill is listed twice")
        return value

    @model_validator(mode="after")
    def _fits_its_kind(self) -> Scenario:
        problems = _kind_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def fields(self) -> tuple[str, ...]:
        """The answer fields of this scenario's kind, in the order a trainee answers them."""
        return FIELDS[self.kind]

    @property
    def answer(self) -> dict[str, Any]:
        """The expected answer as ids: ``flags`` a sorted list, "none" for no step/message."""
        out: dict[str, Any] = {}
        for name in self.fields:
            value = getattr(self.expected, name)
            if name == "flags":
                value = sorted(value or ())
            out[name] = NONE if value is None else value
        return out

    @property
    def source(self) -> str:
        """The file this scenario came from (relative to the content folder)."""
        return self._source

    def __repr__(self) -> str:
        return f"<Scenario {self.id} · {self.kind} · difficulty {self.difficulty}>"


def _kind_problems(s: Scenario) -> list[str]:
    """What a scenario of its kind must (not) hold, as ``field: problem`` lines."""
    problems: list[str] = []
    fields = FIELDS[s.kind]
    e = s.expected
    for name in ("category", "reason", "flags", "resolution", "step", "template"):
        value = getattr(e, name)
        if name not in fields and value is not None:
            problems.append(f"expected.{name}: a {s.kind} scenario has no {name}")
    if s.kind == "dispute":
        if not s.message:
            problems.append("message: a dispute scenario needs the buyer's message")
        if not s.message_lang:
            problems.append("message_lang: say the language of the buyer's message")
        for name in ("category", "reason", "resolution", "template"):
            if getattr(e, name) is None:
                problems.append(f"expected.{name}: missing")
        if e.flags is None:
            problems.append("expected.flags: missing (write [] for no flags)")
        if e.template == NONE:
            problems.append("expected.template: a dispute always sends a message")
        if e.reason and e.category and ids.REASON_CATEGORY[e.reason] != e.category:
            problems.append(
                f"expected.reason: {e.reason!r} belongs to {ids.REASON_CATEGORY[e.reason]!r}, "
                f"not to {e.category!r}"
            )
    else:
        if s.message or s.message_lang:
            problems.append("message: an sop scenario has no buyer message")
        if not s.today:
            problems.append("today: an sop scenario needs the day (YYYY-MM-DD)")
        if e.step is None:
            problems.append("expected.step: missing (write none when nothing is due)")
        if e.step == NONE and e.template not in (None, NONE):
            problems.append("expected.template: nothing is due, so no message (null)")
    missing = [f for f in fields if f not in s.feedback]
    unknown = [f for f in s.feedback if f not in fields]
    if missing:
        problems.append(f"feedback: missing for {missing}")
    if unknown:
        problems.append(f"feedback: {unknown} are not fields of a {s.kind} scenario {list(fields)}")
    allowed = {
        "category": ids.CATEGORY_IDS, "reason": ids.REASON_IDS, "flags": ids.FLAG_IDS,
        "resolution": ids.RESOLUTION_IDS, "step": (*ids.STEP_IDS, NONE),
    }  # fmt: skip
    for name, text in s.feedback.items():
        if name in allowed:
            wrong = [v for v in text.when if v not in allowed[name]]
            if wrong:
                problems.append(f"feedback.{name}.when: {wrong} are not {name} ids")
    return problems


class Skill(_Strict):
    id: Literal[SKILLS]  # type: ignore[valid-type]
    label: Bilingual
    about: Bilingual


class SkillsFile(_Strict):
    """scenarios/skills.yaml: the skills, field labels and the grader's words."""

    skills: list[Skill]
    fields: dict[str, Bilingual]
    situations: dict[str, Bilingual]
    words: dict[str, Bilingual]

    @model_validator(mode="after")
    def _complete(self) -> SkillsFile:
        problems = []
        for kind, got, want in (
            ("skills", [s.id for s in self.skills], SKILLS),
            (
                "fields",
                list(self.fields),
                tuple(dict.fromkeys(f for k in KINDS for f in FIELDS[k])),
            ),
            ("words", list(self.words), _WORDS),
        ):
            missing = [k for k in want if k not in got]
            unknown = [k for k in got if k not in want]
            if missing or unknown or len(set(got)) != len(got):
                problems.append(f"{kind}: missing {missing}, unknown {unknown}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class _Bank:
    scenarios: tuple[Scenario, ...]
    skills: SkillsFile
    content: Content
    by_id: dict[str, Scenario] = field(repr=False)


# ------------------------------------------------------------------------ loading


def load_scenarios(
    skill: str | None = None,
    difficulty: int | None = None,
    kind: str | None = None,
    *,
    directory: str | Path | None = None,
) -> list[Scenario]:
    """The scenarios, optionally only those training ``skill``, of ``difficulty`` or ``kind``.

    The built-in bank is validated once and cached; ``directory`` loads a trainer's copy.
    Raises ContentError naming file → scenario (id) → field for every problem found.
    """
    if skill is not None and skill not in SKILLS:
        raise ValueError(f"skill: {skill!r} is not one of {list(SKILLS)}")
    if difficulty is not None and difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty: {difficulty!r} is not one of {list(DIFFICULTIES)}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind: {kind!r} is not one of {list(KINDS)}")
    bank = _bank(directory)
    return [
        s
        for s in bank.scenarios
        if (skill is None or skill in s.skills)
        and (difficulty is None or s.difficulty == difficulty)
        and (kind is None or s.kind == kind)
    ]


def get_scenario(scenario_id: str, *, directory: str | Path | None = None) -> Scenario:
    """One scenario by id (KeyError naming the known ids if there is none)."""
    bank = _bank(directory)
    try:
        return bank.by_id[scenario_id]
    except KeyError:
        raise KeyError(f"no scenario {scenario_id!r}; known: {sorted(bank.by_id)}") from None


def skill_labels(lang: str = "en") -> dict[str, str]:
    """Skill id → label in a staff language, in the order of skills.yaml."""
    return {s.id: s.label(lang) for s in _bank(None).skills.skills}


def _bank(directory: str | Path | None) -> _Bank:
    return _default_bank() if directory is None else _load(Path(directory))


@functools.cache
def _default_bank() -> _Bank:
    return _load(SCENARIOS_DIR)


def _load(folder: Path, content: Content | None = None) -> _Bank:
    content = content or load_content()
    if not folder.is_dir():
        raise ContentError([f"{folder}: not a folder"])
    where = folder.name
    problems: list[str] = []
    skills, found = validate_file(folder / SKILLS_FILE, SkillsFile)
    problems.extend(f"{where}/{p}" for p in found)
    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    paths = [p for p in sorted(folder.glob("*.yaml")) if p.name != SKILLS_FILE]
    if not paths:
        problems.append(f"{where}/: no scenario files in {folder}")
    for path in paths:
        name = f"{where}/{path.name}"
        parsed, found = _read_scenarios(path, name)
        problems.extend(found)
        problems.extend(_order_problems(name, parsed))
        for number, scenario in parsed:
            at = f"{name} → scenarios[{number}] ({scenario.id})"
            if scenario.id in seen:
                problems.append(f"{at} → id: also used in {seen[scenario.id]}")
            seen.setdefault(scenario.id, name)
            problems.extend(f"{at} → {p}" for p in _content_problems(scenario, content))
            scenario._source = name
            scenarios.append(scenario)
    if problems:
        raise ContentError(problems)
    assert skills is not None
    return _Bank(tuple(scenarios), skills, content, {s.id: s for s in scenarios})


def _read_scenarios(path: Path, name: str) -> tuple[list[tuple[int, Scenario]], list[str]]:
    """Each entry of one file validated on its own, so one broken scenario hides no other."""
    try:
        raw = read_yaml(path)
    except ContentError as exc:
        return [], [f"{name.rsplit('/', 1)[0]}/{p}" for p in exc.problems]
    if not isinstance(raw, dict) or not isinstance(raw.get("scenarios"), list):
        return [], [f"{name}: expected a `scenarios:` list"]
    problems = [f"{name} → {key}: unknown key" for key in raw if key != "scenarios"]
    if not raw["scenarios"]:
        problems.append(f"{name} → scenarios: the list is empty")
    parsed = []
    for number, entry in enumerate(raw["scenarios"]):
        try:
            parsed.append((number, Scenario.model_validate(entry)))
        except ValidationError as exc:
            for err in exc.errors():
                loc = ("scenarios", number, *err["loc"])
                msg = err["msg"].removeprefix("Value error, ")
                problems.append(f"{_describe_location(name, raw, loc)}: {msg}")
    return parsed, problems


def _order_problems(name: str, scenarios: list[tuple[int, Scenario]]) -> list[str]:
    """Every scenario's order read as an orders file would be (one table per file)."""
    import pandas as pd

    from .orders import inspect_orders

    if not scenarios:
        return []
    report = inspect_orders(pd.DataFrame([s.order for _, s in scenarios]))
    problems = []
    for issue in report.issues:
        if issue.row is None:
            problems.append(f"{name} → order: {issue.problem}")
            continue
        number, scenario = scenarios[issue.row - 2]  # line 1 is the header
        column = f".{issue.column}" if issue.column else ""
        problems.append(
            f"{name} → scenarios[{number}] ({scenario.id}) → order{column}: {issue.problem}"
        )
    return problems


def _content_problems(s: Scenario, content: Content) -> list[str]:
    """Ids that live in other content files: templates, buyer languages."""
    problems = []
    if s.message_lang and s.message_lang not in content.locales.languages:
        problems.append(
            f"message_lang: {s.message_lang!r} is not a buyer language "
            f"{list(content.locales.languages)}"
        )
    template = s.expected.template
    if template not in (None, NONE):
        if template not in content.templates:
            problems.append(
                f"expected.template: no template {template!r} in messages/ "
                f"(known: {sorted(content.templates)})"
            )
        elif s.kind == "sop":
            serves = content.templates[template].serves
            if serves.step != s.expected.step:
                problems.append(
                    f"expected.template: {template!r} serves {serves.kind} {serves.target!r}, "
                    f"not the step {s.expected.step!r}"
                )
    elif (
        s.kind == "sop"
        and s.expected.step not in (None, NONE)
        and content.step(s.expected.step).buyer_facing
    ):
        problems.append(f"expected.template: the step {s.expected.step!r} sends a message")
    feedback = s.feedback.get("template")
    if feedback:
        unknown = [t for t in feedback.when if t != NONE and t not in content.templates]
        if unknown:
            problems.append(f"feedback.template.when: no templates {unknown} in messages/")
    return problems


# ------------------------------------------------------------------------ the engines


def engine_answer(scenario: Scenario) -> dict[str, Any]:
    """What playbook.triage / playbook.checklist compute for this scenario, per field.

    Disputes also give ``resolutions`` (the ranked list); sop scenarios ``due`` (every step
    due or overdue today, most urgent first). Computed once per scenario.
    """
    if scenario._engine is None:
        scenario._engine = _compute_engine(scenario)
    return scenario._engine


def _compute_engine(s: Scenario) -> dict[str, Any]:
    if s.kind == "dispute":
        from .triage import assess

        a = assess(s.message, s.order)
        return {
            "category": a.category,
            "reason": a.reason,
            "flags": sorted(a.flags),
            "resolution": a.resolutions[0],
            "template": a.template,
            "resolutions": list(a.resolutions),
        }
    from .checklist import DISPUTE_STEP, todo

    table = todo(s.order, s.today)
    table = table[table["step"] != DISPUTE_STEP]
    due = table["step"].tolist()
    first = table.iloc[0] if len(table) else None
    template = None if first is None or _missing(first["template"]) else str(first["template"])
    return {
        "step": due[0] if due else NONE,
        "template": template or NONE,
        "due": due,
    }


def _missing(value: Any) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


# ------------------------------------------------------------------------ answer options


def choices(scenario: Scenario, field: str, lang: str = "en") -> list[tuple[str, str]]:
    """(label, value) answer options for one field, for a widget: the contract ids labelled
    from the taxonomy, the steps and the message templates."""
    _check_lang(lang)
    _check_field(scenario, field)
    content = _bank(None).content
    if field in ("category", "reason", "flags", "resolution"):
        kind = {"category": "categories", "reason": "reasons", "flags": "flags"}.get(
            field, "resolutions"
        )
        return [(label, value) for value, label in content.labels(kind, lang).items()]
    words = _bank(None).skills.words
    if field == "step":
        steps = [(step.title(lang), step.id) for step in content.steps]
        return [*steps, (words["none_step"](lang), NONE)]
    templates = _template_options(scenario.kind, content)
    options = [(_template_label(t, content, lang), t) for t in templates]
    if scenario.kind == "sop":
        options.append((words["no_template"](lang), NONE))
    return options


def _template_options(kind: str, content: Content) -> list[str]:
    """Step templates for sop drills; resolution and situation templates for disputes."""
    order = {
        "step": {s: n for n, s in enumerate(ids.STEP_IDS)},
        "resolution": {r: n for n, r in enumerate(ids.RESOLUTION_IDS)},
        "situation": {s: n for n, s in enumerate(_SITUATIONS)},
    }
    wanted = ("step",) if kind == "sop" else ("resolution", "situation")
    found = [t for t in content.templates.values() if t.serves.kind in wanted]
    usual = {step.template for step in content.steps}  # a step's usual message first
    found.sort(
        key=lambda t: (
            wanted.index(t.serves.kind),
            order[t.serves.kind].get(t.serves.target, 99),
            t.id not in usual,
            t.id,
        )
    )
    return [t.id for t in found]


def _template_label(template_id: str, content: Content, lang: str) -> str:
    serves = content.templates[template_id].serves
    if serves.kind == "step":
        what = content.step(serves.target).title(lang)
    elif serves.kind == "resolution":
        what = content.labels("resolutions", lang)[serves.target]
    else:
        situation = _bank(None).skills.situations.get(serves.target)
        what = situation(lang) if situation else serves.target
    return f"{template_id} · {what}"


def _label(field: str, value: Any, lang: str) -> str:
    """An answer value as a person reads it."""
    bank = _bank(None)
    content, words = bank.content, bank.skills.words
    if field == "flags":
        if not value:
            return words["no_flags"](lang)
        labels = content.labels("flags", lang)
        return ", ".join(labels[f] for f in value)
    if value == NONE:
        return words["none_step" if field == "step" else "no_template"](lang)
    if field == "step":
        return content.step(value).title(lang)
    if field == "template":
        return _template_label(value, content, lang)
    kind = {"category": "categories", "reason": "reasons"}.get(field, "resolutions")
    return content.labels(kind, lang)[value]


# ------------------------------------------------------------------------ grading


@dataclass(frozen=True)
class FieldGrade:
    """One field of an answer: what was given, what was expected, the score and why."""

    field: str
    given: Any
    expected: Any
    score: float
    correct: bool
    feedback: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field, "given": self.given, "expected": self.expected,
            "score": self.score, "correct": self.correct, "feedback": self.feedback,
        }  # fmt: skip


@dataclass(frozen=True)
class Grade:
    """A graded answer to one scenario: per-field scores and feedback, and the total."""

    scenario_id: str
    kind: str
    lang: str
    fields: list[FieldGrade]
    differs: str | None = None

    @property
    def score(self) -> float:
        """The mean of the field scores, 0..1."""
        return sum(f.score for f in self.fields) / len(self.fields) if self.fields else 0.0

    @property
    def passed(self) -> bool:
        return self.score >= PASS_SCORE

    @property
    def answers(self) -> dict[str, Any]:
        """The answer as graded (ids; None where nothing was given): what a store records."""
        return {f.field: f.given for f in self.fields}

    @property
    def field_scores(self) -> dict[str, float]:
        return {f.field: f.score for f in self.fields}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "scenario_id": self.scenario_id,
            "kind": self.kind,
            "lang": self.lang,
            "score": self.score,
            "passed": self.passed,
            "fields": [f.to_dict() for f in self.fields],
            "differs": self.differs,
        }

    def __str__(self) -> str:
        words = _bank(None).skills.words
        verdict = words["passed" if self.passed else "not_passed"](self.lang)
        lines = [f"{self.scenario_id}: {self.score:.0%} · {verdict}"]
        for f in self.fields:
            mark = "✓" if f.correct else ("½" if f.score > 0 else "✗")
            lines.append(f"  {mark} {f.field} ({f.score:.2f}): {f.feedback}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        words = _bank(None).skills.words
        lang = self.lang
        labels = _bank(None).skills.fields
        verdict = words["passed" if self.passed else "not_passed"](lang)
        colour = "#2e7d32" if self.passed else "#c62828"
        rows = []
        for f in self.fields:
            mark = "✓" if f.correct else ("½" if f.score > 0 else "✗")
            given = "—" if f.given is None else _label(f.field, f.given, lang)
            rows.append(
                f"<tr><td>{mark}</td><td>{esc(labels[f.field](lang))}</td>"
                f"<td>{esc(given)}</td><td>{esc(_label(f.field, f.expected, lang))}</td>"
                f"<td>{f.score:.2f}</td><td>{esc(f.feedback)}</td></tr>"
            )
        head = (
            f"<tr><th></th><th>{esc(words['field'](lang))}</th><th>{esc(words['given'](lang))}</th>"
            f"<th>{esc(words['expected'](lang))}</th><th>{esc(words['score'](lang))}</th>"
            f"<th>{esc(words['feedback'](lang))}</th></tr>"
        )
        note = (
            f"<p><small><b>{esc(words['differs'](lang))}:</b> {esc(self.differs)}</small></p>"
            if self.differs and not self.passed
            else ""
        )
        return (
            f'<div><p><b style="color:{colour}">{esc(verdict)}</b> · '
            f"{esc(words['score'](lang))} {self.score:.0%}</p>"
            f"<table>{head}{''.join(rows)}</table>{note}</div>"
        )


def grade(scenario: Scenario, answers: Mapping[str, Any] | None, lang: str = "en") -> Grade:
    """Grade an answer (field → id; ``flags`` a list) against the scenario.

    Partial credit: category and reason count apart; flags by overlap (Jaccard); the
    resolution 0.5 when it is further down the ranked list; a template 0.5 when it serves
    the same step or resolution family; a step 0.5 when it is due today but not the most
    urgent. A missing or empty field scores 0 with "no answer". Unknown fields or values
    raise ValueError.
    """
    _check_lang(lang)
    answers = dict(answers or {})
    for name in answers:
        _check_field(scenario, name)
    given = {name: _normalise(scenario, name, answers.get(name)) for name in scenario.fields}
    expected = scenario.answer
    graded = [
        _grade_field(scenario, name, given[name], expected[name], lang) for name in scenario.fields
    ]
    differs = scenario.differs(lang) if scenario.differs else None
    return Grade(scenario.id, scenario.kind, lang, graded, differs)


def _check_lang(lang: str) -> None:
    if lang not in ids.STAFF_LANGS:
        raise ValueError(f"lang: {lang!r} is not a staff language; use one of {ids.STAFF_LANGS}")


def _check_field(scenario: Scenario, name: str) -> None:
    if name not in scenario.fields:
        raise ValueError(
            f"{name!r} is not a field of the {scenario.kind} scenario {scenario.id!r}; "
            f"its fields: {list(scenario.fields)}"
        )


def _normalise(scenario: Scenario, name: str, value: Any) -> Any:
    """The given value as ids, None for no answer; ValueError for a value that is no id."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if name == "flags":
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, Iterable) or isinstance(values, Mapping):
            raise ValueError(f"flags: expected a list of flag ids, got {value!r}")
        flags = []
        for flag in values:
            if flag not in ids.FLAG_IDS:
                raise ValueError(f"flags: {flag!r} is not a flag id; known: {list(ids.FLAG_IDS)}")
            flags.append(flag)
        return sorted(set(flags))
    if not isinstance(value, str):
        raise ValueError(f"{name}: expected an id (text), got {value!r}")
    value = value.strip()
    allowed: Sequence[str] = {
        "category": ids.CATEGORY_IDS,
        "reason": ids.REASON_IDS,
        "resolution": ids.RESOLUTION_IDS,
        "step": (*ids.STEP_IDS, NONE),
    }.get(name, ())
    if name == "template":
        allowed = [*_bank(None).content.templates, NONE]
    if value not in allowed:
        raise ValueError(f"{name}: {value!r} is not a {name} id; known: {sorted(allowed)}")
    return value


def _grade_field(s: Scenario, name: str, given: Any, expected: Any, lang: str) -> FieldGrade:
    words = _bank(None).skills.words
    said = s.feedback[name]
    answer = words["answer"](lang).format(expected=_label(name, expected, lang))
    rule = words["rule"](lang).format(rule=s.rule(lang))
    if given is None:
        text = _join([words["no_answer"](lang), answer, rule], lang)
        return FieldGrade(name, None, expected, 0.0, False, text)
    score = _score(s, name, given, expected)
    if score == 1.0:
        text = words["right"](lang).format(expected=_label(name, expected, lang))
        return FieldGrade(name, given, expected, 1.0, True, text)
    specific = _specific(said, name, given, expected)
    parts = [specific(lang), answer, rule]
    if score > 0:
        parts.insert(0, words["partly"](lang).format(percent=f"{score:.0%}"))
    return FieldGrade(name, given, expected, score, False, _join(parts, lang))


def _join(sentences: list[str], lang: str) -> str:
    """Sentences one after another: spaced in English, run together in Chinese."""
    return ("" if lang == "zh" else " ").join(s.strip() for s in sentences if s.strip())


def _specific(said: FieldFeedback, name: str, given: Any, expected: Any) -> Bilingual:
    """The scenario's words for this wrong value, or for any wrong answer to the field."""
    if name == "flags":
        for flag in sorted(set(given) ^ set(expected)):
            if flag in said.when:
                return said.when[flag]
        return said
    return said.when.get(given, said)


def _score(s: Scenario, name: str, given: Any, expected: Any) -> float:
    if name == "flags":
        union = set(given) | set(expected)
        return 1.0 if not union else len(set(given) & set(expected)) / len(union)
    if given == expected:
        return 1.0
    if name == "resolution":
        return HALF if given in _ranked(s) else 0.0
    if name == "step":
        return HALF if given in engine_answer(s)["due"] else 0.0
    if name == "template":
        return HALF if _same_family(s, given, expected) else 0.0
    return 0.0


def _ranked(s: Scenario) -> list[str]:
    """The resolutions in order, the expected one first: the engine's ranking when it reads
    the scenario's reason, the playbook's plan for that reason when it does not."""
    engine = engine_answer(s)
    reason = s.expected.reason
    if engine["reason"] == reason:
        ranked = engine["resolutions"]
    else:
        ranked = _bank(None).content.resolutions.reasons[reason].resolutions
    first = s.expected.resolution
    return [first, *(r for r in ranked if r != first)]


def _same_family(s: Scenario, given: str, expected: str) -> bool:
    """Serves the same step (sop) or the same resolution or situation (disputes); for a
    dispute, a template of a resolution further down the ranked list counts too."""
    if NONE in (given, expected):
        return False
    templates = _bank(None).content.templates
    a, b = templates[given].serves, templates[expected].serves
    if (a.kind, a.target) == (b.kind, b.target):
        return True
    return s.kind == "dispute" and a.kind == "resolution" and a.target in _ranked(s)


# ------------------------------------------------------------------------ progression


def current_level(history: Iterable[tuple[str, float]]) -> int:
    """The difficulty a trainee works at: starts at 1, rises after two passes in a row at
    the current level, falls after two fails in a row (attempts at other levels, or at
    scenarios no longer in the bank, do not count)."""
    by_id = _bank(None).by_id
    level, passes, fails = DIFFICULTIES[0], 0, 0
    for scenario_id, score in history:
        scenario = by_id.get(scenario_id)
        if scenario is None or scenario.difficulty != level:
            continue
        if score >= PASS_SCORE:
            passes, fails = passes + 1, 0
        else:
            passes, fails = 0, fails + 1
        if passes >= 2 and level < DIFFICULTIES[-1]:
            level, passes, fails = level + 1, 0, 0
        elif fails >= 2 and level > DIFFICULTIES[0]:
            level, passes, fails = level - 1, 0, 0
    return level


def next_scenario(
    history: Sequence[tuple[str, float]],
    skill: str | None = None,
    difficulty: int | None = None,
    seed: int = 0,
    *,
    kind: str | None = None,
) -> Scenario | None:
    """The next drill for a trainee, from their (scenario id, score) history.

    Unseen scenarios come first, at the trainee's level (``difficulty`` fixes it), then
    the nearest level; once all are seen, the weakest one at that level again. The same
    history and seed give the same pick. None when no scenario matches the filters.
    """
    history = list(history)
    pool = load_scenarios(skill=skill, kind=kind)
    if not pool:
        return None
    level = difficulty if difficulty is not None else current_level(history)
    if level not in DIFFICULTIES:
        raise ValueError(f"difficulty: {level!r} is not one of {list(DIFFICULTIES)}")
    best: dict[str, float] = {}
    for scenario_id, score in history:
        best[scenario_id] = max(score, best.get(scenario_id, 0.0))
    unseen = [s for s in pool if s.id not in best]
    rng = random.Random(seed * 1_000_003 + len(history))
    if unseen:
        distance = min(abs(s.difficulty - level) for s in unseen)
        near = [s for s in unseen if abs(s.difficulty - level) == distance]
        lowest = min(s.difficulty for s in near)  # between two levels, the easier first
        return rng.choice([s for s in near if s.difficulty == lowest])
    at_level = [s for s in pool if s.difficulty == level] or pool
    weakest = min(best[s.id] for s in at_level)
    return rng.choice([s for s in at_level if best[s.id] == weakest])


__all__ = [
    "DIFFICULTIES", "FIELDS", "KINDS", "NONE", "PASS_SCORE", "SKILLS",
    "FieldGrade", "Grade", "Scenario",
    "choices", "current_level", "engine_answer", "get_scenario", "grade",
    "load_scenarios", "next_scenario", "skill_labels",
]  # fmt: skip
