"""Runs a command in a pseudo-terminal and types into it, as a person at a terminal would."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import subprocess
import termios
import time
from collections.abc import Mapping, Sequence

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def _take_terminal() -> None:
    # Runs in the child after setsid(): make the pty its controlling terminal, so Ctrl-C typed
    # into it becomes SIGINT for the program, as in a real terminal.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    def __init__(self, argv: Sequence[str], *, env: Mapping[str, str] | None = None) -> None:
        self._master, slave = os.openpty()
        self.process = subprocess.Popen(
            list(argv),
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**os.environ, "TERM": "xterm", **(env or {})},
            start_new_session=True,
            preexec_fn=_take_terminal,
        )
        os.close(slave)
        os.set_blocking(self._master, False)
        self._raw = bytearray()
        self._changed = asyncio.Event()
        asyncio.get_running_loop().add_reader(self._master, self._read)

    def _read(self) -> None:
        try:
            chunk = os.read(self._master, 65536)
        except OSError:  # EIO: the program exited and closed the terminal
            chunk = b""
        if not chunk:
            asyncio.get_running_loop().remove_reader(self._master)
        self._raw += chunk
        self._changed.set()

    @property
    def screen(self) -> str:
        """Everything printed so far, without colour and cursor codes."""
        return ANSI.sub("", self._raw.decode(errors="replace"))

    async def expect(self, pattern: str, *, timeout: float = 30) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            found = re.search(pattern, self.screen)
            if found:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{pattern!r} not on the terminal:\n{self.screen}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def type(self, text: str) -> None:
        os.write(self._master, text.encode())

    async def wait_exit(self, timeout: float = 30) -> int:
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.process.wait, timeout), timeout)
        except (TimeoutError, subprocess.TimeoutExpired):
            raise TimeoutError(f"still running after {timeout}s:\n{self.screen}") from None

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        with contextlib.suppress(RuntimeError, ValueError):
            asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._master)
