"""Persistence: the event store, its settings, the tables beside the events and their migrations."""
