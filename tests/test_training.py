"""Training scenarios: the bank is valid and agrees with the tools; grading is fair and clear."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from playbook import ids, training
from playbook.checklist import DISPUTE_STEP, order_steps, todo
from playbook.content import load_content
from playbook.errors import ContentError
from playbook.training import (
    FIELDS,
    NONE,
    choices,
    engine_answer,
    get_scenario,
    grade,
    load_scenarios,
    next_scenario,
)
from playbook.triage import assess

SCENARIOS = load_scenarios()
DISPUTES = [s for s in SCENARIOS if s.kind == "dispute"]
SOPS = [s for s in SCENARIOS if s.kind == "sop"]
BUYER_LANGS = ("en", "es", "ru", "pt", "fr", "de", "zh")


# ------------------------------------------------------------------------ the bank


def test_bank_size_and_spread():
    assert len(SCENARIOS) >= 40 and len(DISPUTES) >= 28 and len(SOPS) >= 12
    for kind in FIELDS:
        assert {s.difficulty for s in SCENARIOS if s.kind == kind} == {1, 2, 3}, kind
    assert {s.message_lang for s in DISPUTES} == set(BUYER_LANGS)
    buyer_langs = {load_content().locales.for_country(s.order["buyer_country"]).lang for s in SOPS}
    assert len(buyer_langs) == len(BUYER_LANGS)
    assert set().union(*(s.skills for s in SCENARIOS)) == set(training.SKILLS)


def test_disputes_cover_every_reason_flag_and_the_hard_cases():
    assert {s.expected.reason for s in DISPUTES} == set(ids.REASON_IDS)
    assert set().union(*(s.expected.flags for s in DISPUTES)) == set(ids.FLAG_IDS)
    delivered = [s for s in DISPUTES if s.order.get("tracking_status") == "delivered"]
    # "delivered" but not received: buyers in good faith and in bad faith
    assert any(s.expected.reason == "not_received" for s in delivered)
    assert sum(s.expected.reason == "bad_faith" for s in delivered) >= 3
    assert sum("review_threat" in s.expected.flags for s in DISPUTES) >= 3
    assert any(s.expected.template == "review_blackmail_reply" for s in DISPUTES)
    assert any(s.expected.reason == "duties_or_pickup" for s in DISPUTES)
    # partial-refund asks within the profit, without profit, and with the cost unknown
    asks = [s for s in DISPUTES if "partial_refund_ask" in s.expected.flags]
    assert any(s.expected.resolution == "partial_refund" and "cost" in s.order for s in asks)
    assert any(s.expected.resolution != "partial_refund" and "cost" in s.order for s in asks)
    assert any("cost" not in s.order for s in asks)


def test_sop_covers_every_buyer_facing_step_stock_extension_and_nothing_due():
    steps = {s.expected.step for s in SOPS}
    assert set(ids.STEP_IDS) <= steps and NONE in steps
    templates = {s.expected.template for s in SOPS}
    assert {"prep_time_notice_stock", "in_transit_extension"} <= templates


def test_loading_is_cached_and_filters():
    assert load_scenarios()[0] is SCENARIOS[0]
    hard = load_scenarios(difficulty=3)
    assert hard and all(s.difficulty == 3 for s in hard)
    flags = load_scenarios(skill="risk_flags", kind="dispute")
    assert flags and all("risk_flags" in s.skills and s.kind == "dispute" for s in flags)
    assert load_scenarios(skill="risk_flags", kind="sop") == []
    for bad in ({"skill": "typing"}, {"difficulty": 4}, {"kind": "quiz"}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            load_scenarios(**bad)
    assert get_scenario(SCENARIOS[0].id) is SCENARIOS[0]
    with pytest.raises(KeyError, match="no scenario"):
        get_scenario("nope")


def test_every_scenario_is_bilingual_and_answerable_from_its_choices():
    for s in SCENARIOS:
        for text in (s.title, s.brief, s.rule, *s.feedback.values()):
            assert text.en.strip() and text.zh.strip(), s.id
        assert s.source.endswith(".yaml")
        for field, value in s.answer.items():
            for lang in ids.STAFF_LANGS:
                options = [v for _, v in choices(s, field, lang)]
                wanted = value if field == "flags" else [value]
                assert set(wanted) <= set(options), (s.id, field, value)


# ------------------------------------------------------------------------ agreement


def _differs_check(s, engine: dict, fields: tuple[str, ...]) -> None:
    mismatched = [f for f in fields if engine[f] != s.answer[f]]
    if s.differs is None:
        tools = {f: engine[f] for f in mismatched}
        ours = {f: s.answer[f] for f in mismatched}
        assert not mismatched, (
            f"{s.source} → {s.id}: the tools say {tools}, the scenario {ours}; "
            "fix it or say why in `differs`"
        )
    else:
        assert mismatched, f"{s.id}: `differs` is set but the tools agree; remove it"


@pytest.mark.parametrize("s", DISPUTES, ids=lambda s: s.id)
def test_dispute_agrees_with_triage_unless_it_says_why(s):
    a = assess(s.message, s.order)
    engine = {
        "category": a.category,
        "reason": a.reason,
        "flags": sorted(a.flags),
        "resolution": a.resolutions[0],
        "template": a.template,
    }
    assert a.lang == s.message_lang
    assert {k: v for k, v in engine_answer(s).items() if k in engine} == engine
    _differs_check(s, engine, FIELDS["dispute"])


@pytest.mark.parametrize("s", SOPS, ids=lambda s: s.id)
def test_sop_agrees_with_the_checklist(s):
    listed = todo(s.order, s.today)
    listed = listed[listed["step"] != DISPUTE_STEP]
    first = listed.iloc[0] if len(listed) else None
    engine = {
        "step": NONE if first is None else first["step"],
        "template": NONE if first is None or pd.isna(first["template"]) else first["template"],
    }
    _differs_check(s, engine, FIELDS["sop"])
    states = {state.step: state for state in order_steps(s.order, s.today)}
    due = {step for step, state in states.items() if state.status in ("due", "overdue")}
    if s.expected.step == NONE:
        assert not due, s.id
    else:
        assert s.expected.step in due, s.id


def test_differs_is_used_sparingly_and_explains_itself():
    differs = [s for s in SCENARIOS if s.differs]
    assert 0 < len(differs) <= len(SCENARIOS) // 4
    for s in differs:
        assert len(s.differs.en) > 60 and len(s.differs.zh) > 20, s.id


# ------------------------------------------------------------------------ grading


def test_the_expected_answer_scores_full_marks():
    for s in SCENARIOS:
        result = grade(s, s.answer)
        assert result.score == 1.0 and result.passed, s.id
        assert all(f.correct for f in result.fields)


def test_empty_answers_score_zero_with_no_answer_feedback():
    s = get_scenario("kettle_will_not_turn_on")
    for empty in ({}, None, {"category": "", "reason": None}):
        result = grade(s, empty)
        assert result.score == 0 and not result.passed
        assert all(f.feedback.startswith("No answer.") for f in result.fields)
    assert grade(s, {}, lang="zh").fields[0].feedback.startswith("未作答。")


def test_category_right_reason_wrong_keeps_the_category_point_and_cites_the_rule():
    s = get_scenario("kettle_will_not_turn_on")
    answers = dict(s.answer, reason="not_as_described")
    result = grade(s, answers)
    by = {f.field: f for f in result.fields}
    assert by["category"].score == 1 and by["reason"].score == 0
    assert result.score == pytest.approx(0.8) and result.passed
    assert "Not as described" not in by["reason"].feedback.split("The answer")[1]
    assert "Defective or poor quality" in by["reason"].feedback
    assert s.rule.en in by["reason"].feedback
    zh = {f.field: f for f in grade(s, answers, lang="zh").fields}
    assert s.rule.zh in zh["reason"].feedback and "手册规则" in zh["reason"].feedback


def test_specific_feedback_for_a_specific_wrong_value():
    s = get_scenario("kettle_will_not_turn_on")
    reason = {f.field: f for f in grade(s, dict(s.answer, reason="damaged_in_transit")).fields}
    assert reason["reason"].feedback.startswith("The buyer says the box was fine")
    other = {f.field: f for f in grade(s, dict(s.answer, reason="wrong_item")).fields}
    assert other["reason"].feedback.startswith("It does not work at all")


def test_flags_score_by_overlap():
    s = get_scenario("colour_half_back_or_one_star")  # review_threat + partial_refund_ask

    def flags_score(given):
        return {f.field: f.score for f in grade(s, dict(s.answer, flags=given)).fields}["flags"]

    assert flags_score(["review_threat", "partial_refund_ask"]) == 1
    assert flags_score(["review_threat"]) == pytest.approx(0.5)
    assert flags_score(["review_threat", "hostile"]) == pytest.approx(1 / 3)
    assert flags_score(["hostile"]) == 0
    assert flags_score("review_threat") == pytest.approx(0.5)  # one id as text
    calm = get_scenario("kettle_will_not_turn_on")
    assert grade(calm, dict(calm.answer, flags=[])).score == 1  # "no flags" is an answer
    wrong = {f.field: f for f in grade(calm, dict(calm.answer, flags=["hostile"])).fields}
    assert wrong["flags"].score == 0 and "No risk signal" in wrong["flags"].feedback


def test_resolution_further_down_the_ranked_list_gets_half():
    s = get_scenario("kettle_will_not_turn_on")  # resend > partial_refund > return > full
    scores = {
        r: {f.field: f.score for f in grade(s, dict(s.answer, resolution=r)).fields}["resolution"]
        for r in ids.RESOLUTION_IDS
    }
    assert scores["resend"] == 1 and scores["full_refund"] == 0.5
    assert scores["escalate_to_platform"] == 0 and scores["apology_coupon"] == 0
    # a scenario that differs from triage ranks by the playbook's plan for its own reason
    scam = get_scenario("photo_of_another_model")
    resend = {f.field: f for f in grade(scam, dict(scam.answer, resolution="resend")).fields}
    assert resend["resolution"].score == 0


def test_template_of_the_same_family_gets_half():
    late = get_scenario("extension_us_day_53")
    tpl = {f.field: f for f in grade(late, dict(late.answer, template="in_transit_notice")).fields}
    assert tpl["template"].score == 0.5
    assert "what protects them now is the extension" in tpl["template"].feedback
    other = {f.field: f for f in grade(late, dict(late.answer, template="arrival_notice")).fields}
    assert other["template"].score == 0
    s = get_scenario("kettle_will_not_turn_on")
    ranked = {
        f.field: f.score for f in grade(s, dict(s.answer, template="return_instructions")).fields
    }
    assert ranked["template"] == 0.5
    unrelated = {f.field: f.score for f in grade(s, dict(s.answer, template="offer_more")).fields}
    assert unrelated["template"] == 0


def test_step_due_today_but_not_first_gets_half():
    s = get_scenario("prep_notice_two_days_late")
    by = {f.field: f.score for f in grade(s, {"step": "offer_more"}).fields}
    assert by == {"step": 0.5, "template": 0}
    assert {f.field: f.score for f in grade(s, {"step": "arrival_notice"}).fields}["step"] == 0
    quiet = get_scenario("russia_day_76_nothing_due")
    assert grade(quiet, {"step": "none", "template": "none"}).score == 1
    wrong = grade(quiet, {"step": "in_transit_notice", "template": "in_transit_extension"})
    assert wrong.score == 0 and "90" in wrong.fields[0].feedback


def test_unknown_fields_and_values_are_clear_errors():
    s = get_scenario("kettle_will_not_turn_on")
    with pytest.raises(ValueError, match="'step' is not a field of the dispute scenario"):
        grade(s, {"step": "offer_more"})
    with pytest.raises(ValueError, match="reason: 'broken' is not a reason id"):
        grade(s, {"reason": "broken"})
    with pytest.raises(ValueError, match="flags: 'angry' is not a flag id"):
        grade(s, {"flags": ["angry"]})
    with pytest.raises(ValueError, match="template: 'thanks' is not a template id"):
        grade(s, {"template": "thanks"})
    with pytest.raises(ValueError, match="staff language"):
        grade(s, {}, lang="fr")
    with pytest.raises(ValueError, match="not a field"):
        choices(s, "step")


def test_grade_serialises_and_renders():
    s = get_scenario("charger_one_star_threat")
    result = grade(s, dict(s.answer, template="resend_offer"), lang="zh")
    data = json.loads(json.dumps(result.to_dict(), ensure_ascii=False))
    assert data["scenario_id"] == s.id and data["passed"] is True
    assert data["fields"][-1]["given"] == "resend_offer" and data["fields"][-1]["score"] == 0.5
    assert result.field_scores["template"] == 0.5 and result.answers["flags"] == ["review_threat"]
    assert "看起来像是屈服于要挟" in result.fields[-1].feedback
    page = result._repr_html_()
    assert "<table>" in page and "通过" in page and "resend_offer" in page
    assert "✓ category" in str(grade(s, s.answer))
    failed = grade(s, {"category": "buyer"})
    assert s.differs.en in failed._repr_html_()


def test_choices_are_labelled_contract_ids():
    s = get_scenario("kettle_will_not_turn_on")
    assert [v for _, v in choices(s, "reason")] == list(ids.REASON_IDS)
    assert dict(choices(s, "category", "zh"))["产品本身问题"] == "product"
    dispute_templates = [v for _, v in choices(s, "template")]
    assert "review_blackmail_reply" in dispute_templates and "offer_more" not in dispute_templates
    sop = get_scenario("fresh_order_prep_notice")
    assert [v for _, v in choices(sop, "step")] == [*ids.STEP_IDS, NONE]
    sop_templates = [v for _, v in choices(sop, "template")]
    assert sop_templates[0] == "prep_time_notice" and sop_templates[-1] == NONE
    assert "resend_offer" not in sop_templates


# ------------------------------------------------------------------------ progression


def _passes(level: int, n: int, score: float = 1.0) -> list[tuple[str, float]]:
    return [(s.id, score) for s in SCENARIOS if s.difficulty == level][:n]


def test_level_rises_after_two_passes_and_falls_after_two_fails():
    assert training.current_level([]) == 1
    assert training.current_level(_passes(1, 1)) == 1
    assert training.current_level(_passes(1, 2)) == 2
    # a fail between passes breaks the run
    one, two = _passes(1, 2)
    assert training.current_level([one, (two[0], 0.3), one]) == 1
    up = _passes(1, 2) + _passes(2, 2)
    assert training.current_level(up) == 3
    down = _passes(1, 2) + _passes(2, 2, score=0.2)
    assert training.current_level(down) == 1
    assert training.current_level([("gone_from_the_bank", 1.0)] * 5) == 1


def test_next_scenario_unseen_first_at_the_trainees_level():
    first = next_scenario([])
    assert first is not None and first.difficulty == 1
    assert next_scenario([], seed=0).id == first.id  # deterministic
    history = _passes(1, 2)
    nxt = next_scenario(history)
    assert nxt.difficulty == 2 and nxt.id not in dict(history)
    assert next_scenario([], difficulty=3).difficulty == 3
    only = next_scenario([], skill="sop")
    assert "sop" in only.skills and only.difficulty == 1
    assert next_scenario([], skill="risk_flags", kind="sop") is None


def test_next_scenario_after_all_are_seen_repeats_the_weakest():
    pool = load_scenarios(kind="sop")
    history = [(s.id, 1.0) for s in pool]
    weakest = next(s for s in pool if s.difficulty == 1)
    history.append((weakest.id, 0.0))
    history = [(i, 0.1 if i == weakest.id else score) for i, score in history]
    pick = next_scenario(history, kind="sop", difficulty=1)
    assert pick.id == weakest.id
    # unseen ones at the level run out: the nearest level's unseen come next
    seen_level_one = [(s.id, 1.0) for s in pool if s.difficulty == 1]
    nearest = next_scenario(seen_level_one, kind="sop", difficulty=1)
    assert nearest.difficulty == 2


# ------------------------------------------------------------------------ broken files


@pytest.fixture
def bank_copy(tmp_path: Path) -> Path:
    target = tmp_path / "scenarios"
    shutil.copytree(training.SCENARIOS_DIR, target)
    return target


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _problems(folder: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_scenarios(directory=folder)
    return caught.value.problems


def test_a_valid_copy_loads(bank_copy: Path):
    assert [s.id for s in load_scenarios(directory=bank_copy)] == [s.id for s in SCENARIOS]


def test_wrong_id_names_file_scenario_and_field(bank_copy: Path):
    def break_it(data):
        data["scenarios"][0]["expected"]["reason"] = "broken"
        data["scenarios"][1]["difficulty"] = 5

    _edit(bank_copy / "disputes_product.yaml", break_it)
    problems = _problems(bank_copy)
    assert any(
        p.startswith(
            "scenarios/disputes_product.yaml → scenarios[0] (kettle_will_not_turn_on)"
            " → expected.reason: 'broken' is not a reason id"
        )
        for p in problems
    ), problems
    assert any("scenarios[1] (blender_stopped_working) → difficulty" in p for p in problems)


def test_kind_rules_are_checked(bank_copy: Path):
    def break_it(data):
        first = data["scenarios"][0]
        first["expected"]["category"] = "product"
        del first["today"]
        del first["feedback"]["template"]
        data["scenarios"][1]["expected"]["template"] = "resend_offer"

    _edit(bank_copy / "sop.yaml", break_it)
    text = "\n".join(_problems(bank_copy))
    assert "sop.yaml → scenarios[0] (fresh_order_prep_notice)" in text
    assert "expected.category: a sop scenario has no category" in text
    assert "today: an sop scenario needs the day" in text
    assert "feedback: missing for ['template']" in text
    assert (
        "scenarios[1] (prep_notice_two_days_late) → expected.template: 'resend_offer' serves "
        "resolution 'resend', not the step 'prep_time_notice'" in text
    )


def test_reason_must_belong_to_category_and_templates_must_exist(bank_copy: Path):
    def break_it(data):
        data["scenarios"][0]["expected"]["category"] = "buyer"
        data["scenarios"][1]["expected"]["template"] = "thank_you"
        data["scenarios"][2]["message_lang"] = "it"
        data["scenarios"][3]["feedback"]["reason"]["when"] = {"lost": {"en": "x", "zh": "y"}}

    _edit(bank_copy / "disputes_product.yaml", break_it)
    text = "\n".join(_problems(bank_copy))
    assert "expected.reason: 'defective' belongs to 'product', not to 'buyer'" in text
    assert "(blender_stopped_working) → expected.template: no template 'thank_you'" in text
    assert "(dress_colour_differs) → message_lang: 'it' is not a buyer language" in text
    assert "feedback.reason.when: ['lost'] are not reason ids" in text


def test_orders_are_read_like_an_orders_file(bank_copy: Path):
    def break_it(data):
        data["scenarios"][2]["order"]["paid_at"] = "yesterday-ish"
        data["scenarios"][3]["order"]["tracking_status"] = "lost"
        data["scenarios"][4]["order"]["colour"] = "red"

    _edit(bank_copy / "disputes_logistics.yaml", break_it)
    text = "\n".join(_problems(bank_copy))
    assert "disputes_logistics.yaml → scenarios[2] (book_soaked_in_transit) → order.paid_at" in text
    assert "scenarios[3] (vase_broken_on_the_way) → order.tracking_status" in text
    assert "scenarios[4] (lamp_arrived_crushed) → order: unknown order columns ['colour']" in text


def test_duplicate_ids_syntax_errors_and_missing_skills(bank_copy: Path):
    extra = yaml.safe_load((bank_copy / "sop.yaml").read_text(encoding="utf-8"))
    extra["scenarios"] = extra["scenarios"][:1]
    (bank_copy / "more.yaml").write_text(yaml.safe_dump(extra, allow_unicode=True), "utf-8")
    (bank_copy / "broken.yaml").write_text("scenarios:\n  - id: [unclosed\n", "utf-8")
    _edit(bank_copy / "skills.yaml", lambda d: d["skills"].pop())
    text = "\n".join(_problems(bank_copy))
    assert "scenarios[0] (fresh_order_prep_notice) → id: also used in scenarios/more.yaml" in text
    assert "scenarios/broken.yaml line" in text
    assert "scenarios/skills.yaml" in text and "missing ['sop']" in text
