"""Dispute triage: signals, negations, order context, money, bad input, batch and CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import ids
from playbook.phrases import normalise
from playbook.triage import Assessment, assess, assess_many

ORDER = {"order_value": 30.0, "currency": "USD", "cost": 12.0, "shipping_cost": 4.0}


def test_returns_contract_ids_with_evidence():
    a = assess("It stopped working after two days, it doesn't turn on anymore")
    assert isinstance(a, Assessment)
    assert (a.category, a.reason) == ("product", "defective")
    assert a.confidence > 0.5
    assert a.signals_for("defective")
    assert all(r in ids.RESOLUTION_IDS for r in a.resolutions)
    assert a.evidence and a.template


def test_negation_keeps_product_defect_out_of_logistics():
    a = assess("The box was fine but it does not turn on")
    assert a.reason == "defective"
    b = assess("The box was not damaged at all, but you sent me the wrong colour")
    assert b.reason == "wrong_item"


def test_duty_refusal_is_the_buyers_side():
    a = assess("I will not pay customs duties for this, that is your problem")
    assert (a.category, a.reason) == ("buyer", "duties_or_pickup")


def test_review_mention_without_threat_is_no_flag():
    assert "review_threat" not in assess("Great seller, I will leave 5 stars when it arrives").flags
    threat = assess("Refund me today or I leave a 1 star review")
    assert "review_threat" in threat.flags
    assert "review_threat" not in assess("I will not leave a bad review, just help me").flags


def test_delivered_but_missing_in_good_faith_stays_not_received():
    text = (
        "Tracking says delivered but I don't have it. I asked my neighbours and the post "
        "office, can you open an investigation?"
    )
    a = assess(text, {"tracking_status": "delivered"})
    assert a.reason == "not_received"
    assert a.evidence[0] == "proof_of_delivery"
    assert a.resolutions[0] == "escalate_to_platform"
    assert any("proof of delivery" in n for n in a.notes)
    # the same words without order context: no delivered-risk note
    assert not any("proof of delivery" in n for n in assess(text).notes)


def test_delivered_and_own_words_undercut_claim_is_bad_faith():
    text = "I got it but I want a full refund, I keep the item and you send my money back"
    a = assess(text, {"tracking_status": "delivered"})
    assert (a.category, a.reason) == ("buyer", "bad_faith")
    assert "keep_and_refund" in a.flags
    assert a.resolutions[0] == "escalate_to_platform"


def test_keep_and_refund_with_a_real_defect_keeps_the_product_reason():
    a = assess(
        "It is broken and does not work at all, it stopped working on day one. "
        "Refund me in full and I keep it"
    )
    assert a.reason == "defective"
    assert "keep_and_refund" in a.flags


def test_partial_refund_never_above_profit():
    a = assess("The colour is different from the photos, can I get a partial refund?", ORDER)
    assert a.resolutions[0] == "partial_refund"
    option = a.options[0]
    assert a.money.profit == pytest.approx(14.0)
    assert a.money.max_partial_refund == pytest.approx(14.0)
    assert 0 < option.refund <= a.money.profit
    assert option.net >= 0


def test_no_profit_means_no_partial_refund():
    losing = {"order_value": 10.0, "currency": "USD", "cost": 9.0, "shipping_cost": 3.0}
    a = assess("The colour is different from the photos, partial refund please", losing)
    assert "partial_refund" not in a.resolutions
    assert any("no profit" in n for n in a.notes)


def test_missing_cost_says_so_instead_of_guessing():
    a = assess("It is broken", {"order_value": 25.0, "currency": "EUR"})
    assert a.money.profit is None
    assert all(o.refund is None for o in a.options)
    assert any("cost" in n for n in a.notes)


def test_resend_and_return_costs():
    a = assess("It arrived broken, it doesn't work", ORDER)
    options = {o.resolution: o for o in a.options}
    assert options["resend"].extra_cost == pytest.approx(16.0)  # goods + shipping again
    assert options["resend"].net == pytest.approx(-2.0)
    assert options["full_refund"].net == pytest.approx(-16.0)  # goods and postage lost


def test_open_dispute_gives_response_deadline():
    order = {**ORDER, "dispute_opened_at": "2026-11-25T10:00:00Z", "dispute_outcome": "open"}
    a = assess("still not received", order)
    assert a.response_deadline == pd.Timestamp("2026-11-30T10:00:00Z")
    closed = {**order, "dispute_outcome": "seller_won"}
    assert assess("still not received", closed).response_deadline is None


@pytest.mark.parametrize(
    "text",
    ["", "   \n\t ", "\x00\x01\x02\xff", "<html><script>alert(1)</script></html>", "a" * 1_000_000,
     "😀😀😀", "Ωμέγα λέξεις στα ελληνικά"],
)  # fmt: skip
def test_bad_input_gives_a_low_confidence_assessment(text):
    a = assess(text)
    assert a.reason in ids.REASON_IDS
    assert a.confidence < 0.5
    assert a.notes


def test_html_is_read_as_text():
    a = assess("<p>It <b>does not work</b> &amp; the screen is black</p>")
    assert a.reason == "defective"


def test_long_message_is_read_in_part_with_a_note():
    a = assess("it does not work. " + "x" * 50_000)
    assert a.reason == "defective"
    assert any("first" in n for n in a.notes)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_assess_never_raises(text):
    a = assess(text)
    assert a.category == ids.REASON_CATEGORY[a.reason]
    assert 0.0 <= a.confidence <= 1.0
    assert set(a.flags) <= set(ids.FLAG_IDS)


def test_repr_and_html_repr_are_readable():
    a = assess("YOU ARE THIEVES, it is broken, refund or 1 star <script>", ORDER)
    text = repr(a)
    assert "product/defective" in text and "hostile" in text
    page = a._repr_html_()
    assert "<script>" not in page and "<table>" in page


def test_staff_language_chinese_notes():
    a = assess("refund or I leave 1 star", staff_lang="zh")
    assert any("评价" in n for n in a.notes)


def test_assess_many_keeps_rows_and_index():
    frame = pd.DataFrame(
        {"text": ["it does not work", "where is my parcel, not received", ""],
         "tracking_status": ["delivered", "in_transit", None]},
        index=[10, 11, 12],
    )  # fmt: skip
    out = assess_many(frame)
    assert list(out.index) == [10, 11, 12]
    assert list(out["reason"][:2]) == ["defective", "not_received"]
    assert isinstance(out.loc[10, "flags"], list)


def _matcher():
    from playbook.content import load_content
    from playbook.triage import _matcher as matcher

    return matcher(load_content())


def test_batch_matching_finds_what_one_by_one_matching_finds():
    """Messages are matched joined by newlines: a phrase that runs across the join (``50``
    ending one message, ``%`` starting the next) must not leak into either message."""
    texts = [normalise(t) for t in (
        "I want a refund of 50", "% off is not enough, it does not work",
        "it does not work", "", "pay me 30", "%", "no llegó nada", "没收到货",
        "where is my parcel", "refund 50", "% please",
    )]  # fmt: skip
    matcher = _matcher()
    assert matcher.find_many(texts) == [matcher.find(t) for t in texts]
    assert matcher.find_many([]) == []


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([
    "it does not work", "refund 50", "% discount", "no funciona", "não chegou", "50",
    "не работает", "没收到", "keep it and refund", "I will leave 1 star", "", "!!!",
]) | st.text(max_size=40), max_size=12))  # fmt: skip
def test_batch_matching_equals_one_by_one_on_any_batch(pieces):
    matcher = _matcher()
    texts = [normalise(t) for t in pieces]
    assert matcher.find_many(texts) == [matcher.find(t) for t in texts]


def test_assess_many_equals_assess_row_by_row(monkeypatch):
    import playbook.triage as triage

    monkeypatch.setattr(triage, "_CHUNK", 3)  # several chunks, a short last one
    texts = ["it does not work", "refund 50", "% off", "no llegó", "", "не работает",
             "PAY ME NOW OR 1 STAR", "没收到货"]  # fmt: skip
    frame = pd.DataFrame({"text": texts, "tracking_status": ["delivered"] * len(texts)})
    batch = assess_many(frame, progress=False).to_dict("records")
    single = [assess(t, {"tracking_status": "delivered"}).to_dict() for t in texts]
    assert batch == single


def test_assess_many_needs_the_text_column():
    with pytest.raises(KeyError, match="no 'body' column"):
        assess_many(pd.DataFrame({"text": ["x"]}), text_col="body")


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "playbook.cli", *args],
        input=stdin, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_cli_triage_jsonl_carries_ids_in_order(tmp_path: Path):
    path = tmp_path / "messages.jsonl"
    lines = [
        {"id": "m1", "order_id": "A1", "text": "it does not work", **ORDER},
        {"id": "m2", "text": "I will not pay customs"},
        {"id": "m3", "order_id": "A3", "text": "never arrived", "tracking_status": "no_updates"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    run = run_cli("triage", str(path))
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["m1", "m2", "m3"]
    assert rows[0]["order_id"] == "A1" and rows[1]["order_id"] is None
    assert [r["reason"] for r in rows] == ["defective", "duties_or_pickup", "not_received"]
    assert rows[0]["profit"] == pytest.approx(14.0)
    for key in ("category", "flags", "confidence", "resolutions", "evidence"):
        assert key in rows[0]


def test_cli_triage_csv_from_stdin():
    run = run_cli("triage", "-", "--format", "csv", stdin="id,text\nq1,wrong size sent\n")
    assert run.returncode == 0, run.stderr
    header, row = run.stdout.splitlines()[:2]
    assert header.startswith("id,category,reason,flags")
    assert row.startswith("q1,product,wrong_item")


def test_cli_triage_malformed_jsonl_names_the_line(tmp_path: Path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{"text": broken\n', encoding="utf-8")
    run = run_cli("triage", str(path))
    assert run.returncode == 1
    assert "line 2" in run.stderr


def test_cli_triage_one_text():
    run = run_cli("triage", "--text", "I ordered the wrong size by mistake")
    assert run.returncode == 0
    assert json.loads(run.stdout)["reason"] == "changed_mind"


def test_if_not_is_a_condition_not_a_negation():
    assert "review_threat" in assess("Refund half, if not I leave 1 star").flags
    assert "review_threat" not in assess("I will not leave a bad review").flags


def test_counter_evidence_phrase_cancels_an_overlapping_signal():
    a = assess("The listing says 100% cotton but the label says polyester")
    assert "partial_refund_ask" not in a.flags
    assert "partial_refund_ask" in assess("Give me back 30% and I keep it").flags


@pytest.mark.parametrize(
    ("text", "lang"),
    [("¿Dónde está mi pedido? No ha llegado", "es"), ("Где моя посылка, не пришла", "ru"),
     ("Meu pedido não chegou ainda", "pt"), ("Je n'ai pas reçu ma commande", "fr"),
     ("Meine Bestellung ist nicht angekommen", "de"), ("我的包裹还没收到", "zh"),
     ("My parcel has not arrived", "en")],
)  # fmt: skip
def test_language_is_detected_and_every_language_reads_not_received(text, lang):
    a = assess(text)
    assert a.lang == lang
    assert a.reason == "not_received"


def test_mixed_language_message():
    a = assess("Hola, my order no llegó todavía, tracking no se actualiza")
    assert a.reason == "not_received"


def test_signals_come_in_reading_order_whatever_the_hash_seed():
    code = (
        "from playbook import assess; "
        "print([h.text for h in assess('El paquete llegó aplastado y la taza está rota').hits])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True,
            env={**__import__("os").environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2", "3")
    }  # fmt: skip
    assert len(outputs) == 1
    assert outputs.pop().startswith("['paquete")


def test_money_reads_a_pandas_row():
    from playbook.resolution import Money

    row = pd.Series({"order_value": 30.0, "currency": "USD", "cost": 12.0, "shipping_cost": 4.0})
    assert Money.of(row).profit == 14.0
    assert Money.of(None).profit is None


def test_quoting_the_tracking_is_no_admission_of_receipt():
    text = (
        "Tracking says it was delivered on Monday but there is nothing in my mailbox "
        "and my neighbours have not seen it"
    )
    a = assess(text, {"tracking_status": "delivered"})
    assert (a.category, a.reason) == ("logistics", "not_received")
    assert a.resolutions[0] == "escalate_to_platform"
