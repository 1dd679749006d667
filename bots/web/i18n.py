"""The pages' language (kk by default; `?lang=` switches it and a cookie keeps it) and templates."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from locales import DEFAULT_LANGUAGE, LANGUAGES, translate

TEMPLATES = Path(__file__).resolve().parent / "templates"
LANG_COOKIE = "ustaz_lang"


def page_language(request: web.Request) -> str:
    chosen = request.query.get("lang") or request.cookies.get(LANG_COOKIE) or DEFAULT_LANGUAGE
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


@cache
def environment(*folders: Path) -> Environment:
    """Templates from `folders` first, then the product's own: a page added by a caller (the
    sandbox's) keeps its template beside its code and still extends `base.html`."""
    return Environment(loader=FileSystemLoader([*folders, TEMPLATES]), autoescape=select_autoescape(["html"]))


def render(
    request: web.Request,
    name: str,
    status: int = 200,
    *,
    folders: tuple[Path, ...] = (),
    **context: Any,
) -> web.Response:
    lang = page_language(request)

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    html = (
        environment(*folders)
        .get_template(name)
        .render(t=t, lang=lang, languages=LANGUAGES, path=request.path, here=request.path_qs, **context)
    )
    response = web.Response(text=html, content_type="text/html", status=status)
    if request.query.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True, samesite="Lax")
    return response
