"""Where a Flet desktop client comes from on a machine that cannot download one from GitHub.

Flet 1.0.5 downloads its Linux client from GitHub on first use. PyPI has no 1.0.x Linux client,
but `flet-desktop-light==0.82.2` carries a 0.82.2 one (`flet_desktop/app/flet-linux-amd64.tar.gz`).
That wheel requires `flet==0.82.2` and holds a `flet_desktop` package of its own, so it is never
installed beside ours: only the wheel is downloaded (`pip download --no-deps`) and the client
unpacked into a cache directory. `desktop_relay` bridges the two protocol versions.

    python -m flet_chat.testing.desktop_client install   # prints the FLET_VIEW_PATH to use
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

CLIENT_PACKAGE = "flet-desktop-light"
CLIENT_VERSION = "0.82.2"
_TARBALL = "flet_desktop/app/flet-linux-amd64.tar.gz"


def cache_dir() -> Path:
    """FLET_CHAT_DESKTOP_CLIENT_DIR, else ~/.cache/flet-chat/flet-desktop-light-0.82.2."""
    configured = os.environ.get("FLET_CHAT_DESKTOP_CLIENT_DIR")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "flet-chat" / f"{CLIENT_PACKAGE}-{CLIENT_VERSION}"


def client_executable(directory: Path | None = None) -> Path:
    return (directory or cache_dir()) / "flet" / "flet"


def write_view_dir(view_dir: Path, *, client: Path, python: str = sys.executable) -> Path:
    """A FLET_VIEW_PATH directory whose `flet` runs the relay in front of `client`."""
    view_dir.mkdir(parents=True, exist_ok=True)
    launcher = view_dir / "flet"
    command = [python, "-m", "flet_chat.testing.desktop_relay", "--client", str(client)]
    launcher.write_text(f'#!/bin/sh\nexec {shlex.join(command)} "$@"\n')
    launcher.chmod(0o755)
    return view_dir


def install(directory: Path | None = None) -> Path:
    """Downloads the wheel (once) and unpacks its client; returns the FLET_VIEW_PATH to use."""
    directory = directory or cache_dir()
    client = client_executable(directory)
    if not client.is_file():
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=directory) as download:
            subprocess.run(
                [
                    *(sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"),
                    *("--disable-pip-version-check", "--dest", download),
                    f"{CLIENT_PACKAGE}=={CLIENT_VERSION}",
                ],
                check=True,
            )
            (wheel,) = Path(download).glob("*.whl")
            unpacked = Path(download) / "client"
            with (
                zipfile.ZipFile(wheel) as archive,
                archive.open(_TARBALL) as tarball,
                tarfile.open(fileobj=tarball, mode="r:gz") as client_files,
            ):
                client_files.extractall(unpacked, filter="data")
            # Complete or absent: a half-unpacked client is never left under the final name.
            shutil.rmtree(directory / "flet", ignore_errors=True)
            (unpacked / "flet").rename(directory / "flet")
    return write_view_dir(directory / "view", client=client)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m flet_chat.testing.desktop_client install", file=sys.stderr)
        return 2
    print(install())
    return 0


if __name__ == "__main__":
    sys.exit(main())
