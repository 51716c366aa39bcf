"""Integration tests of payments and refunds."""
