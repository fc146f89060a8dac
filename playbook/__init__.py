"""seller-playbook: the shipping SOP, dispute triage, buyer messages and store health as code.

``import playbook`` stays light: the submodules (and pandas) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name → module that defines it
_EXPORTS: dict[str, str] = {
    "load_content": "playbook.content",
    "Content": "playbook.content",
    "ContentError": "playbook.errors",
    "OrdersError": "playbook.errors",
    "PlaybookError": "playbook.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'playbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
