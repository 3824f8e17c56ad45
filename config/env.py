"""Strict readers for settings taken from the environment.

A typo in production configuration must stop the process at start-up, not quietly turn a
feature off: `DEBUG=ture` is an error, not False. Every secret `X` may instead be given as
`X_FILE`, a path whose contents are the value (Docker and Kubernetes secrets work that way).
"""
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


class ConfigError(Exception):
    pass


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        if name in os.environ:
            raise ConfigError(f"{name} and {name}_FILE are both set; choose one")
        try:
            return Path(file_path).read_text().strip()
        except OSError as e:
            raise ConfigError(f"{name}_FILE={file_path!r} cannot be read: {e.strerror}") from e
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name}={value} is below the minimum of {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def secret_key(var_dir: Path) -> str:
    """SECRET_KEY from the environment, else one generated once and kept under var/.

    Nothing secret is hard-coded: a fresh checkout gets its own key, and restarts keep it so
    sessions and signed ack links stay valid.
    """
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    path = var_dir / "secret_key"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def database_from_url(url: str, *, var_dir: Path) -> dict:
    """A Django DATABASES entry from `postgres://user:pass@host:port/name` or `sqlite:///path`."""
    parsed = urlparse(url)
    options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    if parsed.scheme in ("postgres", "postgresql", "pgsql"):
        name = unquote(parsed.path.lstrip("/"))
        if not name:
            raise ConfigError("DATABASE_URL names no database (postgres://user@host:5432/NAME)")
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            "CONN_MAX_AGE": int(options.pop("conn_max_age", 60)),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    if parsed.scheme == "sqlite":
        # sqlite:///relative/path and sqlite:////absolute/path, as dj-database-url reads them.
        path = Path(unquote(parsed.path)[1:])
        if not path.is_absolute():
            path = var_dir.parent / path
        return sqlite_database(path)
    raise ConfigError(f"DATABASE_URL scheme {parsed.scheme!r} is not supported; use postgres:// or sqlite:///")


def sqlite_database(path: Path) -> dict:
    path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        # The web server and the Celery worker write to one file. WAL lets readers run beside
        # the writer, IMMEDIATE takes the write lock at BEGIN (so a transaction never fails
        # half-way upgrading a read lock) and the timeout makes writers queue instead of
        # failing with "database is locked".
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


def email_from_url(url: str) -> dict:
    """Django email settings from `smtp://user:pass@host:port?tls=1` (or `ssl=1`)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("smtp", "smtps"):
        raise ConfigError(f"EMAIL_URL scheme {parsed.scheme!r} is not supported; use smtp:// or smtps://")
    options = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "localhost",
        "EMAIL_PORT": parsed.port or (465 if parsed.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": options.get("tls") in ("1", "true"),
        "EMAIL_USE_SSL": parsed.scheme == "smtps" or options.get("ssl") in ("1", "true"),
        "EMAIL_TIMEOUT": 10,
    }
