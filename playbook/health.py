"""Store health: order defect rate, disputes, feedback and delivery times from an export.

A team lead loads the store's orders and sees, for a window of days up to ``today``, the
numbers the marketplace judges the store by, how each compares with the team's target
(``content/health.yaml``), how they move week by week, and which shipping habits go with
fewer disputes in the store's own data.

Definitions (all over the orders *paid* in the window ``(today - window, today]``):

- ``odr``: orders with a 1–2 star rating (``marketplace.yaml`` → ``feedback``), a dispute
  or a chargeback, over orders. Every dispute counts (the export does not say which claims
  a marketplace would deny), so this is, if anything, stricter than Amazon's ODR.
- ``dispute_rate``: orders with a dispute opened by ``today``, over orders.
- ``seller_loss_rate``: disputes decided for the buyer (``buyer_won``) over *closed*
  disputes (outcome ``seller_won``, ``buyer_won``, ``settled`` or ``cancelled``). Open
  disputes, and disputes without an outcome, are left out until they end: counting them as
  won would flatter the store, as lost would blame it early. A settlement is not a loss.
- ``positive_feedback_rate``: 4–5 star ratings over rated orders.
- ``avg_days_to_deliver``: ``delivered_at - shipped_at`` in days, over orders delivered by
  ``today`` (a delivery before the shipping time is a data error and is left out).

Timed events are taken as of ``today`` (a dispute opened later does not count yet); ratings
and chargebacks have no time in the export and count as they are. A rate with nothing to
divide by is missing (``<NA>``, ``None`` in :func:`records`), never 0 and never NaN; a
window without orders is the explicit state ``"no_orders"``.

Recent orders have not had time to be rated or disputed, so the last weeks always look
better than they will: compare like with like (see :func:`trend`).

Everything is vectorised: the summary of a million orders takes a fraction of a second
(``benchmarks/bench_health.py``). Plots use matplotlib's object API and return the
:class:`~matplotlib.figure.Figure` (matplotlib is imported only when a plot is asked for).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from . import ids
from .checklist import EVENT_COLUMNS, _as_orders, _done_matrix, as_of
from .content import (
    HEALTH_METRICS,
    HEALTH_RATES,
    Bilingual,
    Content,
    HealthFile,
    HealthTarget,
    load_content,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

Today = dt.date | dt.datetime | str | pd.Timestamp | None
Window = int | str | dt.timedelta | pd.Timedelta | None


def health_content(content: Content | None = None) -> HealthFile:
    """The validated health.yaml of a content folder (the package's own by default)."""
    return (content or load_content()).health


# ----------------------------------------------------------------------------- settings

# names a caller may group by → contract column
BY_ALIASES: dict[str, str] = {"country": "buyer_country", "reason": "dispute_reason"}
CLOSED_OUTCOMES: tuple[str, ...] = ("seller_won", "buyer_won", "settled", "cancelled")
NOTICE_STEPS: tuple[str, ...] = ("in_transit_notice", "arrival_notice")
TREND_METRICS: tuple[str, ...] = (
    "orders", "defects", "odr", "disputes", "dispute_rate", "rated_orders",
    "positive_feedback_rate",
)  # fmt: skip
_DAY = pd.Timedelta(days=1)
# how a rate without a target in health.yaml compares with a caller's target
_DIRECTION: dict[str, Literal["below", "at_most", "at_least"]] = {
    "odr": "below", "dispute_rate": "at_most", "seller_loss_rate": "at_most",
    "positive_feedback_rate": "at_least",
}  # fmt: skip


@dataclass(frozen=True)
class _Setup:
    content: Content
    health: HealthFile
    now: pd.Timestamp
    start: pd.Timestamp | None  # None: every order paid by `now`
    window: pd.Timedelta | None
    targets: dict[str, HealthTarget]


_WINDOW_TEXT = re.compile(r"(\d+)\s*(|d|days?|w|weeks?)")


def window_length(window: Window, content: Content | None = None) -> pd.Timedelta | None:
    """A window as a length of time: ``None`` → the content's default (60 days), an int →
    days, ``"60d"``/``"8w"``/``"60"`` → parsed, ``"all"`` → None (no lower bound)."""
    if window is None:
        days = (content or load_content()).marketplace.store_health.window_days
        return pd.Timedelta(days=days)
    if isinstance(window, bool):
        raise ValueError(f"window: {window!r} is not a number of days or a length such as '60d'")
    if isinstance(window, int | np.integer):
        length = pd.Timedelta(days=int(window))
    elif isinstance(window, dt.timedelta | pd.Timedelta):
        length = pd.Timedelta(window)
    elif isinstance(window, str):
        text = window.strip().lower()
        if text == "all":
            return None
        match = _WINDOW_TEXT.fullmatch(text)
        if match is None:
            raise ValueError(
                f"window: {window!r} is not a number of days or weeks such as '60d', '8w' or 'all'"
            )
        number, unit = int(match[1]), match[2]
        length = pd.Timedelta(days=number * (7 if unit.startswith("w") else 1))
    else:
        raise TypeError(
            f"window: expected days, a string such as '60d', or a timedelta, not {window!r}"
        )
    if length < _DAY:
        raise ValueError(f"window: {window!r} is shorter than a day; give e.g. '60d'")
    return length


def _setup(
    today: Today,
    window: Window,
    targets: Mapping[str, float] | None,
    content: Content | None,
) -> _Setup:
    content = content or load_content()
    health = health_content(content)
    now = as_of(today)
    length = window_length(window, content)
    chosen = dict(health.targets)
    for metric, value in (targets or {}).items():
        if metric not in HEALTH_RATES:
            raise ValueError(f"targets: {metric!r} is not a rate; known: {list(HEALTH_RATES)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            raise ValueError(f"targets: {metric} must be a fraction in (0, 1], not {value!r}")
        base = chosen.get(metric)
        comparison = base.comparison if base else _DIRECTION[metric]
        chosen[metric] = HealthTarget(
            value=float(value),
            comparison=comparison,
            why=Bilingual(en="set by the caller", zh="调用时指定"),
        )
    start = None if length is None else now - length
    return _Setup(content, health, now, start, length, chosen)


def _meets(values: np.ndarray, target: HealthTarget) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        if target.comparison == "below":
            return values < target.value
        if target.comparison == "at_most":
            return values <= target.value
        return values >= target.value


# --------------------------------------------------------------------------- indicators


def _rows(frame: pd.DataFrame, setup: _Setup) -> np.ndarray:
    """Positions of the orders paid in the window (missing payment time: in no window)."""
    paid = frame["paid_at"]
    inside = paid <= setup.now
    if setup.start is not None:
        inside &= paid > setup.start
    return np.flatnonzero(inside.to_numpy(dtype=bool, na_value=False))


def _take(series: pd.Series, rows: np.ndarray, everything: bool) -> pd.Series:
    return series if everything else series.iloc[rows]


def _indicators(frame: pd.DataFrame, rows: np.ndarray, setup: _Setup) -> dict[str, np.ndarray]:
    """Per order in the window: 0/1 for each count of the summary, and days to deliver."""
    everything = rows.size == len(frame)
    now, feedback = setup.now, setup.content.marketplace.feedback

    def take(column: str) -> pd.Series:
        return _take(frame[column], rows, everything)

    stars = take("feedback_stars").to_numpy(dtype="float64", na_value=np.nan)
    rated = ~np.isnan(stars)
    with np.errstate(invalid="ignore"):
        negative = stars <= feedback.negative_max_stars
        positive = stars >= feedback.positive_min_stars
    disputed = (take("dispute_opened_at") <= now).to_numpy(dtype=bool, na_value=False)
    chargeback = take("chargeback").to_numpy(dtype=bool, na_value=False)

    closed = np.zeros(rows.size, bool)
    lost = np.zeros(rows.size, bool)
    where = np.flatnonzero(disputed)
    if where.size:
        outcome = frame["dispute_outcome"].iloc[rows[where]]
        closed[where] = outcome.isin(CLOSED_OUTCOMES).to_numpy(dtype=bool, na_value=False)
        lost[where] = (outcome == "buyer_won").to_numpy(dtype=bool, na_value=False)

    delivered_at, shipped_at = take("delivered_at"), take("shipped_at")
    days = ((delivered_at - shipped_at) / _DAY).to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        delivered = (delivered_at <= now).to_numpy(dtype=bool, na_value=False) & (days >= 0)
    return {
        "orders": np.ones(rows.size, bool),
        "defects": negative | disputed | chargeback,
        "negative_feedback": negative,
        "disputes": disputed,
        "chargebacks": chargeback,
        "open_disputes": disputed & ~closed,
        "closed_disputes": closed,
        "disputes_lost": lost,
        "rated_orders": rated,
        "positive_feedback": positive,
        "delivered_orders": delivered,
        "days": np.where(delivered, days, 0.0),
    }


COUNTS: tuple[str, ...] = (
    "orders", "defects", "negative_feedback", "disputes", "chargebacks", "open_disputes",
    "closed_disputes", "disputes_lost", "rated_orders", "positive_feedback", "delivered_orders",
)  # fmt: skip
_RATES: dict[str, tuple[str, str]] = {
    "odr": ("defects", "orders"),
    "dispute_rate": ("disputes", "orders"),
    "seller_loss_rate": ("disputes_lost", "closed_disputes"),
    "positive_feedback_rate": ("positive_feedback", "rated_orders"),
    "avg_days_to_deliver": ("days", "delivered_orders"),
}


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """numerator / denominator, missing (<NA>) where there is nothing to divide by."""
    numerator = np.asarray(numerator, dtype="float64")
    denominator = np.asarray(denominator, dtype="float64")
    value = np.divide(
        numerator, denominator, out=np.full(numerator.shape, np.nan), where=denominator > 0
    )
    return pd.array(value, dtype="Float64")


def _finish(totals: pd.DataFrame, keys: list[str], setup: _Setup) -> pd.DataFrame:
    """Counts per row → the summary's columns, in order, with targets and the state."""
    out = totals[keys].copy() if keys else pd.DataFrame(index=totals.index)
    rates = {name: _ratio(totals[num], totals[den]) for name, (num, den) in _RATES.items()}
    for name in HEALTH_METRICS:
        if name in _RATES:
            out[name] = rates[name]
        else:
            out[name] = totals[name].to_numpy(dtype="int64")
        target = setup.targets.get(name)
        if target is not None:
            values = rates[name].to_numpy(dtype="float64", na_value=np.nan)
            met = _meets(values, target)
            out[f"{name}_target"] = target.value
            out[f"{name}_ok"] = pd.array(np.where(np.isnan(values), None, met), dtype="boolean")
    out["state"] = pd.array(
        np.where(out["orders"].to_numpy() == 0, "no_orders", "measured"), dtype="string"
    )
    out.attrs = {
        "today": setup.now,
        "window_start": setup.start,
        "window_days": None if setup.window is None else setup.window / _DAY,
        "targets": {k: v.value for k, v in setup.targets.items()},
    }
    return out


def _group_columns(frame: pd.DataFrame, by: str | Sequence[str] | None) -> list[tuple[str, str]]:
    """(output name, frame column) for each grouping key."""
    if by is None:
        return []
    names = [by] if isinstance(by, str) else list(by)
    if not names:
        return []
    out = []
    for name in names:
        column = BY_ALIASES.get(name, name)
        if column not in frame.columns:
            raise ValueError(
                f"by: {name!r} is not a column of the orders; use e.g. country, carrier, "
                "dispute_reason or another column of the orders contract"
            )
        out.append((name, column))
    if len({n for n, _ in out}) != len(out):
        raise ValueError(f"by: {names} names a column twice")
    return out


# ------------------------------------------------------------------------------ summary


def summary(
    orders: pd.DataFrame,
    *,
    today: Today = None,
    window: Window = None,
    by: str | Sequence[str] | None = None,
    targets: Mapping[str, float] | None = None,
    content: Content | None = None,
) -> pd.DataFrame:
    """The store's health over the orders paid in ``(today - window, today]``.

    ``orders``: the contract's frame (a raw frame is normalised first). ``today``: a date
    means the end of that day, UTC (:func:`playbook.checklist.as_of`); None is now.
    ``window``: days, ``"60d"``, a timedelta, ``"all"``; None is the content's 60 days.
    ``by``: None for one row indexed ``"all"``, or ``"country"``, ``"carrier"``,
    ``"dispute_reason"``, any orders column, or a list of them: one row per group (missing
    values form their own group), busiest first. ``targets``: rate → fraction, overriding
    ``health.yaml`` (e.g. ``{"odr": 0.005}``).

    Columns: the group keys; counts (``orders``, ``defects``, ``negative_feedback``,
    ``disputes``, ``chargebacks``, ``open_disputes``, ``closed_disputes``,
    ``disputes_lost``, ``rated_orders``, ``positive_feedback``, ``delivered_orders``);
    rates as nullable floats (``odr``, ``dispute_rate``, ``seller_loss_rate``,
    ``positive_feedback_rate``) and ``avg_days_to_deliver``, each ``<NA>`` when there is
    nothing to divide by; for each rate with a target, ``<rate>_target`` and
    ``<rate>_ok`` (nullable bool); ``state``: ``"no_orders"`` or ``"measured"``. The
    window is in ``frame.attrs`` (``today``, ``window_start``, ``window_days``).
    """
    setup = _setup(today, window, targets, content)
    frame = _as_orders(orders)
    keys = _group_columns(frame, by)
    rows = _rows(frame, setup)
    flags = _indicators(frame, rows, setup)
    if not keys:
        totals = pd.DataFrame({name: [flags[name].sum()] for name in (*COUNTS, "days")})
        result = _finish(totals, [], setup)
        result.index = pd.Index(["all"])
        return result
    everything = rows.size == len(frame)
    data = {name: _take(frame[column], rows, everything).to_numpy() for name, column in keys}
    data.update({name: flags[name] for name in (*COUNTS, "days")})
    table = pd.DataFrame(data)
    names = [name for name, _ in keys]
    totals = table.groupby(names, dropna=False, sort=True, observed=True).sum().reset_index()
    for name, column in keys:  # keep the orders' dtypes (e.g. "string") for the keys
        totals[name] = totals[name].astype(frame[column].dtype)
    result = _finish(totals, names, setup)
    order = np.argsort(-result["orders"].to_numpy(), kind="stable")
    return result.iloc[order].reset_index(drop=True)


def records(frame: pd.DataFrame, *, window: bool = False) -> list[dict[str, Any]]:
    """A summary or trend as JSON-ready dicts: missing → None, numpy → Python, times → ISO.

    ``window=True`` adds ``window_start``, ``window_end`` and ``window_days`` from the
    frame's attrs to each record.
    """
    out = []
    extra: dict[str, Any] = {}
    if window:
        start, end = frame.attrs.get("window_start"), frame.attrs.get("today")
        extra = {
            "window_start": None if start is None else start.isoformat(),
            "window_end": None if end is None else end.isoformat(),
            "window_days": frame.attrs.get("window_days"),
        }
    for row in frame.to_dict(orient="records"):
        out.append({**{key: _plain(value) for key, value in row.items()}, **extra})
    return out


def _plain(value: Any) -> Any:
    """One cell as JSON-ready Python: missing → None, numpy → Python, times → ISO text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


# ---------------------------------------------------------------------------- wording


def _pct(value: float | None, no_data: str = "–") -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return no_data
    return f"{value:.2%}" if abs(value) < 0.1 else f"{value:.1%}"


def _reason(target: HealthTarget, lang: str) -> str:
    """Where a target comes from: the team's reason in the staff language, then the source."""
    parts = [target.why(lang) if target.why else "", target.source or ""]
    return " ".join(p for p in parts if p)


def _label(health: HealthFile, metric: str, lang: str) -> str:
    return health.metrics[metric].label(lang)


def metrics_frame(lang: str = "en", content: Content | None = None) -> pd.DataFrame:
    """What each headline metric means, its target and where the target comes from."""
    health = health_content(content)
    w = {k: v(lang) for k, v in health.words.items()}
    rows = []
    for metric in ("orders", "odr", "dispute_rate", "seller_loss_rate",
                   "positive_feedback_rate", "avg_days_to_deliver"):  # fmt: skip
        target = health.targets.get(metric)
        rows.append(
            {
                w["metric"]: _label(health, metric, lang),
                w["means"]: health.metrics[metric].means(lang),
                w["target"]: f"{target.symbol} {_pct(target.value)}" if target else "",
                w["source"]: _reason(target, lang) if target else "",
            }
        )
    return pd.DataFrame(rows)


def scorecard(
    frame: pd.DataFrame, lang: str = "en", content: Content | None = None
) -> pd.DataFrame:
    """One summary row as a table a person reads: metric, value, target, status.

    ``frame``: :func:`summary` without ``by`` (or one row of it).
    """
    if len(frame) != 1:
        raise ValueError(
            f"scorecard shows one summary row; got {len(frame)} (use summary() without `by`, "
            "or pick a row with .iloc[[i]])"
        )
    health = health_content(content)
    w = {k: v(lang) for k, v in health.words.items()}
    row = records(frame)[0]
    empty = row["orders"] == 0
    lines = []
    for metric in ("orders", "odr", "dispute_rate", "seller_loss_rate",
                   "positive_feedback_rate", "avg_days_to_deliver"):  # fmt: skip
        value = row[metric]
        if metric == "orders":
            text = f"{value:,}" + (f" ({w['no_orders']})" if empty else "")
        elif value is None:
            text = w["no_data"]
        elif metric == "avg_days_to_deliver":
            text = f"{value:.1f}"
        else:
            text = _pct(value)
        ok = row.get(f"{metric}_ok")
        target = row.get(f"{metric}_target")
        comparison = health.targets.get(metric)
        lines.append(
            {
                w["metric"]: _label(health, metric, lang),
                w["value"]: text,
                w["target"]: (
                    f"{comparison.symbol if comparison else '<'} {_pct(target)}"
                    if target is not None
                    else ""
                ),
                w["status"]: "" if ok is None else w["on_target" if ok else "off_target"],
            }
        )
    return pd.DataFrame(lines)


def labelled(
    frame: pd.DataFrame, lang: str = "en", content: Content | None = None, *, percent: bool = False
) -> pd.DataFrame:
    """A summary or trend with its columns named in the staff language.

    ``percent=True`` also writes rates as percentages and days with one decimal (text).
    """
    health = health_content(content)
    w = {k: v(lang) for k, v in health.words.items()}
    if percent:
        frame = frame.copy()
        for column in frame.columns:
            base = str(column).removesuffix("_target")
            if base in HEALTH_RATES:
                frame[column] = [_pct(_plain(v), w["no_data"]) for v in frame[column]]
            elif column == "avg_days_to_deliver":
                frame[column] = [
                    w["no_data"] if _plain(v) is None else f"{v:.1f}" for v in frame[column]
                ]
    names: dict[str, str] = {}
    for column in frame.columns:
        base = str(column)
        for suffix, word in (("_target", w["target"]), ("_ok", w["on_target"])):
            if base.endswith(suffix) and base[: -len(suffix)] in health.metrics:
                names[column] = f"{_label(health, base[: -len(suffix)], lang)} · {word}"
        if base in health.metrics:
            names[column] = _label(health, base, lang)
        elif base in ("country", "buyer_country", "carrier", "dispute_reason", "period"):
            names[column] = w["country" if base.endswith("country") else base]
    return frame.rename(columns=names)


# -------------------------------------------------------------------------------- trend


def trend(
    orders: pd.DataFrame,
    *,
    freq: str = "W",
    today: Today = None,
    window: Window = None,
    content: Content | None = None,
) -> pd.DataFrame:
    """The headline numbers per period of payment (``freq``: "D", "W", "M", "Q" …).

    One row per period from the window's start to ``today``, empty periods included
    (``orders`` 0, rates ``<NA>``). Columns: ``period`` (pandas Period), ``start`` (UTC),
    ``orders``, ``defects``, ``odr``, ``disputes``, ``dispute_rate``, ``rated_orders``,
    ``positive_feedback_rate``, and ``partial`` (the window or ``today`` cuts the period).

    Later periods have had less time to collect ratings and disputes: a falling line at
    the end is partly just that. With ``window="all"``, periods start at the first order.
    """
    setup = _setup(today, window, None, content)
    frame = _as_orders(orders)
    rows = _rows(frame, setup)
    flags = _indicators(frame, rows, setup)
    paid = frame["paid_at"].iloc[rows].dt.tz_convert("UTC").dt.tz_localize(None)
    now = setup.now.tz_convert("UTC").tz_localize(None)
    try:
        periods = paid.dt.to_period(freq)
        last = now.to_period(freq)
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"freq: {freq!r} is not a period such as 'D', 'W' or 'M' ({exc})"
        ) from None
    start = None if setup.start is None else setup.start.tz_convert("UTC").tz_localize(None)
    if start is not None:
        first = (start + pd.Timedelta(microseconds=1)).to_period(freq)
    elif len(periods):
        first = periods.min()
    else:
        first = last
    full = pd.period_range(first, last, freq=last.freq)
    if start is None and not len(periods):
        full = full[:0]  # no orders at all and no window start: no periods
    codes = full.get_indexer(pd.PeriodIndex(periods))
    size = len(full)

    def count(name: str) -> np.ndarray:
        return np.bincount(codes, weights=flags[name], minlength=size).astype("int64")

    counts = {name: count(name) for name in ("orders", "defects", "disputes", "rated_orders",
                                             "positive_feedback")}  # fmt: skip
    starts = full.start_time
    partial = np.asarray(
        ((full + 1).start_time > now + pd.Timedelta(microseconds=1))
        | (starts <= start if start is not None else np.zeros(size, bool)),
        dtype=bool,
    )
    out = pd.DataFrame(
        {
            "period": full,
            "start": starts.tz_localize("UTC"),
            "orders": counts["orders"],
            "defects": counts["defects"],
            "odr": _ratio(counts["defects"], counts["orders"]),
            "disputes": counts["disputes"],
            "dispute_rate": _ratio(counts["disputes"], counts["orders"]),
            "rated_orders": counts["rated_orders"],
            "positive_feedback_rate": _ratio(counts["positive_feedback"], counts["rated_orders"]),
            "partial": partial,
        }
    )
    out.attrs = {
        "today": setup.now,
        "window_start": setup.start,
        "window_days": None if setup.window is None else setup.window / _DAY,
        "freq": freq,
    }
    return out


# ------------------------------------------------------------------------------ what if


@dataclass(frozen=True)
class NoticeEffect:
    """Disputes of orders that got one notice, against those that did not (same window).

    ``eligible``: orders in the window whose notice was due by today (its event happened
    and its overdue time passed); ``with_notice``/``without_notice`` split them by
    ``done_steps``. ``extra_notices``: how many more to reach ``goal_share`` of them.
    ``disputes_avoided``: ``extra_notices × (rate without − rate with)``, 0 when orders
    without the notice were not disputed more. ``notices_to_target``: more notices that,
    by this notice alone, would bring the ODR under target (0 when it already is, None
    when even sending it every time would not).
    """

    step: str
    eligible: int
    with_notice: int
    without_notice: int
    disputes_with: int
    disputes_without: int
    goal_share: float
    extra_notices: int
    disputes_avoided: float
    notices_to_target: int | None

    @property
    def share(self) -> float | None:
        return self.with_notice / self.eligible if self.eligible else None

    @property
    def dispute_rate_with(self) -> float | None:
        return self.disputes_with / self.with_notice if self.with_notice else None

    @property
    def dispute_rate_without(self) -> float | None:
        return self.disputes_without / self.without_notice if self.without_notice else None

    @property
    def gap(self) -> float | None:
        """Dispute rate without the notice minus with it (positive: the notice goes with
        fewer disputes)."""
        a, b = self.dispute_rate_without, self.dispute_rate_with
        return None if a is None or b is None else a - b


@dataclass(frozen=True)
class WhatIf:
    """How far the store is from its ODR target and what more timely notices might do.

    ``max_defects``: the most defective orders this window can have and meet the target;
    ``defects_to_remove``: how many fewer it needs (0 when on target). Avoiding a dispute
    removes a defect only when the dispute was the order's only defect, so projections
    scale avoided disputes by ``dispute_only_defects / disputes``.

    An association in the store's past orders, not proof: orders that got a notice may
    differ in other ways (carrier, country, lateness), and staff may stop writing once a
    dispute is open. Read the figures as "worth trying", then watch the trend.
    """

    today: pd.Timestamp
    window_start: pd.Timestamp | None
    orders: int
    defects: int
    disputes: int
    dispute_only_defects: int
    target: float
    comparison: str
    notice_share: float
    max_defects: int
    defects_to_remove: int
    notices: tuple[NoticeEffect, ...]
    disputes_avoided: float
    projected_defects: float

    @property
    def odr(self) -> float | None:
        return self.defects / self.orders if self.orders else None

    @property
    def on_target(self) -> bool | None:
        return None if not self.orders else self.defects <= self.max_defects

    @property
    def projected_odr(self) -> float | None:
        return self.projected_defects / self.orders if self.orders else None

    @property
    def projected_ok(self) -> bool | None:
        return None if not self.orders else self.projected_defects <= self.max_defects + 1e-9

    def notices_frame(self, lang: str = "en", content: Content | None = None) -> pd.DataFrame:
        """One row per notice: who got it, dispute rates with and without, the estimate."""
        content = content or load_content()
        w = {k: v(lang) for k, v in health_content(content).words.items()}
        return pd.DataFrame(
            [
                {
                    w["notice"]: content.step(n.step).title(lang),
                    w["eligible"]: n.eligible,
                    w["with_notice"]: n.with_notice,
                    w["share"]: _pct(n.share),
                    w["dispute_rate_with"]: _pct(n.dispute_rate_with),
                    w["dispute_rate_without"]: _pct(n.dispute_rate_without),
                    w["extra_notices"]: n.extra_notices,
                    w["disputes_avoided"]: round(n.disputes_avoided, 1),
                    w["notices_to_target"]: (
                        w["not_enough"] if n.notices_to_target is None else n.notices_to_target
                    ),
                }
                for n in self.notices
            ]
        )

    def explain(self, lang: str = "en", content: Content | None = None) -> str:
        """The what-if in sentences, in the staff language."""
        content = content or load_content()
        health = health_content(content)
        t = {k: v(lang) for k, v in health.texts.items()}
        w = {k: v(lang) for k, v in health.words.items()}
        if not self.orders:
            return t["no_orders"]
        target = _pct(self.target)
        if self.on_target:
            lines = [t["on_target"].format(odr=_pct(self.odr), target=target,
                                           room=self.max_defects - self.defects)]  # fmt: skip
        else:
            lines = [t["off_target"].format(odr=_pct(self.odr), target=target,
                                            remove=self.defects_to_remove,
                                            defects=self.defects)]  # fmt: skip
        for n in self.notices:
            step = content.step(n.step).title(lang)
            if n.eligible == 0:
                continue
            if n.gap is None or n.gap <= 0:
                lines.append(t["notice_no_gap"].format(step=step))
                continue
            lines.append(
                t["notice"].format(
                    step=step, share=_pct(n.share), eligible=n.eligible,
                    rate_with=_pct(n.dispute_rate_with), rate_without=_pct(n.dispute_rate_without),
                    goal=_pct(n.goal_share), extra=n.extra_notices,
                    avoided=f"{n.disputes_avoided:.1f}",
                )
            )  # fmt: skip
            if self.defects_to_remove:
                lines.append(
                    t["notices_not_enough"]
                    if n.notices_to_target is None
                    else t["notices_needed"].format(needed=n.notices_to_target)
                )
        verdict = w["on_target" if self.projected_ok else "off_target"]
        lines.append(t["projected"].format(projected=_pct(self.projected_odr), verdict=verdict))
        lines.append(t["caveat"])
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.explain("en")


def _max_defects(orders: int, target: float, comparison: str) -> int:
    """The most defective orders out of ``orders`` that still meet an ODR target."""
    limit = target * orders
    if abs(limit - round(limit)) < 1e-9:
        limit = float(round(limit))
    if comparison == "below":
        return max(math.ceil(limit) - 1, 0) if orders else 0
    return math.floor(limit)


def what_if(
    orders: pd.DataFrame,
    *,
    today: Today = None,
    window: Window = None,
    target: float | None = None,
    notice_share: float = 1.0,
    steps: Sequence[str] = NOTICE_STEPS,
    content: Content | None = None,
) -> WhatIf:
    """How many fewer defects, disputes or more timely notices to meet the ODR target.

    For each notice in ``steps`` (default the in-transit and the arrival notice), compares
    the dispute rate of orders whose notice was due and ticked in ``done_steps`` with
    those where it was not, then estimates the disputes avoided if ``notice_share`` (0–1)
    of the orders it was due for had got it. ``target``: an ODR fraction overriding
    health.yaml. See :class:`WhatIf` for what the figures mean and what they do not prove.
    """
    if (
        isinstance(notice_share, bool)
        or not isinstance(notice_share, int | float)
        or not (0 <= notice_share <= 1)
    ):
        raise ValueError(f"notice_share must be a fraction from 0 to 1, not {notice_share!r}")
    unknown = [s for s in steps if s not in ids.STEP_IDS]
    if unknown:
        raise ValueError(f"steps: unknown step ids {unknown}; known: {list(ids.STEP_IDS)}")
    setup = _setup(today, window, None if target is None else {"odr": target}, content)
    frame = _as_orders(orders)
    rows = _rows(frame, setup)
    flags = _indicators(frame, rows, setup)
    odr_target = setup.targets["odr"]
    n = int(rows.size)
    defects = int(flags["defects"].sum())
    disputed = flags["disputes"]
    disputes = int(disputed.sum())
    only = disputed & ~flags["negative_feedback"] & ~flags["chargebacks"]
    dispute_only = int(only.sum())
    per_dispute = dispute_only / disputes if disputes else 0.0
    max_defects = _max_defects(n, odr_target.value, odr_target.comparison)
    to_remove = max(defects - max_defects, 0) if n else 0

    everything = rows.size == len(frame)
    done = _done_matrix(pd.DataFrame({"done_steps": _take(frame["done_steps"], rows, everything)}))
    effects, missed_any = [], np.zeros(n, bool)
    for step_id in steps:
        timing = setup.content.step(step_id).timing
        event = _take(frame[EVENT_COLUMNS[timing.opens]], rows, everything)
        due_at = event + pd.Timedelta(hours=timing.overdue_after_hours)
        due = (due_at <= setup.now).to_numpy(dtype=bool, na_value=False)
        sent = due & done[step_id]
        unsent = due & ~done[step_id]
        missed_any |= unsent
        eligible, with_n = int(due.sum()), int(sent.sum())
        effect = NoticeEffect(
            step=step_id,
            eligible=eligible,
            with_notice=with_n,
            without_notice=eligible - with_n,
            disputes_with=int((sent & disputed).sum()),
            disputes_without=int((unsent & disputed).sum()),
            goal_share=float(notice_share),
            extra_notices=0,
            disputes_avoided=0.0,
            notices_to_target=None,
        )
        goal = math.ceil(notice_share * eligible - 1e-9)
        extra = max(goal - with_n, 0)
        gap = effect.gap if effect.gap is not None and effect.gap > 0 else 0.0
        needed: int | None
        if to_remove == 0:
            needed = 0
        elif gap > 0 and per_dispute > 0:
            needed = math.ceil(to_remove / (gap * per_dispute) - 1e-9)
            needed = needed if needed <= effect.without_notice else None
        else:
            needed = None
        effects.append(
            NoticeEffect(
                **{
                    **effect.__dict__,
                    "extra_notices": extra,
                    "disputes_avoided": extra * gap,
                    "notices_to_target": needed,
                }
            )
        )
    cap = int((missed_any & disputed).sum())
    avoided = min(sum(e.disputes_avoided for e in effects), float(cap))
    return WhatIf(
        today=setup.now,
        window_start=setup.start,
        orders=n,
        defects=defects,
        disputes=disputes,
        dispute_only_defects=dispute_only,
        target=odr_target.value,
        comparison=odr_target.comparison,
        notice_share=float(notice_share),
        max_defects=max_defects,
        defects_to_remove=to_remove,
        notices=tuple(effects),
        disputes_avoided=avoided,
        projected_defects=max(defects - avoided * per_dispute, 0.0),
    )


# -------------------------------------------------------------------------------- plots

_CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
    "Heiti SC", "Hiragino Sans GB", "Sarasa Gothic SC", "Arial Unicode MS",
)  # fmt: skip


