"""The content loader: the built-in content is valid, and broken edits are reported precisely."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from playbook import ids
from playbook.content import CONTENT_DIR, ContentError, load_content


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A trainer's editable copy of the built-in content folder."""
    target = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, target)
    return target


def edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def problems_of(directory: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(directory)
    return caught.value.problems


def test_builtin_content_uses_contract_ids_in_order():
    content = load_content()
    assert tuple(s.id for s in content.steps) == ids.STEP_IDS
    assert {r.id for r in content.taxonomy.reasons} == set(ids.REASON_IDS)
    assert content.marketplace.buyer_protection.days_for("BR") == 120
    assert content.marketplace.buyer_protection.days_for("RU") == 90
    assert content.marketplace.buyer_protection.days_for("US") == 60
    assert content.locales.for_country("BR").lang == "pt"
    assert content.locales.for_country("XX").lang == "en"


def test_builtin_content_is_cached():
    assert load_content() is load_content()


def test_every_step_is_bilingual_and_buyer_facing_steps_name_a_template():
    for step in load_content().steps:
        for lang in ids.STAFF_LANGS:
            assert step.title(lang) and step.purpose(lang) and step.actions(lang)
        assert bool(step.template) == step.buyer_facing


def test_wrong_type_names_file_entry_and_field(content_copy: Path):
    def break_it(data):
        data["steps"][3]["timing"]["overdue_after_hours"] = "a week"

    edit_yaml(content_copy / "steps.yaml", break_it)
    (problem,) = problems_of(content_copy)
    assert problem.startswith(
        "steps.yaml → steps[3] (ship_photo_weigh) → timing.overdue_after_hours"
    )
    assert "number" in problem


def test_missing_translation_is_named(content_copy: Path):
    edit_yaml(content_copy / "steps.yaml", lambda d: d["steps"][0]["title"].pop("zh"))
    (problem,) = problems_of(content_copy)
    assert "steps[0] (prep_time_notice) → title.zh" in problem


def test_renamed_contract_id_is_refused(content_copy: Path):
    edit_yaml(content_copy / "steps.yaml", lambda d: d["steps"][1].update(id="upsell"))
    (problem,) = problems_of(content_copy)
    assert "exactly the contract's ids" in problem and "upsell" in problem


def test_reason_in_wrong_category_is_refused(content_copy: Path):
    edit_yaml(content_copy / "taxonomy.yaml", lambda d: d["reasons"][0].update(category="buyer"))
    (problem,) = problems_of(content_copy)
    assert "defective → buyer" in problem


def test_problems_in_several_files_are_all_reported(content_copy: Path):
    edit_yaml(
        content_copy / "marketplace.yaml", lambda d: d["buyer_protection"].pop("default_days")
    )
    edit_yaml(content_copy / "locales.yaml", lambda d: d["countries"]["US"].pop("lang"))
    problems = problems_of(content_copy)
    assert any(p.startswith("marketplace.yaml → buyer_protection.default_days") for p in problems)
    assert any(p.startswith("locales.yaml → countries.US.lang") for p in problems)


def test_yaml_syntax_error_gives_line_number(content_copy: Path):
    path = content_copy / "marketplace.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\nbroken: [unclosed\n", encoding="utf-8")
    (problem,) = problems_of(content_copy)
    assert problem.startswith("marketplace.yaml line ")


def test_duplicate_key_is_refused(content_copy: Path):
    path = content_copy / "marketplace.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "  default_days: 60\n", "  default_days: 60\n  default_days: 45\n"
    )
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(content_copy)
    assert "default_days" in problem and "twice" in problem


def test_unknown_field_is_refused(content_copy: Path):
    edit_yaml(content_copy / "steps.yaml", lambda d: d["steps"][2].update(colour="red"))
    (problem,) = problems_of(content_copy)
    assert "steps[2] (gift_and_duties) → colour" in problem


def test_placeholder_typo_in_reason_text_is_refused(content_copy: Path):
    def typo(data):
        data["reasons"]["due"]["en"] = "{evnt} {age} ago; overdue from {overdue_at}"

    edit_yaml(content_copy / "checklist.yaml", typo)
    (problem,) = problems_of(content_copy)
    assert "evnt" in problem and "checklist.yaml" in problem


def test_missing_file_is_named(content_copy: Path):
    (content_copy / "locales.yaml").unlink()
    (problem,) = problems_of(content_copy)
    assert problem.startswith("locales.yaml: file is missing")


def test_inconsistent_timing_is_refused(content_copy: Path):
    edit_yaml(
        content_copy / "steps.yaml",
        lambda d: d["steps"][6]["timing"].update(overdue_after_hours=24),
    )
    (problem,) = problems_of(content_copy)
    assert "satisfaction_followup" in problem and "later than opens_after_hours" in problem


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "playbook.cli", *args], capture_output=True, text=True, check=False
    )


def test_cli_validate_ok_and_broken(content_copy: Path):
    ok = run_cli("validate")
    assert ok.returncode == 0, ok.stderr
    assert "content OK" in ok.stdout

    edit_yaml(content_copy / "steps.yaml", lambda d: d["steps"][4]["timing"].update(opens="later"))
    broken = run_cli("validate", str(content_copy))
    assert broken.returncode == 1
    assert "steps[4] (in_transit_notice) → timing.opens" in broken.stderr


def test_signal_files_cover_the_buyers_languages():
    signals = load_content().signals
    assert set(signals) >= {"en", "es", "ru", "pt", "fr", "de", "zh"}
    for lang, file in signals.items():
        assert file.lang == lang
        assert set(file.reasons) == set(ids.REASON_IDS), lang
        assert set(file.flags) == set(ids.FLAG_IDS), lang


def test_bad_signal_phrase_is_named(content_copy: Path):
    edit_yaml(
        content_copy / "signals" / "en.yaml", lambda d: d["reasons"]["defective"].append("broken (")
    )
    (problem,) = problems_of(content_copy)
    assert problem.startswith("signals/en.yaml")
    assert "reasons.defective" in problem and "broken (" in problem


def test_unquoted_no_in_yaml_gets_a_helpful_error(content_copy: Path):
    path = content_copy / "signals" / "en.yaml"
    text = path.read_text(encoding="utf-8").replace(
        'negations: [not, "no",', "negations: [not, no,"
    )
    path.write_text(text, encoding="utf-8")
    (problem,) = problems_of(content_copy)
    assert "negations" in problem and "quotes" in problem


def test_unknown_reason_in_signals_is_refused(content_copy: Path):
    edit_yaml(content_copy / "signals" / "en.yaml", lambda d: d["reasons"].update(lost=["gone"]))
    (problem,) = problems_of(content_copy)
    assert "unknown ids ['lost']" in problem


def test_resolution_plan_with_unknown_evidence_is_refused(content_copy: Path):
    def change(data):
        data["reasons"]["defective"]["evidence"].append("selfie")

    edit_yaml(content_copy / "resolutions.yaml", change)
    (problem,) = problems_of(content_copy)
    assert "resolutions.yaml" in problem and "selfie" in problem
