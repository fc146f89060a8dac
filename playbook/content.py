"""Load and validate the playbook's knowledge (YAML in ``playbook/content/``).

Trainers edit those files by hand, so every problem is reported at once and names the
file, the entry and the field. The default folder is loaded once and cached.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import ids
from .errors import ContentError

CONTENT_DIR = Path(__file__).with_name("content")

Event = Literal["paid", "shipped", "arrived_destination", "delivered"]
TrackingStatus = Literal["in_transit", "arrived_destination", "delivered", "returned", "no_updates"]
StepStatus = Literal["done", "due", "overdue", "not_yet", "missed", "not_applicable"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# YAML folds a line break into a space; between Chinese characters that space is wrong
_CJK_FOLD = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])")


class Bilingual(_Strict):
    """Staff-facing text in both staff languages."""

    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    @field_validator("zh")
    @classmethod
    def _unfold(cls, value: str) -> str:
        return _CJK_FOLD.sub("", value)

    def __call__(self, lang: str) -> str:
        return getattr(self, lang if lang in ids.STAFF_LANGS else "en")


class BilingualList(_Strict):
    en: list[str] = Field(min_length=1)
    zh: list[str] = Field(min_length=1)

    def __call__(self, lang: str) -> list[str]:
        return getattr(self, lang if lang in ids.STAFF_LANGS else "en")


class Timing(_Strict):
    """When a step opens, becomes overdue and stops being worth doing (hours from ``opens``)."""

    opens: Event
    opens_after_hours: float = Field(0, ge=0)
    overdue_after_hours: float = Field(gt=0)
    closes: Event | None = None
    closes_after_hours: float | None = Field(None, gt=0)
    done_when: Event | None = None
    skip_when_dispute: bool = False
    skip_when_tracking: list[TrackingStatus] = []
    urgent_when: Literal["stock_problem", "protection_window"] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Timing:
        if self.overdue_after_hours <= self.opens_after_hours:
            raise ValueError("overdue_after_hours must be later than opens_after_hours")
        if (
            self.closes_after_hours is not None
            and self.closes_after_hours <= self.overdue_after_hours
        ):
            raise ValueError("closes_after_hours must be later than overdue_after_hours")
        return self


class Step(_Strict):
    id: str
    buyer_facing: bool
    template: str | None = None
    urgent_template: str | None = None
    title: Bilingual
    purpose: Bilingual
    actions: BilingualList
    record: BilingualList
    timing: Timing

    @model_validator(mode="after")
    def _template_if_buyer_facing(self) -> Step:
        if self.buyer_facing and not self.template:
            raise ValueError("a buyer-facing step needs a `template` (the message it sends)")
        if not self.buyer_facing and (self.template or self.urgent_template):
            raise ValueError("an internal step (buyer_facing: false) sends no template")
        return self


class StepsFile(_Strict):
    steps: list[Step]

    @model_validator(mode="after")
    def _contract_ids(self) -> StepsFile:
        got = tuple(s.id for s in self.steps)
        if got != ids.STEP_IDS:
            raise ValueError(
                f"steps must be exactly the contract's ids in order {list(ids.STEP_IDS)}; "
                f"found {list(got)}"
            )
        return self


class BuyerProtection(_Strict):
    source: str
    default_days: int = Field(gt=0)
    by_country: dict[str, int] = {}
    alert_days_before: int = Field(ge=0)

    @field_validator("by_country")
    @classmethod
    def _codes(cls, value: dict[str, int]) -> dict[str, int]:
        for code, days in value.items():
            if len(code) != 2 or not code.isupper():
                raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
            if days <= 0:
                raise ValueError(f"{code}: days must be positive")
        return value

    def days_for(self, country: str | None) -> int:
        return self.by_country.get(country or "", self.default_days)


class DisputeRules(_Strict):
    source: str
    response_days: int = Field(gt=0)
    opens_after_shipping_days: int = Field(ge=0)


class FeedbackRules(_Strict):
    source: str
    window_days: int = Field(gt=0)
    positive_min_stars: int = Field(ge=1, le=5)
    negative_max_stars: int = Field(ge=1, le=5)


class StoreHealthRules(_Strict):
    source: str
    window_days: int = Field(gt=0)
    odr_target: float = Field(gt=0, lt=1)


class Marketplace(_Strict):
    buyer_protection: BuyerProtection
    dispute: DisputeRules
    feedback: FeedbackRules
    store_health: StoreHealthRules


class LocaleEntry(_Strict):
    lang: str = Field(min_length=2, max_length=2)
    locale: str = Field(min_length=2)


class Locales(_Strict):
    # the buyer languages the team writes in → the locale that formats money and dates
    # when the order's country does not say (every message template covers all of them)
    languages: dict[str, str] = Field(min_length=1)
    default: LocaleEntry
    countries: dict[str, LocaleEntry]

    @model_validator(mode="after")
    def _known_languages(self) -> Locales:
        if "en" not in self.languages:
            raise ValueError("languages: English (en) is needed, it is the fallback")
        problems = [
            f"countries.{country}.lang: {entry.lang!r} is not one of languages "
            f"{sorted(self.languages)}"
            for country, entry in {"default": self.default, **self.countries}.items()
            if entry.lang not in self.languages
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def for_country(self, country: str | None) -> LocaleEntry:
        return self.countries.get(country or "", self.default)


class Labelled(_Strict):
    id: str
    label: Bilingual


class Reason(Labelled):
    category: str


def _exact_ids(kind: str, entries: list[Labelled], expected: tuple[str, ...]) -> None:
    got = [e.id for e in entries]
    if sorted(got) != sorted(expected) or len(set(got)) != len(got):
        raise ValueError(f"{kind} must be exactly the contract's ids {list(expected)}; found {got}")


class Taxonomy(_Strict):
    categories: list[Labelled]
    reasons: list[Reason]
    flags: list[Labelled]
    resolutions: list[Labelled]
    policy_rules: list[Labelled]

    @model_validator(mode="after")
    def _contract_ids(self) -> Taxonomy:
        _exact_ids("categories", self.categories, ids.CATEGORY_IDS)
        _exact_ids("reasons", self.reasons, ids.REASON_IDS)
        _exact_ids("flags", self.flags, ids.FLAG_IDS)
        _exact_ids("resolutions", self.resolutions, ids.RESOLUTION_IDS)
        _exact_ids("policy_rules", self.policy_rules, ids.POLICY_RULE_IDS)
        wrong = [
            f"{r.id} → {r.category} (contract: {ids.REASON_CATEGORY[r.id]})"
            for r in self.reasons
            if ids.REASON_CATEGORY.get(r.id) != r.category
        ]
        if wrong:
            raise ValueError("reasons in the wrong category: " + "; ".join(wrong))
        return self

    def label(self, kind: str, id_: str, lang: str = "en") -> str:
        for entry in getattr(self, kind):
            if entry.id == id_:
                return entry.label(lang)
        raise KeyError(f"no {kind} entry {id_!r}")


# reason key → the placeholders playbook.checklist fills for it
REASON_FIELDS: dict[str, frozenset[str]] = {
    "done": frozenset(),
    "done_by_event": frozenset({"event"}),
    "waits_for_event": frozenset({"event"}),
    "opens_later": frozenset({"opens_at", "event", "wait"}),
    "due": frozenset({"event", "age", "overdue_at"}),
    "overdue": frozenset({"late", "event", "age"}),
    "missed_event": frozenset({"closes"}),
    "missed_time": frozenset({"closed_at"}),
    "dispute_open": frozenset(),
    "parcel_returned": frozenset(),
    "stock_problem": frozenset({"stock"}),
    "window_closing": frozenset({"window", "country", "left"}),
    "window_ended": frozenset({"window", "country", "late"}),
    "dispute_due": frozenset({"age", "dispute", "deadline"}),
    "dispute_overdue": frozenset({"late", "dispute"}),
}


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a str.format text uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _check_placeholders(key: str, text: Bilingual, allowed: frozenset[str]) -> None:
    for lang in ids.STAFF_LANGS:
        unknown = placeholders(text(lang)) - allowed
        if unknown:
            raise ValueError(
                f"{key}.{lang}: unknown placeholder(s) {sorted(unknown)}; "
                f"available: {sorted(allowed)}"
            )
    if placeholders(text.en) != placeholders(text.zh):
        raise ValueError(f"{key}: en and zh use different placeholders")


class ChecklistText(_Strict):
    """How the to-do list words its statuses and reasons (checklist.yaml)."""

    events: dict[Event, Bilingual]
    statuses: dict[StepStatus, Bilingual]
    reasons: dict[str, Bilingual]
    dispute_title: Bilingual
    stock: dict[Literal["out_of_stock", "colour_unavailable", "size_unavailable"], Bilingual]
    units: dict[Literal["hours", "days"], Bilingual]

    @model_validator(mode="after")
    def _complete(self) -> ChecklistText:
        for kind, got, want in (
            ("events", self.events, Event.__args__),
            ("statuses", self.statuses, StepStatus.__args__),
            ("reasons", self.reasons, tuple(REASON_FIELDS)),
            ("stock", self.stock, ids.STOCK_STATUSES[1:]),
            ("units", self.units, ("hours", "days")),
        ):
            missing = [k for k in want if k not in got]
            if missing:
                raise ValueError(f"{kind}: missing {missing}")
        extra = sorted(set(self.reasons) - set(REASON_FIELDS))
        if extra:
            raise ValueError(f"reasons: unknown keys {extra}; known: {sorted(REASON_FIELDS)}")
        for key, text in self.reasons.items():
            _check_placeholders(f"reasons.{key}", text, REASON_FIELDS[key])
        for key, text in self.units.items():
            _check_placeholders(f"units.{key}", text, frozenset({"n"}))
        return self


class OrdersConfig(_Strict):
    aliases: dict[str, list[str]]

    @field_validator("aliases")
    @classmethod
    def _known_columns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - set(ids.ORDER_COLUMNS))
        if unknown:
            raise ValueError(f"aliases for columns the contract does not have: {unknown}")
        return value


class GuideSection(_Strict):
    title: Bilingual
    body: Bilingual | None = None
    items: BilingualList | None = None


class NotebookEntry(_Strict):
    file: str = Field(pattern=r"^[0-9]{2}_[a-z0-9_]+\.ipynb$")
    title: Bilingual
    learn: Bilingual


# the words lesson tables use (guide.yaml → labels)
GUIDE_LABELS: tuple[str, ...] = (
    "step", "title", "opens", "overdue_after", "template", "internal", "actions", "record",
    "why", "notebooks", "learn", "category", "reason", "option", "refund", "extra_cost", "net",
)  # fmt: skip


class Guide(_Strict):
    """The start page: welcome text, how to use the notebooks, the map of notebooks."""

    welcome: GuideSection
    how_to: GuideSection
    notebooks: list[NotebookEntry] = Field(min_length=1)
    labels: dict[str, Bilingual]

    @field_validator("labels")
    @classmethod
    def _all_labels(cls, value: dict) -> dict:
        missing = [k for k in GUIDE_LABELS if k not in value]
        unknown = [k for k in value if k not in GUIDE_LABELS]
        if missing or unknown:
            raise ValueError(f"labels: missing {missing}, unknown {unknown}")
        return value


PhraseEntry = str | dict[str, float]


class SignalFile(_Strict):
    """One language's buyer-message signals (content/signals/<lang>.yaml)."""

    lang: str = Field(min_length=2, max_length=2)
    detect: list[str] = Field(min_length=1)
    detect_chars: str = ""
    negations: list[str] = []
    # words that turn a following negation into a condition ("if not", "si no", "если не"):
    # "refund half, if not I leave 1 star" still threatens
    conditionals: list[str] = []
    negation_window: int = Field(3, ge=0, le=10)
    reasons: dict[str, list[PhraseEntry]]
    flags: dict[str, list[PhraseEntry]]
    context: dict[Literal["admits_receipt", "good_faith_check"], list[PhraseEntry]] = {}

    @field_validator("detect", "negations", "conditionals", mode="before")
    @classmethod
    def _words_not_booleans(cls, value: Any) -> Any:
        if isinstance(value, list):
            for number, item in enumerate(value):
                if isinstance(item, bool):
                    raise ValueError(
                        f"item {number}: YAML read this word as {str(item).lower()}; "
                        'put it in quotes, e.g. "no"'
                    )
        return value

    @model_validator(mode="after")
    def _ids_and_patterns(self) -> SignalFile:
        from .phrases import compile_phrase

        for kind, groups, allowed in (
            ("reasons", self.reasons, ids.REASON_IDS),
            ("flags", self.flags, ids.FLAG_IDS),
        ):
            unknown = sorted(set(groups) - set(allowed))
            if unknown:
                raise ValueError(f"{kind}: unknown ids {unknown}; the contract's: {list(allowed)}")
        for kind, groups in (("reasons", self.reasons), ("flags", self.flags),
                             ("context", self.context)):  # fmt: skip
            for label, entries in groups.items():
                for number, entry in enumerate(entries):
                    if isinstance(entry, dict) and len(entry) != 1:
                        raise ValueError(
                            f"{kind}.{label}[{number}]: write one phrase per entry, "
                            f"as `phrase` or `{{phrase: weight}}`"
                        )
                    phrase = entry if isinstance(entry, str) else next(iter(entry))
                    try:
                        compile_phrase(phrase)
                    except ValueError as exc:
                        raise ValueError(f"{kind}.{label}[{number}] {phrase!r}: {exc}") from None
        return self

    def entries(self, kind: str) -> list[tuple[str, str, float]]:
        """(label, phrase, weight) for every entry of ``reasons``, ``flags`` or ``context``."""
        out = []
        for label, items in getattr(self, kind).items():
            for entry in items:
                phrase, weight = (
                    (entry, 1.0) if isinstance(entry, str) else next(iter(entry.items()))
                )
                out.append((label, phrase, float(weight)))
        return out


