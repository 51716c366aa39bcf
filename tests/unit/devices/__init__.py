"""Unit tests of door devices."""
