"""The shared deployment's shape on one machine, without containers: a PostgreSQL server, two app replicas on
two ports, and nginx on loopback in front of them with the repository's own deploy/nginx/danvan.conf, over TLS with
a certificate the test makes.

In Chromium through nginx an officer signs in, uploads and saves a year; the replica that did not serve that
browser, opened directly, has the year (and knows the session: sign-in lives in the database); a unit account
through nginx sees only its unit. nginx's access log shows the stickiness: the upload reached the replica that
held the browser's WebSocket."""

import base64
import os
import re
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

from scoring.accounts import FIRST_PASSWORD_FILE
from scoring.store import Store
from tests.servers import ROOT, app_server, free_port
from tests.signing import PASSWORD, add_account
from tests.test_browser import SAMPLE, TITLES, fill_sign_in, heading, new_context, open_page, upload_and_save

CONF = ROOT / "deploy" / "nginx" / "danvan.conf"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made for the test."""
    crt, key = folder / "danvan.crt", folder / "danvan.key"
    made = subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(crt),
        ],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    return crt, key


def nginx_config(folder: Path, ports: tuple[int, int], replicas: list[int]) -> Path:
    """The repository's site, with loopback ports, the test's certificate and origin, and the test's folders."""
    site = CONF.read_text("utf-8")
    for name, replica in zip(("app1:8501", "app2:8501"), replicas):
        assert f"server {name}" in site
        site = site.replace(f"server {name}", f"server 127.0.0.1:{replica}")
    crt, key = certificate(folder)
    for written, used in (
        ("listen 80;", f"listen 127.0.0.1:{ports[0]};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{ports[1]} ssl;"),
        ("/etc/nginx/tls/danvan.crt", str(crt)),
        ("/etc/nginx/tls/danvan.key", str(key)),
        ('"https://danvan.example.vn"', f'"https://127.0.0.1:{ports[1]}"'),
        ("/var/log/nginx/danvan.access.log", str(folder / "access.log")),
    ):
        assert written in site, written
        site = site.replace(written, used)
    temp = "\n".join(
        f"  {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the test's private folder
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
        f"daemon off;\nevents {{ worker_connections 512; }}\nhttp {{\n{temp}\n"
        f"  access_log {folder / 'access.log'};\n{site}\n}}\n",
        "utf-8",
    )
    return main


UNVERIFIED = ssl._create_unverified_context()  # the test's own self-signed certificate


