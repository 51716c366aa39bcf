"""Tickets over HTTP: JSON, PDF, web page, resend, and the admins' token changes."""
