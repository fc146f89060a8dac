"""The shipping SOP as a daily to-do list.

For every order and each of the seven steps, a status — ``done``, ``due``, ``overdue``,
``not_yet``, ``missed`` or ``not_applicable`` — and the reason in the staff's language.
Every rule comes from ``content/steps.yaml`` and ``content/marketplace.yaml``; this module
only applies them, vectorised over a whole order export, as of a given ``today``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import ids
from .content import Content, Step, load_content

STATUSES: tuple[str, ...] = ("overdue", "due", "not_yet", "missed", "not_applicable", "done")
TODO_STATUSES: tuple[str, ...] = ("overdue", "due")

EVENT_COLUMNS: dict[str, str] = {
    "paid": "paid_at",
    "shipped": "shipped_at",
    "arrived_destination": "arrived_destination_at",
    "delivered": "delivered_at",
}
# tracking statuses that prove an event happened even when its timestamp is missing
EVENT_IMPLIED_BY_TRACKING: dict[str, tuple[str, ...]] = {
    "arrived_destination": ("arrived_destination", "delivered"),
    "delivered": ("delivered",),
}

TABLE_COLUMNS: list[str] = [
    "order_id",
    "step",
    "title",
    "status",
    "urgent",
    "deadline",
    "reason",
    "template",
    "buyer_lang",
]


def as_of(today: dt.date | dt.datetime | str | pd.Timestamp | None = None) -> pd.Timestamp:
    """The moment the list is made for, in UTC.

    A bare date means the *end* of that day: what happened that day counts, and what will
    be overdue by the evening is shown as overdue. ``None`` means now.
    """
    if today is None:
        return pd.Timestamp.now(tz="UTC")
    if isinstance(today, str):
        try:
            stamp = pd.Timestamp(today)
        except ValueError as exc:
            raise ValueError(f"today: {today!r} is not a date (YYYY-MM-DD expected)") from exc
        is_date = len(today.strip()) <= 10
    elif isinstance(today, dt.datetime | pd.Timestamp):
        stamp, is_date = pd.Timestamp(today), False
    elif isinstance(today, dt.date):
        stamp, is_date = pd.Timestamp(today), True
    else:
        raise TypeError(f"today: expected a date, datetime or 'YYYY-MM-DD', got {type(today)}")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    if is_date:
        stamp = stamp.normalize() + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)
    return stamp


def _as_orders(orders: pd.DataFrame | Mapping[str, Any]) -> pd.DataFrame:
    """Accept a normalised frame as is; normalise anything else (a raw frame, one order)."""
    from .orders import normalise_orders

    if isinstance(orders, Mapping | pd.Series):
        return normalise_orders(pd.DataFrame([dict(orders)]))
    if not isinstance(orders, pd.DataFrame):
        raise TypeError(f"expected an orders DataFrame or one order mapping, got {type(orders)}")
    typed = all(c in orders.columns for c in ids.ORDER_COLUMNS) and all(
        isinstance(orders[EVENT_COLUMNS[e]].dtype, pd.DatetimeTZDtype) for e in EVENT_COLUMNS
    )
    return orders if typed else normalise_orders(orders)


def _event_time(frame: pd.DataFrame, event: str, now: pd.Timestamp) -> pd.Series:
    """When the event happened (NaT if it has not, or if only tracking says it did)."""
    at = frame[EVENT_COLUMNS[event]]
    return at.where(at <= now)


def _event_happened(frame: pd.DataFrame, event: str, now: pd.Timestamp) -> np.ndarray:
    at = frame[EVENT_COLUMNS[event]]
    happened = (at <= now).to_numpy(dtype=bool, na_value=False)
    implied = EVENT_IMPLIED_BY_TRACKING.get(event)
    if implied:
        happened = happened | frame["tracking_status"].isin(implied).to_numpy(
            dtype=bool, na_value=False
        )
    return happened


def _done_matrix(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Step id → which orders have it ticked in ``done_steps``.

    An export repeats a few dozen distinct values, so each is split once, not per row.
    """
    codes, distinct = pd.factorize(frame["done_steps"].fillna(""), use_na_sentinel=False)
    ticked = [set(str(value).split(";")) for value in distinct]
    return {
        step: np.array([step in tokens for tokens in ticked], dtype=bool)[codes]
        if len(ticked)
        else np.zeros(len(frame), bool)
        for step in ids.STEP_IDS
    }


