"""A database of a test's own, on whichever server the run is pointed at."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def private_database(tmp: Path) -> Iterator[str]:
    """SQLite in ``tmp``, or a fresh PostgreSQL database when ``GMD_TEST_DATABASE_URL``
    names a server (dropped afterwards: a shared server keeps nothing of ours)."""
    server = os.environ.get("GMD_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp / 'gmd-test.db'}"
        return
    name = f"gmdtest_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
