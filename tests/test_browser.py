"""End to end in a real browser: a trainee answers a scenario in JupyterLab and in Voila.

Headless Debian Chromium driven by Playwright (test tools cannot download a browser here).
Without Chromium these tests skip, unless PLAYBOOK_BROWSER_REQUIRED=1 (as in CI), where a
missing browser is a failure. Screenshots go to the test's folder, and to
``PLAYBOOK_SCREENSHOTS`` when it names a folder (README's pictures come from there).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DRILL = ROOT / "notebooks" / "05_scenario_drill.ipynb"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
TOKEN = "playbook-browser-test"
TRAINEE = "Browser Trainee"

if not Path(CHROMIUM).exists():
    if os.environ.get("PLAYBOOK_BROWSER_REQUIRED") == "1":
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    pytest.skip("Chromium is not installed (apt-get install -y chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sandbox(tmp_path: Path) -> dict:
    """Folders, settings and the progress database of one test, all inside tmp_path."""
    env = dict(os.environ)
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "JUPYTER_CONFIG_DIR",
                 "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "IPYTHONDIR"):  # fmt: skip
        folder = tmp_path / name.lower()
        folder.mkdir()
        env[name] = str(folder)
    settings = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    env["PLAYBOOK_DB"] = str(tmp_path / "progress.sqlite")
    env.pop("JUPYTER_DATA_DIR", None)  # keep the venv's python3 kernel visible
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(DRILL, work / DRILL.name)
    return {"env": env, "work": work, "db": env["PLAYBOOK_DB"], "shots": tmp_path}


def _serve(command: list[str], env: dict, url: str, timeout: float = 90) -> subprocess.Popen:
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # localhost only
                if response.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    _stop(proc)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


def _expected_answers() -> tuple[dict, dict]:
    """What a fresh trainee sees first, with the right answers and their option labels."""
    from playbook.training import FIELDS, choices, next_scenario

    scenario = next_scenario([], seed=0)
    labels = {
        field: {value: label for label, value in choices(scenario, field, "en")}
        for field in FIELDS[scenario.kind]
    }
    return dict(scenario.answer), labels


def _answer_the_drill(page, shot: Path) -> None:
    """Type a name, start, choose the right answers, submit; wait for the feedback."""
    page.wait_for_selector(".pb-trainee input", timeout=60_000)
    page.fill(".pb-trainee input", TRAINEE)
    page.click("button.pb-start")
    page.wait_for_selector(".pb-scenario .pb-card", timeout=30_000)
    expected, labels = _expected_answers()
    for field, value in expected.items():
        if field == "flags":
            for flag in value or []:
                page.check(f".pb-flag-{flag} input")
        elif value:
            page.select_option(f".pb-field-{field} select", label=labels[field][value])
    page.click("button.pb-submit")
    page.wait_for_function(
        "() => (document.querySelector('.pb-feedback') || {}).innerText?.includes('✓')",
        timeout=30_000,
    )
    page.screenshot(path=str(shot), full_page=True)
    target = os.environ.get("PLAYBOOK_SCREENSHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / shot.name)


def _attempts(db: str):
    from playbook.progress import ProgressStore

    with ProgressStore(db) as store:
        return store.attempts(trainee=TRAINEE)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield chromium
        chromium.close()


def test_drill_in_jupyterlab(sandbox, browser):
    started = time.monotonic()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    bin_dir = Path(sys.executable).parent
    server = _serve(
        [str(bin_dir / "jupyter"), "lab", "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={TOKEN}", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port_retries=0", "--allow-root", f"--ServerApp.root_dir={sandbox['work']}"],
        sandbox["env"], f"{base}/api/status?token={TOKEN}",
    )  # fmt: skip
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"{base}/lab/tree/{DRILL.name}?token={TOKEN}")
        # "idle" shows before the kernel exists: wait for the kernel's own status text
        page.wait_for_selector(".jp-StatusBar-TextItem:has-text('| Idle')", timeout=90_000)
        page.click("text=Run", timeout=30_000)
        page.click("text=Run All Cells")
        _answer_the_drill(page, sandbox["shots"] / "drill-jupyterlab.png")
    finally:
        _stop(server)
    done = _attempts(sandbox["db"])
    assert len(done) == 1 and done["score"].iloc[0] >= 0.8
    print(f"\nJupyterLab drill, end to end: {time.monotonic() - started:.1f} s")


def test_drill_in_voila(sandbox, browser):
    started = time.monotonic()
    port = _free_port()
    bin_dir = Path(sys.executable).parent
    server = _serve(
        [str(bin_dir / "voila"), str(sandbox["work"] / DRILL.name), "--no-browser",
         f"--port={port}", "--Voila.ip=127.0.0.1", "--theme=light"],
        sandbox["env"], f"http://127.0.0.1:{port}/", timeout=90,
    )  # fmt: skip
    try:
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/")
        _answer_the_drill(page, sandbox["shots"] / "drill-voila.png")
    finally:
        _stop(server)
    done = _attempts(sandbox["db"])
    assert len(done) == 1 and done["trainee"].iloc[0] == TRAINEE
    print(f"\nVoila drill, end to end: {time.monotonic() - started:.1f} s")
