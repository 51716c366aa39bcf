"""The event history over HTTP, for auditors."""
