"""The notification draft: what an institution sends its data-protection authority (GDPR
art. 33, the CNIL in France) about a confirmed match, with minimal editing.

`notification(facts, lang)` builds a `Document` (a title, paragraphs and tables in sections)
from the match's facts only; `render_markdown`, `render_html` (templates/notification.html,
autoescaped) and notification_pdf.render_pdf lay the same document out. Sections follow the
CNIL's notification form: nature, people and records concerned, categories of data, the
circumstances (where, when, spread), the time to warning, the measures taken, a contact.
"""

import time
from dataclasses import dataclass, field

from .notification_text import FIELDS, LANGS, SPECIAL, SPECIAL_LABEL, TEXT

FORMATS = ("md", "html", "pdf")
# The notification period of GDPR art. 33, from the moment the controller became aware.
NOTIFY_WITHIN_SECONDS = 72 * 3600
# The source the spread gives a dump that came from `leakwatch scan`, not from a watched site (review/spread.py).
SUBMITTED = "scan"


@dataclass
class Section:
    title: str
    paragraphs: list = field(default_factory=list)
    bullets: list = field(default_factory=list)
    table: list = field(default_factory=list)   # first row: the header


@dataclass
class Document:
    lang: str
    title: str
    intro: list
    sections: list


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}: one of {', '.join(LANGS)}")
    return lang


def _when(epoch) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(epoch))) if epoch not in (None, "") else "-"


def _iso_when(iso) -> str:
    return iso[:16].replace("T", " ") + " UTC" if iso else "-"


def _duration(seconds, lang: str) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    units = (("d", "j"), ("h", "h"), ("min", "min"), ("s", "s"))
    parts = [f"{n} {units[i][0 if lang == 'en' else 1]}" for i, n in enumerate((days, hours, minutes, secs)) if n]
    return " ".join(parts[:2]) or "0 s"


def notification(facts, lang: str = "en") -> Document:
    lang = check_lang(lang)
    match, times = facts.match, facts.times

    def t(key, **values):
        return TEXT[key][lang].format(**values)

    institution, dataset = match["institution"], match["dataset"]
    intro = [t("intro", institution=institution)]
    warned = times.get("warned_epoch")
    if warned is not None:
        intro.append(t("deadline", warned=_when(warned), deadline=_when(warned + NOTIFY_WITHIN_SECONDS)))
    else:
        intro.append(t("deadline_unknown"))

    published = [source for source in facts.sources if source != SUBMITTED]
    nature = Section(t("s_nature"), [t("nature", dataset=dataset, sources=", ".join(published)) if published
                                     else t("nature_submitted", dataset=dataset)])
    if match.get("canaries"):
        nature.paragraphs.append(t("canary", canaries=match["canaries"]))
    nature.paragraphs.append(t("cause"))

    people = Section(t("s_people"), [
        t("people", records=match["records"], low=match["records_low"], high=match["records_high"]),
        t("range"), t("categories_people", dataset=dataset)])

    fields = list(match.get("fields") or [])
    data = Section(t("s_data"), bullets=[
        FIELDS.get(f, {}).get(lang, f) + (f" - {SPECIAL_LABEL[lang]}" if f in SPECIAL else "") for f in fields])
    if SPECIAL & set(fields):
        data.paragraphs.append(t("special"))

    first = facts.points[0] if facts.points else {"when": times.get("first_seen"), "source": match.get("source") or SUBMITTED,
                                                  "where": match.get("url") or match.get("name") or ""}
    first_source = t("submitted") if first["source"] == SUBMITTED else first["source"]
    seen = Section(t("s_seen"), [t("seen", first_seen=_iso_when(first["when"]), first_source=first_source,
                                   first_where=first["where"] or "-", count=max(len(facts.points), 1),
                                   nsources=len(facts.sources))])
    if times.get("posted_at_text"):
        seen.paragraphs.append(t("posted", posted=times.get("posted_at") and _iso_when(times["posted_at"])
                                 or times["posted_at_text"]))
    seen.table = [[t("col_when"), t("col_source"), t("col_where"), t("col_records")]] + [
        [_iso_when(p["when"]), p["source"], p["where"] or "-", str(p["records"])] for p in facts.points]

    steps = [("t_posted", times.get("posted_at")), ("t_first_seen", times.get("first_seen")),
             ("t_matched", times.get("matched")), ("t_confirmed", times.get("confirmed")),
             ("t_warned", times.get("warned"))]
    elapsed = times["seconds"]["first_seen_to_warned"]
    timing = Section(t("s_time"), [t("elapsed", elapsed=_duration(elapsed, lang) if elapsed is not None else t("not_warned"))],
                     table=[[t("col_step"), t("col_at")]] + [[t(k), _iso_when(v)] for k, v in steps if v])

    channels = sorted({a["channel"] for a in times.get("alerts", []) if a["delivered_at"]})
    decision = (t("decision_confirmed", at=_iso_when(times["confirmed"])) if times.get("confirmed")
                else t("decision_open"))
    measures = Section(t("s_measures"), [
        t("m_monitor", decision=decision, channels=", ".join(channels) if channels else t("no_channel")),
        t("m_institution")])
    contact = Section(t("s_contact"), [t("contact", match=match["id"])])
    return Document(lang, t("title", institution=institution), intro,
                    [nature, people, data, seen, timing, measures, contact])


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc: Document) -> str:
    out = [f"# {doc.title}", ""]
    for paragraph in doc.intro:
        out += [paragraph, ""]
    for section in doc.sections:
        out += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            out += [paragraph, ""]
        if section.bullets:
            out += [f"- {b}" for b in section.bullets] + [""]
        if section.table:
            head, *rows = section.table
            out.append("| " + " | ".join(map(_md_cell, head)) + " |")
            out.append("|" + "---|" * len(head))
            out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]
            out.append("")
    return "\n".join(out)


def render_html(doc: Document, templates=None) -> str:
    """A standalone page (its own styles, no script) of the document."""
    import jinja2

    from leakwatch.web.context import TEMPLATES

    env = templates or jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                          undefined=jinja2.StrictUndefined)
    return env.get_template("notification_document.html").render(doc=doc)
