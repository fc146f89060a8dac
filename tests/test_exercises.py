"""The self-checked exercises: check() judges answers, and every notebook fails untouched
and passes with the trainer's reference answer."""

from __future__ import annotations

import math
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient

import playbook
from playbook import exercises, health, sample
from playbook.content import CONTENT_DIR
from playbook.errors import ContentError

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
ANSWERS = ROOT / "trainer" / "answers"
IDS = ["sop_today", "triage_delivered", "partial_refund", "message_rewrite", "odr_window"]
GOOD_MESSAGE = (
    "Hi Ana, your parcel LP00123456789CN is on its way. Delivery usually takes 15–30 days; "
    "this is an estimate. If you have any question, write to us here in the order chat."
)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ------------------------------------------------------------------------------ content


def test_one_exercise_per_module_and_notebook():
    loaded = exercises.load_exercises()
    assert sorted(loaded) == sorted(IDS)
    assert sorted(e.module for e in loaded.values()) == sorted(exercises.MODULES)
    notebooks = sorted(p.name for p in EXERCISES.glob("*.ipynb"))
    assert sorted(e.notebook for e in loaded.values()) == notebooks
    assert sorted(p.stem for p in ANSWERS.glob("*.py")) == sorted(IDS)
    assert list(exercises.catalogue("zh")["id"]) == list(loaded)


