"""Course periods: scheduling them and finding them by code."""