def _plot_lang(lang: str) -> tuple[str, dict[str, Any]]:
    """The language a figure can be written in here, and the font keywords for its text.

    Chinese needs a CJK font; without one, the figure's words fall back to English rather
    than show empty boxes (the notebook's text around it stays in Chinese).
    """
    if lang != "zh":
        return "en", {}
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for name in _CJK_FONTS:
        if name in installed:
            return "zh", {"fontfamily": [name, "DejaVu Sans"]}
    return "en", {}


@functools.cache
def _figure_class() -> type[Figure]:
    """A matplotlib Figure that shows itself in a notebook even when pyplot was never used.

    Jupyter's inline backend registers its PNG printer only once pyplot is imported; a bare
    Figure would otherwise show as ``<Figure size …>``. When the printer is registered it
    wins, so a figure is never shown twice.
    """
    from matplotlib.figure import Figure

    class HealthFigure(Figure):
        def _repr_png_(self) -> bytes:
            buffer = io.BytesIO()
            self.savefig(buffer, format="png", bbox_inches="tight")
            return buffer.getvalue()

    return HealthFigure


def _axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = _figure_class()(figsize=size, layout="constrained")
    return figure, figure.subplots()


def _nothing(ax: Axes, text: str, font: dict[str, Any]) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, **font)
    ax.set_xticks([])
    ax.set_yticks([])


