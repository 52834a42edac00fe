"""Excel cell addresses: column letters and indexes."""

from __future__ import annotations


def column_letter(index: int) -> str:
    """Excel's column letter for a 0-based column index (0 → A, 26 → AA, 16383 → XFD)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_index(letters: str) -> int:
    """0-based index of an Excel column (A → 0)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
