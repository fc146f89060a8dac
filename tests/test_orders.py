"""Tests for playbook.orders: reading the orders table of the contract (orders.md)."""

from __future__ import annotations

import copy
import datetime as dt
import io
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook import ids
from playbook.errors import OrdersError
from playbook.orders import (
    OrderIssue,
    OrdersReport,
    inspect_orders,
    normalise_orders,
    order_issues,
    read_orders,
)

DATA = Path(__file__).parent / "data" / "orders"
CONTRACT = list(ids.ORDER_COLUMNS)
UTC = "UTC"


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=UTC)


def one_order(**cells: object) -> pd.DataFrame:
    """A one-row frame with the required columns filled, overridden by ``cells``."""
    row: dict[str, object] = {
        "order_id": "T1",
        "buyer_country": "US",
        "currency": "USD",
        "order_value": "10.00",
        "paid_at": "2026-11-01T10:00:00Z",
    }
    row.update(cells)
    return pd.DataFrame([row])


def problems(report: OrdersReport, severity: str = "error") -> list[str]:
    return [str(i) for i in report.issues if i.severity == severity]


# ------------------------------------------------------------------------- good files


@pytest.fixture(scope="module")
def good() -> pd.DataFrame:
    return read_orders(DATA / "good.csv")


def test_good_csv_has_contract_columns_in_order_then_extras(good):
    assert list(good.columns) == [*CONTRACT, "note"]
    assert len(good) == 8
    assert order_issues(good) == []


def test_good_csv_dtypes(good):
    expected = {
        "text": "string",
        "country": "string",
        "lang": "string",
        "currency": "string",
        "stock_status": "string",
        "tracking_status": "string",
        "dispute_outcome": "string",
        "reason": "string",
        "steps": "string",
        "money": "float64",
        "stars": "Int64",
        "bool": "bool",
    }
    for column, (kind, _) in ids.ORDER_COLUMNS.items():
        dtype = good[column].dtype
        if kind == "datetime":
            assert isinstance(dtype, pd.DatetimeTZDtype), column
            assert str(dtype.tz) == UTC, column
        elif expected[kind] == "string":
            assert isinstance(dtype, pd.StringDtype) and dtype.na_value is pd.NA, column
        else:
            assert dtype == expected[kind], (column, dtype)


def test_good_csv_covers_every_tracking_state(good):
    assert set(good["tracking_status"].dropna()) == set(ids.TRACKING_STATUSES)
    assert good["tracking_status"].isna().sum() == 2  # not shipped yet


def test_offset_time_is_converted_to_utc_and_naive_taken_as_utc(good):
    row = good.set_index("order_id")
    assert row.loc["AE1002", "paid_at"] == ts("2026-11-01 15:00")  # -05:00
    assert row.loc["AE1005", "paid_at"] == ts("2026-09-15 10:00")  # +02:00
    assert row.loc["AE1003", "paid_at"] == ts("2026-10-20 14:05")  # naive
    assert row.loc["AE1002", "shipped_at"] == ts("2026-11-03 08:00")


def test_values_are_parsed(good):
    row = good.set_index("order_id")
    assert row.loc["AE1002", "order_value"] == 1234.50
    assert row.loc["AE1001", "buyer_name"] == "María García"
    assert row.loc["AE1006", "chargeback"] is np.True_
    assert not row.loc["AE1002", "chargeback"]
    assert row.loc["AE1004", "feedback_stars"] == 5
    assert pd.isna(row.loc["AE1001", "feedback_stars"])
    assert row.loc["AE1001", "stock_status"] == "in_stock"
    assert row.loc["AE1002", "stock_status"] == "in_stock"  # empty → default
    assert row.loc["AE1007", "done_steps"] == ""
    assert row.loc["AE1004", "done_steps"] == ";".join(ids.STEP_IDS)
    assert pd.isna(row.loc["AE1001", "carrier"])  # empty text → <NA>


def test_buyer_lang_derived_from_country_without_an_issue(good):
    row = good.set_index("order_id")
    assert row.loc["AE1002", "buyer_lang"] == "en"  # US
    assert row.loc["AE1008", "buyer_lang"] == "ru"  # KZ, from locales.yaml
    assert row.loc["AE1001", "buyer_lang"] == "es"  # as written


