"""A real HTTP server on 127.0.0.1 for model downloads, and archives laid out like Vosk models.

The server is http.server in a thread on a random free port; it serves archives the tests build,
records every request's headers, and can cut a response half-way, hold it half-way until told
to go on, or ignore Range headers the way some servers do.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voice_skill.asr.models import ModelInfo

HOLD_SECONDS = 60.0
"""A held response waits at most this long for `release` (seconds)."""


NAME = "vosk-model-test-0.1"
LAYOUT = {
    "am/final.mdl": b"acoustic model " * 4000,
    "conf/model.conf": b"--min-active=200\n",
    "conf/mfcc.conf": b"--use-energy=false\n",
    "graph/HCLr.fst": os.urandom(50_000),  # incompressible, so the archive has real length
    "graph/phones/word_boundary.int": b"1 nonword\n",
    "README": b"test model\n",
}


def build_zip(entries: dict[str, bytes], top: str | None = NAME) -> bytes:
    """A zip archive of `entries`, under one top folder as alphacephei's archives are."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(f"{top}/{name}" if top else name, data)
    return buffer.getvalue()


def info_for(data: bytes, base: str, name: str = NAME) -> ModelInfo:
    """A catalog entry that matches `data` exactly, served from `base`."""
    return ModelInfo(
        name=name, url=f"{base}/{name}.zip", size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(), md5=hashlib.md5(data).hexdigest(),
        language="xx", description="built by the test", source="tests/test_models.py",
    )


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    honour_range: bool = True
    cuts_left: int = 0
    """How many next responses send only half their body, then close the connection."""
    statuses: list[int] = field(default_factory=list)
    hold_half: bool = False
    """Send half of each body, set `held`, and send the rest once `release` is set."""
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


def make_handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers.items())))
            body = state.files.get(self.path)
            if body is None:
                state.statuses.append(404)
                self.send_error(404)
                return
            start, status = 0, 200
            match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
            if match and state.honour_range:
                start, status = int(match.group(1)), 206
                if start >= len(body):
                    state.statuses.append(416)
                    self.send_error(416)
                    return
            payload = body[start:]
            state.statuses.append(status)
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            self.end_headers()
            if state.cuts_left:
                state.cuts_left -= 1
                payload = payload[: len(payload) // 2]
            if state.hold_half:
                self._send_held(payload)
            else:
                self.wfile.write(payload)

        def _send_held(self, payload: bytes) -> None:
            half = len(payload) // 2
            self.wfile.write(payload[:half])
            self.wfile.flush()
            state.held.set()
            state.release.wait(HOLD_SECONDS)
            try:
                self.wfile.write(payload[half:])
            except OSError:
                pass  # the client went away while held (the point of holding)

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep pytest output clean

    return Handler


@dataclass
class Server:
    base: str
    state: ServerState

    def serve(self, data: bytes, name: str = NAME) -> ModelInfo:
        self.state.files[f"/{name}.zip"] = data
        return info_for(data, self.base, name)


@pytest.fixture(name="server")
def server_fixture() -> Iterator[Server]:
    """A model server on 127.0.0.1 at a free port, serving what `Server.serve` is given."""
    state = ServerState()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", state)
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join()
