"""The report's HTML page (also the certificate's): its style, the page
around the sections, figures and assumption lists; and the public names
that replace the machine's folders in what is written."""

from __future__ import annotations

import datetime as _dt
import html
from pathlib import Path

from .. import __version__

CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.8em;margin:.5em 0;display:block;max-width:100%;overflow-x:auto}
td,th{border:1px solid #ddd;padding:.2em .5em;text-align:right;vertical-align:top}
th{background:#f3f3f3;font-weight:600;min-width:3.5em;max-width:12em;overflow-wrap:break-word}
td{max-width:30em;overflow-wrap:break-word}
td:first-child,th:first-child,td.t,th.t{text-align:left}img{max-width:100%;height:auto;border:1px solid #eee}figure{margin:1em 0}
details{margin:.5em 0}summary{cursor:pointer;color:#245;font-size:.9em}
.note{color:#555;font-size:.85em}td.flip{background:#fde2c8;font-weight:bold}ul.assume{font-size:.85em}code{background:#f5f5f5;padding:0 .2em}
@media print{body{max-width:none;margin:0;font-size:10pt}nav{display:none}table{display:table;font-size:7.5pt}
h2,h3{break-after:avoid}figure,img,tr{break-inside:avoid}section{break-before:page}a{color:inherit}}"""


def page_html(title: str, sections: list) -> str:
    nav = "".join(f"<li><a href='#{sid}'>{html.escape(h)}</a></li>" for sid, h, _ in sections)
    body = "".join(f"<section id='{sid}'><h2>{html.escape(h)}</h2>{content}</section>" for sid, h, content in sections)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<meta name='generator' content='openbmd {__version__}'><style>{CSS}</style></head><body>"
            f"<h1>{html.escape(title)}</h1><p class='note'>openbmd {__version__}, {stamp}. Every figure on this page "
            f"is recomputed from public sources by <code>openbmd report</code>; the assumptions section lists each "
            f"parameter and its source.</p><nav><ul>{nav}</ul></nav>{body}</body></html>")


def img_html(rel: str, caption: str) -> str:
    return f"<figure><img src='{html.escape(rel)}' alt='{html.escape(caption)}'><figcaption class='note'>{html.escape(caption)}</figcaption></figure>"


def assumptions_html(lines) -> str:
    return "<ul class='assume'>" + "".join(f"<li>{html.escape(x)}</li>" for x in lines) + "</ul>"


def assumptions_once(named: list) -> str:
    """The assumptions of several architectures ``[(name, lines)]``: those they
    all share once, then what differs, per architecture."""
    if len(named) == 1:
        return assumptions_html(named[0][1])
    rest = [set(lines) for _, lines in named[1:]]
    common = [x for x in dict.fromkeys(named[0][1]) if all(x in r for r in rest)]
    shared = set(common)
    out = [f"<p>Shared by all {len(named)} architectures:</p>", assumptions_html(common),
           "<h3>Differences per architecture</h3>"]
    for name, lines in named:
        own = [x for x in dict.fromkeys(lines) if x not in shared]
        out.append(f"<h4>{html.escape(name)}</h4>" + (assumptions_html(own) if own else "<p class='note'>none</p>"))
    return "".join(out)


def path_names(scenario) -> list:
    """(absolute path, shown name) pairs, longest first: the scenario files by
    their path in the package ('openbmd/scenarios/epaa-phase1.toml') or, outside
    it, by their file name; then the package folder and the home folder. The
    report names no folder of the machine that ran it."""
    import openbmd

    pkg = Path(openbmd.__file__).resolve().parent
    names = {}
    for m in [scenario, *(scenario.phases or [])]:
        for f in [getattr(m, "path", None), *(getattr(m, "files", None) or [])]:
            if not f:
                continue
            p = Path(str(f))
            try:
                shown = "openbmd/" + p.resolve().relative_to(pkg).as_posix()
            except (ValueError, OSError):
                shown = p.name
            names[str(f)] = shown
            names[str(p.resolve())] = shown
    pairs = sorted(((k, v) for k, v in names.items() if Path(k).is_absolute()), key=lambda kv: -len(kv[0]))
    return pairs + [(str(pkg), "openbmd"), (str(Path.home()) + "/", "~/")]


def public_text(text: str, pairs: list) -> str:
    for path, shown in pairs:
        text = text.replace(path, shown)
    return text