def test_extras_kept_unchanged(good):
    assert good["note"].iloc[0] == "gift wrap please"
    assert good["note"].iloc[7] == "asked for size L"
    assert good["note"].isna().sum() == 5


def test_bom_file_reads_like_plain_utf8(good):
    assert (DATA / "good_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    pd.testing.assert_frame_equal(read_orders(DATA / "good_bom.csv"), good)


def test_gb18030_file_with_chinese_headers():
    raw = (DATA / "good_gb18030.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the fixture really needs the fallback
    frame = read_orders(DATA / "good_gb18030.csv")
    assert list(frame.columns) == [*CONTRACT, "备注"]
    first = frame.iloc[0]
    assert first["order_id"] == "CN2001"
    assert first["buyer_name"] == "王芳"
    assert first["carrier"] == "顺丰"
    assert first["order_value"] == 1250.0
    assert first["shipping_cost"] == 80.0
    assert first["paid_at"] == ts("2026-11-03 14:05")  # "2026/11/03 14:05:00"
    assert first["delivered_at"] == ts("2026-11-09 16:00")
    assert first["buyer_lang"] == "zh"  # TW
    assert frame["chargeback"].tolist() == [False, True, False]  # 否/是/否
    assert frame["order_value"].iloc[2] == 499.0  # "499,00": decimal comma
    assert frame["备注"].tolist() == ["老客户", "加急", "缺货已通知"]


def test_gbk_encoded_bytes_are_read():
    text = "订单号,买家国家,币种,订单金额,付款时间\nG1,US,USD,9.90,2026-11-01 08:00\n"
    frame = read_orders(text.encode("gbk"))
    assert frame["order_id"].tolist() == ["G1"]
    assert frame["paid_at"].iloc[0] == ts("2026-11-01 08:00")


def test_utf16_excel_unicode_text_export():
    text = "order_id\tbuyer_country\tcurrency\torder_value\tpaid_at\nU1\tES\tEUR\t5\t2026-11-01\n"
    frame = read_orders(text.encode("utf-16"))
    assert frame["order_id"].tolist() == ["U1"]


def test_binary_stream_and_bytes(good):
    data = (DATA / "good.csv").read_bytes()
    pd.testing.assert_frame_equal(read_orders(io.BytesIO(data)), good)
    pd.testing.assert_frame_equal(read_orders(data), good)


def test_semicolon_csv_and_tsv(tmp_path):
    semi = "order_id;buyer_country;currency;order_value;paid_at\nS1;FR;EUR;12,50;2026-11-01\n"
    frame = read_orders(semi.encode())
    assert frame["order_value"].iloc[0] == 12.5
    tsv = tmp_path / "orders.tsv"
    tsv.write_text(
        "order_id\tbuyer_country\tcurrency\torder_value\tpaid_at\nT1\tUS\tUSD\t1,5\t2026\n"
    )
    assert read_orders(tsv)["order_value"].iloc[0] == 1.5


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Orders") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_matches_csv(good, tmp_path):
    source = pd.read_csv(DATA / "good.csv", dtype=str, keep_default_na=False)
    rows = [list(source.columns), *source.to_numpy().tolist()]
    path = write_xlsx(tmp_path / "good.xlsx", rows)
    frame = read_orders(path)
    pd.testing.assert_frame_equal(frame[CONTRACT], good[CONTRACT])
    assert frame["note"].tolist() == good["note"].astype(object).tolist()  # extras as read


def test_xlsx_typed_cells_and_sheet_name(tmp_path):
    rows = [
        ["Order Number", "Country", "Currency", "Amount", "Payment Time", "Stars", "拒付"],
        [1001, "es", "eur", 25.9, dt.datetime(2026, 11, 1, 9, 30), 5, True],
        [1002, "US", "USD", 7, "2026/11/02 10:00:00", 4.0, 0],
    ]
    book = openpyxl.Workbook()
    book.active.append(["nothing here"])
    data = book.create_sheet("Orders")
    for row in rows:
        data.append(row)
    path = tmp_path / "orders.xlsx"
    book.save(path)
    frame = read_orders(path, sheet_name="Orders")
    assert frame["order_id"].tolist() == ["1001", "1002"]  # not "1001.0"
    assert frame["buyer_country"].tolist() == ["ES", "US"]
    assert frame["order_value"].tolist() == [25.9, 7.0]
    assert frame["paid_at"].tolist() == [ts("2026-11-01 09:30"), ts("2026-11-02 10:00")]
    assert frame["feedback_stars"].tolist() == [5, 4]
    assert frame["chargeback"].tolist() == [True, False]
    # an .xlsx arriving on stdin is recognised by its zip signature
    with open(path, "rb") as stream:
        assert len(read_orders(io.BytesIO(stream.read()), sheet_name="Orders")) == 2


def test_xlsx_line_numbers_count_the_header(tmp_path):
    rows = [["order_id", "buyer_country", "currency", "order_value", "paid_at"]]
    rows += [["X1", "US", "USD", 1, "2026-11-01"], ["X2", "US", "USD", 1, "later"]]
    report = inspect_orders(write_xlsx(tmp_path / "x.xlsx", rows))
    assert problems(report) == [
        "line 3 (order X2), paid_at: 'later' is not a date (ISO 8601 expected)"
    ]


def test_missing_sheet_is_a_file_error(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [["order_id"], ["A"]])
    with pytest.raises(OrdersError, match="Nope"):
        read_orders(path, sheet_name="Nope")


# ------------------------------------------------------------------------ broken files


def test_missing_required_column_names_it_and_the_headers_found():
    report = inspect_orders(DATA / "missing_column.csv")
    assert len(report.frame) == 2
    assert report.frame["paid_at"].isna().all()
    assert isinstance(report.frame["paid_at"].dtype, pd.DatetimeTZDtype)
    [issue] = report.errors
    assert issue.row is None and issue.column == "paid_at"
    assert "required column is missing" in issue.problem
    assert "'order_id', 'buyer_country', 'currency', 'order_value', 'shipped_at'" in issue.problem
    assert "付款时间" in issue.problem  # says which headers would have worked
    with pytest.raises(OrdersError) as caught:
        read_orders(DATA / "missing_column.csv")
    assert "missing_column.csv: 1 problem(s)" in str(caught.value)
    assert "paid_at: required column is missing" in str(caught.value)
    assert caught.value.issues == report.errors


def test_missing_optional_columns_are_added_empty():
    frame = read_orders(one_order())
    assert list(frame.columns) == CONTRACT
    assert frame["stock_status"].tolist() == ["in_stock"]
    assert frame["chargeback"].tolist() == [False]
    assert frame["done_steps"].tolist() == [""]
    assert frame["buyer_lang"].tolist() == ["en"]
    assert frame["feedback_stars"].dtype == "Int64"
    assert frame["cost"].isna().all() and frame["cost"].dtype == "float64"


def test_bad_dates_name_line_column_and_value():
    report = inspect_orders(DATA / "bad_dates.csv")
    assert problems(report) == [
        "line 3 (order AE1002), shipped_at: '03/11/2026' is not a date (ISO 8601 expected)",
        "line 4 (order AE1003), paid_at: 'yesterday' is not a date (ISO 8601 expected)",
        "line 5 (order AE1004), paid_at: '2026-13-45 10:00' is not a date (ISO 8601 expected)",
    ]
    assert len(report.frame) == 4
    assert report.frame["paid_at"].isna().tolist() == [False, False, True, True]
    with pytest.raises(OrdersError, match=r"line 4 \(order AE1003\), paid_at: 'yesterday'"):
        read_orders(DATA / "bad_dates.csv")


def test_negative_and_unreadable_money():
    report = inspect_orders(DATA / "negative_money.csv")
    text = problems(report)
    assert len(text) == 3
    assert text[0].startswith("line 3 (order AE4002), order_value: '-12.50' is negative money")
    assert text[1].startswith("line 4 (order AE4003), shipping_cost: '-2' is negative money")
    assert text[2].startswith(
        "line 5 (order AE4004), order_value: 'ten dollars' is not an amount of money"
    )
    frame = report.frame
    assert len(frame) == 4
    assert frame["order_value"].isna().tolist() == [False, True, False, True]
    assert frame["shipping_cost"].isna().tolist() == [False, False, True, False]


def test_duplicate_ids_name_every_line():
    report = inspect_orders(DATA / "duplicate_ids.csv")
    assert len(report.frame) == 5
    assert [i.row for i in report.errors] == [2, 4, 6]
    for issue in report.errors:
        assert issue.column == "order_id" and issue.order_id == "AE5001"
        assert "'AE5001' is used on lines 2, 4 and 6" in issue.problem


def test_incomplete_row_is_a_warning_and_kept():
    frame = read_orders(DATA / "incomplete_row.csv")
    assert frame["order_id"].tolist() == ["AE6001", "AE6002", "AE6003"]
    assert pd.isna(frame["buyer_country"].iloc[1]) and np.isnan(frame["order_value"].iloc[1])
    assert frame["buyer_lang"].iloc[1] == "en"  # default when the country is unknown
    warnings = order_issues(frame)
    assert [str(w) for w in warnings] == [
        "line 3 (order AE6002), buyer_country: required value is empty (row kept as incomplete)",
        "line 3 (order AE6002), order_value: required value is empty (row kept as incomplete)",
    ]
    assert all(w.severity == "warning" for w in warnings)


def test_blank_order_id_is_an_error_and_the_row_kept():
    report = inspect_orders(one_order(order_id="  "))
    assert len(report.frame) == 1
    assert problems(report) == ["line 2, order_id: empty; every order needs an id"]


# ------------------------------------------------------------------------------ headers


def test_aliases_ignore_case_spaces_and_hyphens():
    frame = pd.DataFrame(
        {
            " Order Number ": ["A1"],
            "SHIP-TO country": ["de"],
            "币种": ["eur"],
            "Order Amount": ["€12,50"],
            "payment time": ["2026-11-01 08:00"],
            "Tracking-Number": ["LP1"],
            "order #": ["ignored? no: a second order_id header"],
        }
    )
    report = inspect_orders(frame)
    assert report.frame["order_id"].tolist() == ["A1"]
    assert report.frame["buyer_country"].tolist() == ["DE"]
    assert report.frame["buyer_lang"].tolist() == ["de"]
    assert report.frame["order_value"].tolist() == [12.5]
    assert report.frame["tracking_no"].tolist() == ["LP1"]
    # "order #" also means order_id: an error, and its values kept as an extra column
    [issue] = report.errors
    assert issue.column == "order_id" and issue.row is None
    assert "' Order Number ' and 'order #' both mean order_id" in issue.problem
    assert report.frame.columns[-1] == "order #"


def test_exact_duplicate_header_is_an_error_and_nothing_lost():
    data = b"order_id,buyer_country,currency,order_value,paid_at,order_id\nA,US,USD,1,2026-11-1,B\n"
    report = inspect_orders(data)
    assert "both mean order_id" in report.errors[0].problem
    assert report.frame["order_id"].tolist() == ["A"]
    assert report.frame["order_id.1"].tolist() == ["B"]


def test_unknown_and_unnamed_columns_kept_after_contract_columns():
    data = (
        b"remark,order_id,buyer_country,currency,order_value,paid_at,,\n"
        b"r1,A,US,USD,1,2026-11-01,x,\n"
    )
    frame = read_orders(data)
    assert list(frame.columns) == [*CONTRACT, "remark", "unnamed_7"]  # empty 8th dropped
    assert frame["remark"].tolist() == ["r1"]
    assert frame["unnamed_7"].tolist() == ["x"]


def test_in_memory_extras_keep_their_dtype():
    frame = normalise_orders(one_order(weight_g=[250]).assign(weight_g=[250]))
    assert frame["weight_g"].tolist() == [250]
    assert frame["weight_g"].dtype == "int64"


# ------------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("12.50", 12.5),
        ("1,234.50", 1234.5),
        ("12,50", 12.5),
        ("12,5", 12.5),
        ("1,234", 1234.0),
        ("1.234,56", 1234.56),
        ("€12,50", 12.5),
        ("US$ 1,234.50", 1234.5),
        ("¥ 88", 88.0),
        ("12.00 USD", 12.0),
        ("1 234,50", 1234.5),
        (" 7 ", 7.0),
        ("0", 0.0),
        (12.5, 12.5),
    ],
)
def test_money_formats(written, value):
    frame = read_orders(one_order(order_value=written, cost=written))
    assert frame["order_value"].iloc[0] == pytest.approx(value)
    assert frame["cost"].iloc[0] == pytest.approx(value)
    assert frame["order_value"].dtype == "float64"


