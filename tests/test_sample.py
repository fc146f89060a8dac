"""The synthetic orders: contract schema, internal consistency, and realistic proportions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook import ids, sample
from playbook.content import load_content

END = pd.Timestamp(sample.REFERENCE_DAY, tz="UTC") + pd.Timedelta(days=1)  # exclusive
TIMES = ["paid_at", "shipped_at", "arrived_destination_at", "delivered_at", "dispute_opened_at"]
EXPECTED_DTYPE = {
    "money": np.dtype("float64"),
    "datetime": pd.DatetimeTZDtype("ns", "UTC"),
    "stars": pd.Int64Dtype(),
    "bool": np.dtype("bool"),
}
STRING = pd.StringDtype(na_value=pd.NA)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return sample.orders(20_000, seed=11)


def steps_of(frame: pd.DataFrame, step_id: str) -> pd.Series:
    """Whether each order has ``step_id`` among its done steps."""
    return frame["done_steps"].str.contains(f"(?:^|;){step_id}(?:;|$)").astype(bool)


# ---- the contract ----


def test_columns_and_dtypes_are_exactly_the_contract(big):
    assert list(big.columns) == list(ids.ORDER_COLUMNS)
    for column, (kind, _required) in ids.ORDER_COLUMNS.items():
        expected = EXPECTED_DTYPE.get(kind, STRING)
        assert big[column].dtype == expected, column
    assert isinstance(big.index, pd.RangeIndex)
    assert big["done_steps"].notna().all()  # "" when nothing is done, never missing


def test_empty_frame_has_the_same_schema(big):
    empty = sample.orders(0)
    assert empty.empty
    pd.testing.assert_series_equal(empty.dtypes, big.dtypes)


def test_same_seed_same_frame_and_other_seeds_differ():
    a = sample.orders(800, seed=5)
    pd.testing.assert_frame_equal(a, sample.orders(800, seed=5))
    pd.testing.assert_frame_equal(a, sample.orders(800, 5, today="2026-11-30"))
    pd.testing.assert_frame_equal(a, sample.orders(800, 5, today=pd.Timestamp("2026-11-30 08:00")))
    other = sample.orders(800, seed=6)
    assert not a["order_id"].equals(other["order_id"])
    assert not a["paid_at"].equals(other["paid_at"])


@pytest.mark.parametrize("n", [-1, 2.5, "10", None, True])
def test_bad_n_is_a_clear_value_error(n):
    with pytest.raises(ValueError, match="n must be"):
        sample.orders(n)


def test_numpy_integers_count_as_n():
    assert len(sample.orders(np.int64(3))) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"today": "next tuesday"}, "today must be"), ({"days": 0}, "days must be")],
)
def test_bad_today_or_days_is_a_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sample.orders(5, **kwargs)


def test_passes_the_orders_reader_untouched(big):
    reader = pytest.importorskip("playbook.orders")
    if not hasattr(reader, "normalise_orders"):
        pytest.skip("playbook.orders has no normalise_orders yet")
    frame = big.head(3_000)
    normalised = reader.normalise_orders(frame)  # raises OrdersError on any error
    assert list(normalised.attrs.get("issues", [])) == []  # and no warnings either
    pd.testing.assert_frame_equal(normalised.reset_index(drop=True), frame)


# ---- time and state ----


def test_nothing_happens_after_today(big):
    for column in TIMES:
        assert (big[column].dropna() < END).all(), column
    start = END - pd.Timedelta(days=120)
    assert (big["paid_at"] >= start).all()


def test_today_and_days_move_the_window():
    frame = sample.orders(2_000, seed=2, today=dt.date(2026, 6, 30), days=30)
    end = pd.Timestamp("2026-07-01", tz="UTC")
    for column in TIMES:
        assert (frame[column].dropna() < end).all(), column
    assert (frame["paid_at"] >= end - pd.Timedelta(days=30)).all()


def test_events_happen_in_order(big):
    paid, shipped = big["paid_at"], big["shipped_at"]
    arrived, delivered = big["arrived_destination_at"], big["delivered_at"]
    assert big["paid_at"].is_monotonic_increasing
    assert not (shipped < paid).any()
    assert not (arrived < shipped).any() and not (delivered < arrived).any()
    assert (arrived.notna() <= shipped.notna()).all()
    assert (delivered.notna() <= arrived.notna()).all()
    opened = big["dispute_opened_at"]
    has = opened.notna()
    assert (opened[has] >= shipped[has] + pd.Timedelta(days=10)).all()  # marketplace rule
    assert (opened[has] > paid[has]).all()


def test_tracking_status_matches_the_timestamps(big):
    status = big["tracking_status"]
    shipped = big["shipped_at"].notna()
    arrived = big["arrived_destination_at"].notna()
    delivered = big["delivered_at"].notna()
    assert (status.isna() == ~shipped).all()
    assert (big["carrier"].isna() == ~shipped).all()
    assert (big["tracking_no"].isna() == ~shipped).all()
    s = status.fillna("")
    assert (delivered == (s == "delivered")).all()
    assert not arrived[s == "in_transit"].any()
    assert arrived[s.isin(["arrived_destination", "delivered", "returned"])].all()


def test_enum_values_come_from_the_contract(big):
    assert set(big["stock_status"]) <= set(ids.STOCK_STATUSES)
    assert set(big["tracking_status"].dropna()) <= set(ids.TRACKING_STATUSES)
    assert set(big["dispute_reason"].dropna()) <= set(ids.REASON_IDS)
    assert set(big["dispute_outcome"].dropna()) <= set(ids.DISPUTE_OUTCOMES)
    assert set(big["tracking_status"].dropna()) == set(ids.TRACKING_STATUSES)


def test_buyer_language_and_currency_follow_the_country(big):
    locales = load_content().locales
    for country, group in big.groupby("buyer_country"):
        assert set(group["buyer_lang"]) == {locales.for_country(country).lang}
        assert group["currency"].nunique() == 1
    assert {"US", "RU", "BR", "ES", "FR", "DE", "GB", "MX"} <= set(big["buyer_country"])
    assert big["buyer_name"].notna().all()


def test_order_ids_and_tracking_numbers_look_real(big):
    assert big["order_id"].is_unique
    assert big["order_id"].str.fullmatch(r"AE\d{10}").all()
    patterns = {
        "AliExpress Standard Shipping": r"LP\d{14}",
        "Cainiao Super Economy": r"U[A-Z]\d{9}CN",
        "China Post Registered Air Mail": r"R[A-Z]\d{9}CN",
        "YunExpress": r"YT\d{16}",
        "4PX": r"4PX\d{13}CN",
    }
    shipped = big.dropna(subset=["carrier"])
    assert set(shipped["carrier"]) == set(patterns)
    for carrier, pattern in patterns.items():
        numbers = shipped.loc[shipped["carrier"] == carrier, "tracking_no"]
        assert numbers.str.fullmatch(pattern).all(), carrier
    post = shipped.loc[shipped["tracking_no"].str.endswith("CN"), "tracking_no"]
    post = post[~post.str.startswith("4PX")]
    for number in post.head(200):  # UPU S10 check digit
        weighted = sum(
            int(d) * w for d, w in zip(number[2:10], (8, 6, 4, 2, 3, 5, 9, 7), strict=True)
        )
        check = {10: 0, 11: 5}.get(11 - weighted % 11, 11 - weighted % 11)
        assert int(number[10]) == check, number


def test_money_is_rounded_and_costs_are_a_share_of_the_value(big):
    for column in ("order_value", "cost", "shipping_cost"):
        values = big[column].dropna()
        assert np.allclose(values, values.round(2))
    assert (big["order_value"] > 0).all()
    known = big.dropna(subset=["cost", "shipping_cost"])
    assert (known["cost"] / known["order_value"]).between(0.28, 0.62).all()
    assert (known["shipping_cost"] / known["order_value"]).between(0.08, 0.27).all()
    assert 0.02 < big["cost"].isna().mean() < 0.10
    usd = big.loc[big["currency"] == "USD", "order_value"]
    assert 12 < usd.median() < 45


def test_done_steps_are_valid_ids_in_order_and_only_when_due(big):
    position = {s: i for i, s in enumerate(ids.STEP_IDS)}
    for text in big["done_steps"].unique():
        done = text.split(";") if text else []
        assert all(s in position for s in done), text
        assert [position[s] for s in done] == sorted(position[s] for s in done), text
    shipped = big["shipped_at"].notna()
    assert (steps_of(big, "ship_photo_weigh") == shipped).all()
    assert not steps_of(big, "in_transit_notice")[~shipped].any()
    assert not steps_of(big, "arrival_notice")[big["arrived_destination_at"].isna()].any()
    follow_up_due = big["delivered_at"] + pd.Timedelta(hours=72) < END
    assert not steps_of(big, "satisfaction_followup")[~follow_up_due].any()
    # most steps that are due are done, not all: the to-do list has work
    assert 0.6 < steps_of(big, "prep_time_notice").mean() < 0.95
    assert (big["done_steps"] == "").any()


def test_feedback_stars_only_after_delivery(big):
    stars = big["feedback_stars"]
    assert stars.dropna().between(1, 5).all()
    assert big["delivered_at"][stars.notna()].notna().all()
    delivered = big["delivered_at"].notna()
    assert 0.45 < stars[delivered].notna().mean() < 0.65
    assert stars.dropna().mode()[0] == 5
    assert (stars <= 2).any()


# ---- disputes ----


def test_dispute_columns_come_together_and_fit_the_parcel(big):
    opened = big["dispute_opened_at"].notna()
    assert (big["dispute_reason"].notna() == opened).all()
    assert (big["dispute_outcome"].notna() == opened).all()
    product = big["dispute_reason"].map(ids.REASON_CATEGORY, na_action="ignore") == "product"
    assert (big.loc[product.fillna(False), "tracking_status"] == "delivered").all()
    undelivered = big["tracking_status"].isin(["in_transit", "no_updates"])
    reasons = set(big.loc[undelivered & opened, "dispute_reason"])
    assert reasons <= {"not_received", "changed_mind"}
    recent = opened & (big["dispute_opened_at"] > END - pd.Timedelta(days=5))
    assert (big.loc[recent, "dispute_outcome"] == "open").all()


def test_rates_are_realistic(big):
    assert 0.01 < big["dispute_opened_at"].notna().mean() < 0.10
    assert 0.02 < (big["stock_status"] != "in_stock").mean() < 0.07
    assert big["chargeback"].mean() < 0.01
    status = big["tracking_status"].value_counts(normalize=True)
    assert status["no_updates"] < 0.04 and status["returned"] < 0.03
    assert status["delivered"] > 0.5


def test_slow_countries_take_longer_and_some_parcels_outlast_the_window(big):
    days = (big["delivered_at"] - big["shipped_at"]).dt.total_seconds() / 86_400
    median = days.groupby(big["buyer_country"]).median()
    assert median["BR"] > median["RU"] > median["US"]
    assert (days[big["buyer_country"] == "US"] > 60).any()


def test_timely_notices_go_with_fewer_disputes(big):
    old_enough = big["shipped_at"] < END - pd.Timedelta(days=10)
    disputed = big["dispute_opened_at"].notna()
    told = steps_of(big, "in_transit_notice")
    with_notice = disputed[old_enough & told].mean()
    without = disputed[old_enough & ~told].mean()
    assert with_notice < 0.8 * without
