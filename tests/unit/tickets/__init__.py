"""Unit tests of tickets."""