@pytest.mark.parametrize("written", ["abc", "1,2,3", "12..5", "nan", "inf", "12 apples", "$"])
def test_money_unreadable(written):
    report = inspect_orders(one_order(cost=written))
    [issue] = report.errors
    assert issue.column == "cost" and issue.row == 2
    assert issue.problem.startswith(f"{written!r} is not an amount of money")
    assert np.isnan(report.frame["cost"].iloc[0])


@pytest.mark.parametrize("written", ["-5", "-€5,00", "€-5", -3.0])
def test_money_negative(written):
    [issue] = inspect_orders(one_order(order_value=written)).errors
    assert "negative money" in issue.problem and issue.column == "order_value"


@given(st.text(max_size=20))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_money_never_raises(written):
    report = inspect_orders(one_order(cost=written))
    value = report.frame["cost"].iloc[0]
    cost_issues = [i for i in report.issues if i.column == "cost"]
    assert len(report.frame) == 1
    if np.isnan(value):
        assert cost_issues or not written.strip()
    else:
        assert value >= 0 and np.isfinite(value) and not cost_issues


@given(st.lists(st.text(max_size=12), min_size=len(CONTRACT) - 1, max_size=len(CONTRACT) - 1))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_arbitrary_cells_never_raise_nor_drop_the_row(cells):
    row = dict(zip(CONTRACT[1:], cells, strict=True))
    report = inspect_orders(pd.DataFrame([{"order_id": "H1", **row}]))
    assert len(report.frame) == 1
    assert list(report.frame.columns) == CONTRACT
    assert all(i.row in (None, 2) for i in report.issues)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-11-03T14:05:00+08:00", "2026-11-03 06:05"),
        ("2026-11-03T14:05:00Z", "2026-11-03 14:05"),
        ("2026-11-03 14:05", "2026-11-03 14:05"),
        ("2026/11/03 14:05:00", "2026-11-03 14:05"),
        ("2026/11/3 9:05", "2026-11-03 09:05"),
        ("2026年11月3日 14:05", "2026-11-03 14:05"),
        ("2026-11-03", "2026-11-03 00:00"),
        ("2026/11/03 14:05:00 +0800", "2026-11-03 06:05"),
        (dt.datetime(2026, 11, 3, 14, 5), "2026-11-03 14:05"),
        (pd.Timestamp("2026-11-03 14:05", tz="Asia/Shanghai"), "2026-11-03 06:05"),
    ],
)
def test_datetime_formats(written, expected):
    frame = read_orders(one_order(paid_at=written))
    assert frame["paid_at"].iloc[0] == ts(expected)
    assert str(frame["paid_at"].dtype.tz) == UTC


