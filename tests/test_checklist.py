"""The shipping SOP engine: each rule of steps.yaml, for one order and for a frame."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from playbook import ids
from playbook.checklist import as_of, order_steps, step_table, todo, with_step_done
from playbook.content import CONTENT_DIR, load_content

TODAY = "2026-11-30"  # as of the end of that day, UTC


def order(order_id: str = "A1", **values) -> dict:
    base = {
        "order_id": order_id,
        "buyer_name": "Ana",
        "buyer_country": "US",
        "currency": "USD",
        "order_value": 25.0,
        "paid_at": "2026-11-30T10:00:00Z",
    }
    base.update(values)
    return base


def states(o: dict, today=TODAY, **kw) -> dict:
    return {s.step: s for s in order_steps(o, today, **kw)}


def test_new_order_opens_the_three_pre_shipping_notices():
    s = states(order())
    assert s["prep_time_notice"].status == "due"
    assert s["offer_more"].status == "due"
    assert s["gift_and_duties"].status == "due"
    assert s["ship_photo_weigh"].status == "due"
    assert s["in_transit_notice"].status == "not_yet"
    assert s["in_transit_notice"].reason == "starts when: shipped"
    assert s["arrival_notice"].status == "not_yet"
    assert s["satisfaction_followup"].status == "not_yet"
    assert s["prep_time_notice"].template == "prep_time_notice"
    assert s["ship_photo_weigh"].template is None  # internal step sends nothing
    assert s["prep_time_notice"].deadline == pd.Timestamp("2026-12-01T10:00:00Z")


def test_prep_notice_overdue_after_24_hours():
    s = states(order(paid_at="2026-11-29T20:00:00Z"))
    assert s["prep_time_notice"].status == "overdue"
    assert s["offer_more"].status == "due"  # 48 h rule
    assert "overdue" in s["prep_time_notice"].reason


def test_stock_problem_makes_notice_urgent_and_says_which():
    s = states(order(stock_status="size_unavailable"))
    prep = s["prep_time_notice"]
    assert prep.urgent and prep.status == "due"
    assert prep.template == "prep_time_notice_stock"
    assert "size unavailable" in prep.reason
    assert not s["offer_more"].urgent


def test_ship_step_overdue_after_promised_preparation_days():
    s = states(order(paid_at="2026-11-23T12:00:00Z", done_steps="prep_time_notice"))
    assert s["ship_photo_weigh"].status == "overdue"
    assert s["prep_time_notice"].status == "done"
    fresh = states(order(paid_at="2026-11-24T12:00:00Z"))
    assert fresh["ship_photo_weigh"].status == "due"


def test_shipping_closes_the_pre_shipping_notices_and_does_the_ship_step():
    s = states(
        order(
            paid_at="2026-11-20T08:00:00Z",
            shipped_at="2026-11-29T09:00:00Z",
            tracking_status="in_transit",
            done_steps="offer_more",
        )
    )
    assert s["prep_time_notice"].status == "missed"
    assert s["offer_more"].status == "done"
    assert s["ship_photo_weigh"].status == "done"
    assert "shipped" in s["ship_photo_weigh"].reason
    assert s["in_transit_notice"].status == "due"


def test_in_transit_notice_overdue_after_48_hours():
    s = states(order(paid_at="2026-11-01T08:00:00Z", shipped_at="2026-11-05T08:00:00Z"))
    assert s["in_transit_notice"].status == "overdue"
    assert not s["in_transit_notice"].urgent


@pytest.mark.parametrize(
    ("country", "shipped", "urgent", "status", "words"),
    [
        ("US", "2026-10-16T00:00:00Z", False, "done", "done"),  # 45 d of 60
        ("US", "2026-10-06T00:00:00Z", True, "due", "ends in"),  # 55 d of 60
        ("BR", "2026-08-12T00:00:00Z", True, "due", "120 d for BR"),  # 110 d of 120
        ("BR", "2026-10-06T00:00:00Z", False, "done", "done"),  # 55 d of 120
        ("RU", "2026-08-27T00:00:00Z", True, "overdue", "ended"),  # 95 d of 90
    ],
)
def test_protection_window_alert_per_destination(country, shipped, urgent, status, words):
    o = order(
        buyer_country=country,
        currency="USD",
        paid_at="2026-08-01T00:00:00Z",
        shipped_at=shipped,
        tracking_status="in_transit",
        done_steps="prep_time_notice;offer_more;gift_and_duties;ship_photo_weigh;in_transit_notice",
    )
    step = states(o)["in_transit_notice"]
    assert step.urgent is urgent
    assert step.status == status
    assert words in step.reason
    assert step.template == ("in_transit_extension" if urgent else "in_transit_notice")


def test_arrival_notice_due_on_arrival_and_overdue_after_48_hours():
    base = dict(paid_at="2026-11-01T00:00:00Z", shipped_at="2026-11-03T00:00:00Z")
    due = states(order(**base, arrived_destination_at="2026-11-29T12:00:00Z"))
    late = states(order(**base, arrived_destination_at="2026-11-25T12:00:00Z"))
    assert due["arrival_notice"].status == "due"
    assert late["arrival_notice"].status == "overdue"


def test_arrival_implied_by_tracking_without_timestamp_is_due_not_overdue():
    s = states(
        order(
            paid_at="2026-11-01T00:00:00Z",
            shipped_at="2026-11-03T00:00:00Z",
            tracking_status="arrived_destination",
        )
    )
    assert s["arrival_notice"].status == "due"
    assert s["arrival_notice"].deadline is None


@pytest.mark.parametrize(
    ("delivered", "status"),
    [
        ("2026-11-29T10:00:00Z", "not_yet"),  # follow-up opens 3 days after delivery
        ("2026-11-26T10:00:00Z", "due"),
        ("2026-11-20T10:00:00Z", "overdue"),
        ("2026-10-20T10:00:00Z", "missed"),  # 28 days after delivery
    ],
)
def test_followup_three_days_after_delivery(delivered, status):
    s = states(
        order(
            paid_at="2026-10-01T00:00:00Z",
            shipped_at="2026-10-03T00:00:00Z",
            delivered_at=delivered,
            tracking_status="delivered",
        )
    )
    assert s["satisfaction_followup"].status == status
    # delivery before any arrival notice means that notice was missed
    assert s["arrival_notice"].status == "missed"


def test_followup_not_applicable_once_a_dispute_is_opened():
    s = states(
        order(
            paid_at="2026-10-01T00:00:00Z",
            shipped_at="2026-10-03T00:00:00Z",
            delivered_at="2026-11-20T10:00:00Z",
            tracking_status="delivered",
            dispute_opened_at="2026-11-22T10:00:00Z",
            dispute_reason="defective",
            dispute_outcome="open",
        )
    )
    assert s["satisfaction_followup"].status == "not_applicable"
    assert "dispute" in s["satisfaction_followup"].reason


def test_returned_parcel_makes_travel_notices_not_applicable():
    s = states(
        order(
            paid_at="2026-09-01T00:00:00Z",
            shipped_at="2026-09-03T00:00:00Z",
            tracking_status="returned",
        )
    )
    assert s["in_transit_notice"].status == "not_applicable"
    assert s["arrival_notice"].status == "not_applicable"


def test_future_events_do_not_count():
    s = states(order(paid_at="2026-12-05T10:00:00Z"))
    assert all(state.status == "not_yet" for state in s.values())


def test_staff_language_chinese():
    s = states(order(stock_status="colour_unavailable"), lang="zh")
    assert s["prep_time_notice"].title == "告知买家备货时间"
    assert "缺色" in s["prep_time_notice"].reason


def test_unknown_staff_language_is_an_error():
    with pytest.raises(ValueError, match="staff language"):
        order_steps(order(), TODAY, lang="xx")


def test_as_of_date_means_end_of_day_utc():
    assert as_of("2026-11-30") == pd.Timestamp("2026-11-30T23:59:59.999999Z")
    assert as_of(dt.date(2026, 11, 30)) == as_of("2026-11-30")
    assert as_of("2026-11-30T08:00:00+08:00") == pd.Timestamp("2026-11-30T00:00:00Z")
    with pytest.raises(ValueError, match="not a date"):
        as_of("soon")


def test_with_step_done_ticks_and_unticks():
    ticked = with_step_done(order(done_steps="offer_more"), "prep_time_notice")
    assert ticked["done_steps"] == "prep_time_notice;offer_more"
    assert states(ticked)["prep_time_notice"].status == "done"
    assert with_step_done(ticked, "offer_more", done=False)["done_steps"] == "prep_time_notice"
    with pytest.raises(ValueError, match="unknown step"):
        with_step_done(order(), "wave")


@pytest.fixture
def mixed_orders() -> pd.DataFrame:
    return pd.DataFrame(
        [
            order("N1"),  # brand new: due
            order("S1", paid_at="2026-11-29T08:00:00Z", stock_status="out_of_stock"),
            order("L1", paid_at="2026-11-10T08:00:00Z", shipped_at="2026-11-12T08:00:00Z",
                  done_steps="prep_time_notice;offer_more;gift_and_duties"),
            order("B1", buyer_country="BR", currency="BRL", paid_at="2026-08-01T00:00:00Z",
                  shipped_at="2026-08-05T00:00:00Z", tracking_status="in_transit",
                  done_steps="prep_time_notice;offer_more;gift_and_duties;in_transit_notice"),
            order("D1", paid_at="2026-10-01T00:00:00Z", shipped_at="2026-10-03T00:00:00Z",
                  delivered_at="2026-11-26T00:00:00Z", tracking_status="delivered",
                  done_steps=";".join(ids.STEP_IDS[:-1])),
        ]
    )  # fmt: skip


def test_todo_lists_only_due_and_overdue_most_urgent_first(mixed_orders):
    table = todo(mixed_orders, TODAY)
    assert set(table["status"]) <= {"due", "overdue"}
    assert list(table.columns[:4]) == ["order_id", "step", "title", "status"]
    first = table.iloc[0]
    assert first["status"] == "overdue" and bool(first["urgent"])
    tiers = [
        (0 if s == "overdue" else 2) + (0 if u else 1)
        for s, u in zip(table["status"], table["urgent"], strict=True)
    ]
    assert tiers == sorted(tiers)
    assert ("D1", "satisfaction_followup") in set(
        zip(table["order_id"], table["step"], strict=True)
    )
    assert ("B1", "in_transit_notice") in set(zip(table["order_id"], table["step"], strict=True))


def test_step_table_has_every_step_of_every_order_in_sequence(mixed_orders):
    table = step_table(mixed_orders, TODAY)
    assert len(table) == len(mixed_orders) * len(ids.STEP_IDS)
    assert list(table["step"][:7]) == list(ids.STEP_IDS)
    assert list(table["order_id"].unique()) == list(mixed_orders["order_id"])
    assert set(table["status"]) <= {"done", "due", "overdue", "not_yet", "missed", "not_applicable"}


def test_frame_and_single_order_agree(mixed_orders):
    table = step_table(mixed_orders, TODAY)
    for record in mixed_orders.to_dict(orient="records"):
        single = [s.status for s in order_steps(record, TODAY)]
        assert single == list(table.loc[table["order_id"] == record["order_id"], "status"])


def test_empty_frame_gives_empty_todo(mixed_orders):
    assert todo(mixed_orders.iloc[0:0], TODAY).empty


def test_timing_is_configurable_in_content(tmp_path: Path):
    folder = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, folder)
    path = folder / "steps.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["steps"][0]["timing"]["overdue_after_hours"] = 6
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    custom = load_content(folder)
    assert states(order())["prep_time_notice"].status == "due"
    assert states(order(), content=custom)["prep_time_notice"].status == "overdue"


def write_orders(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def test_cli_due_json(tmp_path: Path, mixed_orders):
    path = write_orders(tmp_path / "orders.csv", mixed_orders)
    run = subprocess.run(
        [sys.executable, "-m", "playbook.cli", "due", str(path), "--today", TODAY, "--format",
         "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)
    assert rows and all(r["status"] in ("due", "overdue") for r in rows)
    assert {"order_id", "step", "status", "reason", "template"} <= set(rows[0])
    assert all(r["step"] in ids.STEP_IDS for r in rows)
    internal = [r for r in rows if r["step"] == "ship_photo_weigh"]
    assert internal and all(r["template"] is None for r in internal)
    assert rows[0]["order_id"] == "S1" and rows[0]["urgent"] is True


def test_cli_due_table_and_csv(tmp_path: Path, mixed_orders):
    path = write_orders(tmp_path / "orders.csv", mixed_orders)
    for fmt, marker in (("table", "order_id"), ("csv", "order_id,step")):
        run = subprocess.run(
            [sys.executable, "-m", "playbook.cli", "due", str(path), "--today", TODAY,
             "--format", fmt, "--lang", "zh"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert marker in run.stdout.splitlines()[0]
        assert "超时" in run.stdout


def test_cli_due_broken_file_exits_1_with_named_problem(tmp_path: Path):
    path = tmp_path / "broken.csv"
    path.write_text("order_id,buyer_country,currency,order_value\nA1,US,USD,12\n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "playbook.cli", "due", str(path), "--today", TODAY],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 1
    assert "paid_at" in run.stderr


def test_checklist_widget_ticks_and_keeps_what_staff_ticked():
    pytest.importorskip("ipywidgets")
    from playbook.widgets import ChecklistWidget

    widget = ChecklistWidget(order(), TODAY)
    assert not widget.boxes["prep_time_notice"].value
    widget.boxes["prep_time_notice"].value = True  # what a click does
    assert "prep_time_notice" in widget.order["done_steps"]
    assert "done" in widget.labels["prep_time_notice"].value
    states = widget.tick("prep_time_notice", False)
    assert states[0].status == "due" and not widget.boxes["prep_time_notice"].value

    # a done in-transit notice near the window's end: the box stays ticked, the label asks
    late = order(
        paid_at="2026-08-01T00:00:00Z", shipped_at="2026-10-06T00:00:00Z",
        tracking_status="in_transit", done_steps="in_transit_notice",
    )  # fmt: skip
    widget = ChecklistWidget(late, TODAY, lang="zh")
    assert widget.boxes["in_transit_notice"].value
    assert "延长" in widget.labels["in_transit_notice"].value


def test_status_badge_escapes_text():
    pytest.importorskip("ipywidgets")
    from playbook.checklist import StepState
    from playbook.widgets import status_badge

    state = StepState("offer_more", "t", "due", False, "<script>x</script>", None, None)
    badge = status_badge(state, load_content(), "en")
    assert "<script>" not in badge and "&lt;script&gt;" in badge


def test_open_disputes_come_first_with_their_response_deadline(mixed_orders):
    disputed = order(
        "X1", paid_at="2026-10-01T00:00:00Z", shipped_at="2026-10-03T00:00:00Z",
        dispute_opened_at="2026-11-27T09:00:00Z", dispute_reason="not_received",
        dispute_outcome="open",
    )  # fmt: skip
    late = order(
        "X2", paid_at="2026-10-01T00:00:00Z", shipped_at="2026-10-03T00:00:00Z",
        dispute_opened_at="2026-11-20T09:00:00Z", dispute_reason="defective",
    )  # fmt: skip
    settled = order(
        "X3", paid_at="2026-10-01T00:00:00Z", shipped_at="2026-10-03T00:00:00Z",
        dispute_opened_at="2026-11-28T09:00:00Z", dispute_reason="defective",
        dispute_outcome="settled",
    )  # fmt: skip
    frame = pd.concat([mixed_orders, pd.DataFrame([disputed, late, settled])], ignore_index=True)
    table = todo(frame, TODAY)
    top = table.head(2)
    assert list(top["step"]) == ["dispute", "dispute"]
    assert list(top["order_id"]) == ["X2", "X1"]  # earliest deadline first
    assert list(top["status"]) == ["overdue", "due"]
    assert top.iloc[1]["deadline"] == pd.Timestamp("2026-12-02T09:00:00Z")  # 5 days (data)
    assert "Not received" in top.iloc[1]["reason"]
    assert "X3" not in set(table.loc[table["step"] == "dispute", "order_id"])
    assert (table["step"] != "dispute").iloc[2:].all()


def test_triage_box_assesses_what_is_typed():
    pytest.importorskip("ipywidgets")
    from playbook.widgets import TriageBox

    box = TriageBox(pd.DataFrame([order("T1", cost=10.0, shipping_cost=3.0)]))
    box.message.value = "It does not work at all"
    box.order.value = "T1"
    box.button.click()
    assert "defective" in box.result.value
    assert "12.00" in box.result.value  # the order's profit: 25 − 10 − 3