class MoneyRules(_Strict):
    return_shipping_factor: float = Field(ge=0)
    suggest_share: float = Field(gt=0, le=1)


class ReasonPlan(_Strict):
    resolutions: list[str] = Field(min_length=1)
    evidence: list[str] = Field(min_length=1)
    why: Bilingual


class FlagPlan(_Strict):
    note: Bilingual


CONTEXT_NOTES = (
    "delivered_but_not_received", "delivered_contradicted", "no_cost", "no_profit",
    "low_confidence", "empty",
)  # fmt: skip


class Scoring(_Strict):
    """How signal weights become a decision (see playbook.triage)."""

    flag_threshold: float = Field(gt=0)
    override_strength: float = Field(gt=0)
    fallback_reason: str
    shouting_weight: float = Field(ge=0)
    angry_emoji: str = ""
    negatable: list[str] = []
    max_chars: int = Field(gt=0)

    @field_validator("fallback_reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if value not in ids.REASON_IDS:
            raise ValueError(
                f"{value!r} is not a reason id; the contract's: {list(ids.REASON_IDS)}"
            )
        return value


class Resolutions(_Strict):
    """What to recommend per dispute reason, the evidence to collect, and the money rules."""

    scoring: Scoring
    money: MoneyRules
    templates: dict[str, str]
    evidence: dict[str, Bilingual]
    reasons: dict[str, ReasonPlan]
    flags: dict[str, FlagPlan]
    context: dict[str, Bilingual]

    @model_validator(mode="after")
    def _consistent(self) -> Resolutions:
        problems = []
        for kind, got, want in (
            ("reasons", self.reasons, ids.REASON_IDS),
            ("flags", self.flags, ids.FLAG_IDS),
            ("templates", self.templates, ids.RESOLUTION_IDS),
            ("context", self.context, CONTEXT_NOTES),
        ):
            missing = [k for k in want if k not in got]
            extra = [k for k in got if k not in want]
            if missing or extra:
                problems.append(f"{kind}: missing {missing}, unknown {extra}")
        for reason, plan in self.reasons.items():
            bad = [r for r in plan.resolutions if r not in ids.RESOLUTION_IDS]
            if bad:
                problems.append(f"reasons.{reason}.resolutions: unknown ids {bad}")
            unknown = [e for e in plan.evidence if e not in self.evidence]
            if unknown:
                problems.append(f"reasons.{reason}.evidence: not in `evidence` {unknown}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


# --- store health (health.yaml): targets, metric labels and meanings

HEALTH_METRICS: tuple[str, ...] = (
    "orders", "defects", "odr", "negative_feedback", "disputes", "chargebacks",
    "dispute_rate", "open_disputes", "closed_disputes", "disputes_lost", "seller_loss_rate",
    "rated_orders", "positive_feedback", "positive_feedback_rate", "delivered_orders",
    "avg_days_to_deliver",
)  # fmt: skip
HEALTH_RATES: tuple[str, ...] = (
    "odr",
    "dispute_rate",
    "seller_loss_rate",
    "positive_feedback_rate",
)
HEALTH_WORDS: tuple[str, ...] = (
    "metric", "value", "target", "status", "on_target", "off_target", "no_data", "no_orders",
    "means", "source", "period", "recent", "days_to_deliver", "carrier", "country",
    "dispute_reason", "lost", "none", "notice", "eligible", "with_notice", "without_notice",
    "dispute_rate_with", "dispute_rate_without", "share", "extra_notices", "disputes_avoided",
    "notices_to_target", "not_enough", "projected_odr",
)  # fmt: skip
# text key → the placeholders playbook.health fills for it
HEALTH_TEXTS: dict[str, frozenset[str]] = {
    "no_orders": frozenset(),
    "on_target": frozenset({"odr", "target", "room"}),
    "off_target": frozenset({"odr", "target", "remove", "defects"}),
    "notice": frozenset(
        {"step", "share", "eligible", "rate_with", "rate_without", "goal", "extra", "avoided"}
    ),
    "notice_no_gap": frozenset({"step"}),
    "notices_needed": frozenset({"needed"}),
    "notices_not_enough": frozenset(),
    "projected": frozenset({"projected", "verdict"}),
    "caveat": frozenset(),
}


class HealthTarget(BaseModel):
    """A team target for one rate, with where it comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float = Field(gt=0, le=1)
    comparison: Literal["below", "at_most", "at_least"]
    source: str | None = None  # a citation: the marketplace's rule and where it is written
    why: Bilingual | None = None  # the team's reasoning, for a target of its own

    @model_validator(mode="after")
    def _explained(self) -> HealthTarget:
        if not (self.source or self.why):
            raise ValueError("give a `source` (a marketplace rule) or a `why` (the team's reason)")
        return self

    @property
    def symbol(self) -> str:
        return {"below": "<", "at_most": "≤", "at_least": "≥"}[self.comparison]


class HealthMetric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: Bilingual
    means: Bilingual


class HealthFile(BaseModel):
    """content/health.yaml: targets, what each metric means, and the scorecard's words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: dict[str, HealthTarget]
    metrics: dict[str, HealthMetric]
    words: dict[str, Bilingual]
    texts: dict[str, Bilingual]

    @field_validator("targets")
    @classmethod
    def _rates_only(cls, value: dict[str, HealthTarget]) -> dict[str, HealthTarget]:
        unknown = [k for k in value if k not in HEALTH_RATES]
        if unknown:
            raise ValueError(f"targets for unknown rates {unknown}; known: {list(HEALTH_RATES)}")
        if "odr" not in value:
            raise ValueError("targets: `odr` is required")
        return value

    @model_validator(mode="after")
    def _complete(self) -> HealthFile:
        problems = []
        for kind, got, want in (
            ("metrics", self.metrics, HEALTH_METRICS),
            ("words", self.words, HEALTH_WORDS),
            ("texts", self.texts, tuple(HEALTH_TEXTS)),
        ):
            missing = [k for k in want if k not in got]
            unknown = [k for k in got if k not in want]
            if missing or unknown:
                problems.append(f"{kind}: missing {missing}, unknown {unknown}")
        for key, text in self.texts.items():
            allowed = HEALTH_TEXTS.get(key, frozenset())
            for lang in ids.STAFF_LANGS:
                extra = placeholders(text(lang)) - allowed
                if extra:
                    problems.append(
                        f"texts.{key}.{lang}: unknown placeholder(s) {sorted(extra)}; "
                        f"available: {sorted(allowed)}"
                    )
            if placeholders(text.en) != placeholders(text.zh):
                problems.append(f"texts.{key}: en and zh use different placeholders")
        if problems:
            raise ValueError("; ".join(problems))
        return self


VariableType = Literal["text", "integer", "money", "date", "currency"]
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class TemplateVariable(_Strict):
    """A value a message template needs, with an example that renders (and documents it)."""

    type: VariableType
    required: bool = True
    example: str | int | float
    # what a draft from an order uses when the order does not hold this value (optional)
    default: str | int | float | None = None

    @model_validator(mode="after")
    def _example_fits(self) -> TemplateVariable:
        for value in (self.example, self.default):
            if value is not None:
                self._check(value)
        return self

    def _check(self, value: str | int | float) -> None:
        ok = {
            "text": isinstance(value, str) and bool(value.strip()),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "money": isinstance(value, int | float) and not isinstance(value, bool),
            "date": isinstance(value, str) and bool(_DATE.fullmatch(value)),
            "currency": isinstance(value, str) and bool(re.fullmatch(r"[A-Z]{3}", value)),
        }[self.type]
        if not ok:
            want = {
                "text": "some text", "integer": "a whole number", "money": "a number",
                "date": "a date as YYYY-MM-DD", "currency": "an ISO 4217 code such as USD",
            }[self.type]  # fmt: skip
            raise ValueError(f"{value!r} is not {want}")


class TemplateServes(_Strict):
    """What a template is for: one shipping step, one resolution, or a named situation."""

    step: str | None = None
    resolution: str | None = None
    situation: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TemplateServes:
        given = [k for k in ("step", "resolution", "situation") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of step, resolution or situation")
        if self.step and self.step not in ids.STEP_IDS:
            raise ValueError(f"step {self.step!r} is not a checklist step id")
        if self.resolution and self.resolution not in ids.RESOLUTION_IDS:
            raise ValueError(f"resolution {self.resolution!r} is not a resolution id")
        return self

    @property
    def kind(self) -> str:
        return "step" if self.step else "resolution" if self.resolution else "situation"

    @property
    def target(self) -> str:
        return self.step or self.resolution or self.situation or ""


class TemplateText(_Strict):
    subject: str = Field(min_length=1)
    body: str = Field(min_length=1)


class MessageTemplate(_Strict):
    """One buyer message (content/messages/<id>.yaml): its use, variables and bodies."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    serves: TemplateServes
    purpose: Bilingual
    variables: dict[str, TemplateVariable]
    languages: dict[str, TemplateText] = Field(min_length=1)

    @model_validator(mode="after")
    def _money_has_currency(self) -> MessageTemplate:
        money = [n for n, v in self.variables.items() if v.type == "money"]
        if money and not any(v.type == "currency" for v in self.variables.values()):
            raise ValueError(f"{money} are money: declare `currency: {{type: currency}}` too")
        return self

    @property
    def example_values(self) -> dict[str, Any]:
        return {name: var.example for name, var in self.variables.items()}


# file name → model; one entry per file a content folder must hold
FILES: dict[str, type[BaseModel]] = {
    "steps.yaml": StepsFile,
    "marketplace.yaml": Marketplace,
    "locales.yaml": Locales,
    "taxonomy.yaml": Taxonomy,
    "orders.yaml": OrdersConfig,
    "checklist.yaml": ChecklistText,
    "guide.yaml": Guide,
    "resolutions.yaml": Resolutions,
    "health.yaml": HealthFile,
}


# one file per buyer language triage reads: signals/<lang>.yaml; a trainer may add more
SIGNALS_DIR = "signals"
# one file per buyer-message template: messages/<id>.yaml
MESSAGES_DIR = "messages"


class Content:
    """The validated playbook content of one folder."""

    def __init__(
        self,
        directory: Path,
        parsed: dict[str, BaseModel],
        signals: dict[str, SignalFile],
        templates: dict[str, MessageTemplate],
    ):
        self.directory = directory
        self.steps: list[Step] = parsed["steps.yaml"].steps
        self.marketplace: Marketplace = parsed["marketplace.yaml"]
        self.locales: Locales = parsed["locales.yaml"]
        self.taxonomy: Taxonomy = parsed["taxonomy.yaml"]
        self.orders: OrdersConfig = parsed["orders.yaml"]
        self.checklist: ChecklistText = parsed["checklist.yaml"]
        self.guide: Guide = parsed["guide.yaml"]
        self.signals: dict[str, SignalFile] = signals
        self.resolutions: Resolutions = parsed["resolutions.yaml"]
        self.health: HealthFile = parsed["health.yaml"]
        self.templates: dict[str, MessageTemplate] = templates
        self._labels: dict[tuple[str, str], dict[str, str]] = {}

    def labels(self, kind: str, lang: str) -> dict[str, str]:
        """id → label of a taxonomy kind in one staff language (worded once, for hot paths)."""
        key = (kind, lang)
        if key not in self._labels:
            self._labels[key] = {e.id: e.label(lang) for e in getattr(self.taxonomy, kind)}
        return self._labels[key]

    def step(self, step_id: str) -> Step:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(f"no shipping step {step_id!r}; known: {list(ids.STEP_IDS)}")

    def __repr__(self) -> str:
        return f"<Content from {self.directory} · {len(self.steps)} steps>"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A SafeLoader that refuses a key written twice (PyYAML silently keeps the last)."""


def _mapping_without_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode, deep=False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates
)


def read_yaml(path: Path) -> Any:
    """Parse one YAML file, turning syntax errors into a line-numbered ContentError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError([f"{path.name}: file is missing from {path.parent}"]) from None
    except UnicodeDecodeError as exc:
        raise ContentError([f"{path.name}: not UTF-8 text ({exc.reason})"]) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ContentError([f"{path.name}{where}: {what}"]) from None


def _describe_location(file: str, raw: Any, loc: tuple) -> str:
    """``steps.yaml → steps[3] (ship_photo_weigh) → timing.overdue_after_hours``."""
    parts: list[str] = [file]
    field: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            node = node[key]
            entry = f"{'.'.join(field)}[{key}]" if field else f"[{key}]"
            if isinstance(node, dict) and "id" in node:
                entry += f" ({node['id']})"
            parts.append(entry)
            field = []
            continue
        field.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
    if field:
        parts.append(".".join(field))
    return " → ".join(parts)


def validate_file(path: Path, model: type[BaseModel]) -> tuple[BaseModel | None, list[str]]:
    """Validate one file against its model; return (parsed or None, problems)."""
    try:
        raw = read_yaml(path)
    except ContentError as exc:
        return None, exc.problems
    if raw is None:
        return None, [f"{path.name}: file is empty"]
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = _describe_location(path.name, raw, tuple(err["loc"]))
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(f"{where}: {msg}")
        return None, problems


def load_content(directory: str | Path | None = None) -> Content:
    """Load and validate a content folder (the package's own when ``directory`` is None).

    Raises ContentError listing every problem in every file.
    """
    if directory is None:
        return _default_content()
    return _load(Path(directory))


@functools.cache
def _default_content() -> Content:
    return _load(CONTENT_DIR)


def _load(directory: Path) -> Content:
    if not directory.is_dir():
        raise ContentError([f"{directory}: not a folder"])
    parsed: dict[str, BaseModel] = {}
    problems: list[str] = []
    for name, model in FILES.items():
        value, found = validate_file(directory / name, model)
        problems.extend(found)
        if value is not None:
            parsed[name] = value
    signals: dict[str, SignalFile] = {}
    signal_dir = directory / SIGNALS_DIR
    paths = sorted(signal_dir.glob("*.yaml"))
    if not any(p.stem == "en" for p in paths):
        problems.append(f"{SIGNALS_DIR}/en.yaml: file is missing (English is the fallback)")
    for path in paths:
        lang = path.stem
        value, found = validate_file(path, SignalFile)
        problems.extend(f"{SIGNALS_DIR}/{p}" for p in found)
        if value is not None:
            if value.lang != lang:
                problems.append(f"{SIGNALS_DIR}/{path.name} → lang: says {value.lang!r}")
            signals[lang] = value
    templates, found = _load_templates(directory / MESSAGES_DIR)
    problems.extend(found)
    problems.extend(_cross_file_problems(parsed))
    problems.extend(_template_links(parsed, templates))
    if problems:
        raise ContentError(problems)
    return Content(directory, parsed, signals, templates)


def _load_templates(folder: Path) -> tuple[dict[str, MessageTemplate], list[str]]:
    """Every messages/<id>.yaml, validated; the file name must be the template's id."""
    templates: dict[str, MessageTemplate] = {}
    problems: list[str] = []
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        problems.append(f"{MESSAGES_DIR}/: no message templates in {folder}")
    for path in paths:
        value, found = validate_file(path, MessageTemplate)
        problems.extend(f"{MESSAGES_DIR}/{p}" for p in found)
        if value is None:
            continue
        if value.id != path.stem:
            problems.append(
                f"{MESSAGES_DIR}/{path.name} → id: {value.id!r} differs from the file name"
            )
        templates[value.id] = value
    return templates, problems


def _template_links(
    parsed: dict[str, BaseModel], templates: dict[str, MessageTemplate]
) -> list[str]:
    """Every template a step or a resolution names exists, and every language is covered."""
    problems: list[str] = []
    steps, plan, locales = (
        parsed.get("steps.yaml"), parsed.get("resolutions.yaml"), parsed.get("locales.yaml")
    )  # fmt: skip
    named: list[tuple[str, str]] = []
    if steps is not None:
        for step in steps.steps:
            for field in ("template", "urgent_template"):
                if getattr(step, field):
                    named.append((f"steps.yaml → {step.id} → {field}", getattr(step, field)))
    if plan is not None:
        named += [(f"resolutions.yaml → templates.{r}", t) for r, t in plan.templates.items()]
    for where, template_id in named:
        if template_id not in templates:
            problems.append(f"{where}: no template {template_id!r} in {MESSAGES_DIR}/")
    if locales is not None:
        for template in templates.values():
            missing = [lang for lang in locales.languages if lang not in template.languages]
            extra = [lang for lang in template.languages if lang not in locales.languages]
            if missing:
                problems.append(
                    f"{MESSAGES_DIR}/{template.id}.yaml → languages: no body for {missing}"
                )
            if extra:
                problems.append(
                    f"{MESSAGES_DIR}/{template.id}.yaml → languages: {extra} are not "
                    "languages of locales.yaml"
                )
    return problems


def _cross_file_problems(parsed: dict[str, BaseModel]) -> list[str]:
    """Rules that span files: a team may be stricter than the marketplace, never looser."""
    health, market = parsed.get("health.yaml"), parsed.get("marketplace.yaml")
    if health is None or market is None:
        return []
    ours, limit = health.targets["odr"].value, market.store_health.odr_target
    if ours > limit:
        return [
            f"health.yaml → targets.odr.value: {ours} is looser than the marketplace's limit "
            f"{limit} (marketplace.yaml → store_health.odr_target)"
        ]
    return []
