"""What the browser gets before the Flet client runs: the served index.html and its patches."""
