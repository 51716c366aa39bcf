"""Integration tests of the admins' alerts."""
