"""Profiles and partners over HTTP."""