@pytest.mark.parametrize(
    "written", ["yesterday", "03/11/2026", "2026-02-30", "12:00", "0001-01-01"]
)
def test_datetime_unreadable(written):
    [issue] = inspect_orders(one_order(paid_at=written)).errors
    assert issue.column == "paid_at" and f"{written!r} is not a" in issue.problem


def test_mixed_naive_and_offset_times_in_one_column():
    frame = pd.concat(
        [
            one_order(order_id="Z1", paid_at="2026-11-01T10:00:00-05:00"),
            one_order(order_id="Z2", paid_at="2026-11-01 10:00"),
            one_order(order_id="Z3", paid_at="2026/11/01 10:00 +08:00"),
            one_order(order_id="Z4", paid_at="2026/11/01 10:00"),
            one_order(order_id="Z5", paid_at="3026-11-01T10:00:00+01:00"),
        ],
        ignore_index=True,
    )
    report = inspect_orders(frame)
    assert report.frame["paid_at"].tolist()[:4] == [
        ts("2026-11-01 15:00"),
        ts("2026-11-01 10:00"),
        ts("2026-11-01 02:00"),
        ts("2026-11-01 10:00"),
    ]
    assert pd.isna(report.frame["paid_at"].iloc[4])
    [issue] = report.errors
    assert issue.row == 6 and "'3026-11-01T10:00:00+01:00' is not a" in issue.problem


