import pytest

from config.env import ConfigError, database_from_url, env_bool, env_int, env_str, secret_key


@pytest.mark.parametrize("raw,expected", [("1", True), ("TRUE", True), ("yes", True), ("on", True),
                                          ("0", False), ("false", False), ("No", False), ("", False)])
def test_booleans_are_read_strictly(monkeypatch, raw, expected):
    monkeypatch.setenv("DEBUG", raw)
    assert env_bool("DEBUG") is expected


@pytest.mark.parametrize("raw", ["ture", "2", "enabled", "y e s"])
def test_a_bad_boolean_is_an_error_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("DEBUG", raw)
    with pytest.raises(ConfigError, match=f"DEBUG={raw!r} is not a boolean"):
        env_bool("DEBUG")


def test_unset_boolean_takes_the_default(monkeypatch):
    monkeypatch.delenv("DEBUG", raising=False)
    assert env_bool("DEBUG") is False
    assert env_bool("DEBUG", True) is True


def test_bad_integer_is_an_error(monkeypatch):
    monkeypatch.setenv("PORT", "80a")
    with pytest.raises(ConfigError, match="PORT='80a' is not an integer"):
        env_int("PORT", 8000)
    monkeypatch.setenv("PORT", "-1")
    with pytest.raises(ConfigError, match="below the minimum"):
        env_int("PORT", 8000, minimum=1)


def test_secret_can_come_from_a_file(monkeypatch, tmp_path):
    path = tmp_path / "token"
    path.write_text("s3cret\n")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_FILE", str(path))
    assert env_str("TWILIO_AUTH_TOKEN") == "s3cret"


def test_secret_and_secret_file_together_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "a")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_FILE", str(tmp_path / "x"))
    with pytest.raises(ConfigError, match="both set"):
        env_str("TWILIO_AUTH_TOKEN")


def test_unreadable_secret_file_is_an_error(monkeypatch, tmp_path):
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="cannot be read"):
        env_str("SLACK_BOT_TOKEN")


def test_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) >= 50
    assert secret_key(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_configured_secret_key_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_postgres_url_becomes_a_database_entry(tmp_path):
    db = database_from_url("postgres://vigil:p%40ss@db.internal:6432/vigil?sslmode=require", var_dir=tmp_path)
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "vigil", "vigil", "p@ss", "db.internal", "6432")
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_sqlite_urls_relative_and_absolute(tmp_path):
    assert database_from_url(f"sqlite:///{tmp_path}/a.db", var_dir=tmp_path)["NAME"] == str(tmp_path / "a.db")
    relative = database_from_url("sqlite:///var/x.sqlite3", var_dir=tmp_path / "var")
    assert relative["NAME"] == str(tmp_path / "var" / "x.sqlite3")
    assert relative["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "postgres://u@h:5432/"])
def test_unsupported_or_incomplete_database_url_is_an_error(tmp_path, url):
    with pytest.raises(ConfigError):
        database_from_url(url, var_dir=tmp_path)


def test_debug_is_off_by_default():
    from django.conf import settings

    assert settings.DEBUG is False
