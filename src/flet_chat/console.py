"""`flet-chat console --url URL --name NAME`: the seed's desktop console, in a terminal.

With a personal access token (made in the profile; `--token` or FLET_CHAT_TOKEN) it joins as
that account; with a name alone, as a guest. When the server signs it out (the token revoked) it
says so and exits with status 1.

It speaks the Socket.IO API (api/schemas.py): joins #general, prints the recent history, then
live messages; a line typed and Enter sends it (slash commands too); Ctrl-D or Ctrl-C leaves.
`/join ROOM` (or `/join @NAME`, `/dm NAME`) switches the room lines go to; the prompt names it
("#dev> ") outside #general, and messages of the user's other rooms show with their room.
Bots' and integrations' words are indented and blue, as the seed console showed its answers.
Chat messages are Markdown, printed in their plain form (core/markdown.py `plain_text`).
The python-socketio client runs its own thread; the terminal is read on the main thread.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any, TextIO

import socketio

from flet_chat.core.markdown import plain

PROMPT = "> "
ANSWER_INDENT = "     >>>>> "  # the seed console's answer prefix
BLUE, ITALIC, DIM, RESET = "\x1b[34m", "\x1b[3m", "\x1b[2m", "\x1b[0m"
CALL_TIMEOUT = 15


def format_line(message: dict[str, Any], *, color: bool) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{RESET}" if color else text

    stamp = datetime.fromisoformat(message["created_at"]).strftime("%H:%M")
    name, text, kind = message["user_name"], message["text"], message["kind"]
    if kind == "action":
        return paint(ITALIC, f"[{stamp}] * {name} {text}")
    if kind == "topic":
        return paint(DIM, f"[{stamp}] {name} set the topic: {text}")
    if kind != "chat":  # join and leave notices
        return paint(DIM, f"[{stamp}] {text}")
    text = plain(text)  # Markdown as it reads: no marks, links "text (url)", code indented
    if message.get("author_kind", "user") != "user":
        badge = "BOT" if message["author_kind"] == "bot" else "APP"
        answer = "\n".join(ANSWER_INDENT + line for line in text.split("\n"))
        return f"[{stamp}] {name} [{badge}]\n" + paint(BLUE, answer)
    return f"[{stamp}] {name}: {text}"


class Console:
    def __init__(
        self,
        url: str,
        name: str | None,
        *,
        token: str | None = None,
        stdin: TextIO,
        stdout: TextIO,
    ) -> None:
        self.url = url
        self.name = name
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty() and stdout.isatty()
        self.sio = socketio.Client(reconnection=True)
        self.user_name: str | None = None
        self.token = token
        self.exit_code = 0
        self.room, self.room_title = "general", "#general"
        self._printed: set[int] = set()
        self._titles: dict[str, str] = {}  # room key -> "#dev" or "@Bob"
        self._lock = threading.Lock()
        self._joined_once = False
        self._leaving = False
        self._leave_lock = threading.Lock()
        self.sio.on("message", self._on_message)
        self.sio.on("membership", self._on_membership)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("signed_out", self._on_signed_out)

    @property
    def prompt(self) -> str:
        return PROMPT if self.room == "general" else f"{self.room_title}{PROMPT}"

    def show(self, line: str) -> None:
        """Print above the prompt without mangling what the user is typing."""
        with self._lock:
            if self.interactive:
                buffer = _line_buffer()
                self.stdout.write(f"\r\x1b[K{line}\n{self.prompt}{buffer}")
            else:
                self.stdout.write(line + "\n")
            self.stdout.flush()

    def _show_message(self, message: dict[str, Any]) -> None:
        if self._leaving:
            return  # events still in flight while we disconnect: nothing after "Bye."
        if message["id"] in self._printed:
            return  # history and live events overlap; a reconnect replays
        self._printed.add(message["id"])
        line = format_line(message, color=self.interactive)
        room = message.get("room", "general")
        # Another of the user's rooms: say which (a direct conversation by its key's owner).
        self.show(line if room == self.room else f"[{self._titles.get(room, '#' + room)}] {line}")

    def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("kind") == "chat" and message.get("user_name") == self.user_name:
            self._printed.add(message["id"])  # the terminal already shows what we typed
            return
        self._show_message(message)

    def _on_membership(self, event: dict[str, Any]) -> None:
        room = event["room"]
        self._titles[room["key"]] = room["title"]
        if event["joined"] and room["kind"] == "direct" and room["key"] != self.room:
            self.show(f"{room['title']} opened a conversation with you: /join {room['title']}")

    def _on_connect(self) -> None:
        if self._joined_once:  # a reconnect: join again as the same user, in the background
            self.sio.start_background_task(self._join)

    def _on_disconnect(self, *_args: Any) -> None:
        if self._joined_once and not self._leaving:
            self.show("(connection lost; reconnecting...)")

    def _on_signed_out(self, event: dict[str, Any]) -> None:
        """The session ended (its token revoked, say): say why and stop."""
        self.show(str(event.get("reason") or "You were signed out."))
        self.exit_code = 1
        # The main thread waits in input(): SIGINT wakes it, and it leaves as on Ctrl-C.
        os.kill(os.getpid(), signal.SIGINT)

    def _join(self) -> bool:
        request: dict[str, Any] = {"room": self.room}
        if self.name is not None:
            request["name"] = self.name
        if self.token is not None:
            request["token"] = self.token
        ack = self.sio.call("join", request, timeout=CALL_TIMEOUT)
        if not ack.get("ok"):
            self.show(f"Could not join: {ack['error']['message']}")
            return False
        self.user_name, self.token = ack["user_name"], ack.get("token")
        for message in ack["messages"]:
            self._show_message(message)
        if not self._joined_once:
            if ack.get("topic"):
                self.show(f"Topic of #general: {ack['topic']}")
            self.show(f"Joined #general as {self.user_name}. Enter sends; Ctrl-D leaves.")
        self._joined_once = True
        return True

    def run(self) -> int:
        try:
            # WebSocket only: one connection, so it works against `serve --workers N` too, where
            # long-polling requests could land on different processes.
            with _sigint_for_main_thread_only():
                self.sio.connect(self.url, transports=["websocket"], wait_timeout=CALL_TIMEOUT)
                if self.interactive:
                    self._watch_ctrl_c()
        except socketio.exceptions.ConnectionError as error:
            self.stdout.write(f"flet-chat console: cannot connect to {self.url}: {error}\n")
            return 1
        with _keys_kept_between_prompts(self.stdin if self.interactive else None):
            try:
                if not self._join():
                    self._leave()
                    return 1
                self._read_loop()
            except KeyboardInterrupt:
                pass
            self._leave()
        return self.exit_code

    def _leave(self) -> None:
        """Disconnect and say goodbye, once, from whichever thread gets here first."""
        with self._leave_lock:
            if self._leaving:
                return
            self._leaving = True
            with contextlib.suppress(Exception):
                self.sio.disconnect()
            self.stdout.write("\nBye.\n")
            self.stdout.flush()

    def _watch_ctrl_c(self) -> None:
        """Ctrl-C that readline would miss. CPython's readline checks for signals only when its
        select() is interrupted, so a SIGINT landing just before it starts waiting is lost and
        the console ignored Ctrl-C (about one time in five, right after a prompt). Python's C
        signal handler writes every signal to the wakeup fd at once, whatever the main thread is
        doing; this thread then leaves and exits, restoring the terminal readline changed."""
        try:
            import termios
        except ImportError:  # pragma: no cover - Windows: Ctrl-C reaches input() there
            return
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        saved = termios.tcgetattr(self.stdin.fileno())

        def watch() -> None:
            while signal.SIGINT not in os.read(read_fd, 64):
                pass
            self._leave()
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self.stdin.fileno(), termios.TCSADRAIN, saved)
            os._exit(self.exit_code)

        threading.Thread(target=watch, name="ctrl-c", daemon=True).start()

    def _read_loop(self) -> None:
        while True:
            try:
                line = input(self.prompt) if self.interactive else self.stdin.readline()
            except EOFError:
                return
            if not self.interactive and line == "":
                return  # end of piped input
            text = line.rstrip("\n")
            if not text.strip():
                continue
            command, _, argument = text.strip().partition(" ")
            if command in ("/join", "/dm") and argument.strip():
                target = argument.strip()
                self._switch(f"@{target.lstrip('@')}" if command == "/dm" else target)
            else:
                self._send(text)

    def _call(self, event: str, data: dict[str, Any]) -> dict[str, Any] | None:
        try:
            ack: dict[str, Any] = self.sio.call(event, data, timeout=CALL_TIMEOUT)
        except socketio.exceptions.TimeoutError:
            self.show("The server did not answer. Try again.")
            return None
        return ack

    def _switch(self, target: str) -> None:
        """`/join dev`, `/join @Bob`, `/dm Bob`: lines go to that room from now on."""
        if target.startswith("@"):  # a conversation is made on first use
            opened = self._call("open_direct", {"user_name": target[1:]})
            if opened is None or not opened.get("ok"):
                if opened is not None:
                    self.show(f"Cannot open it: {opened['error']['message']}")
                return
            target = opened["room"]["key"]
        ack = self._call("join_room", {"room": target})
        if ack is None:
            return
        if not ack.get("ok"):
            self.show(f"Cannot join: {ack['error']['message']}")
            return
        room = ack["room"]
        self._titles[room["key"]] = room["title"]
        self.room, self.room_title = room["key"], room["title"]
        for message in ack["messages"]:
            self._show_message(message)
        topic = f" Topic: {ack['topic']}" if ack.get("topic") else ""
        self.show(f"Now in {self.room_title}.{topic}")

    def _send(self, text: str) -> None:
        request = {"text": text, "client_id": uuid.uuid4().hex, "room": self.room}
        ack = self._call("send", request)
        if ack is None:
            return
        if not ack.get("ok"):
            self.show(f"Not sent: {ack['error']['message']}")
        elif ack.get("hint"):
            self.show(ack["hint"])


@contextlib.contextmanager
def _sigint_for_main_thread_only() -> Iterator[None]:
    """Threads started inside inherit a blocked SIGINT. Otherwise the kernel may hand Ctrl-C to
    a Socket.IO thread, and the main thread, waiting in readline's select(), never wakes to raise
    KeyboardInterrupt (seen: the console ignored Ctrl-C about one time in five)."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: Ctrl-C reaches the main thread
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _keys_kept_between_prompts(stdin: TextIO | None) -> Iterator[None]:
    """Keep the terminal in readline's key-at-a-time mode between prompts too. In the normal
    (canonical) mode the kernel turns a Ctrl-D typed while a line is being sent into a NUL byte
    once readline takes the terminal back, so that Ctrl-D was silently ignored (seen in a test
    run: Ctrl-D right after a bot's answer, whose send was still waiting for its ack)."""
    try:
        import termios
    except ImportError:  # pragma: no cover - Windows has no termios
        yield
        return
    if stdin is None:
        yield
        return
    fd = stdin.fileno()
    saved = termios.tcgetattr(fd)
    keyed = termios.tcgetattr(fd)
    keyed[3] &= ~(termios.ICANON | termios.ECHO)  # signals (Ctrl-C) stay on
    keyed[6][termios.VMIN], keyed[6][termios.VTIME] = 1, 0
    termios.tcsetattr(fd, termios.TCSANOW, keyed)
    try:
        yield
    finally:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _line_buffer() -> str:
    try:
        import readline
    except ImportError:  # pragma: no cover - not on Windows
        return ""
    return readline.get_line_buffer()


def run_console(url: str, name: str | None, token: str | None = None) -> int:
    return Console(url, name, token=token, stdin=sys.stdin, stdout=sys.stdout).run()
