"""SMS length: GSM-7 when every character fits (160 per segment, 153 when concatenated), UCS-2
otherwise (70 / 67). Russian and Kazakh are Cyrillic, hence UCS-2; texts are never transliterated, so
no Kazakh letter (ә ғ қ ң ө ұ ү һ і) is lost. A long text is cut at a word to fit `max_segments`.
"""

from __future__ import annotations

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
ELLIPSIS = "…"


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _costs(text: str, gsm: bool) -> list[int]:
    if gsm:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def segments(text: str) -> int:
    """How many SMS segments the text takes (an extension character or an emoji is never split)."""
    gsm = is_gsm7(text)
    costs = _costs(text, gsm)
    single, multi = (160, 153) if gsm else (70, 67)
    if sum(costs) <= single:
        return 1
    count, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            count, used = count + 1, 0
        used += cost
    return count


def shorten(text: str, max_segments: int) -> str:
    """The text, cut at a word and ended with "…" when it needs more than `max_segments`."""
    text = text.strip()
    if segments(text) <= max_segments:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits together with the ellipsis
        middle = (low + high + 1) // 2
        if segments(text[:middle].rstrip() + ELLIPSIS) <= max_segments:
            low = middle
        else:
            high = middle - 1
    cut = text[:low]
    at_word = cut.rsplit(maxsplit=1)[0] if " " in cut.strip() else cut
    return at_word.rstrip(" ,;:-") + ELLIPSIS
