"""Course periods over HTTP."""
