"""A drill session: one trainee, scenarios one at a time, every attempt graded and recorded.

The widgets (:class:`playbook.widgets.ScenarioDrill`) only gather clicks; the session is
plain Python so notebooks, the Voila app and tests drive exactly the same steps.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DrillSession:
    """Pick the next scenario for a trainee, grade an answer, and record the attempt.

    ``store`` is a :class:`playbook.progress.ProgressStore` (None: nothing is recorded,
    for a demo); ``history`` is rebuilt from the store, so a trainee who comes back goes on
    at the level they reached.
    """

    trainee: str
    skill: str | None = None
    difficulty: int | None = None
    kind: str | None = None
    lang: str = "en"
    session: str | None = None
    store: Any = None
    seed: int = 0
    history: list[tuple[str, float]] = field(default_factory=list)
    current: Any = None
    shown_at: float | None = None
    last_attempt_id: int | None = None

    def __post_init__(self) -> None:
        self.trainee = " ".join(str(self.trainee or "").split())
        if not self.trainee:
            raise ValueError("a drill needs the trainee's name")
        if self.store is not None and not self.history:
            done = self.store.attempts(trainee=self.trainee)
            self.history = list(zip(done["scenario_id"], done["score"], strict=True))

    def next(self) -> Any:
        """The next scenario (None when every matching scenario is done and passed)."""
        from .training import next_scenario

        self.current = next_scenario(
            self.history, skill=self.skill, difficulty=self.difficulty, seed=self.seed,
            kind=self.kind,
        )  # fmt: skip
        self.shown_at = time.monotonic()
        return self.current

    def answer(self, answers: Mapping[str, Any]) -> Any:
        """Grade ``answers`` for the current scenario, record the attempt, return the Grade."""
        from .training import grade

        if self.current is None:
            raise ValueError("no scenario is open: call next() first")
        result = grade(self.current, dict(answers), lang=self.lang)
        seconds = None if self.shown_at is None else round(time.monotonic() - self.shown_at, 1)
        if self.store is not None:
            self.last_attempt_id = self.store.record(
                self.trainee,
                self.current.id,
                dict(answers),
                result.score,
                field_scores={f.field: f.score for f in result.fields},
                kind=self.current.kind,
                skills=tuple(self.current.skills),
                difficulty=self.current.difficulty,
                seconds=seconds,
                session=self.session,
            )
        self.history.append((self.current.id, result.score))
        return result


# the order facts a trainee sees on a scenario card, in this order
CARD_FIELDS = (
    "order_id", "buyer_country", "currency", "order_value", "cost", "shipping_cost",
    "paid_at", "stock_status", "shipped_at", "tracking_status", "arrived_destination_at",
    "delivered_at", "dispute_opened_at", "done_steps",
)  # fmt: skip


def scenario_card_html(scenario: Any, lang: str = "en") -> str:
    """The scenario as a trainee reads it: title, brief, the buyer's message, the order."""
    import html

    esc = html.escape
    order = scenario.order or {}
    rows = "".join(
        f"<tr><td style='color:#666;padding-right:1em'>{esc(key)}</td>"
        f"<td>{esc(str(order[key]))}</td></tr>"
        for key in CARD_FIELDS
        if order.get(key) not in (None, "")
    )
    today = getattr(scenario, "today", None)
    when = (
        f"<p>{'今天' if lang == 'zh' else 'Today'}: <b>{esc(str(today))}</b></p>" if today else ""
    )
    message = getattr(scenario, "message", None)
    quote = (
        f"<blockquote style='border-left:4px solid #90caf9;margin:0.5em 0;padding:0.3em 0.8em;"
        f"background:#f5f9ff'>{esc(message)}</blockquote>"
        if message
        else ""
    )
    level = "★" * int(scenario.difficulty)
    return (
        f"<div class='pb-card'><h3 style='margin:0.2em 0'>{esc(scenario.title(lang))} "
        f"<span style='color:#f9a825' title='difficulty'>{level}</span></h3>"
        f"<p>{esc(scenario.brief(lang))}</p>{quote}{when}"
        f"<table style='font-size:90%'>{rows}</table></div>"
    )
