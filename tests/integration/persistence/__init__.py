"""Integration tests of the event store."""
