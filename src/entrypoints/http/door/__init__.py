"""The door over HTTP: scans, search, offline lists, attendance, the pages."""
