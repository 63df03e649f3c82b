"""Search words marked in the text of the results shown."""

from __future__ import annotations

import html
import re

from django.utils.safestring import SafeString, mark_safe

from .query import expand, parse, stem


def highlight(text: str, query: str) -> SafeString:
    """``text`` escaped, with the words that match ``query`` wrapped in <mark>.

    Done in Python on the few results shown, so that it works on both databases and no
    database output ever reaches the page unescaped.
    """
    escaped = html.escape(text or "")
    prefixes = sorted(
        {
            stem(form)
            for term in parse(query).terms
            for part in term.split()
            for form in expand(part)
            if len(form) > 1
        },
        key=len,
        reverse=True,
    )
    if not prefixes:
        return mark_safe(escaped)  # noqa: S308  (escaped above)
    pattern = re.compile(
        r"(?<!\w)(" + "|".join(re.escape(html.escape(p)) for p in prefixes) + r")\w*", re.IGNORECASE
    )
    return mark_safe(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))  # noqa: S308
