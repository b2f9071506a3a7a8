"""The spread chart of a match: an SVG drawn on the server, no script.

x is time; one dot per sighting of the leak, coloured by source, at the height of the
records of this match's dataset it held; a step line follows the records at stake so far
(the most seen in any one copy). This module computes the geometry only; the template
`_timeline.html` writes the SVG, so every label goes through Jinja's escaping.
"""

import math
import time

# Okabe-Ito: told apart by colour-blind readers too.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7f7f00", "#000000")
WIDTH, HEIGHT = 1000, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 28, 48    # room for the axis labels
MAX_LABELS = 12                              # beyond this, only the first and this match's dot get a label


def _nice_step(most: int) -> int:
    """1, 2 or 5 times a power of ten: at most five steps from 0 to `most`."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if most <= 5 * step * factor:
                return step * factor
        step *= 10


def _time_format(span: float) -> str:
    if span > 2 * 86400:
        return "%Y-%m-%d"
    if span > 3600:
        return "%m-%d %H:%M"
    return "%H:%M:%S"


def source_colours(points) -> dict:
    sources = sorted({p["source"] for p in points})
    return {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sources)}


def timeline_chart(points: list, width: int = WIDTH, height: int = HEIGHT) -> dict:
    """Geometry of the chart of `points` (as spread_timeline returns them, oldest first)."""
    plot_w, plot_h = width - LEFT - RIGHT, height - TOP - BOTTOM
    chart = {"width": width, "height": height, "left": LEFT, "top": TOP, "right": width - RIGHT,
             "bottom": height - BOTTOM, "dots": [], "step": "", "xticks": [], "yticks": [], "legend": [],
             "xunit": "", "max": 0}
    if not points:
        return chart
    times = [p["seen_at"] for p in points]
    start, end = min(times), max(times)
    span = end - start
    pad = span * 0.06 if span > 0 else 60.0    # a lone dot, or dots at one instant, sit mid-chart
    lo, hi = start - pad, end + pad
    step = _nice_step(max(max(p["records"], p["at_stake"]) for p in points))
    top_value = step * max(1, math.ceil(max(max(p["records"], p["at_stake"]) for p in points) / step))

    def x(t):
        return round(LEFT + (t - lo) / (hi - lo) * plot_w, 1)

    def y(v):
        return round(TOP + plot_h - v / top_value * plot_h, 1)

    colours = source_colours(points)
    labelled = len(points) <= MAX_LABELS
    for p in points:
        chart["dots"].append({
            "x": x(p["seen_at"]), "y": y(p["records"]), "colour": colours[p["source"]],
            "sighting": p["sighting"], "source": p["source"], "records": p["records"], "when": p["when"],
            "this": p["this"], "first": p["first"], "label": labelled or p["this"] or p["first"],
        })
    # The step line: flat at the records at stake until the next sighting raises it.
    path = [f"M{x(points[0]['seen_at'])},{y(points[0]['at_stake'])}"]
    for p in points[1:]:
        path.append(f"H{x(p['seen_at'])}")
        path.append(f"V{y(p['at_stake'])}")
    path.append(f"H{width - RIGHT}")
    chart["step"] = " ".join(path)
    # Ticks over the sightings' own span; a leak copied within a minute is told in seconds.
    for i in range(5):
        t = start + span * i / 4 if span > 0 else start
        if span <= 0:
            label = time.strftime("%H:%M:%S", time.gmtime(t))
        elif span < 1:
            label = f"+{(t - start) * 1000:.0f} ms"
        elif span < 60:
            label = f"+{t - start:.1f} s"
        else:
            label = time.strftime(_time_format(span), time.gmtime(t))
        chart["xticks"].append({"x": x(t), "label": label})
        if span <= 0:
            break
    first = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start))
    if 0 < span < 60:
        chart["xunit"] = f"{'milliseconds' if span < 1 else 'seconds'} after the first sighting, {first} UTC"
    else:
        chart["xunit"] = "UTC" if span > 2 * 86400 else f"UTC, from {first}"
    for v in range(0, top_value + 1, step):
        chart["yticks"].append({"y": y(v), "label": f"{v:,}"})
    chart["legend"] = [{"source": s, "colour": c} for s, c in colours.items()]
    chart["max"] = max(p["at_stake"] for p in points)
    return chart
