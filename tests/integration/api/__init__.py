"""Integration tests of the HTTP API as a whole."""
