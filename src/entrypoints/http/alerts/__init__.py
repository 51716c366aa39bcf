"""The admins' alert list over HTTP."""
