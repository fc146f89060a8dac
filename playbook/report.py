"""The trainer's report: who finished what, scores per skill, the hardest scenarios and the
most common mistakes, from the progress store's attempts table.

Plain pandas over :meth:`playbook.progress.ProgressStore.attempts`, so a trainer can export
any table (``.to_csv``) or build their own view in a notebook.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

PASS_SCORE = 0.8  # the same bar as a passed grade


def _skills(value: Any) -> list[str]:
    if isinstance(value, str):
        return [s for s in value.split(";") if s]
    if isinstance(value, Iterable):
        return [str(s) for s in value if s]
    return []


def window(
    attempts: pd.DataFrame,
    *,
    session: str | None = None,
    since: Any = None,
    until: Any = None,
) -> pd.DataFrame:
    """The attempts of one session and/or date range (dates are whole UTC days)."""
    out = attempts
    if session:
        out = out[out["session"] == session]
    if since is not None:
        out = out[out["at"] >= pd.Timestamp(since, tz="UTC")]
    if until is not None:
        end = pd.Timestamp(until, tz="UTC") + pd.Timedelta(days=1)
        out = out[out["at"] < end]
    return out


def completion(attempts: pd.DataFrame, total: int | None = None) -> pd.DataFrame:
    """Per trainee: attempts, scenarios tried and passed (best score ≥ 0.8), mean score."""
    columns = ["trainee", "attempts", "scenarios", "passed", "mean_score", "last_seen"]
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    best = attempts.groupby(["trainee", "scenario_id"])["score"].max().reset_index()
    table = (
        attempts.groupby("trainee")
        .agg(attempts=("score", "size"), mean_score=("score", "mean"), last_seen=("at", "max"))
        .join(best.groupby("trainee")["scenario_id"].nunique().rename("scenarios"))
        .join((best["score"] >= PASS_SCORE).groupby(best["trainee"]).sum().rename("passed"))
        .reset_index()
    )
    table["mean_score"] = table["mean_score"].round(2)
    if total:
        table["done_share"] = (table["passed"] / total).round(2)
        columns.append("done_share")
    return table[columns].sort_values(["passed", "mean_score"], ascending=False, ignore_index=True)


def by_skill(attempts: pd.DataFrame) -> pd.DataFrame:
    """Mean score per trainee × skill (an attempt counts for each skill of its scenario)."""
    if attempts.empty:
        return pd.DataFrame()
    rows = [
        {"trainee": trainee, "skill": skill, "score": score}
        for trainee, skills, score in zip(
            attempts["trainee"], attempts["skills"], attempts["score"], strict=True
        )
        for skill in _skills(skills)
    ]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    return frame.pivot_table(
        index="trainee", columns="skill", values="score", aggfunc="mean"
    ).round(2)


def hardest(attempts: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The scenarios with the lowest mean score (ties: the most attempted first)."""
    columns = ["scenario_id", "attempts", "mean_score", "pass_rate"]
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    table = (
        attempts.assign(passed=attempts["score"] >= PASS_SCORE)
        .groupby("scenario_id")
        .agg(attempts=("score", "size"), mean_score=("score", "mean"), pass_rate=("passed", "mean"))
        .reset_index()
        .round(2)
    )
    return (
        table.sort_values(["mean_score", "attempts"], ascending=[True, False])
        .head(n)[columns]
        .reset_index(drop=True)
    )


def mistakes(attempts: pd.DataFrame, scenarios: Any = None, n: int = 8) -> pd.DataFrame:
    """The most frequent wrong answers: field, what was expected, what was given, how often."""
    columns = ["field", "expected", "given", "times"]
    if attempts.empty:
        return pd.DataFrame(columns=columns)
    if scenarios is None:
        from .training import load_scenarios

        scenarios = load_scenarios()
    expected = {s.id: dict(s.answer) for s in scenarios}
    counts: dict[tuple[str, str, str], int] = {}
    for scenario_id, answers, field_scores in zip(
        attempts["scenario_id"], attempts["answers"], attempts["field_scores"], strict=True
    ):
        for field, score in (field_scores or {}).items():
            if score >= 1:
                continue
            want = expected.get(scenario_id, {}).get(field)
            given = (answers or {}).get(field)
            key = (field, _text(want), _text(given))
            counts[key] = counts.get(key, 0) + 1
    rows = [{"field": f, "expected": e, "given": g, "times": t} for (f, e, g), t in counts.items()]
    if not rows:
        return pd.DataFrame(columns=columns)
    return (
        pd.DataFrame(rows).sort_values(["times", "field"], ascending=[False, True]).head(n)
    ).reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "—"
    return str(value)


def plot_skills(attempts: pd.DataFrame) -> Any:
    """One bar per skill (mean score over everyone), with the pass bar drawn across."""
    from .health import _axes

    table = by_skill(attempts)
    fig, ax = _axes(None, (7, 3.2))  # shows itself in a notebook, no pyplot needed
    if table.empty:
        ax.text(0.5, 0.5, "no attempts yet", ha="center", va="center")
        ax.set_axis_off()
        return fig
    means = table.mean(axis=0).sort_values()
    ax.barh(means.index, means.values, color=["#c62828" if v < PASS_SCORE else "#2e7d32"
                                              for v in means.values])  # fmt: skip
    ax.axvline(PASS_SCORE, color="#555", linestyle="--", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_xlabel("mean score (pass ≥ 0.8)")
    ax.set_title("Scores per skill")
    return fig


def simulate(store: Any, *, trainees: Iterable[str] = ("Li Na", "Wang Lei", "Chen Jie", "Ana"),
             attempts_each: int = 8, seed: int = 0, session: str = "demo",
             start: str = "2026-11-23T09:00:00Z") -> int:  # fmt: skip
    """Fill ``store`` with a seeded, plausible training session (for demos and the report).

    Each simulated trainee answers scenarios in the drill's order, right with a chance that
    grows with practice; returns how many attempts were written.
    """
    import random

    from .drill import DrillSession
    from .training import FIELDS, choices

    rng = random.Random(seed)
    clock = pd.Timestamp(start)
    written = 0
    for number, name in enumerate(trainees):
        skill_level = 0.45 + 0.1 * number
        drill = DrillSession(name, session=session, store=None, seed=seed)
        for _ in range(attempts_each):
            scenario = drill.next()
            if scenario is None:
                break
            answers = {}
            for field in FIELDS[scenario.kind]:
                right = scenario.answer.get(field)
                if rng.random() < skill_level:
                    answers[field] = right
                else:
                    options = [v for _, v in choices(scenario, field, "en")] or [None]
                    if field == "flags":
                        answers[field] = rng.sample(options, k=min(1, len(options)))
                    else:
                        answers[field] = rng.choice(options)
            result = drill.answer(answers)
            clock += pd.Timedelta(seconds=rng.randint(40, 240))
            store.record(
                name, scenario.id, answers, result.score,
                field_scores={f.field: f.score for f in result.fields}, kind=scenario.kind,
                skills=tuple(scenario.skills), difficulty=scenario.difficulty,
                seconds=float(rng.randint(40, 240)), session=session, at=clock.to_pydatetime(),
            )  # fmt: skip
            written += 1
            skill_level = min(0.95, skill_level + 0.03)
    return written
