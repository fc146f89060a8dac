"""Packaging promises: a light import, a complete public API, a working console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

import playbook


def test_import_is_light():
    code = (
        "import sys, json, playbook; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pandas', 'ipywidgets', 'IPython', 'jupyter_client', 'matplotlib', 'numpy'))))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == []


def test_every_public_name_resolves():
    for name in playbook.__all__:
        assert getattr(playbook, name) is not None, name


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = playbook.nope


def test_submodules_load_on_demand():
    assert playbook.sample.orders is not None
    assert playbook.checklist.todo is playbook.todo


def test_console_script_installed():
    exe = shutil.which("playbook") or str(
        __import__("pathlib").Path(sys.executable).with_name("playbook")
    )
    run = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False)
    assert run.returncode == 0
    for command in ("validate", "due", "sample"):
        assert command in run.stdout


def test_cli_usage_error_exits_2():
    run = subprocess.run(
        [sys.executable, "-m", "playbook.cli", "due"], capture_output=True, text=True, check=False
    )
    assert run.returncode == 2
    assert "orders" in run.stderr
