"""The door's browser fixtures (a scanner's service, a scenario on it, chromium), for every
browser test of the door: defined with the first of them, shared from here."""

from tests.integration.door.test_door_browser import door_server, playwright, scenario

__all__ = ["door_server", "playwright", "scenario"]