def _evaluate_step(
    frame: pd.DataFrame, step: Step, now: pd.Timestamp, content: Content, marked: np.ndarray
):
    """One step for every order: status, urgency and the facts its reason needs."""
    t = step.timing
    at = _event_time(frame, t.opens, now)
    happened = _event_happened(frame, t.opens, now)
    opens_at = at + pd.Timedelta(hours=t.opens_after_hours)
    deadline = at + pd.Timedelta(hours=t.overdue_after_hours)

    done_by_event = (
        _event_happened(frame, t.done_when, now) & ~marked
        if t.done_when
        else np.zeros(len(frame), bool)
    )
    done = marked | done_by_event

    dispute = (frame["dispute_opened_at"] <= now).to_numpy(dtype=bool, na_value=False)
    skip_dispute = dispute if t.skip_when_dispute else np.zeros(len(frame), bool)
    skip_tracking = (
        frame["tracking_status"].isin(t.skip_when_tracking).to_numpy(dtype=bool, na_value=False)
    )

    missed_event = _event_happened(frame, t.closes, now) if t.closes else np.zeros(len(frame), bool)
    closes_at = (
        at + pd.Timedelta(hours=t.closes_after_hours)
        if t.closes_after_hours
        else pd.Series(pd.NaT, index=frame.index, dtype=at.dtype)
    )
    missed_time = (closes_at <= now).to_numpy(dtype=bool, na_value=False)

    not_yet = ~happened | (opens_at > now).to_numpy(dtype=bool, na_value=False)
    late = (deadline <= now).to_numpy(dtype=bool, na_value=False)

    status = np.select(
        [done, skip_dispute | skip_tracking, missed_event | missed_time, not_yet, late],
        ["done", "not_applicable", "missed", "not_yet", "overdue"],
        "due",
    ).astype(object)

    urgent = np.zeros(len(frame), bool)
    window = pd.Series(np.nan, index=frame.index)
    window_end = pd.Series(pd.NaT, index=frame.index, dtype=at.dtype)
    if t.urgent_when == "stock_problem":
        stock = frame["stock_status"].fillna("in_stock")
        urgent = (stock != "in_stock").to_numpy(dtype=bool) & np.isin(status, TODO_STATUSES)
    elif t.urgent_when == "protection_window":
        protection = content.marketplace.buyer_protection
        window = frame["buyer_country"].map(protection.by_country).fillna(protection.default_days)
        window_end = at + pd.to_timedelta(window, unit="D")
        alert_from = window_end - pd.Timedelta(days=protection.alert_days_before)
        travelling = (
            happened
            & ~_event_happened(frame, "delivered", now)
            & ~skip_tracking
            & (alert_from <= now).to_numpy(dtype=bool, na_value=False)
        )
        urgent = travelling
        # the extension is a second action of the step: it reopens a step already done
        ended = (window_end <= now).to_numpy(dtype=bool, na_value=False)
        status = np.where(travelling & ended, "overdue", status)
        status = np.where(travelling & ~ended & (status != "overdue"), "due", status)
        deadline = deadline.where(~pd.Series(travelling, index=frame.index), window_end)

    template = np.where(
        urgent & bool(step.urgent_template), step.urgent_template or "", step.template or ""
    )
    return pd.DataFrame(
        {
            "order_id": frame["order_id"].to_numpy(),
            "step": step.id,
            "status": status,
            "urgent": urgent,
            "deadline": deadline.array,
            "template": pd.array(np.where(template == "", None, template), dtype="string"),
            "buyer_lang": frame["buyer_lang"].to_numpy(),
            # facts for the reason, dropped after explaining
            "x_row": np.arange(len(frame)),
            "x_at": at.array,
            "x_opens_at": opens_at.array,
            "x_closes_at": closes_at.array,
            "x_window": window.to_numpy(),
            "x_window_end": window_end.array,
            "x_done_by_event": done_by_event,
            "x_missed_event": missed_event,
            "x_skip_dispute": skip_dispute,
            "x_stock": frame["stock_status"].to_numpy(),
            "x_country": frame["buyer_country"].to_numpy(),
        }
    )


