"""«← back» on a pupil's page (`bots.web.back.safe_back`): the dashboard list the reader came from,
its query kept; never another site or a page that is not a list."""

from __future__ import annotations

import pytest

from bots.web.back import HOME, safe_back


@pytest.mark.parametrize(
    ("raw", "back"),
    [
        (
            "/dashboard?table=consent&find=Ай&page=2#table",
            "/dashboard?table=consent&find=%D0%90%D0%B9&page=2#table",
        ),
        ("/dashboard?period=year#attention", "/dashboard?period=year#attention"),
        ("/dashboard/delivery?post_page=2#post", "/dashboard/delivery?post_page=2#post"),
        ("/dashboard", "/dashboard"),
        # another site, however it is written
        ("//evil.example/dashboard", HOME),
        ("https://evil.example/dashboard", HOME),
        ("/\\evil.example", HOME),
        ("\\\\evil.example", HOME),
        ("javascript:alert(1)", HOME),
        ("/dashboard\r\nLocation: https://evil.example", HOME),
        # a page that is not a list, a path that climbs out, an odd section
        ("/dashboard/logout", HOME),
        ("/dashboard/../login", HOME),
        ('/dashboard#x"><script>', HOME),
        ("", HOME),
        (None, HOME),
        ("/dashboard?" + "a=1&" * 400, HOME),
    ],
)
def test_back_is_a_dashboard_list_or_the_overview(raw: str | None, back: str) -> None:
    assert safe_back(raw) == back
