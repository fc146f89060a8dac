"""Record every training attempt so trainers can follow each trainee's progress.

One SQLite file by default (``PLAYBOOK_DB``, else ``progress.sqlite`` in the user's data
directory), shared by several trainees on one server: WAL journal, a busy timeout, writes
that take the write lock up front (``BEGIN IMMEDIATE``) and retry with backoff while another
writer holds it, so no attempt is lost. Only SQLAlchemy Core and portable column types are
used, so a PostgreSQL URL can replace the file later.

An existing file is never deleted, truncated or recreated: a file that is not a database, a
read-only file or folder, or a folder that cannot be created raise
:class:`ProgressStoreError` naming the file and what to do. A read-only store can still be
read (a trainer looking at a copy); only :meth:`ProgressStore.record` refuses.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from .errors import PlaybookError

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")

__all__ = ["ENV_VAR", "SCHEMA_VERSION", "ProgressStore", "ProgressStoreError", "default_path"]

ENV_VAR = "PLAYBOOK_DB"
APP_NAME = "seller-playbook"
FILE_NAME = "progress.sqlite"
SCHEMA_VERSION = 1

_SQLITE_HEADER = b"SQLite format 3\x00"
_BUSY_TIMEOUT_MS = 10_000  # SQLite waits this long for a lock before reporting "locked"
_RETRY_SECONDS = 60.0  # then we retry with backoff for up to this long
_SKILL_SEP = ";"


class ProgressStoreError(PlaybookError):
    """The progress database cannot be used as it is; the message says which file and why."""


class _UtcDateTime(sa.types.TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend.

    SQLite keeps naive text ("2026-01-05 10:00:00.000000", sorts correctly); PostgreSQL
    keeps ``timestamptz``. Naive input is taken as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # a row written by hand
            value = dt.datetime.fromisoformat(value)
        return _as_utc(value)


_metadata = sa.MetaData()

attempts_table = sa.Table(
    "attempts",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", _UtcDateTime(), nullable=False, index=True),
    sa.Column("session", sa.String(200), index=True),
    sa.Column("trainee", sa.String(200), nullable=False, index=True),
    sa.Column("scenario_id", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(40)),
    sa.Column("skills", sa.Text, nullable=False, default=""),
    sa.Column("difficulty", sa.Integer),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("field_scores", sa.Text),
    sa.Column("seconds", sa.Float),
)

schema_version_table = sa.Table(
    "schema_version",
    _metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

COLUMNS = tuple(c.name for c in attempts_table.columns)


def default_path() -> Path:
    """``progress.sqlite`` in the user's data directory (XDG_DATA_HOME, ~/Library/…, %APPDATA%)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / FILE_NAME


