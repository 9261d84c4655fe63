"""The two routes that set and clear the session cookie. A session is a random token in an HttpOnly cookie
(`danvan_phien`) that no script of a page can read; the store knows which account it stands for (see
scoring.accounts). A Streamlit page cannot set a cookie, so a fresh sign-in sends the browser once to
`/_danvan/dang-nhap?ma=<one-time code>`, which exchanges the code for the cookie and sends the browser back to the
page it asked for."""

from __future__ import annotations

import hashlib
import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from scoring.web.opened import accounts

COOKIE = "danvan_phien"
SIGN_IN_ROUTE = "/_danvan/dang-nhap"
SIGN_OUT_ROUTE = "/_danvan/dang-xuat"


def _local(path: str | None) -> str:
    """Only a path of this site: never send a browser elsewhere after signing in."""
    return path if path and path.startswith("/") and not path.startswith("//") and "\\" not in path else "/"


def _no_store(response: RedirectResponse) -> RedirectResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


async def _set_cookie(request: Request) -> RedirectResponse:
    token = await run_in_threadpool(accounts().redeem_code, request.query_params.get("ma", ""))
    response = RedirectResponse(_local(request.query_params.get("tiep")), status_code=303)
    if token:
        https = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=https, path="/")
    return _no_store(response)


def sign_out_proof(token: str | None) -> str:
    """What a sign-out request carries besides the cookie: derived from the session token, which no page and no
    other site can read (HttpOnly), so a link or an image to the route signs nobody out."""
    return hmac.new(b"danvan-dang-xuat", (token or "").encode(), hashlib.sha256).hexdigest()


async def _clear_cookie(request: Request) -> RedirectResponse:
    """POST only (a GET is refused by the route): ends the cookie's session and clears the cookie, when the request
    carries the cookie's proof."""
    token = request.cookies.get(COOKIE)
    response = RedirectResponse("/", status_code=303)
    if token and hmac.compare_digest(request.query_params.get("ma", ""), sign_out_proof(token)):
        await run_in_threadpool(accounts().sign_out, token)
        response.delete_cookie(COOKIE, path="/")
    return _no_store(response)


ROUTES = [Route(SIGN_IN_ROUTE, _set_cookie), Route(SIGN_OUT_ROUTE, _clear_cookie, methods=["POST"])]
