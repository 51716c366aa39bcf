"""Integration tests of the door."""
