"""Ticket emails: what is sent, when, and the follower that sends it."""
