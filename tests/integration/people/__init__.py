"""Integration tests of people and identity."""
