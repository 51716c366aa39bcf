"""Emails: their content (jinja2 templates), MIME, and the mailers (outbox, SES, SMTP)."""