def test_typed_datetime_columns_naive_and_aware():
    frame = one_order()
    frame["paid_at"] = pd.to_datetime(["2026-11-01 10:00"])
    frame["shipped_at"] = pd.to_datetime(["2026-11-02 10:00+01:00"])
    out = normalise_orders(frame)
    assert out["paid_at"].iloc[0] == ts("2026-11-01 10:00")
    assert out["shipped_at"].iloc[0] == ts("2026-11-02 09:00")


def test_country_codes():
    assert read_orders(one_order(buyer_country=" es "))["buyer_country"].tolist() == ["ES"]
    [uk] = inspect_orders(one_order(buyer_country="UK")).errors
    assert uk.column == "buyer_country"
    assert "'UK' is not an ISO 3166-1 alpha-2 country code" in uk.problem
    assert "'GB'" in uk.problem
    for bad in ("XX", "USA", "ZZ", "EU"):
        [issue] = inspect_orders(one_order(buyer_country=bad)).errors
        assert f"{bad!r} is not an ISO 3166-1" in issue.problem
    na = read_orders(one_order(buyer_country="NA"))  # Namibia, not "missing"
    assert na["buyer_country"].tolist() == ["NA"]


def test_languages():
    assert read_orders(one_order(buyer_lang="ES"))["buyer_lang"].tolist() == ["es"]
    assert read_orders(one_order(buyer_lang="pt-BR"))["buyer_lang"].tolist() == ["pt"]
    report = inspect_orders(one_order(buyer_lang="klingon"))
    [issue] = report.errors
    assert "'klingon' is not an ISO 639-1 language code" in issue.problem
    assert pd.isna(report.frame["buyer_lang"].iloc[0])  # bad cell → missing, not guessed


