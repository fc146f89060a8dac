"""Seeded synthetic orders of an AliExpress-style store shipping from China.

Notebooks, tests and benchmarks need order tables that look like a real export, with its
awkward corners (unknown costs, stock problems, lost parcels, Brazil's slow post, disputes
that follow missed notices), without anyone's real data. One seed, one table; everything
is vectorised with numpy (a million orders in about 1.5 s, benchmarks/bench_sample.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from . import ids
from .content import Content, load_content

REFERENCE_DAY: date = date(2026, 11, 30)
"""The "today" the default sample is made for: every timestamp falls on or before it."""

_DAY = 86_400.0
_HOUR = 3_600.0


@dataclass(frozen=True)
class _Country:
    code: str
    weight: float  # share of the store's orders
    currency: str
    per_usd: float  # units of `currency` per US dollar (rough 2025 rates)
    decimals: int  # the currency's minor units
    utc_offset: float  # hours, to give buyers a local time of day
    transit: float  # multiplier on a carrier's transit time (customs, last mile)
    names: tuple[str, ...]


# Weights follow AliExpress's big markets; names are written as buyers type them, so some
# are Cyrillic, Hebrew or Hangul and exercise the text handling downstream.
_COUNTRIES: tuple[_Country, ...] = (
    _Country("US", 0.14, "USD", 1.0, 2, -6, 1.0, (
        "James Smith", "Mary Johnson", "Michael Williams", "Jennifer Brown", "David Jones",
        "Linda Garcia", "Chris Miller", "Ashley Davis", "Robert Wilson", "Emily Taylor",
        "Daniel Martinez", "Jessica Anderson", "Kevin Thomas", "Sarah Moore",
    )),
    _Country("RU", 0.20, "RUB", 90.0, 2, 3, 1.5, (
        "Сергей Иванов", "Ольга Смирнова", "Дмитрий Кузнецов", "Елена Попова",
        "Андрей Соколов", "Наталья Лебедева", "Алексей Козлов", "Татьяна Новикова",
        "Иван Морозов", "Мария Петрова", "Sergey Volkov", "Anna Fedorova",
        "Nikolai Pavlov", "Ekaterina Semenova",
    )),
    _Country("BR", 0.14, "BRL", 5.5, 2, -3, 2.1, (
        "João Silva", "Maria Santos", "José Oliveira", "Ana Souza", "Pedro Rodrigues",
        "Juliana Ferreira", "Lucas Almeida", "Fernanda Pereira", "Gabriel Lima",
        "Camila Gomes", "Rafael Costa", "Beatriz Ribeiro", "Thiago Carvalho",
    )),
    _Country("ES", 0.10, "EUR", 0.92, 2, 1, 1.0, (
        "Antonio García", "María López", "Manuel Martínez", "Carmen Sánchez", "José Pérez",
        "Laura Gómez", "Javier Fernández", "Lucía Rodríguez", "David Ruiz", "Marta Díaz",
        "Pablo Moreno", "Sara Jiménez",
    )),
    _Country("FR", 0.09, "EUR", 0.92, 2, 1, 1.0, (
        "Jean Martin", "Marie Bernard", "Pierre Dubois", "Camille Thomas", "Nicolas Robert",
        "Julie Richard", "Thomas Petit", "Léa Durand", "Julien Leroy", "Chloé Moreau",
        "Antoine Simon", "Manon Laurent",
    )),
    _Country("DE", 0.05, "EUR", 0.92, 2, 1, 0.95, (
        "Thomas Müller", "Anna Schmidt", "Michael Schneider", "Julia Fischer", "Stefan Weber",
        "Laura Meyer", "Andreas Wagner", "Sarah Becker", "Jan Schulz", "Lena Hoffmann",
        "Lukas Koch", "Katrin Schäfer",
    )),
    _Country("GB", 0.05, "GBP", 0.79, 2, 0, 0.95, (
        "Oliver Smith", "Amelia Jones", "George Taylor", "Olivia Brown", "Harry Williams",
        "Isla Davies", "Jack Evans", "Emily Wilson", "Charlie Thomas", "Sophie Roberts",
        "Oscar Johnson", "Grace Walker",
    )),
    _Country("MX", 0.06, "MXN", 18.0, 2, -6, 1.35, (
        "Juan Hernández", "Guadalupe García", "Luis Martínez", "Rosa López",
        "Carlos González", "Verónica Rodríguez", "Jorge Pérez", "Alejandra Sánchez",
        "Miguel Ramírez", "Daniela Flores", "Ricardo Torres", "Mariana Cruz",
    )),
    _Country("PL", 0.05, "PLN", 4.0, 2, 1, 0.9, (
        "Piotr Nowak", "Anna Kowalska", "Krzysztof Wiśniewski", "Katarzyna Wójcik",
        "Tomasz Kowalczyk", "Agnieszka Kamińska", "Paweł Lewandowski", "Magdalena Zielińska",
        "Michał Szymański", "Joanna Woźniak", "Marcin Dąbrowski", "Monika Kozłowska",
    )),
    _Country("NL", 0.03, "EUR", 0.92, 2, 1, 0.9, (
        "Jan de Jong", "Emma Jansen", "Daan de Vries", "Sophie van den Berg", "Lars van Dijk",
        "Julia Bakker", "Sem Visser", "Anna Smit", "Thijs Meijer", "Lotte de Boer",
    )),
    _Country("IL", 0.03, "ILS", 3.7, 2, 2, 1.2, (
        "Yossi Cohen", "Noa Levi", "David Mizrahi", "Tamar Peretz", "Moshe Biton",
        "Shira Friedman", "Avi Dahan", "Maya Avraham", "אורי כהן", "מיכל לוי",
    )),
    _Country("KR", 0.03, "KRW", 1350.0, 0, 9, 0.6, (
        "김민준", "이서연", "박지훈", "최수빈", "정도윤", "강하은", "조현우", "윤지민",
        "Kim Minji", "Lee Junho", "Park Soyeon",
    )),
    _Country("CL", 0.03, "CLP", 940.0, 0, -4, 1.4, (
        "Matías González", "Constanza Muñoz", "Benjamín Rojas", "Javiera Díaz",
        "Vicente Pérez", "Catalina Soto", "Sebastián Contreras", "Francisca Silva",
        "Diego Martínez", "Valentina Sepúlveda",
    )),
)  # fmt: skip

# ---- tracking numbers: (k, width) ASCII matrices, built without a Python loop per row ----

Tracking = Callable[[np.random.Generator, int], np.ndarray]


def _literal(text: str, k: int) -> np.ndarray:
    return np.broadcast_to(np.frombuffer(text.encode("ascii"), np.uint8), (k, len(text)))


def _random_digits(rng: np.random.Generator, k: int, width: int) -> np.ndarray:
    return rng.integers(48, 58, size=(k, width), dtype=np.uint8)


def _prefixed(prefix: str, width: int, suffix: str = "") -> Tracking:
    """``LP`` + 14 digits (Cainiao), ``YT`` + 16 (YunExpress), ``4PX`` + 13 + ``CN``."""

    def make(rng: np.random.Generator, k: int) -> np.ndarray:
        parts = [_literal(prefix, k), _random_digits(rng, k, width), _literal(suffix, k)]
        return np.hstack(parts)

    return make


_S10_WEIGHTS = np.array([8, 6, 4, 2, 3, 5, 9, 7], dtype=np.int64)


def _s10(service: str) -> Tracking:
    """UPU S10 post numbers such as ``RB123456785CN``, with a valid check digit."""

    def make(rng: np.random.Generator, k: int) -> np.ndarray:
        second = rng.integers(ord("A"), ord("Z") + 1, size=(k, 1), dtype=np.uint8)
        serial = _random_digits(rng, k, 8)
        check = 11 - (serial - 48).astype(np.int64) @ _S10_WEIGHTS % 11
        check = np.where(check == 10, 0, np.where(check == 11, 5, check))
        check = (check + 48).astype(np.uint8)[:, None]
        parts = [_literal(service, k), second, serial, check, _literal("CN", k)]
        return np.hstack(parts)

    return make


@dataclass(frozen=True)
class _Carrier:
    name: str
    weight: float
    median_days: float  # door to door, to a "1.0" country
    sigma: float  # lognormal spread
    tracking: Tracking


_CARRIERS: tuple[_Carrier, ...] = (
    _Carrier("AliExpress Standard Shipping", 0.40, 16.0, 0.35, _prefixed("LP", 14)),
    _Carrier("Cainiao Super Economy", 0.20, 24.0, 0.40, _s10("U")),
    _Carrier("China Post Registered Air Mail", 0.12, 26.0, 0.45, _s10("R")),
    _Carrier("YunExpress", 0.16, 13.0, 0.35, _prefixed("YT", 16)),
    _Carrier("4PX", 0.12, 15.0, 0.35, _prefixed("4PX", 13, "CN")),
)

# Buyers' local hour of payment: quiet at night, peaks at lunch and in the evening.
_HOUR_WEIGHTS = np.array(
    [3, 2, 1.2, 0.8, 0.6, 0.6, 1, 2, 3, 4, 4.5, 5, 5.5, 5, 4.5, 4.5, 4.5, 5, 5.5, 6.5, 7.5, 8, 7, 5]
)

_STOCK_P = (0.96, 0.015, 0.013, 0.012)  # in ids.STOCK_STATUSES order
# Preparation days 1..9: most ships within the promised 7, stock problems run late.
_PREP_P = {
    "ok": (10, 18, 20, 17, 13, 9, 6, 4, 3),
    "stock_problem": (2, 4, 6, 9, 12, 16, 18, 17, 16),
}
_LOST, _RETURNED = 0.02, 0.01
# Chance a step is done once it is well past due; offer_more is the one sellers skip.
_DONE_RATE = {"offer_more": 0.7, "satisfaction_followup": 0.75}
_DONE_DEFAULT = 0.8

# Dispute odds: a base rate times what raises it. Notices are the seller's lever.
_DISPUTE_BASE = 0.015
_DISPUTE_X = {
    "lost": 20.0,
    "returned": 10.0,
    "late": 4.0,
    "no_transit_notice": 2.5,
    "no_arrival_notice": 1.6,
    "stock_disclosed": 2.5,
    "stock_hidden": 5.0,
}

# Dispute reasons by how the order went (probabilities, normalised on use).
_REASONS: tuple[dict[str, float], ...] = (
    {"not_received": 0.95, "changed_mind": 0.05},  # lost, or late and not yet delivered
    {"duties_or_pickup": 0.65, "not_received": 0.25, "changed_mind": 0.10},  # sent back
    {  # delivered, goods in stock
        "defective": 0.30, "not_as_described": 0.27, "wrong_item": 0.08, "missing_parts": 0.08,
        "damaged_in_transit": 0.09, "changed_mind": 0.08, "bad_faith": 0.05,
        "not_received": 0.03, "duties_or_pickup": 0.02,
    },
    {  # delivered after a stock problem: a substitute colour or size
        "not_as_described": 0.45, "wrong_item": 0.25, "changed_mind": 0.15, "defective": 0.10,
        "missing_parts": 0.05,
    },
)  # fmt: skip

_CLOSED = ("seller_won", "buyer_won", "settled", "cancelled")
_OUTCOMES = {  # closed disputes, by where the dispute came from
    "logistics": (0.15, 0.45, 0.20, 0.20),
    "product": (0.15, 0.25, 0.45, 0.15),
    "buyer": (0.50, 0.10, 0.15, 0.25),
    "arrived_after_all": (0.25, 0.05, 0.10, 0.60),
}

_STARS = {  # P(1..5 stars)
    "fine": (0.02, 0.015, 0.045, 0.15, 0.77),
    "rough": (0.08, 0.06, 0.12, 0.24, 0.50),  # late, or a stock problem
    "disputed": (0.45, 0.20, 0.15, 0.10, 0.10),
}
_FEEDBACK_RATE = 0.55
_CHARGEBACK_BASE = 0.0025


_CHUNK = 1 << 16  # rows simulated at a time: the working arrays stay in the CPU cache


def orders(
    n: int, seed: int = 0, *, today: date | str | None = None, days: int = 120
) -> pd.DataFrame:
    """``n`` synthetic orders paid in the ``days`` before ``today`` (default REFERENCE_DAY;
    a date, an ISO date string, or a datetime whose date is used).

    The frame follows shared/contract/orders.md exactly (columns, order, dtypes); the same
    ``n``, ``seed``, ``today`` and ``days`` always give the same frame. Nothing happens
    after the end of ``today``: parcels still on their way have no delivery time, etc.
    """
    n = _count(n)
    end = _as_day(today)
    days = _positive_days(days)
    rng = np.random.default_rng(seed)
    content = load_content()
    countries, carriers = _COUNTRIES, _CARRIERS

    # who and when, for all rows at once so the table can be in payment order; times are
    # seconds relative to the end of `today` (< 0: has happened)
    c = _pick_one(rng, [x.weight for x in countries], n)
    paid = _paid_times(rng, end, days, np.array([x.utc_offset for x in countries])[c])
    by_time = np.argsort(paid)
    c, paid = c[by_time], np.floor(paid[by_time])
    start = int(rng.integers(1_000_000_000, 5_000_000_000))
    step_max = max(1, min(2_000, 4_000_000_000 // max(n, 1)))
    number = start + np.cumsum(rng.integers(1, step_max + 1, n))  # rising, so unique

    col: dict[str, np.ndarray] = {}
    for a in range(0, n, _CHUNK) or [0]:
        rows = slice(a, a + _CHUNK)
        part = _simulate(rng, content, c[rows], paid[rows], number[rows])
        col = col or {key: np.empty(n, dtype=v.dtype) for key, v in part.items()}
        for key, v in part.items():
            col[key][rows] = v

    locales = content.locales
    epoch = (end + timedelta(days=1) - date(1970, 1, 1)).days * 86_400
    rated = col["stars"] > 0
    return pd.DataFrame(
        {
            "order_id": _strings(col["order_id"]),
            "buyer_name": _lookup([name for x in countries for name in x.names], col["who"]),
            "buyer_country": _lookup([x.code for x in countries], c),
            "buyer_lang": _lookup([locales.for_country(x.code).lang for x in countries], c),
            "currency": _lookup([x.currency for x in countries], c),
            "order_value": col["value"],
            "cost": col["cost"],
            "shipping_cost": col["shipping_cost"],
            "paid_at": _datetimes(paid, epoch),
            "stock_status": _lookup(ids.STOCK_STATUSES, col["stock"]),
            "shipped_at": _datetimes(col["shipped"], epoch),
            "carrier": _lookup([x.name for x in carriers], col["carrier"]),
            "tracking_no": _strings(col["tracking_no"]),
            "tracking_status": _lookup(ids.TRACKING_STATUSES, col["status"]),
            "arrived_destination_at": _datetimes(col["arrived"], epoch),
            "delivered_at": _datetimes(col["delivered"], epoch),
            "feedback_stars": pd.arrays.IntegerArray(col["stars"].astype(np.int64), ~rated),
            "dispute_opened_at": _datetimes(col["opened"], epoch),
            "dispute_reason": _lookup(ids.REASON_IDS, col["reason"]),
            "dispute_outcome": _lookup(ids.DISPUTE_OUTCOMES, col["outcome"]),
            "chargeback": col["chargeback"],
            "done_steps": _lookup(_STEP_SETS, col["steps"]),
        },
        copy=False,
    )


# every subset of the steps, in contract order, indexed by its bit mask
_STEP_SETS: tuple[str, ...] = tuple(
    ";".join(s for j, s in enumerate(ids.STEP_IDS) if mask >> j & 1)
    for mask in range(1 << len(ids.STEP_IDS))
)


def _simulate(
    rng: np.random.Generator, content: Content, c: np.ndarray, paid: np.ndarray, number: np.ndarray
) -> dict[str, np.ndarray]:
    """Everything after payment for a block of orders (country index ``c``, ``paid`` time,
    order ``number``).

    Returns per-row arrays: money, codes into the tables of ids.py (-1 = none), times
    (NaN = not happened by the end of today) and tracking numbers.
    """
    n = c.size
    countries, carriers = _COUNTRIES, _CARRIERS
    utc_offset = np.array([x.utc_offset for x in countries])[c]

    # ---- money ----
    per_usd = np.array([x.per_usd for x in countries])[c]
    scale = 10.0 ** np.array([x.decimals for x in countries])[c]
    usd = np.maximum(np.exp(rng.normal(np.log(24.0), 0.6, n)), 1.5)
    value = np.round(usd * per_usd * scale) / scale
    cost = np.round(value * rng.uniform(0.30, 0.60, n) * scale) / scale
    shipping_cost = np.round(value * rng.uniform(0.10, 0.25, n) * scale) / scale
    u = rng.random(n)  # ~5% without cost data: together mostly, sometimes one of them
    cost[u < 0.05] = np.nan
    shipping_cost[(u < 0.04) | ((u >= 0.05) & (u < 0.06))] = np.nan

    # ---- preparation and shipping (Beijing working hours) ----
    stock = _pick_one(rng, _STOCK_P, n)
    stock_problem = stock != 0
    prep_day = 1 + _pick(rng, np.array(list(_PREP_P.values()), float), stock_problem.astype(int))
    ready = paid + (prep_day - rng.uniform(0.0, 0.5, n)) * _DAY
    beijing_midnight = np.floor((ready + 8 * _HOUR) / _DAY) * _DAY - 8 * _HOUR
    shipped = beijing_midnight + rng.uniform(9, 19, n) * _HOUR
    shipped = np.floor(np.where(shipped < paid + 12 * _HOUR, shipped + _DAY, shipped))
    is_shipped = shipped < 0

    # ---- the journey ----
    k = _pick_one(rng, [x.weight for x in carriers], n)
    expected = (
        np.array([x.median_days for x in carriers])[k] * np.array([x.transit for x in countries])[c]
    )
    transit = expected * np.exp(np.array([x.sigma for x in carriers])[k] * rng.normal(size=n))
    held = rng.random(n) < 0.04  # customs holds and backlogs: the long tail
    transit = np.maximum(np.where(held, transit * rng.uniform(1.4, 2.2, n), transit), 3.0)
    arrived = np.floor(shipped + transit * rng.uniform(0.75, 0.90, n) * _DAY)
    delivered = _local_hours(shipped + transit * _DAY, utc_offset, rng, 9, 19)
    delivered = np.floor(np.maximum(delivered, arrived + _HOUR))

    fate = rng.random(n)
    lost = fate < _LOST
    returned = (fate >= _LOST) & (fate < _LOST + _RETURNED)
    lost_after_arrival = lost & (rng.random(n) < 0.4)
    arrived[lost & ~lost_after_arrival] = np.nan
    delivered[lost | returned] = np.nan
    sent_back = np.where(returned, arrived + rng.uniform(15, 30, n) * _DAY, np.nan)

    has_arrived = arrived < 0
    is_delivered = delivered < 0
    last_news = np.where(lost_after_arrival & has_arrived, arrived, shipped)
    silent = lost & (last_news + 7 * _DAY < 0)
    status = np.full(n, -1, dtype=np.int8)  # index into ids.TRACKING_STATUSES, -1 = none
    for code, when in enumerate((is_shipped, has_arrived, is_delivered, sent_back < 0, silent)):
        status[when] = code

    # ---- the checklist: each step whose time has come is done with some probability ----
    events = {"paid": paid, "shipped": shipped, "arrived_destination": arrived}
    events["delivered"] = delivered
    done = np.zeros((n, len(ids.STEP_IDS)), dtype=bool)
    for j, step_id in enumerate(ids.STEP_IDS):
        timing = content.step(step_id).timing
        opens = events[timing.opens] + timing.opens_after_hours * _HOUR
        if timing.done_when is not None:
            done[:, j] = events[timing.done_when] < 0
            continue
        elapsed = -opens / _HOUR  # NaN when the event has not happened: never done
        rate = _DONE_RATE.get(step_id, _DONE_DEFAULT)
        rate = rate * np.clip(0.4 + 0.6 * elapsed / timing.overdue_after_hours, 0.0, 1.0)
        done[:, j] = (opens < 0) & (rng.random(n) < rate)
    step = {s: j for j, s in enumerate(ids.STEP_IDS)}

    # ---- disputes: more likely when late, lost, or when the buyer was kept in the dark ----
    protection = content.marketplace.buyer_protection
    window = np.array([protection.days_for(x.code) for x in countries], float)[c]
    so_far = (np.where(is_delivered, delivered, 0.0) - shipped) / _DAY
    late = is_shipped & (so_far > 0.5 * window)
    x = _DISPUTE_X
    odds = _DISPUTE_BASE * (
        np.where(lost, x["lost"], 1.0)
        * np.where(returned, x["returned"], 1.0)
        * np.where(late, x["late"], 1.0)
        * np.where(is_shipped & ~done[:, step["in_transit_notice"]], x["no_transit_notice"], 1)
        * np.where(has_arrived & ~done[:, step["arrival_notice"]], x["no_arrival_notice"], 1.0)
        * np.where(
            stock_problem,
            np.where(done[:, step["prep_time_notice"]], x["stock_disclosed"], x["stock_hidden"]),
            1.0,
        )
    )
    wants = rng.random(n) < np.minimum(odds, 0.9)
    will_deliver = ~lost & ~returned
    before_delivery = will_deliver & (transit > 0.5 * window) & (rng.random(n) < 0.6)
    after_delivery = will_deliver & ~before_delivery
    ten_days = shipped + 10 * _DAY
    opened = np.select(
        [lost, returned, before_delivery, after_delivery],
        [
            shipped + np.maximum(10, expected * rng.uniform(0.9, 1.8, n)) * _DAY,
            np.maximum(ten_days, arrived + rng.uniform(2, 20, n) * _DAY),
            shipped + np.maximum(10, transit * rng.uniform(0.45, 0.95, n)) * _DAY,
            np.maximum(ten_days, delivered + rng.uniform(0.3, 15, n) * _DAY),
        ],
        np.nan,
    )
    opened = np.floor(opened)
    disputed = wants & is_shipped & (opened < 0)

    reason = np.full(n, -1, dtype=np.int8)  # index into ids.REASON_IDS
    outcome = np.full(n, -1, dtype=np.int8)  # index into ids.DISPUTE_OUTCOMES
    chargeback_odds = _CHARGEBACK_BASE + 0.01 * (lost & is_shipped)
    rows = np.flatnonzero(disputed)
    if rows.size:
        group = np.select(
            [lost[rows] | before_delivery[rows], returned[rows], stock_problem[rows]], [0, 1, 3], 2
        )
        reason[rows] = _pick(rng, _table(_REASONS, ids.REASON_IDS), group)
        age = -opened[rows] / _DAY
        still_open = rng.random(rows.size) < np.where(age < 5, 1.0, np.clip((25 - age) / 20, 0, 1))
        source = np.array([ids.REASON_CATEGORY[r] for r in ids.REASON_IDS])[reason[rows]]
        kind = np.select(
            [before_delivery[rows] & is_delivered[rows], source == "product", source == "buyer"],
            [3, 1, 2],
            0,
        )
        closed = _pick(rng, np.array(list(_OUTCOMES.values())), kind)
        closed = np.array([ids.DISPUTE_OUTCOMES.index(o) for o in _CLOSED])[closed]
        outcome[rows] = np.where(still_open, ids.DISPUTE_OUTCOMES.index("open"), closed)
        seller_won = outcome[rows] == ids.DISPUTE_OUTCOMES.index("seller_won")
        chargeback_odds[rows] += 0.04 * seller_won  # the bank is the buyer's next stop
        # satisfaction follow-up is skipped while a dispute is open
        keep = ~still_open | (rng.random(rows.size) < 0.3)
        done[rows, step["satisfaction_followup"]] &= keep
    chargeback = rng.random(n) < chargeback_odds

    # ---- feedback: about half of delivered buyers rate; trouble shows in the stars ----
    rates = is_delivered & (rng.random(n) < _FEEDBACK_RATE)
    mood = np.select([disputed, late | stock_problem], [2, 1], 0)
    stars = np.where(rates, 1 + _pick(rng, np.array(list(_STARS.values())), mood), 0)

    # ---- names and tracking numbers ----
    first = np.cumsum([0, *(len(x.names) for x in countries)])[:-1]
    size = np.array([len(x.names) for x in countries])
    who = first[c] + (rng.random(n) * size[c]).astype(np.intp)
    tracking = np.full(n, None, dtype=object)
    for j, carrier in enumerate(carriers):
        where = np.flatnonzero(is_shipped & (k == j))
        tracking[where] = _objects(carrier.tracking(rng, where.size))

    return {
        "order_id": _objects(np.hstack([_literal("AE", n), _digits(number, 10)])),
        "who": who,
        "value": value,
        "cost": cost,
        "shipping_cost": shipping_cost,
        "stock": stock,
        "shipped": np.where(is_shipped, shipped, np.nan),
        "carrier": np.where(is_shipped, k, -1),
        "tracking_no": tracking,
        "status": status,
        "arrived": np.where(has_arrived, arrived, np.nan),
        "delivered": np.where(is_delivered, delivered, np.nan),
        "stars": stars.astype(np.int8),
        "opened": np.where(disputed, opened, np.nan),
        "reason": reason,
        "outcome": outcome,
        "chargeback": chargeback,
        "steps": np.packbits(done, axis=1, bitorder="little")[:, 0],
    }


# ---- arguments ----


def _count(n: object) -> int:
    if isinstance(n, bool):
        raise ValueError(f"n must be a whole number of orders, not {n!r}")
    try:
        count = operator.index(n)  # int and numpy integers; not 2.5 or "10"
    except TypeError:
        raise ValueError(f"n must be a whole number of orders, not {n!r}") from None
    if count < 0:
        raise ValueError(f"n must be 0 or more orders, not {count}")
    return count


def _as_day(today: date | str | None) -> date:
    if today is None:
        return REFERENCE_DAY
    if isinstance(today, datetime):  # pandas Timestamp too
        return today.date()
    if isinstance(today, date):
        return today
    if isinstance(today, str):
        try:
            return datetime.fromisoformat(today.strip()).date()
        except ValueError:
            pass
    raise ValueError(f"today must be a date or an ISO date such as '2026-11-30', not {today!r}")


def _positive_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(f"days must be a whole number of days, 1 or more, not {days!r}")
    return int(days)


# ---- sampling ----


def _pick_one(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    """``n`` draws of a category index with the given weights."""
    return _pick(rng, np.array([weights], dtype=float), np.zeros(n, dtype=np.intp))


def _pick(rng: np.random.Generator, table: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One category per row, from row ``group`` of ``table`` (probabilities, any scale)."""
    groups, k = table.shape
    cdf = np.cumsum(table, axis=1)
    cdf = cdf / cdf[:, -1:]
    cdf[:, -1] = 1.0  # rounding never falls off the end
    # group g's cdf is shifted into [g, g + 1), so one search serves every group
    edges = (cdf + np.arange(groups)[:, None]).ravel()
    x = rng.random(group.size) + group
    x = np.minimum(x, np.nextafter(group + 1.0, 0.0))  # g + u may round up to g + 1
    # searchsorted(edges, x, "right") without a binary search per row: a guide table
    # gives a start at or before the answer, then a few vectorised steps reach it
    bins = 16 * k
    guide = np.searchsorted(edges, np.arange(groups * bins) / bins, side="right")
    at = guide[(x * bins).astype(np.intp)]
    while True:
        ahead = x >= edges[at]
        if not ahead.any():
            break
        at += ahead
    return at - group * k


