"""Every text the web pages show is in the kk, ru and en catalogues: keys written in the templates,
and the keys the pages build from roles, table names and columns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import monitoring
from locales import LANGUAGES, catalogue
from sandbox.page.people import ROLE_ORDER

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = (ROOT / "bots" / "web" / "templates", ROOT / "sandbox" / "page" / "templates")
LITERAL = re.compile(r"""t\(\s*'([a-z0-9_.]+)'""")


def _keys() -> set[str]:
    keys = {
        key
        for folder in TEMPLATES
        for path in folder.glob("*.html")
        for key in LITERAL.findall(path.read_text())
        if key[-1] != "."
    }
    keys |= {f"web.role.{role.value}" for role in ROLE_ORDER}
    keys |= {f"web.table.{name}" for name in monitoring.TABLES}
    keys |= {f"web.table.pupil_{part}" for part in ("attendance", "submissions", "growth")}
    for name, columns in {
        "consent": ("class", "pupil", "consent", "date"),
        "grades": ("class", "pupil", "subject", "graded", "avg_score", "avg_mark", "latest"),
    }.items():
        keys |= {f"web.col.{column}" for column in columns}
        assert name in monitoring.TABLES
    keys |= {f"web.consent.{status}" for status in ("given", "withdrawn", "missing")}
    keys |= {f"web.channel.{channel}" for channel in ("telegram", "whatsapp", "sms", "post", "none")}
    return keys


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_text_is_translated(language: str) -> None:
    texts = catalogue(language)
    keys = _keys()
    assert len(keys) > 60
    missing = sorted(key for key in keys if not texts.get(key, "").strip())
    assert not missing, f"untranslated in {language}: {missing}"
