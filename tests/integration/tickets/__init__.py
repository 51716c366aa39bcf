"""Integration tests of tickets."""
