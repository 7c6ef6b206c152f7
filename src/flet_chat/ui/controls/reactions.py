"""Reaction chips under a message ("👍 2"): a tap toggles that emoji for whoever tapped (a
RoutedControl: ui/routing.py), the tooltip names who chose it, and each chip is a button of its
own for screen readers."""

from __future__ import annotations

import flet as ft

from flet_chat.core.models import Message, Reaction
from flet_chat.ui import keys
from flet_chat.ui.controls.spoken import silent_text
from flet_chat.ui.routing import ROUTED, RoutedControl

# The routed action of a chip (RoutedEvent.action); its value is "<message id>:<emoji>".
REACT = "react"
# A chip's tooltip names this many people, then "and N more".
TOOLTIP_NAMES = 10


class ReactionChip(RoutedControl, ft.Container):
    """A chip such as "👍 2": a tap toggles that emoji for whoever tapped; the tooltip names
    who chose it (hover, or a long press on touch screens). Screen readers: see
    `reaction_chips`."""

    def __init__(self, message_id: int, reaction: Reaction) -> None:
        super().__init__(
            content=silent_text(f"{reaction.emoji} {len(reaction.users)}"),
            key=keys.reaction_chip(message_id, reaction.emoji),
            tooltip=reacted_by(reaction),
            on_click=ROUTED,
            border_radius=12,
            padding=ft.Padding.symmetric(horizontal=8, vertical=2),
            bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
        )
        self.route = (REACT, f"{message_id}:{reaction.emoji}")


def chip_label(reaction: Reaction) -> str:
    """ "👍 2, reacted by Bob, Cy"."""
    return f"{reaction.emoji} {len(reaction.users)}, reacted by {reacted_by(reaction)}"


def reacted_by(reaction: Reaction) -> str:
    names = list(reaction.users[:TOOLTIP_NAMES])
    more = len(reaction.users) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def reaction_chips(message: Message) -> ft.Row:
    """The chips, each a button of its own for screen readers, named by `chip_label`. The node
    wraps the chip from outside: the chip's tap action must be in it (inside the chip, the tap
    went to the message's node, and activating the message toggled the reaction)."""
    return ft.Row(
        wrap=True,
        spacing=4,
        run_spacing=4,
        controls=[
            ft.Semantics(
                container=True,
                button=True,
                label=chip_label(r),
                content=ReactionChip(message.id, r),
            )
            for r in message.reactions
            if r.users
        ],
    )
