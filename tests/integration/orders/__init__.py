"""Integration tests of orders."""
