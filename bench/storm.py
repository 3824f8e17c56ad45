"""An alert storm on one key: client threads posting alerts with one dedup key to one integration
over kept-alive HTTP connections, at a chosen rate. Standard library only, so any bench can drive
a stack with it."""
import http.client
import json
import threading
import time

STORM_THREADS = 16


class Storm:
    """Client threads posting `rate` alerts/s with one dedup key to one integration, over kept-alive
    HTTP connections, each thread on its own schedule (a thread that falls behind sends at once
    rather than skipping, so the achieved rate is what the server could take)."""

    def __init__(self, url: str, path: str, *, key: str, rate: float, threads: int = STORM_THREADS):
        self.host, self.port = url.removeprefix("http://").split(":")
        self.path, self.key, self.rate, self.threads = path, key, rate, threads
        self.stop = threading.Event()
        self.statuses: dict[int, int] = {}
        self._lock = threading.Lock()
        self._workers = [threading.Thread(target=self._post, args=(n,), daemon=True) for n in range(threads)]

    def __enter__(self):
        self.started = time.monotonic()
        for worker in self._workers:
            worker.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for worker in self._workers:
            worker.join(timeout=15)
        self.seconds = time.monotonic() - self.started

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    def _post(self, n: int) -> None:
        body = json.dumps({"title": "Storm", "dedup_key": self.key}).encode()
        connection, k = None, 0
        while not self.stop.is_set():
            due = self.started + (n + k * self.threads) / self.rate
            k += 1
            pause = due - time.monotonic()
            if pause > 0 and self.stop.wait(pause):
                break
            try:
                connection = connection or http.client.HTTPConnection(self.host, int(self.port), timeout=10)
                connection.request("POST", self.path, body=body, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                if connection is not None:
                    connection.close()
                connection, status = None, 0  # 0: no answer
            with self._lock:
                self.statuses[status] = self.statuses.get(status, 0) + 1
        if connection is not None:
            connection.close()
