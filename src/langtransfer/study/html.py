"""report.html: the report's sections as one self-contained page (inline CSS, plots as data URIs).

    langtransfer study report runs/miniworld-zh      (then open runs/miniworld-zh/report.html)

No scripts, fonts, stylesheets or images from anywhere else: the file opens offline and can be
mailed or archived as is. Opened in headless Chromium by tests/integration/test_report_browser.py.
"""

from __future__ import annotations

import html
import re

from langtransfer.study.tables import Section, Table

VERDICT_CLASS = {"holds": "holds", "does not hold": "fails", "inconclusive": "unclear"}
_CI = re.compile(r"^(?P<value>-?[\d.]+) (?P<ci>\[-?[\d.]+, -?[\d.]+\])$")

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 1180px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { margin-top: 1.5em; color: #444; }
p.note { color: #444; max-width: 900px; }
nav ol { columns: 2; font-size: 0.92em; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 7px; vertical-align: top; }
th { background: #f4f4f6; text-align: left; position: sticky; top: 0; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
span.ci { color: #888; font-size: 0.85em; }
span.badge { padding: 1px 7px; border-radius: 9px; font-weight: 600; white-space: nowrap; }
.holds { background: #d9f2df; color: #11602a; } .fails { background: #fadcdc; color: #8a1414; }
.unclear { background: #fbefcc; color: #6b5200; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #666; font-size: 0.9em; }
code { background: #f4f4f6; padding: 0 3px; border-radius: 3px; }
"""


def inline(text: str) -> str:
    """Escape text, then render markdown's `code` and *emphasis*."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", out)


def _cell(text: str) -> str:
    if text in VERDICT_CLASS:
        return f'<td><span class="badge {VERDICT_CLASS[text]}">{html.escape(text)}</span></td>'
    match = _CI.match(text)
    if match:
        return (f'<td class="num">{match["value"]} '
                f'<span class="ci">{html.escape(match["ci"])}</span></td>')
    if re.fullmatch(r"-?[\d.]+[kMB]?|–", text):
        return f'<td class="num">{text}</td>'
    return f"<td>{inline(text).replace(chr(10), '<br>')}</td>"


def table_html(table: Table) -> str:
    """An HTML table; CIs greyed, verdicts as coloured badges."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "\n".join("<tr>" + "".join(_cell(str(c)) for c in row) + "</tr>" for row in table.rows)
    return (f'<div class="scroll"><table><thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody></table></div>")


def _anchor(i: int) -> str:
    return f"s{i}"


def render_html(title: str, intro: str, sections: list[Section], images: dict[str, str]) -> str:
    """The page. `images` maps plot names to data URIs (data:image/png;base64,...)."""
    toc = "\n".join(f'<li><a href="#{_anchor(i)}">{inline(s.title)}</a></li>'
                    for i, s in enumerate(sections) if s.level == 2)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',  # no favicon request
        f"<title>{html.escape(title.replace('`', ''))}</title>", f"<style>{CSS}</style>",
        "</head><body>", f"<h1>{inline(title)}</h1>", f'<p class="note">{inline(intro)}</p>',
        f"<nav><ol>{toc}</ol></nav>",
    ]
    for i, sec in enumerate(sections):
        parts.append(f'<section id="{_anchor(i)}"><h{sec.level}>{inline(sec.title)}</h{sec.level}>')
        if sec.note:
            parts.append(f'<p class="note">{inline(sec.note)}</p>')
        if sec.table is not None:
            parts.append(table_html(sec.table))
        if sec.plot in images:
            parts.append(f'<figure><img src="{images[sec.plot]}" alt="{html.escape(sec.title)}">'
                         f"<figcaption>{inline(sec.title)}</figcaption></figure>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


__all__ = ["render_html", "table_html"]
