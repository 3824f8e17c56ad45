"""tests/process is imported by bench/ and .ci/ scripts that have no Django set up."""
import subprocess
import sys

from tests.process import REPO


def test_the_process_kit_imports_no_django_nor_provider_sdks():
    script = ("import sys, tests.process, tests.process.probe_calls; "
              "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'twilio', 'redis', 'psycopg2'}))")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