def _percent_axis(axis) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(1.0, decimals=None))


def plot_trend(
    orders: pd.DataFrame,
    metric: str = "odr",
    *,
    freq: str = "W",
    today: Today = None,
    window: Window = None,
    target: float | None = None,
    lang: str = "en",
    ax: Axes | None = None,
    content: Content | None = None,
) -> Figure:
    """One metric of :func:`trend` per period, with its target as a dashed line.

    ``metric``: any column of the trend (``odr``, ``dispute_rate``,
    ``positive_feedback_rate``, ``orders`` …). ``target`` overrides health.yaml's; the
    line has ``gid="target"``. Periods cut short by the window or today have hollow marks;
    the shaded last days (the feedback window of marketplace.yaml plus the average days to
    deliver) are still collecting ratings and disputes, so they look better than they will.
    """
    if metric not in TREND_METRICS:
        raise ValueError(f"metric: {metric!r} is not one of {list(TREND_METRICS)}")
    content = content or load_content()
    health = health_content(content)
    table = trend(orders, freq=freq, today=today, window=window, content=content)
    words, font = _plot_lang(lang)
    w = {k: v(words) for k, v in health.words.items()}
    figure, ax = _axes(ax, (8, 3.6))
    label = _label(health, metric, words)
    ax.set_title(label, **font)
    if table.empty:
        _nothing(ax, w["no_orders"], font)
        return figure
    x = table["start"].dt.tz_localize(None).to_numpy()
    y = table[metric].to_numpy(dtype="float64", na_value=np.nan)
    partial = table["partial"].to_numpy(dtype=bool)
    ax.plot(x, y, color="tab:blue", marker="o", label=label)
    if partial.any():
        ax.plot(x[partial], y[partial], linestyle="none", marker="o", color="white",
                markeredgecolor="tab:blue")  # fmt: skip
    goal = health.targets.get(metric)
    value = target if target is not None else goal.value if goal else None
    if value is not None:
        symbol = goal.symbol if goal else "<"
        ax.axhline(value, color="tab:red", linestyle="--", gid="target",
                   label=f"{w['target']} {symbol} {_pct(value)}")  # fmt: skip
    # ratings come up to the feedback window after delivery, which takes days itself
    now = table.attrs["today"].tz_convert("UTC").tz_localize(None)
    travel = summary(orders, today=today, window=window, content=content)["avg_days_to_deliver"]
    days = content.marketplace.feedback.window_days + float(travel.fillna(0).iloc[0])
    recent = now - pd.Timedelta(days=days)
    ax.axvspan(max(recent, pd.Timestamp(x[0])), now, color="0.92", zorder=0, label=w["recent"])
    if metric in HEALTH_RATES:
        _percent_axis(ax.yaxis)
        ax.set_ylim(bottom=0)
    ax.set_xlabel(w["period"], **font)
    ax.legend(loc="best", prop={"family": font["fontfamily"]} if font else None)
    ax.grid(alpha=0.3)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure


