"""The worker: followers of the event log, the loop that drives them, and their stalls."""
