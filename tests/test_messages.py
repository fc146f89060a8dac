"""Buyer messages: every template renders in every language, values are safe and local."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml

from playbook import ids
from playbook.content import CONTENT_DIR, ContentError, load_content
from playbook.messages import (
    FILL_IN,
    LanguageFallbackWarning,
    MessageError,
    catalogue,
    draft,
    drafts_for,
    render,
    template_problems,
)

CONTENT = load_content()
LANGS = list(CONTENT.locales.languages)
PAIRS = [(t, lang) for t in sorted(CONTENT.templates) for lang in LANGS]
LEFTOVER = re.compile(r"\{\{|\}\}|\{%|%\}|\bNone\b|\[\w+\]|⟨")


def nbsp(text: str) -> str:
    """Babel separates with no-break spaces; compare with plain ones."""
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_the_library_covers_every_step_resolution_and_situation():
    serves = {(t.serves.kind, t.serves.target) for t in CONTENT.templates.values()}
    buyer_steps = [s.id for s in CONTENT.steps if s.buyer_facing]
    assert {("step", s) for s in buyer_steps} <= serves
    assert {("resolution", r) for r in ids.RESOLUTION_IDS} <= serves
    for situation in ("review_revision", "review_blackmail", "evidence_request"):
        assert ("situation", situation) in serves
    assert {"en", "es", "ru", "pt", "fr", "de", "zh"} <= set(LANGS)


def test_steps_and_resolutions_name_templates_that_exist():
    for step in CONTENT.steps:
        for name in (step.template, step.urgent_template):
            assert name is None or name in CONTENT.templates
    for template in CONTENT.resolutions.templates.values():
        assert template in CONTENT.templates


@pytest.mark.parametrize(("template_id", "lang"), PAIRS)
def test_every_template_renders_in_every_language_without_leftovers(template_id, lang):
    template = CONTENT.templates[template_id]
    message = render(template_id, lang, **template.example_values)
    assert (message.template, message.language, message.warnings) == (template_id, lang, ())
    for part in (message.subject, message.body):
        assert part.strip()
        assert not LEFTOVER.search(part), part
    assert str(template.example_values["order_id"]) in message.subject + message.body
    if "buyer_name" in template.variables:
        assert "Ana" in message.body
        without = render(template_id, lang, **{**template.example_values, "buyer_name": None})
        assert "Ana" not in without.body and not LEFTOVER.search(without.body)


def test_the_library_passes_validation():
    assert template_problems(CONTENT) == []


@pytest.mark.parametrize(
    ("lang", "currency", "amount", "expected"),
    [
        ("en", "USD", 12.5, "US$12.50"),
        ("es", "EUR", 12.5, "12,50 €"),
        ("fr", "EUR", 12.5, "12,50 €"),
        ("de", "EUR", 12.5, "12,50 €"),
        ("pt", "BRL", 12.5, "R$ 12,50"),
        ("ru", "RUB", 1234, "1 234,00 ₽"),
    ],
)
def test_money_is_written_the_buyers_way(lang, currency, amount, expected):
    message = render(
        "partial_refund_offer", lang, order_id="1", item="x", refund=amount, currency=currency
    )
    assert expected in nbsp(message.body)


def test_dates_and_numbers_accept_text_from_the_command_line():
    message = render("resend_offer", "en", order_id="1", item="a cable", ship_days="3")
    assert "within 3 days" in message.body


@pytest.mark.parametrize(("days", "word"), [(1, "дня"), (2, "дней"), (5, "дней"), (21, "дня")])
def test_plural_forms_follow_the_language_rules(days, word):
    body = render("resend_offer", "ru", order_id="1", item="x", ship_days=days).body
    assert f"в течение {days} {word} " in body


@pytest.mark.parametrize(("days", "word"), [(1, "день"), (3, "дня"), (5, "дней"), (21, "день")])
def test_russian_accusative_after_na(days, word):
    body = render("in_transit_extension", "ru", order_id="1", tracking_no="LP1", extend_days=days)
    assert f"на {days} {word}" in body.body


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "<script>alert(1)</script>", "{% raw %}x"])
def test_values_are_shown_as_text_never_evaluated(name):
    message = render("evidence_request", "en", buyer_name=name, order_id="1", item="{{ item }}")
    assert name in message.body
    assert "49" not in message.body
    assert "{{ item }}" in message.body
    assert "&lt;" not in message.body  # plain text for the chat, escaped only in HTML
    assert "<script>" not in message._repr_html_()


def test_missing_and_extra_values_name_the_template_and_variable():
    with pytest.raises(MessageError, match=r"resend_offer.*missing value for ship_days"):
        render("resend_offer", "en", order_id="1", item="x")
    with pytest.raises(MessageError, match=r"resend_offer.*unknown variable.*'colour'"):
        render("resend_offer", "en", order_id="1", item="x", ship_days=2, colour="red")
    with pytest.raises(MessageError, match=r"no template 'nope'"):
        render("nope", "en")


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        ({"refund": "a lot", "currency": "USD"}, r"refund must be a number"),
        ({"refund": 5, "currency": "XXQ"}, r"not a currency code"),
        ({"refund": True, "currency": "USD"}, r"refund must be a number"),
        ({"refund": float("inf"), "currency": "USD"}, r"refund must be a number"),
    ],
)
def test_bad_values_get_clear_errors(values, pattern):
    with pytest.raises(MessageError, match=pattern):
        render("full_refund_confirmation", "en", order_id="1", **values)


def test_whole_numbers_must_be_whole():
    with pytest.raises(MessageError, match="ship_days must be a whole number"):
        render("resend_offer", "en", order_id="1", item="x", ship_days=2.5)


def test_a_missing_language_falls_back_to_english_visibly():
    with pytest.warns(LanguageFallbackWarning, match="no 'it' text"):
        message = render("resend_offer", "it", order_id="1", item="x", ship_days=2)
    assert (message.language, message.requested_language) == ("en", "it")
    assert message.fell_back and message.warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not render("resend_offer", "pt-BR", order_id="1", item="x", ship_days=2).fell_back


def test_an_order_row_supplies_values_language_and_locale():
    order = {
        "order_id": "AE1", "buyer_name": "Jane", "buyer_country": "US", "buyer_lang": None,
        "currency": "USD", "order_value": 24.9, "tracking_no": "LP9", "carrier": "Cainiao",
    }  # fmt: skip
    message = render("gift_and_duties", None, order=order, gift_options="a keychain")
    assert (message.language, message.locale) == ("en", "en_US")
    assert "Jane" in message.body and "$24.90" in message.body
    canada = render("gift_and_duties", None, order={**order, "buyer_country": "CA"},
                    gift_options="a keychain")  # fmt: skip
    assert "US$24.90" in canada.body
    brazil = render("in_transit_notice", None, order={**order, "buyer_country": "BR"},
                    delivery_days_min=20, delivery_days_max=40)  # fmt: skip
    assert brazil.language == "pt" and "LP9" in brazil.body and "Cainiao" in brazil.body


def test_a_draft_fills_defaults_and_marks_what_staff_must_add():
    order = {"order_id": "AE2", "buyer_country": "DE", "currency": "EUR", "order_value": 30}
    message = draft("gift_and_duties", order)
    assert message.language == "de"
    assert FILL_IN.format(name="gift_options") in message.body
    assert "30,00" in nbsp(message.body)
    assert any("gift_options" in w for w in message.warnings)
    ready = draft("prep_time_notice", order, item="eine Lampe")
    assert "7 Tagen" in nbsp(ready.body) and not any("fill in" in w for w in ready.warnings)


def test_drafts_follow_the_todo_list():
    from playbook.checklist import todo
    from playbook.sample import orders

    frame = orders(40, seed=3)
    table = todo(frame, "2026-11-30")
    drafts = drafts_for(table, frame)
    assert len(drafts) == len(table)
    for template, message in zip(table["template"], drafts, strict=True):
        if isinstance(template, str):
            assert message is not None and message.template == template
        else:
            assert message is None


def test_catalogue_examples_render():
    rows = catalogue()
    assert len(rows) == len(CONTENT.templates)
    for row in rows:
        assert set(row) >= {"id", "purpose", "languages", "variables"}
        render(row["id"], row["languages"][0], **row["variables"])
    assert catalogue("xx") == []
    assert all("zh" in r["languages"] for r in catalogue("zh"))


# ------------------------------------------------------------------ validation of edits


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def edit_template(folder: Path, template_id: str, change) -> None:
    path = folder / "messages" / f"{template_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_missing_language_body_is_refused_on_load(content_copy: Path):
    edit_template(content_copy, "resend_offer", lambda d: d["languages"].pop("fr"))
    with pytest.raises(ContentError, match=r"messages/resend_offer.yaml → languages: no body"):
        load_content(content_copy)


def test_a_template_named_by_a_step_must_exist(content_copy: Path):
    (content_copy / "messages" / "arrival_notice.yaml").unlink()
    with pytest.raises(ContentError, match=r"arrival_notice → template: no template"):
        load_content(content_copy)


def test_a_bad_example_names_the_field(content_copy: Path):
    edit_template(
        content_copy, "resend_offer", lambda d: d["variables"]["ship_days"].update(example="x")
    )
    with pytest.raises(ContentError, match=r"resend_offer.yaml → variables.ship_days"):
        load_content(content_copy)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["languages"]["de"].update(body="Hallo {{ buyer }}"), "uses ['buyer']"),
        (lambda d: d["languages"]["es"].update(body="Hola {{ item }"), "languages.es.body: line"),
        (lambda d: d["languages"]["ru"].update(subject="Заказ"), "differ between languages"),
        (
            lambda d: d["languages"]["en"].update(
                body="{{ buyer_name }} {{ order_id }} {{ item }} {{ ship_days }}: WhatsApp us"
            ),
            "breaks policy off_platform",
        ),
    ],
)
def test_validation_names_template_language_and_problem(content_copy, change, expected):
    edit_template(content_copy, "resend_offer", change)
    problems = template_problems(load_content(content_copy))
    assert any(p.startswith("messages/resend_offer.yaml") and expected in p for p in problems), (
        problems
    )


# ------------------------------------------------------------------ command line


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "playbook.cli", *args], capture_output=True, text=True, check=False
    )


def test_cli_render_and_templates():
    out = run_cli("render", "partial_refund_offer", "--lang", "es", "--set", "buyer_name=Ana",
                  "--set", "order_id=77", "--set", "item=funda", "--set", "refund=3.5",
                  "--set", "currency=EUR")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "Ana" in out.stdout and "3,50 €" in nbsp(out.stdout)
    bad = run_cli("render", "partial_refund_offer", "--set", "order_id=77")
    assert bad.returncode == 1 and "missing value for item" in bad.stderr
    listing = json.loads(run_cli("templates", "--format", "json").stdout)
    assert {row["id"] for row in listing} == set(CONTENT.templates)
    assert all(isinstance(row["variables"], dict) for row in listing)


def test_cli_render_from_an_order_file(tmp_path: Path):
    from playbook.sample import orders

    frame = orders(5, seed=2)
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    order_id = frame["order_id"].iloc[0]
    out = run_cli("render", "satisfaction_followup", "--order", str(path), "--order-id",
                  order_id, "--set", "item=lamp", "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert order_id in json.loads(out.stdout)["subject"]
    several = run_cli("render", "satisfaction_followup", "--order", str(path))
    assert several.returncode == 1 and "--order-id" in several.stderr


def test_cli_due_prints_the_drafts(tmp_path: Path):
    from playbook.sample import orders

    path = tmp_path / "orders.csv"
    orders(30, seed=1).to_csv(path, index=False)
    out = run_cli("due", str(path), "--today", "2026-11-30", "--messages")
    assert out.returncode == 0, out.stderr
    assert "── " in out.stdout


def test_cli_lint_message_exit_codes_and_json():
    clean = run_cli("lint-message", "--text", "Sorry, we cannot talk on WhatsApp, please use the "
                    "platform chat.")  # fmt: skip
    assert clean.returncode == 0, clean.stderr
    assert "clean" in clean.stdout
    bad = run_cli("lint-message", "--text", "Pay me by PayPal, it will arrive on 12 December 100%",
                  "--format", "json")  # fmt: skip
    assert bad.returncode == 1
    rules = {row["rule"] for row in json.loads(bad.stdout)}
    assert {"off_platform", "false_promise"} <= rules
    zh = run_cli("lint-message", "--text", "加我微信 shop123，我们给你退款", "--lang", "zh")
    assert zh.returncode == 1 and "off_platform" in zh.stdout


def test_cli_lint_message_marks_the_learned_model():
    text = (
        "You chose the cheapest shipping option and now you're upset it takes 40 days? "
        "That's literally what you paid for."
    )  # from heldout12: no phrase catches it, the model does
    learned = run_cli("lint-message", "--text", text)
    assert learned.returncode == 1 and "the learned model's reading" in learned.stdout
    rows = json.loads(run_cli("lint-message", "--text", text, "--format", "json").stdout)
    assert [(r["rule"], r["source"]) for r in rows] == [("blames_buyer", "model")]
    phrases = run_cli("lint-message", "--text", text, "--phrases-only")
    assert phrases.returncode == 0 and "clean" in phrases.stdout


def test_cli_eval_reads_policy_cases(tmp_path: Path):
    path = tmp_path / "cases.jsonl"
    rows = [
        {"id": "a", "text": "Add me on WhatsApp +86 138 0013 8000", "rules": ["off_platform"]},
        {"id": "b", "lang": "en", "text": "Thank you for your order!", "rules": []},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = run_cli("eval", str(path), "--min-precision", "0.9", "--min-recall", "0.9")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "off_platform" in out.stdout
    path.write_text(json.dumps({"id": "c", "text": "x", "rules": ["nope"]}), encoding="utf-8")
    broken = run_cli("eval", str(path))
    assert broken.returncode == 1 and "line 1 (c): unknown rules ['nope']" in broken.stderr
