import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    """One backup key for the tests of this process and the servers and commands they start (scoring.signing):
    never the repository's or the user's own folder."""
    os.environ["DANVAN_BACKUP_KEY_FILE"] = str(Path(tempfile.mkdtemp(prefix="danvan-key-")) / "backup.key")


@pytest.fixture(scope="session")
def soffice():
    """LibreOffice's converter; `make test` installs it, so missing it is a failure, not a skip."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice (soffice) is required: run `make test`, which installs it"
    return exe


def convert(soffice: str, src: Path, fmt: str, outdir: Path) -> Path:
    """Save `src` through LibreOffice as `fmt` (xlsx, xls, ods, pdf) in outdir; returns the new path."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = outdir / ".lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            fmt,
            "--outdir",
            str(outdir),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert out.exists(), f"LibreOffice did not produce {out}"
    return out


# ---------------------------------------------------------------- databases for the store tests
#
# Every store test runs on SQLite and on PostgreSQL. The PostgreSQL server is a throwaway one started here, once per
# session (under pytest-xdist: once per worker, each on its own free port and its own directory), unless
# DANVAN_TEST_POSTGRES_URL names a server to use instead (CI). `make system-deps` installs the Debian package
# postgresql, so a missing server is a failure, not a skip.


@dataclass(frozen=True)
class PostgresServer:
    url: str  # SQLAlchemy URL of the maintenance database, postgresql+psycopg://…

    def _conninfo(self, database: str | None = None) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.url).set(drivername="postgresql")
        if database:
            url = url.set(database=database)
        return url.render_as_string(hide_password=False)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"t_{uuid.uuid4().hex}"
        with psycopg.connect(self._conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        with psycopg.connect(self._conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
    )
    assert found, (
        "PostgreSQL is required for the store tests (initdb not found under /usr/lib/postgresql/*/bin): "
        "run `make system-deps` (Debian package postgresql), or set DANVAN_TEST_POSTGRES_URL"
    )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for this session (this xdist worker): DANVAN_TEST_POSTGRES_URL, or a throwaway one."""
    external = os.environ.get("DANVAN_TEST_POSTGRES_URL")
    if external:
        yield PostgresServer(external)
        return
    import pwd

    bindir = _postgres_bin()
    as_root = os.geteuid() == 0
    prefix = ["runuser", "-u", "postgres", "--"] if as_root else []  # initdb refuses to run as root
    # Not under pytest's basetemp: that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix="danvan-pg-"))
    if as_root:
        pw = pwd.getpwnam("postgres")
        os.chown(base, pw.pw_uid, pw.pw_gid)
    data, log = base / "data", base / "server.log"

    def run(*args, **kwargs):
        return subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True, check=False, **kwargs)

    try:
        out = run(
            bindir / "initdb",
            "-D",
            data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            timeout=120,
        )
        assert out.returncode == 0, f"initdb failed:\n{out.stdout}\n{out.stderr}"
        # A server in Vietnam runs on Vietnamese time: naive times would be misread, not only on a UTC box.
        settings = (
            "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections=200 -c timezone=Asia/Ho_Chi_Minh -k {base}"
        )
        for _ in range(5):  # another worker may take the free port between the probe and the start
            port = _free_port()
            out = run(
                bindir / "pg_ctl",
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                data,
                "-l",
                log,
                "-o",
                f"{settings} -p {port}",
                timeout=90,
            )
            if out.returncode == 0:
                break
        else:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            raise AssertionError(f"PostgreSQL did not start:\n{out.stdout}\n{out.stderr}\n{server_log[-3000:]}")
        try:
            yield PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres")
        finally:
            run(bindir / "pg_ctl", "stop", "-m", "fast", "-w", "-D", data, timeout=60)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def clock():
    """A clock the test moves by hand (tests.builders.Clock), starting when the tests' rounds open."""
    from tests.builders import Clock

    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh empty database per test, of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'danvan.sqlite'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


# Tests that need a real outside program are marked, so that `make test-fast` can skip them; `make test` runs all.
@pytest.fixture(scope="session")
def nginx():
    """Debian's nginx; `make test` installs it, so missing it is a failure, not a skip."""
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(exe).exists(), "nginx is required: run `make test`, which installs it"
    return exe


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""
    from playwright.sync_api import sync_playwright

    from tests.servers import ARGS, CHROMIUM

    assert Path(CHROMIUM).exists(), "Chromium is required: run `make test`, which installs it"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


_NEEDS = {
    "soffice": "libreoffice",
    "postgres_server": "postgresql",
    "other_database": "postgresql",
    "browser": "browser",
    "nginx": "nginx",
}


def pytest_collection_modifyitems(items):
    for item in items:
        marks = {mark for fixture, mark in _NEEDS.items() if fixture in item.fixturenames}
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "postgresql" in str(callspec.id):
            marks.add("postgresql")
        for mark in marks:
            item.add_marker(mark)
