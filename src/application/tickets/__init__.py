"""Tickets: serving them with their QR token, the PDF, and what admins do to them."""