def plot_disputes(
    orders: pd.DataFrame,
    by: str = "dispute_reason",
    *,
    today: Today = None,
    window: Window = None,
    lang: str = "en",
    ax: Axes | None = None,
    content: Content | None = None,
) -> Figure:
    """Disputes in the window by reason (how many, how many lost) or by country.

    ``by="dispute_reason"``: a bar per reason with the part the seller lost darker.
    ``by="buyer_country"`` (or ``"country"``): the dispute rate per country, with the
    dispute-rate target as a dashed line (``gid="target"``).
    """
    column = BY_ALIASES.get(by, by)
    if column not in ("dispute_reason", "buyer_country"):
        raise ValueError(f"by: {by!r}; use 'dispute_reason' or 'buyer_country'")
    content = content or load_content()
    health = health_content(content)
    words, font = _plot_lang(lang)
    w = {k: v(words) for k, v in health.words.items()}
    figure, ax = _axes(ax, (8, 4))
    if column == "dispute_reason":
        table = summary(orders, today=today, window=window, by=column, content=content)
        table = table[table["disputes"] > 0]
        names = content.labels("reasons", words)
        table = table.sort_values("disputes", kind="stable")
        labels = [w["none"] if pd.isna(r) else names.get(r, str(r)) for r in table[column]]
        ax.set_title(f"{_label(health, 'disputes', words)} · {w['dispute_reason']}", **font)
        if table.empty:
            _nothing(ax, w["no_data"], font)
            return figure
        position = np.arange(len(table))
        ax.barh(position, table["disputes"], color="tab:orange", alpha=0.45,
                label=_label(health, "disputes", words))  # fmt: skip
        ax.barh(position, table["disputes_lost"], color="tab:red",
                label=w["lost"])  # fmt: skip
        ax.set_yticks(position, labels, **font)
        ax.set_xlabel(_label(health, "disputes", words), **font)
    else:
        table = summary(orders, today=today, window=window, by=column, content=content)
        table = table.sort_values("dispute_rate", kind="stable", na_position="first")
        ax.set_title(f"{_label(health, 'dispute_rate', words)} · {w['country']}", **font)
        if table.empty:
            _nothing(ax, w["no_orders"], font)
            return figure
        position = np.arange(len(table))
        rate = table["dispute_rate"].to_numpy(dtype="float64", na_value=np.nan)
        labels = [
            f"{w['none'] if pd.isna(c) else c} ({d}/{n})"
            for c, d, n in zip(table[column], table["disputes"], table["orders"], strict=True)
        ]
        ax.barh(position, rate, color="tab:orange", label=_label(health, "dispute_rate", words))
        goal = health.targets.get("dispute_rate")
        if goal is not None:
            ax.axvline(goal.value, color="tab:red", linestyle="--", gid="target",
                       label=f"{w['target']} {goal.symbol} {_pct(goal.value)}")  # fmt: skip
        ax.set_yticks(position, labels, **font)
        _percent_axis(ax.xaxis)
        ax.set_xlabel(_label(health, "dispute_rate", words), **font)
    ax.legend(loc="lower right", prop={"family": font["fontfamily"]} if font else None)
    ax.grid(axis="x", alpha=0.3)
    return figure


