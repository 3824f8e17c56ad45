"""Vigil as real processes, for the end-to-end, fault and concurrency tests and for bench/.

    dbs = Databases(tmp_root)                  # migrated once, one fresh copy per stack
    broker = Broker()                          # filesystem://, or Redis db 5 flushed
    twilio = FakeTwilio(tmp_path)              # tests/fakes/twilio.py in a subprocess
    env = vigil_env(var_dir, database_url=dbs.new(), broker_url=broker.url, twilio=twilio, port=free_port())
    probe = DjangoProbe(env)                   # a Django process on that database: probe(seed_paging, ...)
    stack = Serve(env, log_path).wait_until_ready()     # manage.py serve: gunicorn + worker + beat
    worker = Worker(env, log_path, name="w1").wait_until_ready()

One module per piece: processes.py (sessions, waiting, killing, Closer), databases.py, broker.py,
fake_twilio.py, stack.py (environment, serve, workers), probe.py and probe_calls.py (what runs
inside the probe), webhooks.py (HTTP as a monitor and as Twilio). Every name is importable from
here as well.

Every process runs in a session of its own (its id is the session's), so stopping or killing it
reaches everything it forked, and `left_behind()` can prove that nothing is left. Nothing here
imports Django at module level: bench/ imports this package without a Django set up, and the
probe imports probe_calls inside its own process.
"""
from .broker import Broker, on_redis, redis_reachable, suite_broker
from .databases import Databases, migrate, on_postgres, pg_server, shared_databases
from .fake_twilio import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, FakeTwilio
from .probe import DjangoProbe
from .probe_calls import incident_state, seed_paging, send_task, trigger
from .processes import (
    PYTHON, REPO, STARTUP_TIMEOUT, STOP_TIMEOUT, Closer, ManagedProcess, ProcessError, free_port, processes,
    running_in, wait_until,
)
from .stack import Serve, Worker, vigil_env, worker_argv
from .webhooks import http_post, post_alert, post_signed_sms

__all__ = [
    "PYTHON", "REPO", "STARTUP_TIMEOUT", "STOP_TIMEOUT", "TWILIO_FROM", "TWILIO_SID", "TWILIO_TOKEN",
    "Broker", "Closer", "Databases", "DjangoProbe", "FakeTwilio", "ManagedProcess", "ProcessError", "Serve",
    "Worker", "free_port", "http_post", "incident_state", "migrate", "on_postgres", "on_redis", "pg_server",
    "post_alert", "post_signed_sms", "processes", "redis_reachable", "running_in", "seed_paging", "send_task",
    "shared_databases", "suite_broker", "trigger", "vigil_env", "wait_until", "worker_argv",
]
