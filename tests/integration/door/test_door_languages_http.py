"""The door's and admins' pages over HTTP: the language by ``?lang=`` (then remembered in a
cookie), ``Accept-Language`` or ``DEFAULT_LOCALE``, and caches told the answer varies."""

from __future__ import annotations

import pytest

from tests.support.service import Running

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("path", ["/door", "/admin/devices", "/admin/attendance"])
def test_the_pages_language_and_the_switch_remembered(running: Running, path: str) -> None:
    client = running.api.client

    default = client.get(path)
    assert '<html lang="nb">' in default.text  # DEFAULT_LOCALE
    assert default.headers["vary"] == "Accept-Language, Cookie"
    assert "set-cookie" not in default.headers
    english = client.get(path, headers={"Accept-Language": "de;q=0.9, en-GB;q=0.8, nb;q=0.1"})
    assert '<html lang="en">' in english.text

    switched = client.get(f"{path}?lang=en", headers={"Accept-Language": "nb"})
    assert '<html lang="en">' in switched.text
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    remembered = client.get(path, headers={"Accept-Language": "nb"})  # the client keeps it
    assert '<html lang="en">' in remembered.text
    client.cookies.clear()
    assert '<html lang="nb">' in client.get(path, headers={"Accept-Language": "nb"}).text
    assert "set-cookie" not in client.get(f"{path}?lang=xx").headers
