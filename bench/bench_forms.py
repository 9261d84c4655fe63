"""5,000 per-unit forms in one read (`python -m scoring validate`), against the parse alone of the same files in one
process with python-calamine, measured side by side; then the same forms in one upload as the upload page saves
them (read, plan, store: `service.import_files`) into an empty store. Usage: python bench/bench_forms.py [--forms N]."""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from figures import figure  # noqa: E402

OUT = ROOT / "bench" / "out" / "forms"
PARSE_ONLY = (
    "import sys, glob, python_calamine as pc\n"
    "for p in sorted(glob.glob(sys.argv[1] + '/*.xlsx')):\n"
    "    wb = pc.CalamineWorkbook.from_path(p)\n"
    "    [wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names]\n"
)


def make_forms(n: int) -> list[Path]:
    """n copies of a sample form, each with its own unit code (edited in the shared strings, as a program would)."""
    source = sorted((ROOT / "sample_data" / "phieu_2025").glob("*.xlsx"))[0]
    with zipfile.ZipFile(source) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    code = source.stem.encode()
    OUT.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = OUT / f"F{i:05d}.xlsx"
        paths.append(path)
        if path.exists():
            continue
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data.replace(code, f"F{i:05d}".encode()))
        path.write_bytes(buffer.getvalue())
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--forms", type=int, default=5000)
    paths = make_forms(ap.parse_args().forms)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", PARSE_ONLY, str(OUT)], check=True)
    parse = time.perf_counter() - t
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "scoring", "validate", *map(str, paths), "--year", "2025"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    whole = time.perf_counter() - t
    print(
        f"{len(paths)} forms: calamine parse alone {parse:.1f} s; `validate` end to end {whole:.1f} s "
        f"(ratio {whole / parse:.1f}); {out.stdout.strip().splitlines()[-1] if out.stdout else out.stderr[-300:]}"
    )
    upload = one_upload(paths)
    print(f"{len(paths)} forms in one upload (read, plan, store into an empty store): {upload:.1f} s")
    figure(f"{len(paths)} per-unit forms, one upload", f"{upload:.1f} s", "≤ 30 s", "132 s (`validate`)")


def one_upload(paths: list[Path]) -> float:
    from scoring import service
    from scoring.store import Store

    store = Store(f"sqlite:///{tempfile.mkdtemp()}/forms.sqlite")
    files = [(p.name, p.read_bytes()) for p in paths]
    t = time.perf_counter()
    plan = service.import_files(store, files, year=2025)
    assert plan.ok and plan.datasets, plan.issues[:3]
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
