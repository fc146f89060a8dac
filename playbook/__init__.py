"""seller-playbook: the shipping SOP, dispute triage, buyer messages and store health as code.

``import playbook`` stays light: the submodules (and pandas) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name → module that defines it
_EXPORTS: dict[str, str] = {
    # content
    "load_content": "playbook.content",
    "Content": "playbook.content",
    # errors
    "ContentError": "playbook.errors",
    "OrdersError": "playbook.errors",
    "PlaybookError": "playbook.errors",
    # orders
    "read_orders": "playbook.orders",
    "inspect_orders": "playbook.orders",
    "normalise_orders": "playbook.orders",
    "order_issues": "playbook.orders",
    "OrderIssue": "playbook.orders",
    "OrdersReport": "playbook.orders",
    # shipping SOP
    "todo": "playbook.checklist",
    "step_table": "playbook.checklist",
    "order_steps": "playbook.checklist",
    "with_step_done": "playbook.checklist",
    "as_of": "playbook.checklist",
    "StepState": "playbook.checklist",
    # lessons
    "intro_markdown": "playbook.guide",
    "sop_markdown": "playbook.guide",
    "step_markdown": "playbook.guide",
    "steps_frame": "playbook.guide",
    "taxonomy_frame": "playbook.guide",
    "options_frame": "playbook.guide",
    # dispute triage
    "assess": "playbook.triage",
    "assess_many": "playbook.triage",
    "Assessment": "playbook.triage",
    "read_messages": "playbook.inbox",
    "Money": "playbook.resolution",
    "evaluate": "playbook.evaluate",
    "load_cases": "playbook.evaluate",
    "open_disputes": "playbook.checklist",
    # buyer messages
    "render": "playbook.messages",
    "draft": "playbook.messages",
    "catalogue": "playbook.messages",
    "Message": "playbook.messages",
    "MessageError": "playbook.messages",
    "check_policy": "playbook.policy",
    "Finding": "playbook.policy",
    # widgets (import ipywidgets only when asked for)
    "ChecklistWidget": "playbook.widgets",
    "language_switch": "playbook.widgets",
    "TriageBox": "playbook.widgets",
    "MessageComposer": "playbook.widgets",
    "ScenarioDrill": "playbook.widgets",
    "ChecklistDrill": "playbook.widgets",
    # training
    "load_scenarios": "playbook.training",
    "grade": "playbook.training",
    "DrillSession": "playbook.drill",
    "ProgressStore": "playbook.progress",
    "ProgressStoreError": "playbook.progress",
    "compose": "playbook.messages",
}

_SUBMODULES = (
    "checklist",
    "content",
    "drill",
    "evaluate",
    "exercises",
    "guide",
    "health",
    "ids",
    "inbox",
    "messages",
    "orders",
    "policy",
    "progress",
    "report",
    "resolution",
    "sample",
    "training",
    "triage",
    "widgets",
)

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None and name in _SUBMODULES:
        return importlib.import_module(f"playbook.{name}")
    if module is None:
        raise AttributeError(f"module 'playbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
