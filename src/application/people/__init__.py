"""Person profiles: a participant's own, and partners an admin adds."""
