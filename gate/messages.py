"""Small text helpers of the gate's messages: one-line errors and did-you-mean hints."""

import difflib
from collections.abc import Iterable


def one_line(error: object) -> str:
    """An exception or message as a single line."""
    return " ".join(str(error).split()) or type(error).__name__


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """``did you mean <the closest choice>? `` (with its trailing space), or "" if none is close."""
    close = difflib.get_close_matches(str(name), sorted(choices), n=1)
    return f"did you mean {close[0]}? " if close else ""