@pytest.mark.parametrize(("country", "lang"), [("ES", "es"), ("BR", "pt"), ("JP", "en")])
def test_buyer_lang_default(country, lang):
    frame = read_orders(one_order(buyer_country=country, buyer_lang=""))
    assert frame["buyer_lang"].tolist() == [lang]
    assert order_issues(frame) == []


def test_currency_codes():
    assert read_orders(one_order(currency="cny"))["currency"].tolist() == ["CNY"]
    [issue] = inspect_orders(one_order(currency="RMB")).errors
    assert "'RMB' is not an ISO 4217 currency code" in issue.problem and "'CNY'" in issue.problem


def test_enums():
    frame = read_orders(one_order(stock_status="Out of stock", tracking_status=" In-Transit "))
    assert frame["stock_status"].tolist() == ["out_of_stock"]
    assert frame["tracking_status"].tolist() == ["in_transit"]
    report = inspect_orders(one_order(tracking_status="shipped", dispute_outcome="won"))
    text = problems(report)
    assert text[0] == (
        "line 2 (order T1), tracking_status: 'shipped' is not a known tracking_status; "
        "allowed: " + ", ".join(ids.TRACKING_STATUSES)
    )
    assert "'won' is not a known dispute_outcome" in text[1]
    assert pd.isna(report.frame["tracking_status"].iloc[0])


def test_dispute_reason_ids():
    frame = read_orders(one_order(dispute_opened_at="2026-11-09", dispute_reason="not_received"))
    assert frame["dispute_reason"].tolist() == ["not_received"]
    [issue] = inspect_orders(
        one_order(dispute_opened_at="2026-11-09", dispute_reason="angry")
    ).errors
    assert issue.column == "dispute_reason" and "not_as_described" in issue.problem


@pytest.mark.parametrize(("written", "stars"), [("5", 5), ("5.0", 5), (" 1 ", 1), (3.0, 3)])
def test_feedback_stars(written, stars):
    assert read_orders(one_order(feedback_stars=written))["feedback_stars"].tolist() == [stars]


@pytest.mark.parametrize("written", ["0", "6", "4.5", "five", -1])
def test_feedback_stars_out_of_range(written):
    report = inspect_orders(one_order(feedback_stars=written))
    [issue] = report.errors
    assert "is not a star rating (a whole number from 1 to 5)" in issue.problem
    assert report.frame["feedback_stars"].dtype == "Int64"
    assert pd.isna(report.frame["feedback_stars"].iloc[0])


