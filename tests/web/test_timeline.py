"""The spread chart's geometry (a pure function: no peer needed)."""

from leakwatch.web.timeline import PALETTE, timeline_chart

DAY = 86400.0


def point(sighting, seen_at, source, records, at_stake, first=False, this=False):
    return {"sighting": sighting, "seen_at": seen_at, "when": "", "source": source, "where": "", "rows": records,
            "records": records, "at_stake": at_stake, "sources_so_far": 1, "first": first, "this": this}


POINTS = [point("s1", 1_700_000_000.0, "paste-site", 200, 200, first=True),
          point("s5", 1_700_000_000.0 + 2 * DAY, "forum", 120, 200, this=True),
          point("s9", 1_700_000_000.0 + 9 * DAY, "paste-site", 900, 900)]


def test_one_dot_per_sighting_left_to_right_coloured_by_source():
    chart = timeline_chart(POINTS)
    xs = [d["x"] for d in chart["dots"]]
    assert len(xs) == 3 and xs == sorted(xs) and chart["left"] < xs[0] and xs[-1] < chart["right"]
    colours = {d["source"]: d["colour"] for d in chart["dots"]}
    assert colours["forum"] != colours["paste-site"] and set(colours.values()) <= set(PALETTE)
    assert chart["dots"][0]["colour"] == chart["dots"][2]["colour"]
    assert [d["this"] for d in chart["dots"]] == [False, True, False]


def test_dots_stand_at_their_records_and_the_step_line_at_records_at_stake():
    chart = timeline_chart(POINTS)
    ys = [d["y"] for d in chart["dots"]]
    assert ys[2] < ys[0] < ys[1]                          # 900 highest on screen, 120 lowest
    assert chart["yticks"][-1]["label"] == "1,000" and chart["yticks"][0]["label"] == "0"
    # M x1,y(200) H x2 V y(200) H x3 V y(900) H right: flat while nothing bigger is seen
    parts = chart["step"].split()
    assert parts[0].startswith("M") and parts[-1] == f"H{chart['right']}"
    y200, y900 = float(parts[0].split(",")[1]), float(parts[4][1:])
    assert float(parts[2][1:]) == y200 and y900 < y200
    assert chart["max"] == 900


def test_time_axis_reads_dates_for_days_and_milliseconds_for_one_burst():
    assert chart_labels(POINTS)[0] == "2023-11-14"
    burst = [point("s1", 100.0, "a", 5, 5), point("s2", 100.04, "b", 5, 5)]
    assert chart_labels(burst) == ["+0 ms", "+10 ms", "+20 ms", "+30 ms", "+40 ms"]
    lone = timeline_chart([point("s1", 100.0, "a", 0, 0)])
    assert len(lone["dots"]) == 1 and lone["dots"][0]["x"] == (lone["left"] + lone["right"]) / 2


def chart_labels(points):
    return [t["label"] for t in timeline_chart(points)["xticks"]]


def test_no_points_no_chart():
    chart = timeline_chart([])
    assert chart["dots"] == [] and chart["step"] == ""
