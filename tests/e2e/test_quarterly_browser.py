"""The Quarterly review in a browser: the review downloads as one HTML file holding the
quarter's numbers, the same as `ridealong metrics --by quarter`."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.e2e.browser import SAMPLE, cli_metrics


def readable(document: str) -> str:
    """The text of an HTML document, as one line."""
    body = re.sub(r"<(style|script|svg)\b.*?</\1>", " ", document, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_the_quarterly_review_downloads_as_html_holding_the_quarters_numbers(tab):
    tab.open("/quarterly")
    # the default quarter: the last complete one in the sample (it ends on 2026-09-30)
    (quarter,) = parse_qs(urlparse(tab.page.url).query)["quarter"]
    assert quarter == "2026-Q3"
    q = cli_metrics(str(SAMPLE), "--by", "quarter")["groups"][quarter]
    assert tab.metrics()["Calls observed"] == f"{q['calls']:,}"

    with tab.page.expect_download() as download:
        tab.main.get_by_role("button", name="Review as HTML").click()
    assert download.value.suggested_filename == f"ridealong_review_{quarter}.html"
    document = Path(download.value.path()).read_text(encoding="utf-8")
    text = readable(document)
    assert f"{quarter} against 2026-Q2" in text
    assert f"{q['calls']:,} calls observed" in text
    assert (
        f"{q['praise_to_criticism']:.1f}:1 {q['praise']:,} praise, {q['criticism']:,} criticism"
        in text
    )
    took_over = q["actions"]["took_over"]
    assert f"{q['intervention_rate'] * 100:.0f}% {took_over} of {q['calls']:,} calls" in text
    # self-contained: it opens offline
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", document, flags=re.I)
