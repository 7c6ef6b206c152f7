"""docs/benchmarks.md's tables from results files: the Flet session's column only where it ran,
and a join's CPU divided by the Flet session's alone."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import render

RESULTS = Path(__file__).parents[2] / "bench" / "results"


def rows(page: str, start: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in page.splitlines()
        if line.startswith(start)
    ]


def test_a_run_before_the_flet_session_has_no_column_for_it() -> None:
    report = json.loads((RESULTS / "20261124T131109Z.json").read_text())

    page = render(report, RESULTS)

    assert "**Flet session**" not in page  # the baselines listed above the tables
    (head,) = rows(page, "| scenario | metric |")
    assert head[2:6] == ["Flet Chat", "Flet Chat, 2 workers", "tutorial", "floor"]


def test_the_join_cpu_is_divided_by_the_flet_sessions_only() -> None:
    report = json.loads((RESULTS / "20261130T063650Z.json").read_text())

    page = render(report, RESULTS)

    (head,) = rows(page, "| scenario | metric |")
    assert "Flet session" in head
    (joins,) = rows(page, "| joins-1000 | server CPU, joins (s) |")
    ratios = dict(zip(head, joins, strict=True))
    assert ratios["ours ÷ Flet session"] == "2.42x"  # 15.57 s against 6.43
    assert ratios["ours ÷ floor"] == ""
    assert ratios["ours ÷ tutorial"] == ""