class ProgressStore:
    """The attempts of every trainee, in SQLite (default) or any SQLAlchemy database.

    ``url``: a SQLAlchemy URL (``sqlite:///path``, ``postgresql+psycopg://…``) or a plain file
    path; ``None`` → env ``PLAYBOOK_DB`` (URL or path) → :func:`default_path`. Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None):
        self._url = _resolve_url(url)
        self._path: Path | None = None
        self.read_only = False
        if self._url.get_backend_name() == "sqlite":
            self._engine = self._open_sqlite()
        else:
            self._engine = sa.create_engine(self._url, pool_pre_ping=True)
        try:
            self._prepare()
        except BaseException:
            self._engine.dispose()
            raise

    # -- public API ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def path(self) -> Path | None:
        """The SQLite file, or ``None`` for an in-memory or server database."""
        return self._path

    def record(
        self,
        trainee: str,
        scenario_id: str,
        answers: Mapping[str, Any],
        score: float,
        *,
        field_scores: Mapping[str, float] | None = None,
        kind: str | None = None,
        skills: Iterable[str] = (),
        difficulty: int | None = None,
        seconds: float | None = None,
        session: str | None = None,
        at: dt.datetime | str | None = None,
    ) -> int:
        """Store one attempt and return its id. ``at`` defaults to now (UTC); naive = UTC."""
        row = _attempt_row(
            trainee=trainee,
            scenario_id=scenario_id,
            answers=answers,
            score=score,
            field_scores=field_scores,
            kind=kind,
            skills=skills,
            difficulty=difficulty,
            seconds=seconds,
            session=session,
            at=at,
        )
        if self.read_only:
            raise ProgressStoreError(self._read_only_message())
        insert = sa.insert(attempts_table).values(**row)
        return self._write(lambda conn: int(conn.execute(insert).inserted_primary_key[0]))

    def attempts(
        self,
        session: str | None = None,
        since: dt.datetime | dt.date | str | None = None,
        until: dt.datetime | dt.date | str | None = None,
        trainee: str | None = None,
    ) -> pd.DataFrame:
        """The attempts as a table, oldest first, with ``since <= at < until``.

        Dates count as UTC midnight, naive times as UTC. ``answers`` and ``field_scores`` are
        parsed back to dicts, ``skills`` to lists, and ``at`` is a tz-aware UTC timestamp.
        """
        import pandas as pd

        query = sa.select(attempts_table).order_by(attempts_table.c.at, attempts_table.c.id)
        if session is not None:
            query = query.where(attempts_table.c.session == session)
        if trainee is not None:
            query = query.where(attempts_table.c.trainee == trainee)
        if since is not None:
            query = query.where(attempts_table.c.at >= _as_utc(since))
        if until is not None:
            query = query.where(attempts_table.c.at < _as_utc(until))
        rows = self._read(query) if self._has_table() else []
        records = [_parse_row(r._mapping) for r in rows]
        frame = pd.DataFrame.from_records(records, columns=list(COLUMNS))
        frame["id"] = frame["id"].astype("int64")
        frame["at"] = pd.to_datetime(frame["at"], utc=True).astype("datetime64[ns, UTC]")
        frame["difficulty"] = frame["difficulty"].astype("Int64")
        frame[["score", "seconds"]] = frame[["score", "seconds"]].astype("float64")
        return frame

    def sessions(self) -> list[str]:
        """The named sessions, in the order their first attempt was made."""
        if not self._has_table():
            return []
        first = sa.func.min(attempts_table.c.at)
        query = (
            sa.select(attempts_table.c.session)
            .where(attempts_table.c.session.is_not(None))
            .group_by(attempts_table.c.session)
            .order_by(first, attempts_table.c.session)
        )
        return [r[0] for r in self._read(query)]

    def close(self) -> None:
        """Release the database connections (the store cannot be used afterwards)."""
        self._engine.dispose()

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = ", read-only" if self.read_only else ""
        return f"ProgressStore({self.url!r}{mode})"

    # -- opening -------------------------------------------------------------------------

    def _open_sqlite(self) -> Engine:
        database = self._url.database or ""
        if database in ("", ":memory:"):
            engine = sa.create_engine(
                "sqlite://",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
            _add_sqlite_listeners(engine, wal=False)
            return engine
        path = Path(database).expanduser().resolve()
        self._path = path
        self._check_sqlite_file(path)
        if self.read_only:
            uri = path.as_uri() + ("?immutable=1" if _frozen(path) else "?mode=ro")
            engine = sa.create_engine(
                "sqlite://",
                creator=lambda: sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_MS / 1000),
                poolclass=sa.pool.QueuePool,
            )
        else:
            engine = sa.create_engine(
                self._url.set(database=str(path)),
                connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000},
            )
        _add_sqlite_listeners(engine, wal=not self.read_only)
        return engine

    def _check_sqlite_file(self, path: Path) -> None:
        """Refuse up front what SQLite would fail on, or damage, later."""
        folder = path.parent
        if path.exists():
            if path.is_dir():
                raise ProgressStoreError(
                    f"{path} is a folder, not a progress database file. "
                    f"Point {ENV_VAR} to a file path, e.g. {path / FILE_NAME}."
                )
            try:
                with path.open("rb") as handle:
                    head = handle.read(len(_SQLITE_HEADER))
            except OSError as error:
                raise ProgressStoreError(
                    f"cannot read the progress database {path}: {error.strerror}. "
                    "Ask whoever manages the server to give you read access."
                ) from error
            if head and head != _SQLITE_HEADER:
                raise ProgressStoreError(_corrupt_message(path, "file is not a database"))
            self.read_only = not (_writable(path) and _writable(folder))
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ProgressStoreError(
                f"cannot create the folder {folder} for the progress database {path}: "
                f"{error.strerror or error}. Create it yourself, or set {ENV_VAR} to a file "
                "in a folder you can write to."
            ) from error
        if not folder.is_dir():
            raise ProgressStoreError(
                f"{folder} is not a folder, so the progress database {path} cannot be created "
                f"there. Set {ENV_VAR} to a file in a folder you can write to."
            )
        if not _writable(folder):
            raise ProgressStoreError(
                f"cannot create the progress database {path}: the folder {folder} is read-only. "
                f"Make the folder writable, or set {ENV_VAR} to a file in a folder you can "
                "write to."
            )

    def _prepare(self) -> None:
        """WAL on, tables created (once, whoever gets there first), version checked."""
        if self.read_only:
            if self._has_table():
                self._check_version()
            return
        if self._has_table() and not self._has_table("schema_version"):
            raise ProgressStoreError(self._foreign_message())
        if self._path is not None:
            self._retry(self._enable_wal)
        self._write(self._create_schema)

    def _enable_wal(self) -> None:
        """WAL is stored in the file: set once, outside any transaction, by whoever comes first."""
        with self._translate(), self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            if str(raw.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                raw.execute("PRAGMA journal_mode=WAL")

    def _create_schema(self, conn: Connection) -> None:
        inspector = sa.inspect(conn)
        tables = set(inspector.get_table_names())
        if "attempts" in tables and "schema_version" not in tables:
            raise ProgressStoreError(self._foreign_message())
        _metadata.create_all(conn, checkfirst=True)
        if conn.execute(sa.select(sa.func.count()).select_from(schema_version_table)).scalar():
            self._check_version(conn)
        else:
            conn.execute(sa.insert(schema_version_table).values(version=SCHEMA_VERSION))

    def _check_version(self, conn: Connection | None = None) -> None:
        query = sa.select(sa.func.max(schema_version_table.c.version))
        version = conn.execute(query).scalar() if conn is not None else self._read(query)[0][0]
        if version is not None and version > SCHEMA_VERSION:
            raise ProgressStoreError(
                f"{self._where()} was written by a newer seller-playbook (schema {version}, "
                f"this one knows {SCHEMA_VERSION}). Update seller-playbook; nothing was changed."
            )

    # -- reading and writing -------------------------------------------------------------

    def _has_table(self, name: str = "attempts") -> bool:
        def run() -> bool:
            with self._translate(), self._engine.connect() as conn:
                return sa.inspect(conn).has_table(name)

        return self._retry(run)

    def _read(self, query: sa.Select) -> list[sa.Row]:
        def run() -> list[sa.Row]:
            with self._translate(), self._engine.connect() as conn:
                return list(conn.execute(query))

        return self._retry(run)

    def _write(self, body: Callable[[Connection], T]) -> T:
        """Run ``body`` in a transaction that takes the write lock up front; retried while locked.

        ``body`` runs again on a retry (after a rollback), so it must only touch the database.
        """

        def attempt() -> T:
            with self._translate(), self._engine.connect() as conn:
                conn = conn.execution_options(playbook_begin="BEGIN IMMEDIATE")
                with conn.begin():
                    return body(conn)

        return self._retry(attempt)

    def _retry(self, action: Callable[[], T]) -> T:
        """Run ``action``, retrying with jittered backoff while the database is locked."""
        deadline = time.monotonic() + _RETRY_SECONDS
        delay = 0.02
        tries = 0
        while True:
            tries += 1
            try:
                return action()
            except _Locked as locked:
                if time.monotonic() + delay > deadline:
                    raise ProgressStoreError(
                        f"{self._where()} stayed locked by another writer for "
                        f"{_RETRY_SECONDS:.0f} s ({tries} tries). Try again; if it keeps "
                        "happening, check that no program keeps the file open for writing."
                    ) from locked.__cause__
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 1.0)

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn database errors into a ProgressStoreError naming the file and what to do."""
        try:
            yield
        except (exc.DBAPIError, sqlite3.Error) as error:
            detail = getattr(error, "orig", None) or error
            text = str(detail).lower()
            if "locked" in text or "busy" in text:
                raise _Locked() from error
            if "not a database" in text or "malformed" in text or "corrupt" in text:
                raise ProgressStoreError(
                    _corrupt_message(self._path or self.url, str(detail))
                ) from error
            if "readonly" in text or "read-only" in text:
                raise ProgressStoreError(self._read_only_message()) from error
            if "unable to open" in text and self._path is not None:
                raise ProgressStoreError(
                    f"cannot open the progress database {self._path} ({detail}). Check that "
                    f"the file and its folder {self._path.parent} exist and are readable and "
                    "writable by you (SQLite needs to create -wal/-shm files next to it)."
                ) from error
            raise ProgressStoreError(f"{self._where()}: {detail}") from error

    def _where(self) -> str:
        return f"the progress database {self._path or self.url}"

    def _foreign_message(self) -> str:
        return (
            f"{self._where()} has an 'attempts' table that seller-playbook did not make. "
            f"Set {ENV_VAR} to another file; nothing was changed."
        )

    def _read_only_message(self) -> str:
        path = self._path
        if path is None:
            return f"{self._where()} is read-only for this user; attempts cannot be recorded."
        what = (
            f"the file {path}"
            if not _writable(path)
            else f"its folder {path.parent} (SQLite writes -wal/-shm files next to the file)"
        )
        return (
            f"cannot record attempts in the progress database {path}: {what} is read-only. "
            f"Ask whoever manages the server to make it writable, or set {ENV_VAR} to a file in "
            "a folder you can write to. Nothing was changed."
        )


