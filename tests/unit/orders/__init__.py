"""Unit tests of orders."""
