"""Fan-out of core events to sessions: in-process (Flet's pubsub hub) by default."""
