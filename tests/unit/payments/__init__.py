"""Unit tests of payments and refunds."""
