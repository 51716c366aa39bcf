"""Integration tests of door devices."""