@pytest.mark.parametrize(
    ("written", "flag"),
    [
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("y", True),
        ("是", True),
        (True, True),
        ("false", False),
        ("NO", False),
        ("0", False),
        ("n", False),
        ("否", False),
        ("", False),
    ],
)
def test_chargeback_flags(written, flag):
    frame = read_orders(one_order(chargeback=written))
    assert frame["chargeback"].tolist() == [flag]
    assert frame["chargeback"].dtype == bool


def test_chargeback_unreadable():
    report = inspect_orders(one_order(chargeback="maybe"))
    [issue] = report.errors
    assert issue.column == "chargeback" and "'maybe' is not yes/no" in issue.problem
    assert report.frame["chargeback"].dtype == bool


def test_done_steps_normalised_in_contract_order():
    frame = read_orders(one_order(done_steps=" offer_more ; prep_time_notice;offer_more "))
    assert frame["done_steps"].tolist() == ["prep_time_notice;offer_more"]
    report = inspect_orders(one_order(done_steps="prep_time_notice;wave_goodbye"))
    [issue] = report.errors
    assert issue.column == "done_steps" and "unknown step id 'wave_goodbye'" in issue.problem
    assert pd.isna(report.frame["done_steps"].iloc[0])


def test_text_is_stripped_and_empty_is_missing():
    frame = read_orders(one_order(order_id=" A7 ", buyer_name="   ", carrier=" DHL "))
    assert frame["order_id"].tolist() == ["A7"]
    assert frame["carrier"].tolist() == ["DHL"]
    assert pd.isna(frame["buyer_name"].iloc[0])


# ------------------------------------------------------------------- consistency checks


def test_consistency_warnings_keep_the_row():
    frame = pd.concat(
        [
            one_order(order_id="C1", shipped_at="2026-10-31T10:00:00Z"),
            one_order(
                order_id="C2",
                shipped_at="2026-11-02",
                delivered_at="2026-11-01",
                tracking_status="delivered",
            ),
            one_order(order_id="C3", delivered_at="2026-11-09", tracking_status="in_transit"),
            one_order(order_id="C4", tracking_status="delivered"),
            one_order(order_id="C5", dispute_reason="not_received", dispute_outcome="open"),
        ],
        ignore_index=True,
    )
    out = read_orders(frame)  # warnings only: no raise
    assert len(out) == 5
    text = [str(w) for w in order_issues(out)]
    assert text == [
        "line 2 (order C1), shipped_at: 2026-10-31 10:00 UTC is before paid_at "
        "(2026-11-01 10:00 UTC)",
        "line 3 (order C2), delivered_at: 2026-11-01 00:00 UTC is before shipped_at "
        "(2026-11-02 00:00 UTC)",
        "line 4 (order C3), delivered_at: is set but tracking_status is 'in_transit' "
        "(expected 'delivered')",
        "line 5 (order C4), tracking_status: is 'delivered' but delivered_at is empty",
        "line 6 (order C5), dispute_opened_at: is empty but dispute_reason is 'not_received'; "
        "when did the dispute open?",
        "line 6 (order C5), dispute_opened_at: is empty but dispute_outcome is 'open'; "
        "when did the dispute open?",
    ]


# ------------------------------------------------------------------ rows, lines, files


def test_no_row_is_ever_dropped():
    for name in ("bad_dates", "negative_money", "duplicate_ids", "incomplete_row", "good"):
        source = pd.read_csv(DATA / f"{name}.csv", dtype=str)
        assert len(inspect_orders(DATA / f"{name}.csv").frame) == len(source), name


def test_line_numbers_after_blank_lines_and_multiline_cells():
    data = (
        b"order_id,buyer_country,currency,order_value,paid_at,note\n"
        b'L1,US,USD,1,2026-11-01,"two\nlines"\n'
        b"\n"
        b"L2,US,USD,1,soon,\n"
        b",,,,,\n"
        b"L3,US,USD,-1,2026-11-01,\n"
    )
    report = inspect_orders(data)
    assert report.frame["order_id"].tolist() == ["L1", "L2", "L3"]  # blank lines: not orders
    assert report.frame["note"].iloc[0] == "two\nlines"
    assert [(i.row, i.column) for i in report.errors] == [(5, "paid_at"), (7, "order_value")]