def _table(groups: tuple[dict[str, float], ...], keys: tuple[str, ...]) -> np.ndarray:
    return np.array([[g.get(key, 0.0) for key in keys] for g in groups])


def _paid_times(
    rng: np.random.Generator, end: date, days: int, utc_offset: np.ndarray
) -> np.ndarray:
    """Payment times over the window, busier on sale days and at the buyer's evening."""
    weights = []
    for back in range(days):
        day = end - timedelta(days=back)
        w = 1.0 + 0.3 * (1 - back / days)  # a growing store
        if day.weekday() >= 5:
            w *= 1.1
        if (day.month, day.day) == (11, 11):  # Singles' Day
            w *= 3.5
        elif day.month == 11 and day.weekday() == 4 and 22 <= day.day <= 28:  # Black Friday
            w *= 1.8
        weights.append(w)
    n = utc_offset.size
    back = _pick_one(rng, weights, n)
    hour = _pick_one(rng, _HOUR_WEIGHTS, n)
    local = (hour + rng.random(n)) * _HOUR
    paid = -(back + 1) * _DAY + local - utc_offset * _HOUR
    paid = np.where(paid >= 0, paid - _DAY, paid)  # late evening west of UTC, today
    return np.where(paid < -days * _DAY, paid + _DAY, paid)


