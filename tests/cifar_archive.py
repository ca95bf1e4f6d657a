"""Small CIFAR archives in the real format, and a loopback HTTP server that serves them.

The archives are what www.cs.toronto.edu serves, shrunk: a .tar.gz holding
cifar-10-batches-py/ (data_batch_1..5, test_batch, batches.meta) or cifar-100-python/
(train, test, meta), each a dict with bytes keys pickled with protocol 2 as the originals are.
The server listens on 127.0.0.1 only and answers HTTP Range requests; `mode` makes it cut the
first transfer short ("truncate") or accept connections and never answer ("silent").
"""

from __future__ import annotations

import hashlib
import http.server
import io
import pickle
import re
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

CIFAR10_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _pickled(obj: object) -> bytes:
    return pickle.dumps(obj, protocol=2)


def _batch(name: str, n: int, classes: int, labels_key: bytes, rng: np.random.Generator) -> bytes:
    labels = [int(x) for x in rng.integers(0, classes, n)]
    return _pickled({b"batch_label": name.encode(), b"filenames": [f"{name}_{i}.png".encode() for i in range(n)],
                     b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8), labels_key: labels})


def _tar(folder: str, files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def cifar10_archive(per_batch: int = 10, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    files = {f"data_batch_{i}": _batch(f"data_batch_{i}", per_batch, 10, b"labels", rng) for i in range(1, 6)}
    files["test_batch"] = _batch("test_batch", per_batch, 10, b"labels", rng)
    files["batches.meta"] = _pickled({b"label_names": [n.encode() for n in CIFAR10_NAMES],
                                      b"num_cases_per_batch": per_batch, b"num_vis": 3072})
    return _tar("cifar-10-batches-py", files)


def cifar100_archive(n: int = 30, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    files = {"train": _batch("train", n, 100, b"fine_labels", rng),
             "test": _batch("test", n // 3, 100, b"fine_labels", rng),
             "meta": _pickled({b"fine_label_names": [f"fine_{i}".encode() for i in range(100)],
                               b"coarse_label_names": [f"coarse_{i}".encode() for i in range(20)]})}
    return _tar("cifar-100-python", files)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@dataclass
class Server:
    files: dict[str, bytes]
    mode: str = "ok"
    ranges: list[str | None] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


class _Handler(http.server.BaseHTTPRequestHandler):
    server: http.server.ThreadingHTTPServer
    state: Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        s = self.state
        s.ranges.append(self.headers.get("Range"))
        if s.mode == "silent":
            s.release.wait(30)
            return
        data = s.files.get(self.path.lstrip("/"))
        if data is None:
            self.send_error(404)
            return
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        start = int(match.group(1)) if match else 0
        body = data[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if s.mode == "truncate" and len(s.ranges) == 1:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - http.server's signature
        pass


@contextmanager
def serve(files: dict[str, bytes], mode: str = "ok") -> Iterator[Server]:
    state = Server(files, mode)
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
