"""Fan-out of core events to sessions: in-process (the Fanout) by default."""