def test_row_with_too_many_cells_is_an_error_and_kept():
    data = (
        b"order_id,buyer_country,currency,order_value,paid_at\n"
        b"R1,US,USD,1,2026-11-01\n"
        b"R2,US,USD,1,2026-11-01,oops\n"
    )
    report = inspect_orders(data)
    assert report.frame["order_id"].tolist() == ["R1", "R2"]
    [issue] = report.errors
    assert issue.row == 3 and "has 6 cells but the header has 5" in issue.problem
    assert report.frame["unnamed_6"].tolist()[1] == "oops"


def test_in_memory_rows_are_index_position_plus_two():
    frame = pd.concat([one_order(order_id=f"M{i}") for i in range(3)], ignore_index=True)
    frame.index = [10, 20, 30]
    frame.loc[30, "paid_at"] = "whenever"
    report = inspect_orders(frame)
    assert [i.row for i in report.errors] == [4]
    assert list(report.frame.index) == [0, 1, 2]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (DATA / "no_such_file.csv", "file not found"),
        (DATA / "orders.xls", "save it as .xlsx"),
        (DATA / "orders.json", "expected .csv, .tsv or .xlsx"),
        (b"", "the file is empty"),
        (b"  \n\n", "the file is empty"),
        (b"\xff\xff\x81\x30\xff", "neither UTF-8 nor GB18030"),
        (b"PK\x03\x04 not really a workbook", "not a readable .xlsx"),
    ],
)
def test_unreadable_sources_raise(source, message):
    with pytest.raises(OrdersError, match=message) as caught:
        inspect_orders(source)
    [issue] = caught.value.issues
    assert issue.row is None and issue.severity == "error"


def test_wrong_source_type():
    with pytest.raises(TypeError):
        inspect_orders(42)


def test_header_only_file_is_an_empty_table():
    frame = read_orders(b"order_id,buyer_country,currency,order_value,paid_at\n")
    assert len(frame) == 0 and list(frame.columns) == CONTRACT


# ----------------------------------------------------------------- API and formatting


def test_issue_str():
    assert (
        str(OrderIssue(5, "paid_at", "AE1003", "'yesterday' is not a date", "error"))
        == "line 5 (order AE1003), paid_at: 'yesterday' is not a date"
    )
    assert str(OrderIssue(5, "order_id", None, "empty", "error")) == "line 5, order_id: empty"
    assert str(OrderIssue(None, "paid_at", None, "missing", "error")) == "paid_at: missing"
    assert str(OrderIssue(None, None, None, "file not found", "error")) == "file not found"


def test_report_partitions_issues():
    report = inspect_orders(one_order(buyer_country="", chargeback="maybe"))
    assert [i.column for i in report.errors] == ["chargeback"]
    assert [i.column for i in report.warnings] == ["buyer_country"]
    assert report.frame.attrs["issues"] == report.issues


def test_read_orders_raises_with_every_error_but_not_warnings():
    frame = pd.concat(
        [one_order(order_id="E1", paid_at="x"), one_order(order_id="E2", currency="")],
        ignore_index=True,
    )
    with pytest.raises(OrdersError) as caught:
        read_orders(frame)
    assert [str(i) for i in caught.value.issues] == [
        "line 2 (order E1), paid_at: 'x' is not a date (ISO 8601 expected)"
    ]
    assert caught.value.source == "<data frame>"


def test_order_issues_and_attrs_survive_operations():
    assert order_issues(pd.DataFrame()) == []
    frame = read_orders(DATA / "incomplete_row.csv")
    assert len(order_issues(frame[frame["order_value"] > 0])) == 2
    assert order_issues(copy.deepcopy(frame)) == order_issues(frame)


def test_normalise_is_idempotent(good):
    again = normalise_orders(good)
    pd.testing.assert_frame_equal(again, good)


def test_does_not_modify_the_input_frame():
    frame = one_order(buyer_country=" es ")
    before = frame.copy()
    normalise_orders(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_vectorised_on_many_rows(good):
    big = pd.concat([good] * 2500, ignore_index=True)  # 20,000 rows
    big["order_id"] = [f"B{i}" for i in range(len(big))]
    out = normalise_orders(big)
    assert len(out) == len(big) and order_issues(out) == []
    pd.testing.assert_series_equal(out["paid_at"], big["paid_at"])
