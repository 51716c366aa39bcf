"""How `tickets serve` speaks HTTP: uvicorn with httptools' parser on uvloop's event loop.

Measured on this 2-core machine (`make bench`, the door figures), against uvicorn's
pure-Python h11 on asyncio's loop: `/health` answered 2.2 times the requests per second and
the door and ticket routes 1.1 to 1.6 times; granian measured about the same as this on the routes.

uvloop also turns Nagle's algorithm off on every connection it accepts, including those of the
listening socket that ``--workers N`` hands each HTTP process (``proto`` 0, where asyncio's own
loop leaves it on). With Nagle on, a response's body, sent after its head, waited for the
client's delayed ACK, 40 ms, on every request of a kept-alive connection after the first.
"""

from __future__ import annotations

from typing import Final

HTTP: Final = "httptools"
LOOP: Final = "uvloop"
