import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
        [soffice, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", fmt,
         "--outdir", str(outdir), str(src)],
        check=True, capture_output=True, timeout=180,
    )
    out = outdir / f"{src.stem}.{fmt.split(':')[0]}"
    assert out.exists(), f"LibreOffice did not produce {out}"
    return out
