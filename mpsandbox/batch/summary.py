"""OUT/summary.html: one self-contained page (inline CSS and SVG, no script) summarising a batch."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from html import escape
from pathlib import Path
from typing import Any

from .. import __version__

VERDICT_COLORS = {"approve": "#2e7d32", "flag": "#f9a825", "reject": "#c62828", "crashed": "#6a1b9a",
                  "error": "#455a64"}
TIME_BINS = ((0.01, "< 10 ms"), (0.03, "10–30 ms"), (0.1, "30–100 ms"), (0.3, "0.1–0.3 s"), (1.0, "0.3–1 s"),
             (3.0, "1–3 s"), (10.0, "3–10 s"), (float("inf"), "≥ 10 s"))
FINDING_BINS = ((0, "0"), (1, "1"), (2, "2"), (5, "3–5"), (10, "6–10"), (float("inf"), "> 10"))
TOP = 15

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#666}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 14px;min-width:90px}
.card b{display:block;font-size:20px}table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;word-break:break-all}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:24px}svg text{font:12px system-ui,sans-serif}
"""


def _bars(items: list[tuple[str, float]], color: str | dict[str, str] = "#1565c0", width: int = 520,
          unit: str = "") -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return "<p class='meta'>nothing to chart</p>"
    label_w, row_h, value_w = 190, 22, 70
    bar_w = width - label_w - value_w
    top = max(v for _, v in items) or 1
    height = row_h * len(items) + 4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img">']
    for i, (label, value) in enumerate(items):
        y = i * row_h + 2
        fill = color.get(label, "#1565c0") if isinstance(color, dict) else color
        w = max(1.0, bar_w * value / top) if value else 0
        short = label if len(label) <= 30 else label[:29] + "…"
        shown = f"{value:,.2f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(short)}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{fill}">'
                     f'<title>{escape(label)}: {shown}{unit}</title></rect>'
                     f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{shown}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: list[float], bins: tuple[tuple[float, str], ...]) -> list[tuple[str, float]]:
    counts = Counter()
    for v in values:
        for upper, label in bins:
            if v < upper or (upper == bins[-1][0]):
                counts[label] += 1
                break
    return [(label, counts.get(label, 0)) for _, label in bins]


def _findings_bins(values: list[int]) -> list[tuple[str, float]]:
    counts = Counter()
    for v in values:
        for upper, label in FINDING_BINS:
            if v <= upper:
                counts[label] += 1
                break
    return [(label, counts.get(label, 0)) for _, label in FINDING_BINS]


def _table(headers: list[str], rows: list[list[Any]], numeric: set[int] = frozenset()) -> str:
    if not rows:
        return "<p class='meta'>none</p>"
    head = "".join(f"<th class='n'>{escape(h)}</th>" if i in numeric else f"<th>{escape(h)}</th>"
                   for i, h in enumerate(headers))
    body = []
    for r in rows:
        cells = "".join(f"<td class='n'>{escape(str(c))}</td>" if i in numeric else f"<td>{c}</td>"
                        for i, c in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render_summary(table) -> str:
    rows = table.to_pylist()
    n = len(rows)
    verdicts = Counter(r.get("verdict") or "?" for r in rows)
    reviewed = [r for r in rows if r.get("status") == "ok"]
    seconds = [float(r.get("seconds") or 0.0) for r in rows]
    rule_cols = [c for c in table.column_names if c.startswith("rule_")]
    cat_cols = [c for c in table.column_names if c.startswith("cat_")]
    rule_totals = Counter()
    rule_bundles = Counter()
    for r in reviewed:
        for c in rule_cols:
            v = r.get(c) or 0
            if v:
                rule_totals[c[5:]] += v
                rule_bundles[c[5:]] += 1
    cat_totals = Counter({c[4:]: sum(r.get(c) or 0 for r in reviewed) for c in cat_cols})
    order = ["approve", "flag", "reject", "crashed", "error"]
    verdict_items = [(v, verdicts[v]) for v in order if verdicts.get(v)] + [
        (v, c) for v, c in sorted(verdicts.items()) if v not in order]

    cards = "".join(f"<div class='card'>{escape(v)}<b>{c:,}</b></div>" for v, c in verdict_items)
    slowest = sorted(rows, key=lambda r: -(r.get("seconds") or 0.0))[:10]
    failures = [r for r in rows if r.get("status") != "ok" or r.get("load_error") or r.get("error")]
    top_rules = rule_totals.most_common(TOP)
    html = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>mpsandbox batch: {n:,} bundles</title><style>{CSS}</style></head><body>",
        f"<h1>mpsandbox batch: {n:,} bundles</h1>",
        f"<p class='meta'>mpsandbox {escape(__version__)} · written "
        f"{escape(_dt.datetime.now().isoformat(timespec='seconds'))} · review time {sum(seconds):,.1f} s in all"
        f" · {len(reviewed):,} reviewed, {n - len(reviewed):,} without a review</p>",
        f"<div class='cards'>{cards}</div>",
        "<h2>Verdicts</h2>", _bars(verdict_items, VERDICT_COLORS),
        "<div class='grid'><div><h2>Top rules</h2>",
        _bars([(r, float(c)) for r, c in top_rules], "#ef6c00"),
        _table(["rule", "findings", "bundles"], [[f"<code>{escape(r)}</code>", c, rule_bundles[r]]
                                                  for r, c in top_rules], {1, 2}),
        "</div><div><h2>Findings by category</h2>",
        _bars([(c, float(v)) for c, v in cat_totals.most_common() if v], "#6d4c41"),
        "</div></div>",
        "<div class='grid'><div><h2>Review time</h2>", _bars(_histogram(seconds, TIME_BINS), "#00838f", 480),
        "</div><div><h2>Findings per bundle</h2>",
        _bars(_findings_bins([int(r.get("findings") or 0) for r in reviewed]), "#5e35b1", 480),
        "</div></div>",
        "<h2>Slowest bundles</h2>",
        _table(["bundle", "verdict", "seconds", "pages visited/declared"],
               [[f"<code>{escape(str(r.get('bundle')))}</code>", escape(str(r.get("verdict"))),
                 f"{(r.get('seconds') or 0):.3f}", f"{r.get('pages_visited') or 0}/{r.get('pages_declared') or 0}"]
                for r in slowest], {2, 3}),
        f"<h2>Failed to run ({len(failures):,})</h2>",
        _table(["bundle", "status", "why"],
               [[f"<code>{escape(str(r.get('bundle')))}</code>",
                 escape("load error" if r.get("status") == "ok" and r.get("load_error") else str(r.get("status"))),
                 escape(str(r.get("error") or r.get("load_error") or ""))[:500]] for r in failures[:200]]),
        "<p class='meta'>" + (f"first 200 of {len(failures):,} shown; " if len(failures) > 200 else "")
        + "every row is in results.parquet and results.jsonl, every report under reports/.</p>",
        "</body></html>",
    ]
    return "\n".join(html)


def write_summary(table, path: Path) -> None:
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(render_summary(table), encoding="utf-8")
    tmp.replace(path)
