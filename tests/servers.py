"""Servers the end-to-end tests start: the app the README's way, and Chromium's path and flags."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(
    database_url: str, seed: bool, terminal: Path | None = None, port: int | None = None, data_dir: Path | None = None
):
    """A fresh server started the README's way (`python app.py`, as `make run` does); fails if it never answers.
    What it prints on its terminal goes to `terminal` when given; `data_dir`: its DANVAN_DATA_DIR (a server on
    PostgreSQL keeps the first password's file there, never in the repository)."""
    port = port or free_port()
    env = dict(os.environ, DANVAN_DATABASE_URL=database_url, DANVAN_SEED_SAMPLE="1" if seed else "0")
    if data_dir is not None:
        env["DANVAN_DATA_DIR"] = str(data_dir)
    out = open(terminal, "w") if terminal else subprocess.DEVNULL  # noqa: SIM115 - the server's, closed with it
    proc = subprocess.Popen(
        [sys.executable, "app.py", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"the app exited with {proc.returncode}: {proc.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if time.time() > deadline:
                raise AssertionError("the app never answered on /_stcore/health")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if terminal:
            out.close()
