"""A match as a TheHive 5 alert, sent with thehive4py 2.x (StrangeBee's own client).

The alert's `sourceRef` is the match id and its `source` "leakwatch": TheHive keeps one
alert per (type, source, sourceRef), so publishing a match again (a repost widened its
spread, an analyst confirmed it) updates that alert instead of opening another. The alert
carries what the MISP event does: institution, dataset, counts, kinds of data, and the URLs
and SHA-256 of the dump as observables. Never a value from the dump.
"""

from .errors import DeliveryError
from .misp import HIGH, MEDIUM, threat_level

SOURCE = "leakwatch"
ALERT_TYPE = "data-leak"
# TheHive severities 1 low .. 4 critical; TLP and PAP 2 = amber.
SEVERITY = {HIGH: 3, MEDIUM: 2}
AMBER = 2


def thehive_alert(facts, public_url: str = "") -> dict:
    """The alert body (thehive4py's InputAlert) of a match's facts (response/facts.py)."""
    match = facts.match
    fields = ", ".join(match.get("fields") or []) or "-"
    lines = [
        f"Records of **{match['institution']}**'s dataset **{match['dataset']}** were seen in a dump.",
        "",
        f"- records: {match['records']} (range {match['records_low']}-{match['records_high']})",
        f"- canary records: {match.get('canaries', 0)}",
        f"- kinds of data: {fields}",
        f"- state at the monitor: {match.get('state', 'new')}",
        f"- seen {max(len(facts.points), 1)} time(s) on {', '.join(facts.sources)}",
    ]
    lines += [f"  - {p['when']} {p['source']}: {p['where'] or '-'} ({p['records']} records)" for p in facts.points]
    observables = [{"dataType": "url", "data": url, "tlp": AMBER, "ioc": False,
                    "message": "where the dump was seen"} for url in facts.urls]
    if (facts.sighting or {}).get("sha256"):
        observables.append({"dataType": "hash", "data": facts.sighting["sha256"], "tlp": AMBER, "ioc": False,
                            "message": "SHA-256 of the dump as found"})
    alert = {
        "type": ALERT_TYPE, "source": SOURCE, "sourceRef": match["id"],
        "title": f"Data leak: {match['institution']}/{match['dataset']} "
                 f"({match['records_low']}-{match['records_high']} records"
                 f"{', canary hit' if match.get('canaries') else ''})",
        "description": "\n".join(lines),
        "severity": SEVERITY.get(threat_level(match), 1), "tlp": AMBER, "pap": AMBER,
        "date": int(float(facts.points[0]["seen_at"] if facts.points else match["created_at"]) * 1000),
        "tags": ["leakwatch", "canary-hit" if match.get("canaries") else "match", f"institution:{match['institution']}"],
        "observables": observables,
    }
    if public_url:
        alert["externalLink"] = f"{public_url.rstrip('/')}/matches/{match['id']}"
    return alert


def publish_thehive(alert: dict, url: str, api_key: str, *, timeout: float = 10, organisation: str | None = None) -> dict:
    """Create the alert in TheHive, or update the one of the same sourceRef. Returns
    {"id": TheHive's alert id, "action": "created" | "updated"}; DeliveryError when TheHive
    cannot be reached or refuses."""
    from requests.exceptions import RequestException
    from thehive4py import TheHiveApi
    from thehive4py.errors import TheHiveError
    from thehive4py.query.filters import Eq

    hive = TheHiveApi(url=url, apikey=api_key, organisation=organisation, max_retries=None)
    hive.session.request = _with_timeout(hive.session.request, timeout)
    same = Eq("sourceRef", alert["sourceRef"]) & Eq("source", alert["source"]) & Eq("type", alert["type"])
    update = {k: alert[k] for k in ("title", "description", "severity", "tags", "tlp", "pap") if k in alert}
    try:
        found = hive.alert.find(filters=same)
        if found:
            hive.alert.update(found[0]["_id"], update)
            return {"id": found[0]["_id"], "action": "updated"}
        try:
            created = hive.alert.create(alert)
            return {"id": created["_id"], "action": "created"}
        except TheHiveError:
            # Another sender created it since our search: TheHive refused a second one.
            found = hive.alert.find(filters=same)
            if not found:
                raise
            hive.alert.update(found[0]["_id"], update)
            return {"id": found[0]["_id"], "action": "updated"}
    except TheHiveError as exc:
        raise DeliveryError(f"TheHive refused the alert: {str(exc)[:200]}") from None
    except RequestException as exc:
        raise DeliveryError(f"TheHive is not reachable: {type(exc).__name__}") from None


def _with_timeout(request, timeout: float):
    # thehive4py sets no timeout of its own: a TheHive that never answers would hold the sender.
    def bounded(method, url, **kwargs):
        kwargs.setdefault("timeout", timeout)
        return request(method, url, **kwargs)

    return bounded
