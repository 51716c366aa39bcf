"""The door's pages: the scanner (`GET /door`) and the admins' devices and attendance pages.

The pages hold no data: their scripts call the API (a device credential at the door, the
admin's bearer token on the admin pages). Everything they load comes from this service under a
strict Content-Security-Policy: no inline script, no CDN.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency
from litestar.router import Router
from litestar.static_files import create_static_files_router

from adapters.brand import Brand

TEMPLATES = Path(__file__).parent.parent / "templates"
STATIC = Path(__file__).parent.parent / "static"
ASSETS_PATH = "/door/assets"


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_headers(*, camera: bool = False) -> dict[str, str]:
    return {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
            " media-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none';"
            " frame-ancestors 'none'"
        ),
        "Permissions-Policy": "camera=(self)" if camera else "camera=()",
        # The pairing code is in the door page's first URL: keep it out of caches and Referers.
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "X-Robots-Tag": "noindex, nofollow",
    }


def _page(template: str, brand: Brand, *, camera: bool = False) -> Response[str]:
    html = (
        _environment().get_template(template).render(assets=ASSETS_PATH, school=brand.school_name)
    )
    return Response(html, media_type="text/html", headers=page_headers(camera=camera))


class DoorPageController(Controller):
    tags = ["door"]

    @get("/door", sync_to_thread=False, media_type="text/html", operation_id="viewDoorPage")
    def door(self, brand: NamedDependency[Brand]) -> Response[str]:
        """The scanner page for a paired phone: camera, results, today's count, search."""
        return _page("door.html", brand, camera=True)

    @get(
        "/admin/devices",
        sync_to_thread=False,
        media_type="text/html",
        operation_id="viewDeviceAdminPage",
    )
    def devices(self, brand: NamedDependency[Brand]) -> Response[str]:
        """Admins add door devices here and show the pairing link as a QR code."""
        return _page("admin_devices.html", brand)

    @get(
        "/admin/attendance",
        sync_to_thread=False,
        media_type="text/html",
        operation_id="viewAttendanceAdminPage",
    )
    def attendance(self, brand: NamedDependency[Brand]) -> Response[str]:
        """Today's attendance of a period, kept up to date while the page is open."""
        return _page("admin_attendance.html", brand)


def door_assets() -> Router:
    """The pages' scripts and styles, and the vendored QR decoder (scripts/build-door-assets)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[STATIC],
        name="door-assets",
        cache_control=CacheControlHeader(max_age=300, public=True),
        include_in_schema=False,
    )
