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


def fits(text: str, max_segments: int) -> bool:
    return segments(text) <= max_segments


def split(text: str, max_segments: int) -> list[str]:
    """The text as several SMS, each within `max_segments`, cut between lines where it can and
    between words where a line alone is too long: nothing is lost (for a direct answer, which the
    person asked for; the outbox cuts instead, and records the cut)."""
    text = text.strip()
    if fits(text, max_segments):
        return [text] if text else []
    units: list[tuple[str, str]] = []  # (what joins it to the unit before, the unit)
    for line in text.split("\n"):
        chunks = [line] if fits(line, max_segments) else _chunks(line, max_segments)
        units += [("\n" if index == 0 else " ", chunk) for index, chunk in enumerate(chunks)]
    parts: list[str] = []
    current = ""
    for joiner, unit in units:
        candidate = f"{current}{joiner}{unit}" if current else unit
        if current and not fits(candidate.strip(), max_segments):
            parts.append(current.strip())
            current = unit
        else:
            current = candidate
    if current.strip():
        parts.append(current.strip())
    return [part for part in parts if part]


def _chunks(line: str, max_segments: int) -> list[str]:
    """One over-long line as chunks of whole words (a word longer than an SMS is cut)."""
    chunks: list[str] = []
    current = ""
    for word in line.split():
        while not fits(word, max_segments):
            head = shorten(word, max_segments).removesuffix(ELLIPSIS) or word[:1]  # fits, with room
            chunks += [current, head] if current else [head]
            current, word = "", word[len(head) :]
        candidate = f"{current} {word}" if current else word
        if current and not fits(candidate, max_segments):
            chunks.append(current)
            current = word
        else:
            current = candidate
    return [*chunks, current] if current else chunks