def _broken(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load((CONTENT_DIR / exercises.FILE).read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / exercises.FILE
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def _problems(path: Path) -> str:
    with pytest.raises(ContentError) as info:
        exercises.load_exercises(path)
    return "\n".join(info.value.problems)


def test_a_copy_of_the_file_loads(tmp_path: Path):
    path = _broken(tmp_path, lambda raw: None)
    assert sorted(exercises.load_exercises(path)) == sorted(IDS)


def test_missing_feedback_is_named_by_file_exercise_and_field(tmp_path: Path):
    path = _broken(tmp_path, lambda raw: raw["exercises"][2]["feedback"].pop("forgot_shipping"))
    text = _problems(path)
    assert "exercises.yaml → exercises[2] (partial_refund) → feedback" in text
    assert "forgot_shipping" in text


def test_unknown_placeholder_is_reported(tmp_path: Path):
    def edit(raw):
        raw["exercises"][0]["feedback"]["correct"]["zh"] = "{order} 对了"

    text = _problems(_broken(tmp_path, edit))
    assert "(sop_today) → feedback.correct.zh: unknown placeholder(s) ['order']" in text


def test_wrong_module_and_missing_text_are_reported(tmp_path: Path):
    def edit(raw):
        raw["exercises"][1]["module"] = "shipping"
        del raw["exercises"][3]["title"]["zh"]

    text = _problems(_broken(tmp_path, edit))
    assert "exercises[1] (triage_delivered) → module" in text
    assert "exercises[3] (message_rewrite) → title.zh" in text


def test_missing_data_and_unknown_exercise_are_reported(tmp_path: Path):
    def edit(raw):
        del raw["exercises"][4]["data"]["window"]
        raw["exercises"][0]["id"] = "sop_tomorrow"

    text = _problems(_broken(tmp_path, edit))
    assert "(odr_window) → data: missing ['window']" in text
    assert "(sop_tomorrow) → id: no checker" in text
    assert "no entry for ['sop_today']" in text


def test_missing_file_is_a_content_error(tmp_path: Path):
    assert "file is missing" in _problems(tmp_path / exercises.FILE)


# ------------------------------------------------------------------------------ check()


@pytest.mark.parametrize("exercise_id", IDS)
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_answer_is_not_passed_with_a_hint(exercise_id: str, lang: str):
    result = exercises.check(exercise_id, None, lang=lang)
    assert not result.passed
    assert repr(result).startswith("✗")
    assert exercises.hints(exercise_id, lang)[0] in result.feedback
    assert has_chinese(repr(result)) == (lang == "zh")


ODD_ANSWERS = [
    object(),
    "",
    "   ",
    "x" * 100_000,
    math.nan,
    math.inf,
    True,
    [],
    (),
    {},
    {"reason": ["not_received"]},
    ("a",),
    ("a", "b", "c"),
    (None, None),
    lambda: 1,
]


@pytest.mark.parametrize("exercise_id", IDS)
def test_odd_answers_never_raise_and_never_pass(exercise_id: str):
    for answer in ODD_ANSWERS:
        result = exercises.check(exercise_id, answer, lang="zh")
        assert not result.passed, answer
        assert result.lines, answer
        assert result._repr_html_().startswith("<div")


def test_unknown_exercise_and_unknown_language():
    result = exercises.check("no_such_exercise", 1)
    assert not result.passed and "sop_today" in result.feedback
    right = exercises.check("partial_refund", 10.01, lang="fr")  # falls back to English
    assert right.passed and right.lang == "en"


def _feedback(exercise_id: str, key: str, lang: str = "en", **values) -> str:
    return exercises.get(exercise_id).feedback[key](lang).format(**values)


def _today_list():
    orders = sample.orders(40, seed=17, today="2026-11-30")
    return orders, playbook.todo(orders, "2026-11-30")


def test_sop_today_right_answer_in_any_form():
    _, todo = _today_list()
    first = todo.iloc[0]
    assert first["urgent"] and first["step"] == "prep_time_notice"
    for answer in (
        (first["order_id"], first["step"]),
        [first["order_id"], first["step"]],
        {"order_id": first["order_id"], "step": first["step"]},
        first,  # a row of the to-do list
    ):
        result = exercises.check("sop_today", answer)
        assert result.passed, result
        assert repr(result).startswith("✓")


def test_sop_today_feedback_names_the_mistake():
    orders, todo = _today_list()
    first = todo.iloc[0]
    oldest = todo.sort_values("deadline").iloc[0]
    assert oldest["order_id"] != first["order_id"]  # the trap the exercise is built on
    cases = {
        (oldest["order_id"], oldest["step"]): _feedback("sop_today", "earliest_deadline"),
        (first["order_id"], "offer_more"): _feedback("sop_today", "wrong_step", step="offer_more"),
        (todo.iloc[3]["order_id"], todo.iloc[3]["step"]): _feedback(
            "sop_today", "later_in_list", position=4
        ),
        ("AE0", "offer_more"): _feedback("sop_today", "unknown_order", order_id="AE0"),
        (orders.iloc[0]["order_id"], "arrival_notice"): _feedback(
            "sop_today", "not_due", order_id=orders.iloc[0]["order_id"], step="arrival_notice"
        ),
    }
    for answer, expected in cases.items():
        result = exercises.check("sop_today", answer)
        assert not result.passed
        assert expected in result.feedback
        assert exercises.get("sop_today").rule("en") in result.feedback


RIGHT_TRIAGE = {
    "reason": "not_received",
    "flags": ["review_threat"],
    "resolution": "escalate_to_platform",
}


def test_triage_right_answer_agrees_with_the_engine():
    ex = exercises.get("triage_delivered")
    order = sample.orders(40, seed=7, today="2026-11-30").iloc[ex.data.row]
    assert order["tracking_status"] == "delivered"
    a = playbook.assess(ex.data.message, order)
    assert (a.reason, list(a.flags), a.resolutions[0]) == (
        RIGHT_TRIAGE["reason"],
        RIGHT_TRIAGE["flags"],
        RIGHT_TRIAGE["resolution"],
    )
    assert exercises.check("triage_delivered", RIGHT_TRIAGE).passed
    assert exercises.check("triage_delivered", {**RIGHT_TRIAGE, "flags": "review_threat"}).passed


def test_triage_feedback_per_field():
    answer = {"reason": "bad_faith", "flags": ["hostile"], "resolution": "full_refund"}
    result = exercises.check("triage_delivered", answer, lang="zh")
    assert not result.passed
    text = result.feedback
    assert _feedback("triage_delivered", "reason_bad_faith", "zh") in text
    assert _feedback("triage_delivered", "flags_missing", "zh", flags="review_threat") in text
    assert _feedback("triage_delivered", "flags_extra", "zh", flags="hostile") in text
    assert _feedback("triage_delivered", "resolution_pays", "zh", given="full_refund") in text
    # the playbook's own rule for a delivered parcel the buyer did not get
    rule = playbook.load_content().resolutions.context["delivered_but_not_received"]("zh")
    assert rule in text
    # a partly right answer: the right fields are confirmed, the wrong one explained
    partly = exercises.check("triage_delivered", {**RIGHT_TRIAGE, "resolution": "resend"})
    assert not partly.passed
    assert "✓ reason: not_received" in partly.feedback
    assert "✗ resolution" in partly.feedback


def test_triage_unknown_ids_are_named():
    result = exercises.check("triage_delivered", {**RIGHT_TRIAGE, "reason": "lost"})
    assert not result.passed and "'lost'" in result.feedback and "not_received" in result.feedback


def test_partial_refund():
    money = playbook.Money.of(sample.orders(40, seed=5, today="2026-11-30").iloc[7].to_dict())
    assert money.max_partial_refund == pytest.approx(10.01)
    assert exercises.check("partial_refund", 10.01).passed
    assert exercises.check("partial_refund", 10.006).passed  # rounding to the cent
    assert "10.01 USD" in exercises.check("partial_refund", 10.01).feedback
    cases = {
        24.53 - 10.44: _feedback("partial_refund", "forgot_shipping"),
        5.0: _feedback("partial_refund", "suggested_offer"),
        24.53: _feedback("partial_refund", "full_value"),
        12.27: _feedback("partial_refund", "too_high", given="12.27", currency="USD"),
        10: _feedback("partial_refund", "too_low", given="10.00", currency="USD"),
        "10.01": _feedback("partial_refund", "format"),
    }
    for answer, expected in cases.items():
        result = exercises.check("partial_refund", answer)
        assert not result.passed and expected in result.feedback, answer


def test_message_rewrite():
    assert playbook.check_policy(GOOD_MESSAGE, lang="en") == []
    assert exercises.check("message_rewrite", GOOD_MESSAGE).passed
    draft = exercises.get("message_rewrite").data.draft
    unchanged = exercises.check("message_rewrite", draft)
    assert _feedback("message_rewrite", "unchanged") in unchanged.feedback
    # a small edit that keeps both breaches: each one is explained, in the staff language
    edited = draft.replace("Hi", "Hello")
    result = exercises.check("message_rewrite", edited, lang="zh")
    assert not result.passed
    findings = playbook.check_policy(edited, lang="en")
    assert {f.rule for f in findings} == {"false_promise", "review_incentive"}
    for f in findings:
        assert f.explanation_zh in result.feedback
    # clean, but the buyer lost the tracking number
    short = GOOD_MESSAGE.replace(" LP00123456789CN", "")
    result = exercises.check("message_rewrite", short)
    assert not result.passed
    assert _feedback("message_rewrite", "missing_fact", fact="LP00123456789CN") in result.feedback


def test_odr_window():
    orders = sample.orders(400, seed=8, today="2026-11-30")
    row = health.summary(orders, today="2026-11-30", window=60).iloc[0]
    odr = float(row["odr"])
    everything = float(health.summary(orders, today="2026-11-30", window="all")["odr"].iloc[0])
    assert abs(odr - everything) > 0.001  # the trap is distinguishable
    assert exercises.check("odr_window", odr).passed
    assert exercises.check("odr_window", round(odr, 3)).passed
    cases = {
        odr * 100: _feedback("odr_window", "percent", given=odr * 100),
        everything: _feedback("odr_window", "whole_table"),
        int(row["negative_feedback"]) / int(row["orders"]): _feedback("odr_window", "one_kind"),
        0.5: _feedback("odr_window", "wrong", given=0.5),
    }
    for answer, expected in cases.items():
        result = exercises.check("odr_window", answer)
        assert not result.passed and expected in result.feedback, answer


def test_result_display():
    right = exercises.check("partial_refund", 10.01, lang="zh")
    assert repr(right).startswith("✓ 做对了")
    assert "✓" in right._repr_html_() and "#2e7d32" in right._repr_html_()
    odd = exercises.CheckResult("x", False, ("<b>Hi</b> & bye",), title="T")
    assert repr(odd) == "✗ Not yet · T\n  <b>Hi</b> & bye"
    assert "<li>&lt;b&gt;Hi&lt;/b&gt; &amp; bye</li>" in odd._repr_html_()
    assert odd.feedback == "<b>Hi</b> & bye"


# ------------------------------------------------------------------------------ notebooks


def _tagged(nb, tag: str):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"exactly one cell tagged {tag!r}"
    return cells[0]


def _notebook(exercise_id: str):
    path = EXERCISES / exercises.get(exercise_id).notebook
    return path, nbformat.read(path, as_version=4)


def _normal(text: str) -> str:
    return " ".join(text.replace("`", "").split())


@pytest.mark.parametrize("exercise_id", IDS)
def test_notebook_layout(exercise_id: str):
    ex = exercises.get(exercise_id)
    _, nb = _notebook(exercise_id)
    assert nb.metadata.kernelspec.name == "python3"
    assert 'lang = "en"' in _tagged(nb, "parameters").source
    answer = _tagged(nb, "answer").source
    assert answer.startswith("answer = None") and "✏️" in answer
    check = _tagged(nb, "check").source
    assert check == f'playbook.exercises.check("{exercise_id}", answer, lang=lang)'
    cells = nb.cells
    assert cells.index(_tagged(nb, "check")) == cells.index(_tagged(nb, "answer")) + 1
    # the task the checker judges is the one the notebook shows, and so is the data
    markdown = _normal(" ".join(c.source for c in cells if c.cell_type == "markdown"))
    assert _normal(ex.task.en).rstrip(".") in markdown
    code = "\n".join(c.source for c in cells if c.cell_type == "code")
    d = ex.data
    if d.orders is not None:
        today = d.today.isoformat()
        assert f"sample.orders({d.orders}, seed={d.seed}, today=" in code
        assert f'"{today}"' in code
    if d.row is not None:
        assert f"orders.iloc[{d.row}]" in code
    if d.message is not None:
        assert f'"{d.message}"' in code
    if d.window is not None:
        assert f"window={d.window}" in exercises.hints(exercise_id)[0]


def _run(nb):
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(EXERCISES)}},
    )
    client.execute()
    output = [o for o in _tagged(nb, "check").outputs if o.output_type == "execute_result"]
    assert len(output) == 1
    return output[0].data["text/plain"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_untouched_notebook_is_not_passed(exercise_id: str):
    _, nb = _notebook(exercise_id)
    shown = _run(nb)
    assert shown.startswith("✗"), shown


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_answer_passes(exercise_id: str):
    _, nb = _notebook(exercise_id)
    _tagged(nb, "answer").source = (ANSWERS / f"{exercise_id}.py").read_text(encoding="utf-8")
    shown = _run(nb)
    assert shown.startswith("✓"), shown


def test_reference_answers_are_not_in_the_trainees_folder():
    assert not any(p.suffix == ".py" for p in EXERCISES.rglob("*"))
    for exercise_id in IDS:
        text = (ANSWERS / f"{exercise_id}.py").read_text(encoding="utf-8")
        assert "answer =" in text and text.startswith("# Reference answer")
