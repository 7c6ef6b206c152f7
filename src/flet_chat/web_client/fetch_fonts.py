"""Downloads the web client's fallback fonts (Noto, OFL) from the npm registry and lays them out
under the paths the Flutter engine asks for (`fonts.lock.json` says which file goes where).

Standard library only, so it runs in a bare Python (the Docker build) as well as in .venv.
Cached: a directory already holding everything the lock names is left alone, so it works with
no network once done. `python -m flet_chat.web_client.fetch_fonts [DEST]`."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

LOCK_PATH = Path(__file__).with_name("fonts.lock.json")
DEFAULT_REGISTRY = "https://registry.npmjs.org"
STAMP = ".lock-sha256"
# The only shape a lock entry may write (and the font route serves): family/vN/file.woff2.
ENGINE_PATH = re.compile(r"[a-z0-9]{1,64}/v[0-9]{1,4}/[A-Za-z0-9_-]{1,200}(\.[0-9]{1,4})?\.woff2")
LICENSES = "LICENSES"  # each package's licence (all SIL Open Font License 1.1)


def lock_digest(lock_path: Path = LOCK_PATH) -> str:
    return hashlib.sha256(lock_path.read_bytes()).hexdigest()


def is_complete(dest: Path, lock_path: Path = LOCK_PATH) -> bool:
    stamp = dest / STAMP
    return stamp.is_file() and stamp.read_text().strip() == lock_digest(lock_path)


def tarball_url(registry: str, package: str, version: str) -> str:
    bare = package.split("/")[-1]
    return f"{registry.rstrip('/')}/{package}/-/{bare}-{version}.tgz"


def check_integrity(data: bytes, integrity: str) -> None:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"unsupported integrity {integrity!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError(f"integrity mismatch: expected {expected}, got {actual}")


def download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:
        data: bytes = response.read()
        return data


def lay_out(dest: Path, *, registry: str, lock_path: Path = LOCK_PATH) -> None:
    """Downloads every package the lock names, checks its sha512, and moves the finished
    directory into place in one rename: an interrupted run leaves the old one (or none)."""
    lock = json.loads(lock_path.read_text())
    wanted: dict[str, dict[str, list[str]]] = {}  # package -> member -> engine paths
    for engine_path, (package, member) in lock["fonts"].items():
        if not ENGINE_PATH.fullmatch(engine_path):
            raise ValueError(f"not a font path: {engine_path!r}")
        wanted.setdefault(package, {}).setdefault(f"package/{member}", []).append(engine_path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".web-fonts-", dir=dest.parent))
    try:
        (staging / LICENSES).mkdir()
        for package, members in sorted(wanted.items()):
            pin = lock["packages"][package]
            url = tarball_url(registry, package, pin["version"])
            print(f"fetch-fonts: {package}@{pin['version']}", file=sys.stderr)
            data = download(url)
            check_integrity(data, pin["integrity"])
            found = set()
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
                for entry in archive:
                    if entry.name == "package/LICENSE" and entry.isfile():
                        extracted = archive.extractfile(entry)
                        assert extracted is not None
                        licence = staging / LICENSES / f"{package.replace('/', '__')}.txt"
                        licence.write_bytes(extracted.read())
                    if entry.name not in members or not entry.isfile():
                        continue
                    extracted = archive.extractfile(entry)
                    assert extracted is not None
                    content = extracted.read()
                    for engine_path in members[entry.name]:
                        target = staging / engine_path
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(content)
                    found.add(entry.name)
            missing = set(members) - found
            if missing:
                raise ValueError(f"{package} lacks {sorted(missing)[:3]}")
        (staging / STAMP).write_text(lock_digest(lock_path) + "\n")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    dest = Path(args[0] if args else "web-fonts")
    if is_complete(dest):
        return 0
    registry = os.environ.get("NPM_CONFIG_REGISTRY") or DEFAULT_REGISTRY
    try:
        lay_out(dest, registry=registry)
    except (OSError, ValueError) as error:  # URLError is an OSError
        print(f"fetch-fonts: failed: {error}", file=sys.stderr)
        return 1
    print(f"fetch-fonts: fallback fonts ready in {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
