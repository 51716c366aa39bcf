"""The door: scans and manual check-ins, the scan index, attendance."""
