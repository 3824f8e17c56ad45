"""How much memory `manage.py serve` holds while idle: its supervisor, and the whole tree.

Starts `manage.py serve` (SQLite, file-system broker: `make run`'s configuration) from this
checkout and, side by side, from a baseline checkout (a git worktree of --baseline-ref, made in a
temporary folder and removed afterwards), waits until each is ready, lets it idle, and reads each
process's memory from /proc: RSS and PSS (proportional set size: shared pages divided among the
processes that share them, so the tree's PSS adds up to what it really costs).

    .venv/bin/python bench/serve_memory.py [--baseline-ref 86f153c] [--idle 10] [--runs 3]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.process.processes import ManagedProcess, free_port, processes  # noqa: E402
from tests.process.stack import Serve, vigil_env  # noqa: E402

PYTHON = str(REPO / ".venv" / "bin" / "python")


class CheckoutServe(Serve):
    """`manage.py serve` of another checkout: run from it, so that it and its children import its code."""

    def __init__(self, checkout: Path, env: dict, log_path: Path):
        ManagedProcess.__init__(self, [PYTHON, "manage.py", "serve"], env=env, log_path=log_path,
                                name="manage.py serve", cwd=checkout)
        self.url = f"http://127.0.0.1:{env['PORT']}"


def memory_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; (0, 0) if it is gone."""
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values = {line.split(":")[0]: int(line.split()[1]) for line in rollup.splitlines()[1:] if line.endswith("kB")}
    return values.get("Rss", 0), values.get("Pss", 0)


def tree(root: int) -> list[int]:
    table = processes()
    found, frontier = [root], [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, (ppid, *_rest) in table.items() if ppid == parent]
        found += children
        frontier += children
    return found


def measure(checkout: Path, idle: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix="vigil-serve-memory-"))
    env = vigil_env(work / "var", database_url=f"sqlite:///{work / 'db.sqlite3'}",
                    broker_url="filesystem://", port=free_port())
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=checkout, env=env, check=True)
    serve = CheckoutServe(checkout, env, work / "serve.log")
    try:
        serve.wait_until_ready(timeout=180)
        time.sleep(idle)
        pids = tree(serve.pid)
        supervisor = memory_kib(serve.pid)
        everything = [memory_kib(pid) for pid in pids]
        return {"supervisor_rss": supervisor[0], "supervisor_pss": supervisor[1], "processes": len(pids),
                "tree_rss": sum(m[0] for m in everything), "tree_pss": sum(m[1] for m in everything)}
    finally:
        serve.stop()
        serve.close()
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline-ref", default="86f153c", help="commit whose serve is the baseline")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds to idle before measuring")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    baseline = Path(tempfile.mkdtemp(prefix="vigil-baseline-")) / "checkout"
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(baseline), args.baseline_ref], cwd=REPO, check=True)
    try:
        results = {"baseline": [], "this checkout": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine
            results["baseline"].append(measure(baseline, args.idle))
            results["this checkout"].append(measure(REPO, args.idle))
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=REPO, check=False)

    print(f"manage.py serve idle memory, MiB (median of {args.runs}; baseline = {args.baseline_ref})")
    print(f"{'':16}{'supervisor RSS':>16}{'supervisor PSS':>16}{'tree RSS':>12}{'tree PSS':>12}{'processes':>11}")
    for name, runs in results.items():
        def med(key):
            return statistics.median(r[key] for r in runs) / 1024
        print(f"{name:16}{med('supervisor_rss'):16.1f}{med('supervisor_pss'):16.1f}{med('tree_rss'):12.1f}"
              f"{med('tree_pss'):12.1f}{statistics.median(r['processes'] for r in runs):11.0f}")


if __name__ == "__main__":
    main()
