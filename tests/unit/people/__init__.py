"""Unit tests of people and identity."""