# -- helpers -----------------------------------------------------------------------------


class _Locked(Exception):
    """Internal: the database was locked or busy; the caller retries."""


def _add_sqlite_listeners(engine: Engine, *, wal: bool) -> None:
    """Per connection: busy timeout, synchronous NORMAL, and BEGIN issued by us."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" below start it
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        if wal:
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("playbook_begin", "BEGIN"))


def _resolve_url(url: str | os.PathLike[str] | None) -> URL:
    if url is None:
        url = os.environ.get(ENV_VAR, "").strip() or default_path()
    if isinstance(url, os.PathLike):
        return URL.create("sqlite", database=str(Path(url).expanduser()))
    text = str(url).strip()
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text).expanduser()))
    try:
        return make_url(text)
    except exc.ArgumentError as error:
        raise ProgressStoreError(
            f"{text!r} is neither a database URL nor a file path ({error}). Use e.g. "
            "sqlite:///path/progress.sqlite or a plain file path."
        ) from error


def _writable(path: Path) -> bool:
    """Writable for us *and* not marked read-only (root ignores permission bits otherwise)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return os.access(path, os.W_OK) and bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _frozen(path: Path) -> bool:
    """Nobody can write this file now, and no WAL holds data: read it without -wal/-shm files.

    (``mode=ro`` on a WAL database creates them next to it, read-only, in the way of a
    later writer.)
    """
    wal = path.with_name(path.name + "-wal")
    nobody_writes = not path.stat().st_mode & 0o222 or not _writable(path.parent)
    return nobody_writes and (not wal.exists() or wal.stat().st_size == 0)


