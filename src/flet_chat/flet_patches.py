"""Every change Flet Chat makes to Flet 1.0.5's own code, installed in one call (idempotent):
what flet_compat.py and lean_inits.py each explain. `build_main` installs them before the first
session; the benchmark's Flet session floor makes the same call when it is served as ours
(`bench/baselines/flet_session.py --patched`), to tell what a join costs a Flet app that does
nothing else. `tests/unit/test_flet_session_floors.py` checks every `flet_compat.install_*`
is here."""

from __future__ import annotations

from flet_chat.flet_compat import (
    install_event_type_cache,
    install_fast_dataclass_check,
    install_fast_ids,
    install_identity_equal_pages,
    install_late_call_answers,
    install_lean_events,
    install_lean_validation,
    install_param_count_cache,
    install_send_queue,
    install_shared_empty_snapshots,
    install_walk_once,
)
from flet_chat.lean_inits import install_lean_inits


def install_flet_patches() -> None:
    install_walk_once()
    install_lean_validation()
    install_event_type_cache()
    install_fast_ids()
    install_fast_dataclass_check()
    install_send_queue()
    install_lean_events()
    install_shared_empty_snapshots()
    install_late_call_answers()
    install_identity_equal_pages()
    install_param_count_cache()
    install_lean_inits()
