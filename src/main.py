"""Entry for `flet run` (desktop window) and `flet run --web`, from the project root."""

import flet as ft

from flet_chat.bootstrap import Runtime
from flet_chat.settings import Settings
from flet_chat.ui.app import build_main

main = build_main(Runtime(Settings()))

if __name__ == "__main__":
    ft.run(main)
