"""How many SQL statements a guest's join costs the server, and which.

    .venv/bin/python -m bench.join_statements            # 200 joins after 20, SQLite

Starts the server as `bench.run` does (`bench/servers.py`, a temp data dir), with this folder's
`sitecustomize.py` counting every statement it runs. 20 sessions join first (caches warm), then
`--joins` more, as the benchmark's joins do (50 at a time); the counts between the two are
divided by the joins. Each statement's count per join and the total are printed; results go to
bench/results/join-statements-<UTC timestamp>.json.
"""
