"""The one exception the simulator's parts share: a request the server drops unanswered.

Its own module because the app raises it and the HTTP server and the in-process
transport catch it; living in app.py it had both import app lazily, in a circle."""

from __future__ import annotations

import httpx


class ConnectionDropped(httpx.RemoteProtocolError):
    """The server closed the connection without answering (a "reset" fault).
    Over HTTP the socket is closed; in-process callers see this exception."""
