"""The door's pages: the scanner (`GET /door`) and the admins' devices and attendance pages.

The pages hold no data: their scripts call the API (a device credential at the door, the
admin's bearer token on the admin pages). Everything they load comes from this service under a
strict Content-Security-Policy: no inline script, no CDN.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.router import Router
from litestar.static_files import create_static_files_router

from adapters.pages import ASSETS_PATH, JinjaPages, Page

STATIC = Path(__file__).parent.parent / "static"


def _html(page: Page) -> Response[str]:
    return Response(page.html, media_type="text/html", headers=page.headers)


class DoorPageController(Controller):
    tags = ["door"]

    @get("/door", sync_to_thread=False, media_type="text/html", operation_id="viewDoorPage")
    def door(self, pages: NamedDependency[JinjaPages]) -> Response[str]:
        """The scanner page for a paired phone: camera, results, today's count, search."""
        return _html(pages.door())

    @get(
        "/admin/devices",
        sync_to_thread=False,
        media_type="text/html",
        operation_id="viewDeviceAdminPage",
    )
    def devices(self, pages: NamedDependency[JinjaPages]) -> Response[str]:
        """Admins add door devices here and show the pairing link as a QR code."""
        return _html(pages.device_admin())

    @get(
        "/admin/attendance",
        sync_to_thread=False,
        media_type="text/html",
        operation_id="viewAttendanceAdminPage",
    )
    def attendance(self, pages: NamedDependency[JinjaPages]) -> Response[str]:
        """Today's attendance of a period, kept up to date while the page is open."""
        return _html(pages.attendance_admin())


def door_assets() -> Router:
    """The pages' scripts and styles, and the QR decoder committed under static/vendor/
    (scripts/build-door-assets refreshes it from web/package-lock.json)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[STATIC],
        name="door-assets",
        cache_control=CacheControlHeader(max_age=300, public=True),
        include_in_schema=False,
    )