def _local_hours(
    t: np.ndarray, utc_offset: np.ndarray, rng: np.random.Generator, first: float, last: float
) -> np.ndarray:
    """Move each time to a random hour between ``first`` and ``last`` of its local day."""
    local_midnight = np.floor((t + utc_offset * _HOUR) / _DAY) * _DAY - utc_offset * _HOUR
    return local_midnight + rng.uniform(first, last, t.size) * _HOUR


# ---- building columns ----


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((values.size, width), dtype=np.uint8)
    rest = values.astype(np.int64)
    for j in range(width - 1, -1, -1):
        out[:, j] = rest % 10 + 48
        rest = rest // 10
    return out


def _objects(codes: np.ndarray) -> np.ndarray:
    """(k, width) character codes → k Python strings, without a Python loop."""
    wide = np.ascontiguousarray(codes, dtype=np.uint32)
    return wide.view(f"U{codes.shape[1]}").reshape(-1).astype(object)


def _strings(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    return pd.array(values, dtype="string")


def _lookup(table, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Strings from a small table by index; -1 means missing."""
    return _strings(np.array(table, dtype=object)).take(codes, allow_fill=True)


def _datetimes(seconds: np.ndarray, epoch: int) -> pd.api.extensions.ExtensionArray:
    """Whole seconds relative to ``epoch`` (NaN = not happened) → UTC timestamps."""
    # exact: whole seconds below 2**53 / 5**9 (year 2116) times 10**9 fit a float's mantissa
    return pd.array(((seconds + epoch) * 1e9).astype("M8[ns]")).tz_localize("UTC")
