"""Tests for playbook.progress: the attempts store (SQLite by default, any SQLAlchemy URL)."""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import sqlite3
import stat
import time
from pathlib import Path

import pandas as pd
import pytest

from playbook.errors import PlaybookError
from playbook.progress import ENV_VAR, ProgressStore, ProgressStoreError

UTC = dt.UTC


@pytest.fixture(autouse=True)
def _no_env_db(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "progress.sqlite"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_round_trip(db: Path) -> None:
    with ProgressStore(db) as store:
        first = store.record(
            "ana",
            "disp-001",
            {"category": "logistics", "flags": ["bad_faith", "review_threat"], "template": None},
            0.75,
            field_scores={"category": 1, "flags": 0.5},
            kind="dispute",
            skills=["triage", "risk_flags"],
            difficulty=2,
            seconds=42.5,
            session="cohort-1",
            at=dt.datetime(2026, 1, 5, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        )
        second = store.record("bo", "sop-003", {"step": "none"}, 0.0, kind="sop")
        frame = store.attempts()
    assert second > first
    assert list(frame["id"]) == [first, second]
    assert str(frame["at"].dt.tz) == "UTC"
    one = frame.iloc[0]
    assert one["at"] == pd.Timestamp("2026-01-05 10:00", tz="UTC")
    assert one["trainee"] == "ana" and one["scenario_id"] == "disp-001"
    assert one["answers"] == {
        "category": "logistics",
        "flags": ["bad_faith", "review_threat"],
        "template": None,
    }
    assert one["field_scores"] == {"category": 1.0, "flags": 0.5}
    assert one["skills"] == ["triage", "risk_flags"]
    assert one["difficulty"] == 2 and one["score"] == 0.75 and one["seconds"] == 42.5
    assert one["session"] == "cohort-1" and one["kind"] == "dispute"
    two = frame.iloc[1]
    assert two["field_scores"] is None and two["skills"] == [] and pd.isna(two["difficulty"])
    assert pd.isna(two["seconds"]) and pd.isna(two["session"])
    # "now" by default, in UTC
    assert abs(pd.Timestamp.now(tz="UTC") - two["at"]) < pd.Timedelta(minutes=1)


def test_data_survives_reopening_and_the_file_is_wal(db: Path) -> None:
    with ProgressStore(f"sqlite:///{db}") as store:
        store.record("ana", "s1", {"a": "x"}, 1.0)
    with ProgressStore(db) as store:
        assert store.path == db.resolve()
        assert len(store.attempts()) == 1
        store.record("ana", "s2", {}, 0.5)
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [(1,)]
        assert connection.execute("SELECT count(*) FROM attempts").fetchone()[0] == 2
    finally:
        connection.close()


def test_filters_and_sessions(db: Path) -> None:
    day = dt.datetime(2026, 3, 2, 9, tzinfo=UTC)
    with ProgressStore(db) as store:
        store.record("ana", "s1", {}, 1.0, session="b-late", at=day + dt.timedelta(days=2))
        store.record("ana", "s2", {}, 0.5, session="a-early", at=day)
        store.record("bo", "s1", {}, 0.2, session="a-early", at=day + dt.timedelta(days=1))
        store.record("bo", "s3", {}, 0.9, at=day + dt.timedelta(days=3))  # no session
        everything = store.attempts()
        assert list(everything["scenario_id"]) == ["s2", "s1", "s1", "s3"]  # oldest first
        assert store.sessions() == ["a-early", "b-late"]  # by first attempt, unnamed left out
        assert list(store.attempts(session="a-early")["scenario_id"]) == ["s2", "s1"]
        assert list(store.attempts(trainee="bo")["scenario_id"]) == ["s1", "s3"]
        # since inclusive, until exclusive; dates are UTC midnight; naive times are UTC
        assert len(store.attempts(since=day)) == 4
        assert len(store.attempts(since=day + dt.timedelta(seconds=1))) == 3
        assert list(store.attempts(since="2026-03-03", until=dt.date(2026, 3, 5)).score) == [
            0.2,
            1.0,
        ]
        assert len(store.attempts(until="2026-03-02T09:00:00")) == 0
        assert len(store.attempts(until=pd.Timestamp("2026-03-02 10:00", tz="UTC"))) == 1
        assert len(store.attempts(until="2026-03-02T17:00:00+08:00")) == 0
        assert len(store.attempts(session="a-early", trainee="ana")) == 1
        empty = store.attempts(trainee="nobody")
    assert empty.empty and list(empty.columns) == list(everything.columns)
    assert str(empty["at"].dt.tz) == "UTC"


def test_bad_arguments_are_refused_before_writing(db: Path) -> None:
    with ProgressStore(db) as store:
        for kwargs in (
            {"trainee": ""},
            {"scenario_id": None},
            {"score": 1.5},
            {"score": float("nan")},
            {"answers": ["x"]},
            {"answers": {"x": object()}},
            {"seconds": -1},
            {"difficulty": "hard"},
            {"skills": ["a;b"]},
            {"at": "yesterday"},
        ):
            args = {"trainee": "ana", "scenario_id": "s1", "answers": {}, "score": 0.5} | kwargs
            with pytest.raises(ValueError):
                store.record(**args)
        assert store.attempts().empty


def test_env_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    as_path = tmp_path / "env-path" / "p.sqlite"
    monkeypatch.setenv(ENV_VAR, str(as_path))
    with ProgressStore() as store:
        assert store.path == as_path.resolve()
        store.record("ana", "s1", {}, 1.0)
    assert as_path.exists()
    as_url = tmp_path / "env-url.sqlite"
    monkeypatch.setenv(ENV_VAR, f"sqlite:///{as_url}")
    with ProgressStore() as store:
        assert store.path == as_url.resolve()
        assert store.url == f"sqlite:///{as_url.resolve()}"
    assert as_url.exists()
    # an explicit argument wins over the environment
    with ProgressStore(tmp_path / "explicit.sqlite") as store:
        assert store.path == (tmp_path / "explicit.sqlite").resolve()


def test_default_path_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("APPDATA", str(home / "AppData" / "Roaming"))
    monkeypatch.setenv("LOCALAPPDATA", str(home / "AppData" / "Local"))
    with ProgressStore() as store:
        store.record("ana", "s1", {}, 1.0)
        path = store.path
    assert path is not None and path.name == "progress.sqlite"
    assert path.parent.name == "seller-playbook"
    assert path.exists() and home.resolve() in path.parents
    if os.name == "posix" and os.uname().sysname != "Darwin":
        assert path == (home / ".local" / "share" / "seller-playbook" / "progress.sqlite")


def test_in_memory_database() -> None:
    with ProgressStore("sqlite://") as store:
        assert store.path is None
        store.record("ana", "s1", {"a": 1}, 0.5)
        assert store.attempts()["answers"].tolist() == [{"a": 1}]


def _write_attempts(path: str, worker: int, count: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """One trainee's process: open its own store, wait for the others, then write."""
    with ProgressStore(path) as store:
        barrier.wait(timeout=120)
        start = time.perf_counter()
        for i in range(count):
            store.record(
                f"trainee-{worker}",
                f"s{i}",
                {"worker": worker, "i": i},
                i / count,
                session="concurrency",
            )
        results.put((worker, time.perf_counter() - start))


def test_concurrent_writers_in_separate_processes_lose_nothing(db: Path) -> None:
    workers, count = 4, 50
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(workers), context.Queue()
    started = time.perf_counter()
    processes = [
        context.Process(target=_write_attempts, args=(str(db), w, count, barrier, results))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    write_seconds = dict(results.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    elapsed = time.perf_counter() - started
    with ProgressStore(db) as store:
        frame = store.attempts(session="concurrency")
    assert len(frame) == workers * count
    assert frame["id"].is_unique
    for w in range(workers):
        mine = frame[frame["trainee"] == f"trainee-{w}"]
        assert sorted(a["i"] for a in mine["answers"]) == list(range(count))
    switches = int(
        (frame.sort_values("id")["trainee"] != frame.sort_values("id")["trainee"].shift()).sum()
    )
    print(
        f"\n{workers}×{count} attempts: {elapsed:.2f} s in all, "
        f"writing {max(write_seconds.values()):.2f} s, {switches} writer switches"
    )


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite"
    path.write_text("trainee,score\nana,1\n", encoding="utf-8")
    before = digest(path)
    with pytest.raises(ProgressStoreError, match="not a database") as caught:
        ProgressStore(path)
    assert str(path) in str(caught.value) and isinstance(caught.value, PlaybookError)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["progress.sqlite"]


def test_a_damaged_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite"
    with ProgressStore(path) as store:
        for i in range(30):
            store.record("ana", f"s{i}", {"text": "x" * 500}, 0.5)
    data = bytearray(path.read_bytes())
    data[100 : len(data)] = b"\xa5" * (len(data) - 100)  # keep the header, wreck the rest
    path.write_bytes(bytes(data))
    before = digest(path)
    with pytest.raises(ProgressStoreError) as caught, ProgressStore(path) as store:
        store.attempts()
    assert str(path) in str(caught.value)
    assert digest(path) == before


def test_an_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "progress.sqlite"
    path.touch()
    with ProgressStore(path) as store:
        store.record("ana", "s1", {}, 1.0)
        assert len(store.attempts()) == 1


def test_a_foreign_database_is_not_written_into(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE attempts (x INTEGER)")
    connection.commit()
    connection.close()
    before = digest(path)
    with pytest.raises(ProgressStoreError, match="did not make"):
        ProgressStore(path)
    assert digest(path) == before


@pytest.fixture
def read_only(request: pytest.FixtureRequest) -> list[Path]:
    """Paths made read-only by a test; made writable again afterwards (so tmp cleanup works)."""
    paths: list[Path] = []

    def restore() -> None:
        for p in paths:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)

    request.addfinalizer(restore)
    return paths


def test_a_read_only_file_can_be_read_but_not_written(db: Path, read_only: list[Path]) -> None:
    with ProgressStore(db) as store:
        store.record("ana", "s1", {"a": "x"}, 1.0)
    db.chmod(0o444)
    read_only.append(db)
    before = digest(db)
    with ProgressStore(db) as store:
        assert store.read_only
        assert store.attempts()["answers"].tolist() == [{"a": "x"}]
        with pytest.raises(ProgressStoreError, match="read-only") as caught:
            store.record("ana", "s2", {}, 0.5)
    assert str(db) in str(caught.value) and ENV_VAR in str(caught.value)
    assert digest(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name]  # no -wal/-shm left


def test_a_read_only_folder(db: Path, read_only: list[Path]) -> None:
    with ProgressStore(db) as store:
        store.record("ana", "s1", {}, 1.0)
    folder = db.parent
    folder.chmod(0o555)
    read_only.append(folder)
    with ProgressStore(db) as store:
        assert len(store.attempts()) == 1
        with pytest.raises(ProgressStoreError, match="folder") as caught:
            store.record("ana", "s2", {}, 0.5)
    assert str(folder) in str(caught.value)
    with pytest.raises(ProgressStoreError, match="read-only"):
        ProgressStore(folder / "new.sqlite")  # cannot even be created
    assert not (folder / "new.sqlite").exists()


def test_a_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ProgressStoreError, match="cannot create the folder") as caught:
        ProgressStore(blocker / "sub" / "progress.sqlite")
    assert str(blocker / "sub") in str(caught.value)
    with pytest.raises(ProgressStoreError, match="is a folder"):
        ProgressStore(tmp_path)


def test_a_database_from_a_newer_version_is_refused(db: Path) -> None:
    with ProgressStore(db):
        pass
    connection = sqlite3.connect(db)
    connection.execute("UPDATE schema_version SET version = 99")
    connection.commit()
    connection.close()
    with pytest.raises(ProgressStoreError, match="newer"):
        ProgressStore(db)


def test_import_does_not_load_pandas() -> None:
    import subprocess
    import sys

    code = "import sys, playbook.progress; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
