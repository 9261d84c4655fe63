"""Backups signed with a key kept outside the database, so that a hand-edited backup (an extra administrator, a
forged audit row) is refused instead of restored.

The key is 32 random bytes in a file only its owner reads: DANVAN_BACKUP_KEY_FILE, else `backup.key` in the data
folder (`data_folder`). It is made on the first backup. Whoever restores on another server copies that file too;
a backup signed with another key, or not signed, is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from sqlalchemy import make_url

KEY_FILE = "backup.key"


def data_folder(database_url: str) -> Path:
    """Where the app keeps what is not in the database (the backup key, the first password's file):
    DANVAN_DATA_DIR, else the SQLite file's folder, else ~/.local/share/danvan."""
    if os.environ.get("DANVAN_DATA_DIR"):
        return Path(os.environ["DANVAN_DATA_DIR"])
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).resolve().parent
    return Path.home() / ".local" / "share" / "danvan"


def signing_key(database_url: str) -> bytes:
    """The backup key, made (owner-only) on first use; replicas starting together agree on one file."""
    path = Path(os.environ.get("DANVAN_BACKUP_KEY_FILE") or data_folder(database_url) / KEY_FILE)
    try:
        return bytes.fromhex(path.read_text("ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        return bytes.fromhex(path.read_text("ascii").strip())
    key = secrets.token_bytes(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        out.write(key.hex() + "\n")
    return key


def canonical(content: dict) -> bytes:
    """The bytes signed: the backup without its signature, as JSON with sorted keys (the same whether the content
    was just made or read back from its file)."""
    body = {k: v for k, v in content.items() if k != "signature"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(content: dict, key: bytes) -> str:
    return hmac.new(key, canonical(content), hashlib.sha256).hexdigest()


def signed_by(content: dict, key: bytes) -> bool:
    signature = content.get("signature")
    return isinstance(signature, str) and hmac.compare_digest(signature, sign(content, key))
