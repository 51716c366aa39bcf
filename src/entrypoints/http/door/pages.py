"""The door's pages: the scanner (`GET /door`) and the admins' devices and attendance pages.

The pages hold no data: their scripts call the API (a device credential at the door, the
admin's bearer token on the admin pages). Everything they load comes from this service under a
strict Content-Security-Policy: no inline script, no CDN.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader, Cookie
from litestar.di import NamedDependency
from litestar.router import Router
from litestar.static_files import create_static_files_router

from adapters.page_locale import COOKIE, COOKIE_MAX_AGE, choose_locale
from adapters.pages import ASSETS_PATH, JinjaPages, Page

STATIC = Path(__file__).parent.parent / "static"


def _locale(request: Request[Any, Any, Any], pages: JinjaPages) -> str:
    return choose_locale(
        asked=request.query_params.get("lang"),
        remembered=request.cookies.get(COOKIE),
        accept_language=request.headers.get("accept-language"),
        supported=pages.tool_locales,
        default=pages.default_locale,
    )


def _html(page: Page, request: Request[Any, Any, Any], locale: str) -> Response[str]:
    cookies = []
    asked = request.query_params.get("lang")
    if asked is not None and asked.strip().lower() == locale.lower():
        # The switch's choice, remembered on the device: it wins over Accept-Language from now.
        cookies.append(
            Cookie(key=COOKIE, value=locale, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax")
        )
    return Response(page.html, media_type="text/html", headers=page.headers, cookies=cookies)


class DoorPageController(Controller):
    tags = ["door"]

    @get("/door", sync_to_thread=False, media_type="text/html", operation_id="viewDoorPage")
    def door(
        self, request: Request[Any, Any, Any], pages: NamedDependency[JinjaPages]
    ) -> Response[str]:
        """The scanner page for a paired phone: camera, results, today's count, search. In the
        language chosen on the device (``?lang=``, then remembered), else the browser's."""
        locale = _locale(request, pages)
        return _html(pages.door(locale), request, locale)

    @get(
        "/admin/devices",
        sync_to_thread=False,
        media_type="text/html",
        operation_id="viewDeviceAdminPage",
    )
    def devices(
        self, request: Request[Any, Any, Any], pages: NamedDependency[JinjaPages]
    ) -> Response[str]:
        """Admins add door devices here and show the pairing link as a QR code."""
        locale = _locale(request, pages)
        return _html(pages.device_admin(locale), request, locale)

    @get(
        "/admin/attendance",
        sync_to_thread=False,
        media_type="text/html",
        operation_id="viewAttendanceAdminPage",
    )
    def attendance(
        self, request: Request[Any, Any, Any], pages: NamedDependency[JinjaPages]
    ) -> Response[str]:
        """Today's attendance of a period, kept up to date while the page is open."""
        locale = _locale(request, pages)
        return _html(pages.attendance_admin(locale), request, locale)


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
