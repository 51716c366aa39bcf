"""Unit tests of auditing."""
