"""Settings of the stack bench/ingest.py starts: Vigil's own, with one more URL (ingest_urls.py),
the baseline's bare view. Only bench/ uses it; the app's URLs never include that view."""
from config.settings import *  # noqa: F403

ROOT_URLCONF = "ingest_urls"
