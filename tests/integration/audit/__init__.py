"""Integration tests of auditing."""
