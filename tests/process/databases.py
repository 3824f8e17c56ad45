"""Throwaway migrated databases for stacks, on SQLite files or a PostgreSQL server."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

from .processes import PYTHON, REPO, ProcessError
from .stack import vigil_env


def pg_server(url: str) -> dict:
    """psycopg2.connect() arguments for the server and database a postgres:// URL names."""
    parsed = urllib.parse.urlsplit(url)
    return {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432,
            "user": urllib.parse.unquote(parsed.username or ""),
            "password": urllib.parse.unquote(parsed.password or ""),
            "dbname": urllib.parse.unquote(parsed.path.lstrip("/")) or "postgres"}


def _pg_url(server: dict, dbname: str) -> str:
    auth = urllib.parse.quote(server["user"])
    if server["password"]:
        auth += ":" + urllib.parse.quote(server["password"])
    return f"postgres://{auth}@{server['host']}:{server['port']}/{dbname}"


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


class Databases:
    """Throwaway databases for stacks: SQLite files under `root`, or, when DATABASE_URL points at
    PostgreSQL, databases named vigil_e2e_<pid>_<n> on that server, dropped by `close()`.

    Migrations run once, into a template; each `new()` is a copy of it (a file copy, or
    CREATE DATABASE … TEMPLATE), which takes milliseconds instead of seconds."""

    def __init__(self, root: Path, *, postgres_url: str | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.server = pg_server(postgres_url) if postgres_url else None
        self.prefix = f"vigil_e2e_{os.getpid()}"
        self.created: list[str] = []
        self._template: str | None = None
        self._count = 0

    @property
    def vendor(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def new(self) -> str:
        """The DATABASE_URL of a fresh, migrated database."""
        if self._template is None:
            self._template = self._make_template()
        self._count += 1
        if self.server is None:
            path = self.root / f"db{self._count}.sqlite3"
            shutil.copyfile(self._template, path)
            if Path(self._template + "-wal").exists():  # migrations not yet checkpointed
                shutil.copyfile(self._template + "-wal", str(path) + "-wal")
            return f"sqlite:///{path}"
        name = f"{self.prefix}_{self._count}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        self.created.append(name)
        return _pg_url(self.server, name)

    def _make_template(self) -> str:
        if self.server is None:
            path = self.root / "template.sqlite3"
            migrate(self.root / "migrate-var", f"sqlite:///{path}")
            return str(path)
        name = f"{self.prefix}_template"
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        migrate(self.root / "migrate-var", _pg_url(self.server, name))
        return name

    def _sql(self, statement: str) -> None:
        import psycopg2

        connection = psycopg2.connect(**self.server)
        try:
            connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def close(self) -> None:
        while self.created:
            name = self.created.pop()
            try:
                self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as e:  # cleanup must go on; say what was left
                print(f"could not drop database {name}: {e}", file=sys.stderr)


def migrate(var_dir: Path, database_url: str) -> None:
    env = vigil_env(var_dir, database_url=database_url, broker_url="filesystem://")
    done = subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    if done.returncode:
        raise ProcessError(f"migrate failed:\n{done.stdout}\n{done.stderr}")


_shared_databases: dict[str, Databases] = {}


def shared_databases(root: Path) -> Databases:
    """One Databases per test session and server, so that migrations run once for all modules."""
    url = os.environ["DATABASE_URL"] if on_postgres() else None
    key = url or "sqlite"
    if key not in _shared_databases:
        _shared_databases[key] = Databases(root, postgres_url=url)
    return _shared_databases[key]
