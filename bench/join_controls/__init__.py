"""How many controls Flet's diffs send at a guest's join, and from where (rows sent
ready-made, such as #general's newest messages, are not among them: they go out without a
diff).

    .venv/bin/python -m bench.join_controls            # 100 joins after 20

Each control a session's page gets costs the server its diff, its encoding and its memory for
as long as the session lives. This starts the server as `bench.run` does (`bench/servers.py`,
a temp data dir), with this folder's `sitecustomize.py` counting the controls each of Flet's
diffs adds, by type and by the line of ours that sent them. 20 sessions join first (caches
warm), then `--joins` more; the counts between the two are divided by the joins. Results go
to bench/results/join-controls-<UTC timestamp>.json.
"""
