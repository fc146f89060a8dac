"""The playbook's content as Markdown and tables, for notebooks and the start page.

Notebooks call these instead of hard-coding lesson text, so a trainer's edit to the
YAML shows up everywhere, in both staff languages.
"""

from __future__ import annotations

import pandas as pd

from . import ids
from .content import Content, load_content


def _hours(hours: float, content: Content, lang: str) -> str:
    units = content.checklist.units
    if hours < 48 or hours % 24:
        return units["hours"](lang).format(n=f"{hours:g}")
    return units["days"](lang).format(n=f"{hours / 24:g}")


def intro_markdown(lang: str = "en", content: Content | None = None) -> str:
    """Welcome, how to use the notebooks, and the map of notebooks."""
    guide = (content or load_content()).guide
    label = guide.labels
    lines = [f"## {guide.welcome.title(lang)}", "", guide.welcome.body(lang), ""]
    lines += [f"### {guide.how_to.title(lang)}", ""]
    lines += [f"- {item}" for item in guide.how_to.items(lang)]
    lines += ["", f"### {label['notebooks'](lang)}", ""]
    lines += [f"| # | {label['title'](lang)} | {label['learn'](lang)} |", "|---|---|---|"]
    for entry in guide.notebooks:
        number = entry.file[:2]
        lines.append(f"| {number} | [{entry.title(lang)}]({entry.file}) | {entry.learn(lang)} |")
    return "\n".join(lines)


def steps_frame(lang: str = "en", content: Content | None = None) -> pd.DataFrame:
    """The seven steps at a glance: number, id, title, when it starts, when it is late."""
    content = content or load_content()
    label, events = content.guide.labels, content.checklist.events
    rows = []
    for number, step in enumerate(content.steps, start=1):
        t = step.timing
        opens = events[t.opens](lang)
        if t.opens_after_hours:
            opens += f" + {_hours(t.opens_after_hours, content, lang)}"
        rows.append(
            {
                "#": number,
                label["step"](lang): step.id,
                label["title"](lang): step.title(lang),
                label["opens"](lang): opens,
                label["overdue_after"](lang): _hours(t.overdue_after_hours, content, lang),
                label["template"](lang): step.template or label["internal"](lang),
            }
        )
    return pd.DataFrame(rows).set_index("#")


def step_markdown(step_id: str, lang: str = "en", content: Content | None = None) -> str:
    """One step as a lesson card: why, what to do, what to keep on record."""
    content = content or load_content()
    step, label = content.step(step_id), content.guide.labels
    number = ids.STEP_IDS.index(step_id) + 1
    lines = [f"#### {number}. {step.title(lang)} (`{step.id}`)", ""]
    lines += [f"**{label['why'](lang)}:** {step.purpose(lang)}", ""]
    lines += [f"**{label['actions'](lang)}:**", ""]
    lines += [f"- {action}" for action in step.actions(lang)]
    lines += ["", f"**{label['record'](lang)}:** " + "; ".join(step.record(lang))]
    return "\n".join(lines)


def sop_markdown(lang: str = "en", content: Content | None = None) -> str:
    """All seven lesson cards, in order."""
    content = content or load_content()
    return "\n\n".join(step_markdown(s.id, lang, content) for s in content.steps)


def taxonomy_frame(lang: str = "en", content: Content | None = None) -> pd.DataFrame:
    """The dispute sources and their reasons, with the ids staff will see in tools."""
    content = content or load_content()
    tax, label = content.taxonomy, content.guide.labels
    rows = [
        {
            label["category"](lang): tax.label("categories", reason.category, lang),
            label["reason"](lang): reason.label(lang),
            "id": f"{reason.category}/{reason.id}",
        }
        for reason in tax.reasons
    ]
    return pd.DataFrame(rows)


def options_frame(assessment, content: Content | None = None) -> pd.DataFrame:
    """An assessment's ranked options with their money, for a lesson table."""
    content = content or load_content()
    label, lang = content.guide.labels, assessment.staff_lang
    return pd.DataFrame(
        [
            {
                label["option"](lang): option.label,
                label["refund"](lang): option.refund,
                label["extra_cost"](lang): option.extra_cost,
                label["net"](lang): option.net,
                label["template"](lang): option.template,
            }
            for option in assessment.options
        ],
        index=pd.RangeIndex(1, len(assessment.options) + 1, name="#"),
    )
