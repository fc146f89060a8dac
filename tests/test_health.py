"""Tests for playbook.health: store-health metrics, trend, what-if and plots.

The fixture is small enough to count by hand; every expected number below is worked out
in the comments next to it.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from playbook import health, sample
from playbook.content import CONTENT_DIR, load_content
from playbook.errors import ContentError, OrdersError
from playbook.orders import read_orders

DATA = Path(__file__).parent / "data" / "orders"
TODAY = "2026-11-30"  # a Monday; the 60-day window is (2026-10-01 23:59:59.999999, today]
BOTH = "in_transit_notice;arrival_notice"
COLUMNS = [
    "order_id", "buyer_country", "currency", "order_value", "paid_at", "shipped_at", "carrier",
    "arrived_destination_at", "delivered_at", "feedback_stars", "dispute_opened_at",
    "dispute_reason", "dispute_outcome", "chargeback", "done_steps",
]  # fmt: skip
# fmt: off
ROWS = [
    # id, country, paid, shipped, carrier, arrived, delivered, stars, dispute, reason, outcome,
    # chargeback, done steps
    ("A1", "US", "11-01", "11-03", "Cainiao", "11-10", "11-13", 5, None, None, None, False, BOTH),
    ("A2", "US", "11-02", "11-04", "Cainiao", None, "11-24", 1, None, None, None, False,
     "in_transit_notice"),
    ("A3", "RU", "11-03", "11-05", "YunExpress", None, None, None, "11-20", "not_received",
     "buyer_won", False, None),
    ("A4", "RU", "11-04", "11-06", "YunExpress", "11-10", "11-12", 4, None, None, None, True,
     BOTH),
    ("A5", "BR", "11-05", "11-07", "Correios", None, None, None, "11-25", "not_received",
     "open", False, None),
    ("A6", "BR", "11-06", "11-08", "Correios", "11-15", "11-18", 3, "11-19",
     "not_as_described", "seller_won", False, "in_transit_notice"),
    ("A7", "ES", "11-07", "11-09", "Cainiao", "11-16", "11-19", 2, "11-21", "defective",
     "settled", False, BOTH),
    ("A8", "ES", "11-08", None, None, None, None, None, None, None, None, False, None),
    # outside the window: paid before it starts, and after today
    ("A9", "US", "09-15", "09-17", "Cainiao", None, None, 1, "10-05", "not_received",
     "buyer_won", True, None),
    ("A10", "US", "12-05", None, None, None, None, None, None, None, None, False, None),
    # in the window, but its dispute comes after today: not a dispute yet
    ("A11", "RU", "11-20", "11-22", "YunExpress", None, None, None, "12-03", "not_received",
     "open", False, None),
]
# fmt: on


def _stamp(day: str | None) -> str | None:
    return None if day is None else f"2026-{day}T10:00:00Z"


def fixture_frame() -> pd.DataFrame:
    """The hand-made store as a raw frame (text cells, as a spreadsheet would give)."""
    records = []
    for row in ROWS:
        (oid, country, paid, shipped, carrier, arrived, delivered, stars, dispute, reason,
         outcome, chargeback, done) = row  # fmt: skip
        records.append(
            {
                "order_id": oid,
                "buyer_country": country,
                "currency": "USD",
                "order_value": "20.00",
                "paid_at": _stamp(paid),
                "shipped_at": _stamp(shipped),
                "carrier": carrier,
                "arrived_destination_at": _stamp(arrived),
                "delivered_at": _stamp(delivered),
                "feedback_stars": None if stars is None else str(stars),
                "dispute_opened_at": _stamp(dispute),
                "dispute_reason": reason,
                "dispute_outcome": outcome,
                "chargeback": "true" if chargeback else "false",
                "done_steps": done,
            }
        )
    return pd.DataFrame(records, columns=COLUMNS)


@pytest.fixture(scope="module")
def store() -> pd.DataFrame:
    return read_orders(fixture_frame())


def one(frame: pd.DataFrame) -> dict:
    return health.records(frame)[0]


# ------------------------------------------------------------------------------ summary


def test_summary_matches_hand_count(store):
    s = health.summary(store, today=TODAY)
    assert list(s.index) == ["all"]
    row = one(s)
    # in the window: A1–A8 and A11 (A9 paid before it, A10 after today)
    assert row["orders"] == 9
    # defects: A2 (1 star), A3, A5, A6 (disputes), A4 (chargeback), A7 (2 stars + dispute, once)
    assert row["defects"] == 6
    assert row["odr"] == pytest.approx(6 / 9)
    assert row["negative_feedback"] == 2  # A2, A7
    assert row["disputes"] == 4  # A3, A5, A6, A7; A11's comes after today
    assert row["chargebacks"] == 1  # A4
    assert row["dispute_rate"] == pytest.approx(4 / 9)
    assert row["open_disputes"] == 1  # A5
    assert row["closed_disputes"] == 3  # A3 buyer_won, A6 seller_won, A7 settled
    assert row["disputes_lost"] == 1  # A3
    assert row["seller_loss_rate"] == pytest.approx(1 / 3)
    assert row["rated_orders"] == 5  # A1 5, A2 1, A4 4, A6 3, A7 2
    assert row["positive_feedback"] == 2  # A1, A4
    assert row["positive_feedback_rate"] == pytest.approx(2 / 5)
    assert row["delivered_orders"] == 5  # A1 10 d, A2 20 d, A4 6 d, A6 10 d, A7 10 d
    assert row["avg_days_to_deliver"] == pytest.approx(56 / 5)
    assert row["odr_target"] == 0.01 and row["odr_ok"] is False
    assert row["dispute_rate_target"] == 0.005 and row["dispute_rate_ok"] is False
    assert row["positive_feedback_rate_target"] == 0.95
    assert row["positive_feedback_rate_ok"] is False
    assert row["state"] == "measured"


def test_summary_column_types(store):
    s = health.summary(store, today=TODAY)
    assert s["orders"].dtype == "int64"
    for rate in ("odr", "dispute_rate", "seller_loss_rate", "positive_feedback_rate"):
        assert s[rate].dtype == "Float64"
    assert s["odr_ok"].dtype == "boolean"
    assert s.attrs["window_days"] == 60
    assert s.attrs["today"] == pd.Timestamp("2026-11-30T23:59:59.999999", tz="UTC")


def test_raw_frame_gives_the_same_as_typed(store):
    raw = health.summary(fixture_frame(), today=TODAY)
    pd.testing.assert_frame_equal(raw, health.summary(store, today=TODAY))


def test_window_bounds_and_forms(store):
    # a 20-day window starts 2026-11-10 23:59:59.999999: only A11 (paid 11-20) is in it
    for window in (20, "20d", "20", pd.Timedelta(days=20)):
        assert one(health.summary(store, today=TODAY, window=window))["orders"] == 1
    # everything paid by today: A1–A9 and A11
    assert one(health.summary(store, today=TODAY, window="all"))["orders"] == 10
    # 30 days to 2026-11-05 (end of day): A1–A5 paid; A3's dispute (11-20) has not happened
    early = one(health.summary(store, today="2026-11-05", window="30 days"))
    assert early["orders"] == 5
    assert early["disputes"] == 0
    assert early["delivered_orders"] == 0


@pytest.mark.parametrize("window", ["2m", "soon", 0, -3, True, "12h", pd.Timedelta(hours=5)])
def test_bad_windows_are_clear_errors(store, window):
    with pytest.raises(ValueError, match="window"):
        health.summary(store, today=TODAY, window=window)


def test_targets_can_be_overridden(store):
    row = one(health.summary(store, today=TODAY, targets={"odr": 0.7, "dispute_rate": 0.5}))
    assert row["odr_target"] == 0.7 and row["odr_ok"] is True  # 6/9 < 0.7
    assert row["dispute_rate_ok"] is True  # 4/9 ≤ 0.5
    with pytest.raises(ValueError, match="not a rate"):
        health.summary(store, today=TODAY, targets={"orders": 3})
    with pytest.raises(ValueError, match="fraction"):
        health.summary(store, today=TODAY, targets={"odr": 2})


def test_empty_window_is_an_explicit_no_orders_state(store):
    s = health.summary(store, today="2020-01-01")
    row = one(s)
    assert row["orders"] == 0 and row["state"] == "no_orders"
    for key in ("odr", "dispute_rate", "seller_loss_rate", "positive_feedback_rate",
                "avg_days_to_deliver", "odr_ok", "dispute_rate_ok"):  # fmt: skip
        assert row[key] is None, key
    assert s["odr"].isna().all()  # <NA>, not a NaN that sorts and sums as a number
    json.dumps(row)  # JSON-ready
    card = health.scorecard(s)
    assert "no orders in this window" in card.iloc[0]["value"]
    assert (card["value"].iloc[1:] == "no data").all()


def test_empty_store_and_empty_groups():
    empty = read_orders(fixture_frame().iloc[:0])
    assert one(health.summary(empty, today=TODAY))["state"] == "no_orders"
    grouped = health.summary(empty, today=TODAY, by="country")
    assert grouped.empty and "country" in grouped.columns and "odr" in grouped.columns


def test_all_ratings_missing(store):
    unrated = store.assign(feedback_stars=pd.array([pd.NA] * len(store), dtype="Int64"))
    row = one(health.summary(unrated, today=TODAY))
    assert row["rated_orders"] == 0
    assert row["positive_feedback_rate"] is None
    assert row["positive_feedback_rate_ok"] is None
    assert row["negative_feedback"] == 0
    # defects without ratings: A3, A5, A6, A7 (disputes), A4 (chargeback)
    assert row["defects"] == 5
    assert row["odr"] == pytest.approx(5 / 9)


def test_only_open_disputes_leave_the_loss_rate_missing(store):
    open_only = store.assign(
        dispute_outcome=pd.array(
            ["open" if pd.notna(d) else pd.NA for d in store["dispute_opened_at"]], dtype="string"
        )
    )
    row = one(health.summary(open_only, today=TODAY))
    assert row["disputes"] == 4 and row["open_disputes"] == 4
    assert row["closed_disputes"] == 0
    assert row["seller_loss_rate"] is None


def test_dispute_without_outcome_counts_as_open(store):
    unknown = store.assign(dispute_outcome=pd.array([pd.NA] * len(store), dtype="string"))
    row = one(health.summary(unknown, today=TODAY))
    assert row["open_disputes"] == 4 and row["seller_loss_rate"] is None


def test_by_country(store):
    s = health.summary(store, today=TODAY, by="country")
    assert list(s.columns[:2]) == ["country", "orders"]
    got = {r["country"]: r for r in health.records(s)}
    assert {c: r["orders"] for c, r in got.items()} == {"RU": 3, "US": 2, "BR": 2, "ES": 2}
    assert s["country"].iloc[0] == "RU"  # busiest first
    assert got["US"]["odr"] == pytest.approx(1 / 2)  # A2
    assert got["RU"]["odr"] == pytest.approx(2 / 3)  # A3, A4 (A11 not yet)
    assert got["BR"]["odr"] == 1.0  # A5, A6
    assert got["ES"]["defects"] == 1  # A7
    assert got["BR"]["seller_loss_rate"] == 0.0  # A6 seller_won; A5 still open
    assert got["RU"]["avg_days_to_deliver"] == 6.0  # A4
    assert s["orders"].sum() == 9
    assert health.records(s, window=True)[0]["window_days"] == 60


def test_by_several_keys_and_missing_values(store):
    s = health.summary(store, today=TODAY, by=["country", "carrier"])
    assert list(s.columns[:2]) == ["country", "carrier"]
    es = s[s["country"] == "ES"]
    assert len(es) == 2  # A7 Cainiao, A8 not shipped (no carrier): its own group
    assert es["carrier"].isna().sum() == 1
    reasons = health.summary(store, today=TODAY, by="dispute_reason")
    counts = dict(zip(reasons["dispute_reason"].fillna("-"), reasons["disputes"], strict=True))
    # A11's reason is filled but its dispute comes after today
    assert counts == {"not_received": 2, "not_as_described": 1, "defective": 1, "-": 0}
    with pytest.raises(ValueError, match="not a column"):
        health.summary(store, today=TODAY, by="planet")


def test_scorecard_and_labels(store):
    s = health.summary(store, today=TODAY)
    card = health.scorecard(s, "en")
    assert list(card.columns) == ["metric", "value", "target", "status"]
    odr = card.iloc[1]
    assert odr["value"] == "66.7%" and odr["target"] == "< 1.00%" and odr["status"] == "off target"
    zh = health.scorecard(s, "zh")
    assert zh.columns[0] == "指标" and zh.iloc[1]["状态"] == "未达标"
    with pytest.raises(ValueError, match="one summary row"):
        health.scorecard(health.summary(store, today=TODAY, by="country"))
    named = health.labelled(health.summary(store, today=TODAY, by="country"), "zh")
    assert "订单缺陷率（ODR）" in named.columns and "买家国家" in named.columns
    shown = health.labelled(health.summary(store, today=TODAY, by="country"), percent=True)
    # RU, then the three with 2 orders in key order: BR, ES, US
    assert shown["order defect rate (ODR)"].tolist() == ["66.7%", "100.0%", "50.0%", "50.0%"]
    assert shown["disputes lost by the seller"].tolist()[1] == "0.00%"
    assert shown["order defect rate (ODR) · target"].tolist()[0] == "1.00%"
    meaning = health.metrics_frame("zh")
    assert "订单缺陷率（ODR）" in set(meaning["指标"])
    assert "Amazon" in meaning.iloc[1]["目标依据"]
    assert "团队目标" in meaning.iloc[2]["目标依据"]  # the team's reason, in Chinese


def test_timezone_mixed_csv(tmp_path):
    # local dates differ from UTC dates: the window is decided in UTC
    text = (
        "order_id,buyer_country,currency,order_value,paid_at,feedback_stars,dispute_opened_at\n"
        "T1,US,USD,10,2026-11-30T23:30:00-05:00,,\n"  # 12-01 04:30 UTC: after today
        "T2,CN,CNY,10,2026-12-01T01:00:00+08:00,1,\n"  # 11-30 17:00 UTC: in
        "T3,GB,GBP,10,2026-10-01 23:00,,\n"  # naive = UTC, before the window
        "T4,DE,EUR,10,2026-10-02T01:00:00+02:00,5,\n"  # 10-01 23:00 UTC: before
        "T5,DE,EUR,10,2026-10-02T03:00:00+02:00,5,2026-10-20T08:00:00+09:00\n"  # 10-02 01:00: in
    )
    path = tmp_path / "mixed.csv"
    path.write_text(text, encoding="utf-8")
    row = one(health.summary(read_orders(path), today=TODAY))
    assert row["orders"] == 2  # T2, T5
    assert row["defects"] == 2  # T2 1 star, T5 dispute
    assert row["rated_orders"] == 2 and row["positive_feedback"] == 1
    assert row["avg_days_to_deliver"] is None  # nothing delivered


@pytest.mark.parametrize("name", ["bad_dates", "missing_column", "duplicate_ids", "negative_money"])
def test_reader_failures_are_orders_errors(name):
    path = DATA / f"{name}.csv"
    with pytest.raises(OrdersError):
        health.summary(read_orders(path), today=TODAY)
    raw = pd.read_csv(path, dtype=str)  # a raw frame is normalised, and fails the same way
    with pytest.raises(OrdersError):
        health.summary(raw, today=TODAY)


def test_incomplete_rows_are_kept():
    frame = read_orders(DATA / "incomplete_row.csv")
    assert one(health.summary(frame, today=TODAY, window="all"))["orders"] >= 1


# -------------------------------------------------------------------------------- trend


def test_weekly_trend(store):
    t = health.trend(store, today=TODAY)
    # weeks (Monday–Sunday) from the one holding 2026-10-02 to the one holding today
    assert str(t["period"].iloc[0]) == "2026-09-28/2026-10-04"
    assert str(t["period"].iloc[-1]) == "2026-11-30/2026-12-06"
    assert len(t) == 10
    assert t["partial"].tolist() == [True] + [False] * 8 + [True]
    by_week = {str(p): r for p, r in zip(t["period"], health.records(t), strict=True)}
    assert by_week["2026-10-26/2026-11-01"]["orders"] == 1  # A1 (Sunday 11-01)
    week = by_week["2026-11-02/2026-11-08"]  # A2–A8
    assert week["orders"] == 7 and week["defects"] == 6
    assert week["odr"] == pytest.approx(6 / 7)
    assert week["dispute_rate"] == pytest.approx(4 / 7)
    assert week["positive_feedback_rate"] == pytest.approx(1 / 4)  # A4 of A2, A4, A6, A7
    assert by_week["2026-11-16/2026-11-22"]["orders"] == 1  # A11
    quiet = by_week["2026-10-12/2026-10-18"]
    assert quiet["orders"] == 0 and quiet["odr"] is None
    assert t["orders"].sum() == 9
    assert str(t["start"].dt.tz) == "UTC"


def test_monthly_trend_and_empty(store):
    t = health.trend(store, freq="M", today=TODAY)
    assert [str(p) for p in t["period"]] == ["2026-10", "2026-11"]
    assert t["orders"].tolist() == [0, 9]
    everything = health.trend(store, freq="M", today=TODAY, window="all")
    assert [str(p) for p in everything["period"]] == ["2026-09", "2026-10", "2026-11"]
    empty = health.trend(store, today="2020-01-01")
    assert (empty["orders"] == 0).all() and empty["odr"].isna().all()
    nothing = health.trend(read_orders(fixture_frame().iloc[:0]), today=TODAY, window="all")
    assert nothing.empty
    with pytest.raises(ValueError, match="freq"):
        health.trend(store, freq="fortnight", today=TODAY)


# ------------------------------------------------------------------------------ what if


def test_what_if_arithmetic(store):
    w = health.what_if(store, today=TODAY)
    assert (w.orders, w.defects, w.disputes) == (9, 6, 4)
    assert w.dispute_only_defects == 3  # A3, A5, A6 (A7 also has 2 stars)
    # ODR < 1% of 9 orders: 0.09 → no defect allowed
    assert w.max_defects == 0 and w.defects_to_remove == 6 and w.on_target is False
    transit, arrival = w.notices
    # in-transit notice due (48 h after shipping) for A1–A7 and A11; ticked for A1, A2, A4,
    # A6, A7; disputes: with A6, A7 (2/5); without A3, A5 (2/3; A11's is after today)
    assert (transit.eligible, transit.with_notice, transit.without_notice) == (8, 5, 3)
    assert transit.dispute_rate_with == pytest.approx(2 / 5)
    assert transit.dispute_rate_without == pytest.approx(2 / 3)
    assert transit.extra_notices == 3
    assert transit.disputes_avoided == pytest.approx(3 * (2 / 3 - 2 / 5))  # 0.8
    # 6 defects / (gap 0.2667 × 3/4 of disputes being the only defect) = 30 > 3 unsent
    assert transit.notices_to_target is None
    # arrival notice due for A1, A4, A6, A7; ticked for A1, A4, A7; disputes A7 | A6
    assert (arrival.eligible, arrival.with_notice) == (4, 3)
    assert arrival.dispute_rate_with == pytest.approx(1 / 3)
    assert arrival.dispute_rate_without == 1.0
    assert arrival.disputes_avoided == pytest.approx(2 / 3)
    assert w.disputes_avoided == pytest.approx(0.8 + 2 / 3)
    assert w.projected_defects == pytest.approx(6 - (0.8 + 2 / 3) * 0.75)
    assert w.projected_odr == pytest.approx(w.projected_defects / 9)
    assert w.projected_ok is False
    text = w.explain("en")
    assert "6 fewer defective orders (of 6)" in text and "not proof" in text
    assert "纠纷" in w.explain("zh")
    frame = w.notices_frame("en")
    assert frame["orders it was due for"].tolist() == [8, 4]
    assert frame["notices to reach the ODR target"].tolist() == ["not enough alone"] * 2


def test_what_if_share_and_target(store):
    half = health.what_if(store, today=TODAY, notice_share=0.5)
    assert half.notices[0].extra_notices == 0  # 5 of 8 already sent ≥ 4
    assert half.notices[1].extra_notices == 0
    assert half.disputes_avoided == 0 and half.projected_defects == 6
    # a loose target: 0.8 × 9 = 7.2 → up to 7 defects
    loose = health.what_if(store, today=TODAY, target=0.8)
    assert loose.max_defects == 7 and loose.defects_to_remove == 0 and loose.on_target
    assert all(n.notices_to_target == 0 for n in loose.notices)
    assert "1 more defective orders would still keep it there" in loose.explain()
    # 0.6 × 9 = 5.4 → 5 allowed, 1 to remove: ceil(1 / (0.2667 × 0.75)) = 5 > 3 unsent,
    # but the arrival notice: ceil(1 / (0.6667 × 0.75)) = 2 > 1 unsent
    near = health.what_if(store, today=TODAY, target=0.6)
    assert near.defects_to_remove == 1
    assert [n.notices_to_target for n in near.notices] == [None, None]
    closer = health.what_if(store, today=TODAY, target=0.6, steps=["in_transit_notice"])
    assert len(closer.notices) == 1
    with pytest.raises(ValueError, match="notice_share"):
        health.what_if(store, today=TODAY, notice_share=1.5)
    with pytest.raises(ValueError, match="steps"):
        health.what_if(store, today=TODAY, steps=["wave"])


def test_notices_to_target_when_reachable():
    # 20 orders, all shipped, 10 with the notice (no disputes), 10 without (5 disputes);
    # target 0.2 → 20 × 0.2 = 4 exactly: under 20% means at most 3; 5 defects → remove 2;
    # gap 0.5, every dispute the only defect → 4 more notices
    rows = []
    for i in range(20):
        rows.append(
            {
                "order_id": f"N{i}", "buyer_country": "US", "currency": "USD",
                "order_value": "10", "paid_at": "2026-11-01T10:00:00Z",
                "shipped_at": "2026-11-02T10:00:00Z",
                "done_steps": "in_transit_notice" if i < 10 else None,
                "dispute_opened_at": "2026-11-20T10:00:00Z" if i >= 15 else None,
            }
        )  # fmt: skip
    w = health.what_if(pd.DataFrame(rows), today=TODAY, target=0.2, steps=["in_transit_notice"])
    assert w.max_defects == 3 and w.defects_to_remove == 2
    (n,) = w.notices
    assert n.gap == 0.5 and n.notices_to_target == 4
    assert n.extra_notices == 10 and n.disputes_avoided == 5
    assert w.disputes_avoided == 5 and w.projected_defects == 0 and w.projected_ok
    assert "about 4 more timely notices" in w.explain()


def test_what_if_empty_window(store):
    w = health.what_if(store, today="2020-01-01")
    assert w.orders == 0 and w.odr is None and w.projected_odr is None
    assert w.on_target is None and w.defects_to_remove == 0
    assert w.explain() == "No orders were paid in this window: there is nothing to measure yet."


def test_max_defects_exact_boundaries():
    assert health._max_defects(200, 0.01, "below") == 1  # 2 defects = 1.0%, not under
    assert health._max_defects(200, 0.01, "at_most") == 2
    assert health._max_defects(300, 0.01, "below") == 2
    assert health._max_defects(0, 0.01, "below") == 0


# -------------------------------------------------------------------------------- plots


def _target_lines(figure):
    return [line for ax in figure.axes for line in ax.lines if line.get_gid() == "target"]


def test_plot_trend_has_the_target_line(store):
    from matplotlib.figure import Figure

    figure = health.plot_trend(store, today=TODAY)
    assert isinstance(figure, Figure)
    assert figure._repr_png_().startswith(b"\x89PNG")  # shows in a notebook without pyplot
    (line,) = _target_lines(figure)
    assert line.get_ydata()[0] == 0.01
    override = health.plot_trend(store, "dispute_rate", today=TODAY, target=0.02)
    assert _target_lines(override)[0].get_ydata()[0] == 0.02
    assert not _target_lines(health.plot_trend(store, "orders", today=TODAY))
    with pytest.raises(ValueError, match="metric"):
        health.plot_trend(store, "happiness", today=TODAY)


def test_plot_disputes_and_delivery_times(store):
    from matplotlib.figure import Figure

    reasons = health.plot_disputes(store, today=TODAY)
    assert isinstance(reasons, Figure)
    labels = [t.get_text() for t in reasons.axes[0].get_yticklabels()]
    assert "Not received" in labels
    countries = health.plot_disputes(store, "country", today=TODAY)
    assert _target_lines(countries)[0].get_xdata()[0] == 0.005
    boxes = health.plot_delivery_times(store, today=TODAY)
    assert isinstance(boxes, Figure) and boxes.axes[0].lines
    with pytest.raises(ValueError, match="by"):
        health.plot_disputes(store, "carrier", today=TODAY)


def test_plots_of_an_empty_window_and_in_chinese(store):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no missing-glyph warnings, whatever fonts exist
        for figure in (
            health.plot_trend(store, today="2020-01-01", lang="zh"),
            health.plot_disputes(store, today="2020-01-01", lang="zh"),
            health.plot_disputes(store, "country", today=TODAY, lang="zh"),
            health.plot_delivery_times(store, today="2020-01-01", lang="zh"),
        ):
            figure.savefig(__import__("io").BytesIO(), format="png")


def test_plot_into_given_axes(store):
    from matplotlib.figure import Figure

    figure = Figure()
    left, right = figure.subplots(1, 2)
    assert health.plot_trend(store, today=TODAY, ax=left) is figure
    assert health.plot_delivery_times(store, today=TODAY, ax=right) is figure


# ------------------------------------------------------------------------------ content


def test_health_content_validates():
    parsed = health.health_content()
    assert parsed.targets["odr"].value == load_content().marketplace.store_health.odr_target
    assert set(parsed.metrics) == set(health.HEALTH_METRICS)
    assert parsed.targets["odr"].source and parsed.targets["positive_feedback_rate"].why


def _content_copy(tmp_path: Path, old: str, new: str) -> Path:
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "health.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


def test_broken_health_yaml_names_the_problem(tmp_path):
    folder = _content_copy(tmp_path, '{en: "target", zh: "目标"}', '{en: "target"}')
    with pytest.raises(ContentError, match=r"health.yaml → words.target.zh"):
        health.health_content(load_content(folder))  # whichever of the two loads it


def test_odr_target_looser_than_the_marketplace_is_refused(tmp_path):
    folder = _content_copy(tmp_path, "value: 0.01", "value: 0.02")
    with pytest.raises(ContentError, match="looser than the marketplace"):
        load_content(folder)


def test_stricter_team_target_is_used(tmp_path):
    content = load_content(_content_copy(tmp_path, "value: 0.01", "value: 0.005"))
    s = health.summary(sample.orders(50, seed=1), content=content, today=sample.REFERENCE_DAY)
    assert s["odr_target"].iloc[0] == 0.005


def test_text_placeholders_are_checked(tmp_path):
    folder = _content_copy(tmp_path, "{needed} more timely", "{wanted} more timely")
    with pytest.raises(ContentError, match="unknown placeholder"):
        health.health_content(load_content(folder))


def test_chinese_figure_words_when_a_cjk_font_is_installed(store, monkeypatch):
    # pretend DejaVu Sans were a CJK font: the figure's words switch to Chinese
    monkeypatch.setattr(health, "_CJK_FONTS", ("DejaVu Sans",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DejaVu Sans has no CJK glyphs
        figure = health.plot_trend(store, today=TODAY, lang="zh")
        title = figure.axes[0].get_title()
    assert title == "订单缺陷率（ODR）"
    assert figure.axes[0].title.get_fontfamily()[0] == "DejaVu Sans"


def test_sample_store_is_sane():
    orders = sample.orders(2000, seed=3)
    s = health.summary(orders, today=sample.REFERENCE_DAY, by="carrier")
    assert s["orders"].sum() == one(health.summary(orders, today=sample.REFERENCE_DAY))["orders"]
    rates = s[["odr", "dispute_rate", "positive_feedback_rate"]].to_numpy(
        dtype=float, na_value=np.nan
    )
    assert np.nanmin(rates) >= 0 and np.nanmax(rates) <= 1


# ---------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_main():
    from playbook import cli

    if not hasattr(cli, "cmd_health"):
        pytest.skip("`playbook health` is not wired into the CLI yet")
    return cli.main


@pytest.fixture
def store_csv(tmp_path) -> Path:
    path = tmp_path / "orders.csv"
    fixture_frame().to_csv(path, index=False)
    return path


def test_cli_health_json(cli_main, store_csv, capsys):
    assert cli_main(["health", str(store_csv), "--today", TODAY, "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["orders"] == 9
    assert row["odr"] == pytest.approx(6 / 9)  # a fraction, not a percentage
    assert row["dispute_rate"] == pytest.approx(4 / 9)
    assert row["seller_loss_rate"] == pytest.approx(1 / 3)
    assert row["positive_feedback_rate"] == pytest.approx(2 / 5)
    assert row["avg_days_to_deliver"] == pytest.approx(11.2)
    assert row["window_days"] == 60


def test_cli_health_table_by_country_and_plot(cli_main, store_csv, tmp_path, capsys):
    plot = tmp_path / "countries.png"
    args = ["health", str(store_csv), "--today", TODAY, "--by", "country", "--plot", str(plot)]
    assert cli_main([*args, "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "买家国家" in out and "66.7%" in out
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_cli_health_empty_window_and_bad_input(cli_main, store_csv, capsys):
    assert cli_main(["health", str(store_csv), "--today", "2020-01-01", "--format", "json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["orders"] == 0 and row["odr"] is None and row["state"] == "no_orders"
    assert cli_main(["health", str(DATA / "bad_dates.csv")]) == 1
    assert cli_main(["health", str(store_csv), "--window", "2m"]) == 1
    assert "window" in capsys.readouterr().err