class _Words:
    """Durations and moments worded once per distinct value (a big list repeats them a lot)."""

    def __init__(self, units: Mapping, lang: str):
        self.hours_text, self.days_text = units["hours"](lang), units["days"](lang)
        self._cache: dict[int, str] = {}

    def duration(self, hours: float) -> str:
        if hours != hours:  # NaN: the time is unknown
            return "?"
        whole = max(int(hours), 0)
        text = self._cache.get(whole)
        if text is None:
            text = (
                self.hours_text.format(n=whole)
                if whole < 48
                else self.days_text.format(n=whole // 24)
            )
            self._cache[whole] = text
        return text


def _moments(stamps: pd.Series) -> np.ndarray:
    return stamps.dt.strftime("%Y-%m-%d %H:%M").fillna("?").to_numpy(dtype=object)


def _explain(rows: pd.DataFrame, step: Step, now: pd.Timestamp, content: Content, lang: str):
    """Word each row's status as a reason a new hire understands."""
    text = content.checklist
    r, t = {k: v(lang) for k, v in text.reasons.items()}, step.timing
    words = _Words(text.units, lang)
    event = text.events[t.opens](lang)
    done_event = text.events[t.done_when](lang) if t.done_when else ""
    closes_event = text.events[t.closes](lang) if t.closes else ""
    wait = words.duration(t.opens_after_hours)
    stock_words = {k: v(lang) for k, v in text.stock.items()}

    at = pd.Series(rows["x_at"].array)
    deadline = pd.Series(rows["deadline"].array)
    window_end = pd.Series(rows["x_window_end"].array)
    age = np.asarray((now - at) / pd.Timedelta(hours=1), dtype=float)
    late = np.asarray((now - deadline) / pd.Timedelta(hours=1), dtype=float)
    left = np.asarray((window_end - now) / pd.Timedelta(hours=1), dtype=float)
    deadline_at = _moments(deadline)
    opens_at = _moments(pd.Series(rows["x_opens_at"].array))
    closes_at = _moments(pd.Series(rows["x_closes_at"].array))

    reasons = []
    columns = zip(
        rows["status"].to_numpy(), rows["urgent"].to_numpy(), rows["x_done_by_event"].to_numpy(),
        rows["x_skip_dispute"].to_numpy(), rows["x_missed_event"].to_numpy(),
        rows["x_stock"].to_numpy(dtype=object), rows["x_window"].to_numpy(),
        rows["x_country"].to_numpy(dtype=object), age, late, left, deadline_at, opens_at,
        closes_at, strict=True,
    )  # fmt: skip
    for (status, urgent, by_event, skip_dispute, missed_event, stock, window, country,
         age_h, late_h, left_h, deadline_txt, opens_txt, closes_txt) in columns:  # fmt: skip
        if status == "done":
            reason = r["done_by_event"].format(event=done_event) if by_event else r["done"]
        elif status == "not_applicable":
            reason = r["dispute_open" if skip_dispute else "parcel_returned"]
        elif status == "missed":
            reason = (
                r["missed_event"].format(closes=closes_event)
                if missed_event
                else r["missed_time"].format(closed_at=closes_txt)
            )
        elif status == "not_yet":
            reason = (
                r["waits_for_event"].format(event=event)
                if age_h != age_h
                else r["opens_later"].format(opens_at=opens_txt, event=event, wait=wait)
            )
        elif status == "overdue":
            reason = r["overdue"].format(
                late=words.duration(late_h), event=event, age=words.duration(age_h)
            )
        else:
            reason = r["due"].format(
                event=event, age=words.duration(age_h), overdue_at=deadline_txt
            )
        if urgent and t.urgent_when == "stock_problem":
            label = stock_words.get(stock, str(stock))
            reason = r["stock_problem"].format(stock=label) + " · " + reason
        elif urgent and t.urgent_when == "protection_window":
            about = dict(window=int(window), country=country if isinstance(country, str) else "?")
            reason = (
                r["window_ended"].format(**about, late=words.duration(-left_h))
                if left_h <= 0
                else r["window_closing"].format(**about, left=words.duration(left_h))
            )
        reasons.append(reason)
    return reasons


def _table(
    orders, today, lang: str, content: Content | None, statuses: Iterable[str] | None
) -> pd.DataFrame:
    if lang not in ids.STAFF_LANGS:
        raise ValueError(f"lang: {lang!r} is not a staff language; use one of {ids.STAFF_LANGS}")
    content = content or load_content()
    frame = _as_orders(orders)
    now = as_of(today)
    keep = set(statuses) if statuses is not None else None
    parts, done = [], _done_matrix(frame)
    for number, step in enumerate(content.steps, start=1):
        part = _evaluate_step(frame, step, now, content, done[step.id])
        if keep is not None:
            part = part[part["status"].isin(keep)]
        part = part.assign(
            title=step.title(lang),
            reason=pd.array(_explain(part, step, now, content, lang), dtype="string"),
            x_step_no=number,
        )
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    table["deadline"] = pd.to_datetime(table["deadline"], utc=True)
    return table


DISPUTE_STEP = "dispute"


def open_disputes(
    orders: pd.DataFrame | Mapping[str, Any],
    today: dt.date | dt.datetime | str | None = None,
    *,
    lang: str = "en",
    content: Content | None = None,
) -> pd.DataFrame:
    """Open disputes with their response deadline (marketplace.yaml), latest answer first due.

    Same columns as :func:`todo`, with ``step`` = ``"dispute"``; the reply is chosen by
    triage, so ``template`` is empty.
    """
    content = content or load_content()
    frame = _as_orders(orders)
    now = as_of(today)
    opened = frame["dispute_opened_at"]
    outcome = frame["dispute_outcome"]
    is_open = (opened <= now).to_numpy(dtype=bool, na_value=False) & (
        outcome.isna() | (outcome == "open")
    ).to_numpy(dtype=bool, na_value=True)
    rows = frame[is_open]
    deadline = rows["dispute_opened_at"] + pd.Timedelta(
        days=content.marketplace.dispute.response_days
    )
    text, taxonomy = content.checklist, content.taxonomy
    words = _Words(text.units, lang)
    reasons = []
    for reason_id, at, due in zip(rows["dispute_reason"], rows["dispute_opened_at"], deadline,
                                  strict=True):  # fmt: skip
        label = taxonomy.label("reasons", reason_id, lang) if isinstance(reason_id, str) else "?"
        if due <= now:
            late = (now - due) / pd.Timedelta(hours=1)
            reasons.append(text.reasons["dispute_overdue"](lang).format(
                late=words.duration(late), dispute=label))  # fmt: skip
        else:
            age = (now - at) / pd.Timedelta(hours=1)
            reasons.append(text.reasons["dispute_due"](lang).format(
                age=words.duration(age), dispute=label,
                deadline=due.strftime("%Y-%m-%d %H:%M")))  # fmt: skip
    table = pd.DataFrame(
        {
            "order_id": rows["order_id"].to_numpy(),
            "step": DISPUTE_STEP,
            "title": text.dispute_title(lang),
            "status": np.where((deadline <= now).to_numpy(dtype=bool), "overdue", "due"),
            "urgent": True,
            "deadline": deadline.array,
            "reason": pd.array(reasons, dtype="string"),
            "template": pd.array([None] * len(rows), dtype="string"),
            "buyer_lang": rows["buyer_lang"].to_numpy(),
        }
    )
    table = table.sort_values("deadline", kind="stable")
    table["status"] = table["status"].astype("string")
    return table[TABLE_COLUMNS].reset_index(drop=True)


def step_table(
    orders: pd.DataFrame | Mapping[str, Any],
    today: dt.date | dt.datetime | str | None = None,
    *,
    lang: str = "en",
    content: Content | None = None,
) -> pd.DataFrame:
    """Every step of every order with its status and reason, in order and step sequence."""
    table = _table(orders, today, lang, content, None)
    table = table.sort_values(["x_row", "x_step_no"], kind="stable")
    table["status"] = table["status"].astype("string")
    return table[TABLE_COLUMNS].reset_index(drop=True)


def todo(
    orders: pd.DataFrame | Mapping[str, Any],
    today: dt.date | dt.datetime | str | None = None,
    *,
    lang: str = "en",
    content: Content | None = None,
) -> pd.DataFrame:
    """The day's to-do list: open disputes, then due and overdue steps, most urgent first.

    Order of the list: open disputes (earliest response deadline first), then steps
    overdue and urgent, overdue, due and urgent, due; within each, the earliest deadline
    first.
    """
    frame = _as_orders(orders)
    disputes = open_disputes(frame, today, lang=lang, content=content)
    table = _table(frame, today, lang, content, TODO_STATUSES)
    tier = np.where(table["status"] == "overdue", 0, 2) + np.where(table["urgent"], 0, 1)
    table = table.assign(x_tier=tier).sort_values(
        ["x_tier", "deadline", "x_row", "x_step_no"], kind="stable", na_position="last"
    )
    table["status"] = table["status"].astype("string")
    steps = table[TABLE_COLUMNS]
    if disputes.empty:
        return steps.reset_index(drop=True)
    return pd.concat([disputes, steps], ignore_index=True)


@dataclass(frozen=True)
class StepState:
    """One step of one order, as a new hire reads it."""

    step: str
    title: str
    status: str
    urgent: bool
    reason: str
    template: str | None
    deadline: pd.Timestamp | None

    def __str__(self) -> str:
        flag = "!" if self.urgent else " "
        return f"{flag} {self.status:<14} {self.step:<22} {self.reason}"


def order_steps(
    order: Mapping[str, Any] | pd.Series,
    today: dt.date | dt.datetime | str | None = None,
    *,
    lang: str = "en",
    content: Content | None = None,
) -> list[StepState]:
    """The seven steps of one order (a mapping of contract columns, or a frame row)."""
    table = step_table(order, today, lang=lang, content=content)
    return [
        StepState(
            step=row.step,
            title=row.title,
            status=row.status,
            urgent=bool(row.urgent),
            reason=row.reason,
            template=None if pd.isna(row.template) else row.template,
            deadline=None if pd.isna(row.deadline) else pd.Timestamp(row.deadline),
        )
        for row in table.itertuples(index=False)
    ]


def done_step_ids(order: Mapping[str, Any]) -> set[str]:
    """The step ids ticked in an order's ``done_steps`` (empty, None or NA: none)."""
    current = order.get("done_steps")
    if current is None or (not isinstance(current, str) and pd.isna(current)):
        return set()
    return {token for token in str(current).split(";") if token}


def with_step_done(order: Mapping[str, Any], step: str, done: bool = True) -> dict[str, Any]:
    """A copy of ``order`` with ``step`` added to (or removed from) ``done_steps``.

    The pure half of ticking a box in the checklist widget.
    """
    if step not in ids.STEP_IDS:
        raise ValueError(f"unknown step {step!r}; known: {list(ids.STEP_IDS)}")
    tokens = done_step_ids(order)
    if done:
        tokens.add(step)
    else:
        tokens.discard(step)
    updated = dict(order)
    updated["done_steps"] = ";".join(s for s in ids.STEP_IDS if s in tokens)
    return updated