def plot_delivery_times(
    orders: pd.DataFrame,
    *,
    today: Today = None,
    window: Window = None,
    lang: str = "en",
    ax: Axes | None = None,
    content: Content | None = None,
) -> Figure:
    """Days from shipping to delivery per carrier (box plot, fastest median first)."""
    setup = _setup(today, window, None, content)
    health = setup.health
    frame = _as_orders(orders)
    rows = _rows(frame, setup)
    flags = _indicators(frame, rows, setup)
    words, font = _plot_lang(lang)
    w = {k: v(words) for k, v in health.words.items()}
    figure, ax = _axes(ax, (8, 4))
    ax.set_title(f"{w['days_to_deliver']} · {w['carrier']}", **font)
    delivered = flags["delivered_orders"]
    carriers = frame["carrier"].iloc[rows].to_numpy(dtype=object, na_value=None)[delivered]
    days = flags["days"][delivered]
    if not days.size:
        _nothing(ax, w["no_data"], font)
        return figure
    groups: dict[str, np.ndarray] = {}
    names = np.array([w["none"] if c is None else str(c) for c in carriers], dtype=object)
    for name in sorted(set(names)):
        groups[name] = days[names == name]
    ordered = sorted(groups, key=lambda k: (float(np.median(groups[k])), k))
    ax.boxplot([groups[k] for k in ordered], showmeans=True,
               flierprops={"markersize": 3, "alpha": 0.4})  # fmt: skip
    labels = [f"{textwrap.fill(k, 16)}\n(n={groups[k].size:,})" for k in ordered]
    ax.set_xticks(np.arange(1, len(ordered) + 1), labels, fontsize=8, **font)
    ax.set_ylabel(w["days_to_deliver"], **font)
    ax.set_ylim(bottom=0)
    ax.grid(axis="y", alpha=0.3)
    return figure