def _corrupt_message(where: object, detail: str) -> str:
    return (
        f"{where} is not a usable progress database ({detail}); it was left untouched. "
        f"Restore it from a backup, or move it aside (or set {ENV_VAR} to another file) and a "
        "new one will be created."
    )


def _as_utc(value: dt.datetime | dt.date | str | Any) -> dt.datetime:
    """An aware UTC datetime from a datetime, date, ISO text or pandas Timestamp; naive = UTC."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as error:
            raise ValueError(f"{value!r} is not an ISO 8601 date or time") from error
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if not isinstance(value, dt.datetime):
        raise TypeError(f"expected a datetime, date or ISO text, got {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _parse_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One stored row with its text columns turned back into Python values."""
    record = dict(row)
    record["skills"] = [s for s in (record["skills"] or "").split(_SKILL_SEP) if s]
    record["answers"] = json.loads(record["answers"])
    if record["field_scores"] is not None:
        record["field_scores"] = json.loads(record["field_scores"])
    return record


def _attempt_row(
    *,
    trainee: str,
    scenario_id: str,
    answers: Mapping[str, Any],
    score: float,
    field_scores: Mapping[str, float] | None,
    kind: str | None,
    skills: Iterable[str],
    difficulty: int | None,
    seconds: float | None,
    session: str | None,
    at: dt.datetime | str | None,
) -> dict[str, Any]:
    """Check one attempt and turn it into column values (ValueError names the bad argument)."""
    for name, value in (("trainee", trainee), ("scenario_id", scenario_id)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} must be a non-empty text, got {value!r}")
    if session is not None and (not isinstance(session, str) or not session.strip()):
        raise ValueError(f"session must be a non-empty text or None, got {session!r}")
    if not isinstance(answers, Mapping):
        raise ValueError(f"answers must be a dict of field → answer, got {type(answers).__name__}")
    score = _number("score", score)
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score must be between 0 and 1, got {score}")
    if seconds is not None:
        seconds = _number("seconds", seconds)
        if seconds < 0:
            raise ValueError(f"seconds must not be negative, got {seconds}")
    if difficulty is not None and (isinstance(difficulty, bool) or not isinstance(difficulty, int)):
        raise ValueError(f"difficulty must be an integer or None, got {difficulty!r}")
    if isinstance(skills, str):
        skills = [skills]
    skills = [str(s) for s in skills]
    bad = [s for s in skills if _SKILL_SEP in s or not s.strip()]
    if bad:
        raise ValueError(f"skills must be non-empty ids without {_SKILL_SEP!r}, got {bad!r}")
    return {
        "at": _as_utc(at) if at is not None else dt.datetime.now(dt.UTC),
        "session": session,
        "trainee": trainee,
        "scenario_id": scenario_id,
        "kind": kind,
        "skills": _SKILL_SEP.join(skills),
        "difficulty": difficulty,
        "score": score,
        "answers": _json("answers", dict(answers)),
        "field_scores": None
        if field_scores is None
        else _json("field_scores", {str(k): _number(k, v) for k, v in field_scores.items()}),
        "seconds": seconds,
    }


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a number, got {value!r}") from error
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _json(name: str, value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} cannot be stored as JSON: {error}") from error
