"""Unit tests of the admins' alerts."""
