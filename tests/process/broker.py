"""The broker a stack talks to: the filesystem, or a Redis database of the suite's own."""
from __future__ import annotations

import os
import urllib.parse


def on_redis() -> bool:
    return os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


class Broker:
    """filesystem:// (each stack's var dir holds its queue), or Redis: the server
    CELERY_BROKER_URL names, on database VIGIL_TEST_REDIS_DB (5 unless set), flushed before and
    after use so that no message of another run (or of the developer's own worker on db 0) is
    consumed. Two suites running at once on one Redis server each need their own number; a bench
    passes the number it was given (`db`)."""

    REDIS_DB = int(os.environ.get("VIGIL_TEST_REDIS_DB", "5"))

    def __init__(self, redis_url: str | None = None, *, db: int | None = None):
        if redis_url:
            parts = urllib.parse.urlsplit(redis_url)
            self.db = self.REDIS_DB if db is None else db
            self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{self.db}", "", ""))
            self.flush()
        else:
            self.url = "filesystem://"

    @property
    def kind(self) -> str:
        return "redis" if self.url.startswith("redis") else "filesystem"

    def flush(self) -> None:
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url)
            try:
                client.flushdb()
            finally:
                client.close()

    def close(self) -> None:
        self.flush()


def redis_reachable(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def suite_broker() -> Broker:
    """The broker the suite runs on: Redis (db 5) when CELERY_BROKER_URL is redis://, else filesystem."""
    return Broker(os.environ["CELERY_BROKER_URL"] if on_redis() else None)
