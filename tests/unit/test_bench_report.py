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


def budget(page: str, start: str) -> tuple[str, str]:
    """A budgets row's measured cell and verdict."""
    (row,) = rows(page, start)
    return row[1], row[2]


def test_issue_18s_goals_each_have_a_verdict_from_the_run() -> None:
    report = json.loads((RESULTS / "20261130T063650Z.json").read_text())

    page = render(report, RESULTS)

    measured, verdict = budget(page, "| joins: 1,000 sessions join one process")
    assert verdict == "**FAIL**"  # 15.57 s of CPU for 1,000 joins, 15.91 s to join them all
    assert "15.6 ms a join" in measured
    assert "the Flet session: 6.4 ms a join here, 4.8 ms in a room of 1,000" in measured
    assert budget(page, "| joins: a message sent while they join") == (
        "p99 159.3 ms, missing 0",
        "**pass**",
    )
    assert budget(page, "| memory ≤ 150 KB per joined session at 1,000") == (
        "143.9 KB",
        "**pass**",
    )
    assert budget(page, "| latency: 1,000 sessions on one process") == (
        "p99 81.2 ms, floor 43.5 ms (1.86x)",
        "**pass**",
    )
    assert budget(page, "| collector: no pause over 50 ms") == ("longest 23.2 ms", "**pass**")


def test_a_crowd_goal_fails_past_its_limit_and_is_not_judged_without_its_baseline() -> None:
    report = json.loads((RESULTS / "20261130T063650Z.json").read_text())
    (room,) = [s for s in report["scenarios"] if s["name"] == "room-1000"]
    room["results"]["ours"]["latency_ms"]["p99"] = 87.2  # the floor's 43.55 ms, doubled, is 87.1
    gen1 = room["results"]["ours"]["server"]["health_after_messages"]["gc_pauses"]["gen1"]
    gen1["max_ms"] = 50.1
    (joins,) = [s for s in report["scenarios"] if s["name"] == "joins-1000"]
    joins["results"]["ours"]["during_joins"]["deliveries_missing"] = 1

    page = render(report, RESULTS)

    assert budget(page, "| latency: 1,000 sessions")[1] == "**FAIL**"
    assert budget(page, "| collector: no pause")[1] == "**FAIL**"
    assert budget(page, "| joins: a message sent")[1] == "**FAIL**"

    room["results"]["floor"] = {"status": "error"}
    page = render(report, RESULTS)
    assert budget(page, "| latency: 1,000 sessions")[1] == "not measured"


def test_a_run_without_the_crowds_has_no_rows_for_them() -> None:
    report = json.loads((RESULTS / "20261124T131109Z.json").read_text())
    report["scenarios"] = [s for s in report["scenarios"] if s["sessions"] != 1000]

    page = render(report, RESULTS)

    assert not rows(page, "| joins: ")
    assert not rows(page, "| latency: 1,000")
    assert not rows(page, "| collector: no pause")


def test_the_patched_flet_session_is_a_floor_of_its_own() -> None:
    report = json.loads((RESULTS / "20261201T061244Z-floors-patched.json").read_text())

    page = render(report, RESULTS)

    assert "**Flet session, patched**" in page
    (head,) = rows(page, "| scenario | metric |")
    (room,) = rows(page, "| room-1000 | server CPU, joins (s) |")
    ratios = dict(zip(head, room, strict=True))
    assert ratios["Flet session, patched"] == "4.6"
    assert ratios["ours ÷ Flet session, patched"] == "3.91x"  # 18.01 s against 4.61
    measured, _ = budget(page, "| joins: 1,000 sessions join one process")
    assert "the Flet session, patched: 10.3 ms a join here, 4.6 ms in a room of 1,000" in measured
