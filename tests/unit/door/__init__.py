"""Unit tests of the door."""