@contextmanager
def nginx_in_front(nginx: str, folder: Path, replicas: list[int]):
    """nginx on two loopback ports (HTTP, HTTPS); yields the HTTPS address and the HTTP one."""
    ports = (free_port(), free_port())
    config = nginx_config(folder, ports, replicas)
    check = subprocess.run([nginx, "-t", "-p", str(folder), "-c", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([nginx, "-p", str(folder), "-c", str(config)], stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode()
            try:
                with urllib.request.urlopen(
                    f"https://127.0.0.1:{ports[1]}/_stcore/health", timeout=2, context=UNVERIFIED
                ) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                assert time.time() < deadline, "nginx never answered through to the app"
                time.sleep(0.3)
        yield f"https://127.0.0.1:{ports[1]}", f"http://127.0.0.1:{ports[0]}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def websocket_status(front: str, origin: str) -> int:
    """The status nginx answers a WebSocket handshake on /_stcore/stream sent with this Origin."""
    host, port = front.removeprefix("https://").split(":")
    with (
        socket.create_connection((host, int(port)), timeout=10) as raw,
        UNVERIFIED.wrap_socket(raw, server_hostname=host) as tls,
    ):
        tls.sendall(
            (
                f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: {origin}\r\n\r\n"
            ).encode()
        )
        return int(tls.recv(1024).split(b" ", 2)[1])


def upstreams(log: Path, path: str) -> list[str]:
    return re.findall(rf'"[A-Z]+ {re.escape(path)}[^"]*" \d+ \d+ upstream=([\d.:]+)', log.read_text("utf-8"))


def check_tls_front(front: str, plain: str) -> None:
    """HTTP only redirects; HTTPS carries HSTS and the security headers; metrics are not served; the WebSocket
    opens from the site's own origin only."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(f"{plain}/xep-hang?nam=2025", timeout=10)
        raise AssertionError("port 80 served a page")
    except urllib.error.HTTPError as moved:
        assert moved.code == 301 and moved.headers["Location"].startswith("https://")
    with urllib.request.urlopen(f"{front}/", timeout=10, context=UNVERIFIED) as answer:
        headers = answer.headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert len(headers.get_all("Content-Security-Policy")) == 2  # nginx's and the app's (with its script hash)
    assert headers.get_all("X-Frame-Options") == ["DENY"]
    try:
        urllib.request.urlopen(f"{front}/_stcore/metrics", timeout=10, context=UNVERIFIED)
        raise AssertionError("metrics served through the proxy")
    except urllib.error.HTTPError as refused:
        assert refused.code == 404
    assert websocket_status(front, front) == 101
    host, port = front.rsplit(":", 1)
    for other in ("https://evil.example", front.replace("https://", "http://"), f"{host}:{int(port) + 1}"):
        assert websocket_status(front, other) == 403, other


def test_two_replicas_behind_nginx_on_postgresql(postgres_server, nginx, browser, tmp_path):
    url = postgres_server.create_database()
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        # Both replicas start together on an empty database: one migrates, one creates the first admin.
        for port in ports:
            stack.enter_context(app_server(url, seed=False, port=port, data_dir=tmp_path))
        front, plain = stack.enter_context(nginx_in_front(nginx, tmp_path, ports))
        handed = tmp_path / FIRST_PASSWORD_FILE  # the first password: beside the data, owner-only, not in a log
        assert handed.stat().st_mode & 0o777 == 0o600 and not (ROOT / FIRST_PASSWORD_FILE).exists()
        add_account(url, "canbo", "can_bo")
        check_tls_front(front, plain)

        officer = new_context(browser, https=True)
        page = open_page(officer, front, "tai-len")
        fill_sign_in(page, "canbo", PASSWORD)
        page.get_by_role("heading", name=TITLES["tai-len"], level=1).wait_for(timeout=90_000)
        upload_and_save(page, [SAMPLE / "tong_hop_2025.xlsx"], "Năm 2025: năm mới", "45 đơn vị sau khi lưu")
        page.close()  # nginx logs a WebSocket when it closes
        time.sleep(1)
        log = tmp_path / "access.log"
        served = upstreams(log, "/_stcore/upload_file")
        logged = log.read_text("utf-8")
        assert "/_danvan/dang-nhap" in logged and "ma=" not in logged  # the one-time code is not kept
        assert served and set(served) <= set(upstreams(log, "/_stcore/stream")[-1:])  # sticky
        other = next(p for p in ports if not served[-1].endswith(f":{p}"))

        direct = open_page(officer, f"http://127.0.0.1:{other}", "xep-hang")  # the same cookie, another replica
        assert heading(direct) == TITLES["xep-hang"]
        direct.get_by_text("45 đơn vị").first.wait_for(timeout=60_000)
        officer.close()
        assert Store(url).history(2025)[0].imported_by == "canbo"
        add_account(url, "dv07", "don_vi", "DV07")  # a unit the stored year knows

        unit = new_context(browser, https=True)
        page = open_page(unit, front, "")
        fill_sign_in(page, "dv07", PASSWORD)
        page.get_by_role("heading", name=TITLES["don-vi"], level=1).wait_for(timeout=90_000)
        names = dict(zip(*[Store(url).load(2025)[0].units[c] for c in ("code", "name")]))
        page.get_by_text(names["DV07"]).first.wait_for(timeout=60_000)
        text = page.locator("[data-testid='stMain']").first.inner_text()
        assert not [n for c, n in names.items() if c != "DV07" and n in text]
        page.goto(f"{front}/xep-hang")  # no round published: the ranking shows nothing of the others
        page.get_by_text("Chưa có kết quả đợt đánh giá nào được công bố.").wait_for(timeout=60_000)
        page.goto(f"{front}/tai-len")
        assert heading(page) == "Không có quyền truy cập"
        unit.close()
