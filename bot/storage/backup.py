"""`bezirksbot backup`: a consistent copy of the database while the bot keeps running.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies the database page by page
into a new file; writers may continue meanwhile (WAL), and the copy is a consistent snapshot.
PostgreSQL: `pg_dump` is the tool; the command prints the exact call for the configured URL.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int


def timestamped_name(now: datetime | None = None, *, suffix: str = ".sqlite3") -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"bezirksbot-{moment:%Y%m%d-%H%M%S}{suffix}"


def target_path(
    source: Path, output: str | None, now: datetime | None = None, *, suffix: str = ".sqlite3"
) -> Path:
    """`output` if it names a file; a timestamped file inside it if it is a folder (existing,
    or written with a trailing slash); else a timestamped file in `backups/` beside `source`."""
    if not output:
        return source.parent / "backups" / timestamped_name(now, suffix=suffix)
    path = Path(output)
    if path.is_dir() or output.endswith(("/", os.sep)):
        return path / timestamped_name(now, suffix=suffix)
    return path


def backup_sqlite(source: Path, target: Path) -> BackupResult:
    """Copy the live database `source` into the new file `target` (never overwritten)."""
    if not source.is_file():
        raise BackupError(f"no database file at {source}")
    if target.exists():
        raise BackupError(f"{target} exists already; give another --output")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with (
            closing(sqlite3.connect(source, timeout=30)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst, pages=1024)  # in steps, so writers are not held up for long
            check = dst.execute("PRAGMA integrity_check").fetchone()
            if not check or check[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {check}")
        partial.replace(target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup failed: {error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size)


def pg_dump_command(database_url: str, output: str | None = None) -> str:
    """The pg_dump call for a PostgreSQL URL (the password, if any, belongs in PGPASSWORD or
    ~/.pgpass, never on the command line)."""
    url = make_url(database_url)
    parts = ["pg_dump", "--format=custom", "--no-owner"]
    if url.host:
        parts.append(f"--host={url.host}")
    if url.port:
        parts.append(f"--port={url.port}")
    if url.username:
        parts.append(f"--username={url.username}")
    file = target_path(Path("backups/x"), output, suffix=".dump") if output else None
    parts.append(f"--file={file or timestamped_name(suffix='.dump')}")
    parts.append(url.database or "postgres")
    return shlex.join(parts)
