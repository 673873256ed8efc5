#!/usr/bin/env python3
"""Writes config/samples/events.jsonl: a year of made-up but realistic
events in a small town (ASB, domestic abuse, hate crime, drugs, youth
diversion, modern slavery), plus a few rejected lines. Deterministic: the
same seed gives the same file. Run from the repository root."""
import json
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

rng = random.Random(20260101)
START = datetime(2026, 1, 5, tzinfo=timezone.utc)
WARDS = {"Bedwell": "SG1 1", "Bandley Hill": "SG2 9", "Chells": "SG2 0", "Longmeadow": "SG2 8",
         "Martins Wood": "SG1 5", "Old Town": "SG1 3", "Pin Green": "SG1 4", "Roebuck": "SG2 8",
         "St Nicholas": "SG1 4", "Shephall": "SG2 9", "Symonds Green": "SG1 2",
         "Woodfield": "SG1 6", "Manor": "SG1 3"}
STREETS = ["Fair Lane", "Bedwell Crescent", "Shephall Way", "Chells Way", "Canterbury Way",
           "Hydean Way", "Fishers Green Road", "Jessop Road", "Vardon Road", "Marymead Drive"]
events = []
counter = {"inc": 0, "evt": 0}


def address(n):
    ward = list(WARDS)[n % len(WARDS)]
    return {"uprn": str(100080000000 + n * 37), "postcode": f"{WARDS[ward]}{chr(65 + n % 26)}{chr(65 + (n * 7) % 26)}",
            "ward": ward, "address": f"{(n * 13) % 120 + 1} {STREETS[n % len(STREETS)]}"}


def at(day, hour=None):
    h = rng.randint(8, 23) if hour is None else hour
    t = START + timedelta(days=day, hours=h, minutes=rng.choice([0, 5, 12, 20, 35, 41, 50]))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def emit(kind, source, when, subjects=None, location=None, data=None, eid=None):
    counter["evt"] += 1
    ev = {"id": eid or f"{source}:{kind.split('.')[0].upper()}-{counter['evt']:05d}", "type": kind,
          "occurred_at": when, "source": source}
    if subjects:
        ev["subjects"] = subjects
    if location:
        ev["location"] = location
    if data is not None:
        ev["data"] = data
    events.append(ev)
    return ev


def incident_ref():
    counter["inc"] += 1
    return f"INC-2026-{counter['inc']:06d}"


# ASB hot spots: repeat incidents, several reported to both police and housing.
spot_reports = {}  # spot -> [(occurred_at, incident_ref)]
for spot in range(14):
    loc = address(spot)
    perp = {"id": f"person:P-{88000 + spot}", "role": "perpetrator"}
    reporter = {"id": f"person:R-{20000 + spot}", "role": "reporter"}
    day = rng.randint(0, 100 if spot == 4 else 200)
    reports = rng.choice([2, 3, 3, 4, 5]) if spot < 10 else 1
    for _ in range(reports):
        ref = incident_ref()
        cat = rng.choice(["nuisance", "nuisance", "personal", "environmental"])
        ev = emit("asb.report", "police", at(day), [perp, reporter], loc,
                  {"category": cat, "incident_ref": ref})
        spot_reports.setdefault(spot, []).append((ev["occurred_at"], ref, loc, perp))
        if rng.random() < 0.5:  # the same incident also reported to the landlord
            emit("asb.report", "housing", at(day + 1), [perp, reporter], loc,
                 {"category": cat, "incident_ref": ref, "tenancy_ref": f"TEN-{40000 + spot}"})
        day += rng.randint(7, 35)
    if spot in (0, 1, 2):
        emit("cpn.warning", "council-asb", at(day + 3), [perp], loc, {"notice_ref": f"CPW-{spot}"})
        emit("cpn.issued", "council-asb", at(day + 30), [perp], loc, {"notice_ref": f"CPN-{spot}"})
        if spot == 0:
            emit("cpn.breach", "police", at(day + 45), [perp], loc, {"notice_ref": f"CPN-{spot}"})
    if spot == 3:  # a notice served without the warning that must come first
        emit("cpn.issued", "council-asb", at(day + 5), [perp], loc, {"notice_ref": "CPN-3"})
    if spot == 4:  # injunction, then a breach late on a Saturday
        emit("injunction.granted", "council-asb", at(day + 10), [perp], loc,
             {"power_of_arrest": True, "expires_on": "2028-03-01"})
        emit("injunction.breach", "police", "2026-11-14T22:40:00Z", [perp], loc,
             {"incident_ref": incident_ref()})

# One-off ASB reports across the town.
for i in range(150):
    loc = address(100 + i)
    emit("asb.report", rng.choice(["police", "police", "housing", "council-asb"]),
         at(rng.randint(0, 350)), [{"id": f"person:R-{30000 + i}", "role": "reporter"}], loc,
         {"category": rng.choice(["nuisance", "personal", "environmental"]), "incident_ref": incident_ref()})

# Domestic abuse: DASH assessments, some high risk, repeat call-outs, children.
for v in range(20):
    victim = {"id": f"person:V-{50000 + v}", "role": "victim"}
    perp = {"id": f"person:P-{60000 + v}", "role": "perpetrator"}
    subjects = [victim, perp]
    if v % 4 == 0:
        subjects.append({"id": f"person:C-{70000 + v}", "role": "child"})
    loc = address(300 + v)
    day = rng.randint(0, 330)
    score = rng.choice([4, 7, 9, 11, 12, 13, 14, 15, 17, 19])
    callouts = rng.choice([0, 1, 1, 2, 3, 4])
    emit("dash.assessment", rng.choice(["police", "idva"]), at(day), subjects, loc,
         {"yes_count": score, "visible_high_risk": v == 5, "police_callouts_12m": callouts})
    if score >= 14 or v == 5:
        for k in range(rng.choice([1, 2])):
            emit("crime.report", "police", at(day + 9 + 11 * k), subjects, loc,
                 {"offence": "domestic_abuse", "hate_motivation": "none", "incident_ref": incident_ref()})

# Hate crime: reports with a motivation, two victims targeted repeatedly.
for h in range(9):
    victim = {"id": f"person:H-{80000 + h}", "role": "victim"}
    loc = address(400 + h)
    motivation = ["race", "religion", "sexual_orientation", "disability", "transgender"][h % 5]
    day = rng.randint(0, 330)
    for k in range(2 if h in (1, 6) else 1):
        emit("crime.report", rng.choice(["police", "council-asb"]), at(day + 20 * k), [victim], loc,
             {"offence": "public_order", "hate_motivation": motivation, "incident_ref": incident_ref()})

# Drugs: offences at a few addresses; one becomes a closure.
for d, n in enumerate([4, 2, 1]):
    loc = address(500 + d)
    day = rng.randint(0, 250)
    for _ in range(n):
        emit("crime.report", "police", at(day), None, loc,
             {"offence": "drugs", "hate_motivation": "none", "incident_ref": incident_ref()})
        day += rng.randint(5, 25)
    if d == 0:
        emit("closure.notice", "police", at(day + 3, 15), None, loc,
             {"premises": loc["address"], "issued_by_rank": "superintendent"})
        emit("closure.order", "police", at(day + 5, 11), None, loc,
             {"premises": loc["address"], "granted": True, "expires_on": "2026-09-30"})

# Youth diversion: referrals, some with further incidents.
for y in range(8):
    yp = {"id": f"person:Y-{90000 + y}", "role": "young_person"}
    loc = address(600 + y)
    day = rng.randint(0, 300)
    emit("referral", rng.choice(["police", "council-asb"]), at(day, 16), [yp], loc,
         {"service": "youth", "reason": rng.choice(["ASB with peers", "knife carrying risk",
                                                    "exploitation concern"]), "consent": True})
    if y in (2, 5):
        for k in range(2):
            emit("asb.report", "police", at(day + 10 + 6 * k), [yp], address(650 + y),
                 {"category": "nuisance", "incident_ref": incident_ref()})

# Modern slavery indicators, with and without the adult's consent.
for m, consent in enumerate([True, False, True]):
    emit("modern_slavery.indicator", rng.choice(["police", "council-asb"]), at(rng.randint(10, 340)),
         [{"id": f"person:M-{95000 + m}", "role": "victim"}], address(700 + m),
         {"consent": consent, "indicators": ["no documents", "controlled movement"]})

# MARAC: the panel's outcomes and attendance, as the coordinator records them.
# Domestic-abuse cases are numbered in the order their first DASH arrives; the
# meeting a referral makes is the first fortnightly Tuesday at least eight days
# on (config/panels.yaml). One case's outcome is never recorded, so the chair is asked for it.
LONDON = ZoneInfo("Europe/London")
def marac_meeting(t):
    m = datetime(2026, 1, 6, 10, 0, tzinfo=LONDON)
    while m.astimezone(timezone.utc) - timedelta(days=8) < t or m.date().isoformat() == "2026-12-29":
        m += timedelta(days=14)
    return m
events.sort(key=lambda e: e["occurred_at"])
dv_case = {}
meetings = {}
referred = {}  # victim -> the meeting its referral waits for
def utc(t):
    return datetime.fromisoformat(t.replace("Z", "+00:00"))
def stamp(t):
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
for e in list(events):
    victim = next((s["id"] for s in e.get("subjects", []) if s["role"] == "victim"), None)
    if e["type"] == "dash.assessment":
        dv_case.setdefault(victim, f"dv-{len(dv_case) + 1:06d}")
        d = e["data"]
        if not (d["yes_count"] >= 14 or d["visible_high_risk"] or d["police_callouts_12m"] >= 3):
            continue
    elif not (e["type"] == "crime.report" and victim in referred):
        continue
    # A further incident once the case was heard is a new (repeat) referral;
    # before that it joins the referral waiting to be heard.
    when = utc(e["occurred_at"])
    if victim in referred and referred[victim] + timedelta(hours=5) > when:
        continue
    meeting = marac_meeting(when)
    referred[victim] = meeting
    meetings.setdefault(meeting, []).append(dv_case[victim])
    if dv_case[victim] == "dv-000004" or meeting.date().isoformat() >= "2026-12-01":
        # No outcome recorded: it rolls from meeting to meeting. Meetings from
        # December on have not happened yet when the sample year ends.
        referred[victim] = datetime(2100, 1, 1, tzinfo=LONDON)
        continue
    actions = [{"to": "idva", "title": "Review the safety plan with the victim", "due": "10 working days"},
               {"to": "housing", "title": "Target hardening at the victim's home", "due": "15 working days"}]
    if any(s["role"] == "child" for s in e["subjects"]):
        actions.append({"to": "childrens-social-care", "title": "Strategy discussion for the children",
                        "due": "5 working days"})
    emit("panel.outcome", "police", stamp(meeting + timedelta(hours=5)),
         data={"panel": "marac", "meeting": meeting.date().isoformat(), "case_id": dv_case[victim],
               "stage": "marac", "actions": actions})
# The ASB Case Review panel: a hot spot's third incident in six months refers
# it to the first four-weekly Thursday meeting at least five days on, whose
# outcome is recorded that afternoon (by address and perpetrator: the outcome
# names no case number).
def asb_meeting(t):
    m = datetime(2026, 1, 8, 14, 0, tzinfo=LONDON)
    while m.astimezone(timezone.utc) - timedelta(days=5) < t:
        m += timedelta(days=28)
    return m
asb_meetings = set()
for spot, reports in spot_reports.items():
    reports.sort()
    for i, (when, _, loc, perp) in enumerate(reports):
        t = utc(when)
        refs = {r for w, r, _, _ in reports[: i + 1] if utc(w) > t - timedelta(days=183)}
        if len(refs) < 3:
            continue
        meeting = asb_meeting(t)
        if meeting.date().isoformat() < "2026-12-01":
            asb_meetings.add(meeting)
            emit("panel.outcome", "community-safety-manager", stamp(meeting + timedelta(hours=2)),
                 [perp], loc,
                 {"panel": "asb-case-review", "meeting": meeting.date().isoformat(),
                  "actions": [{"to": "council-asb", "title": "Write to the applicant with the Case Review's decision and action plan",
                               "due": "5 working days"},
                              {"to": "housing", "title": "Tenancy enforcement visit agreed at the Case Review",
                               "due": "10 working days"}]})
        break  # referred once
for meeting in sorted(asb_meetings):
    emit("panel.held", "community-safety-manager", stamp(meeting + timedelta(hours=1)),
         data={"panel": "asb-case-review", "meeting": meeting.date().isoformat(),
               "attendees": ["council-asb", "police", "housing", "community-safety-manager"]})
members = ["police", "idva", "housing", "childrens-social-care", "adult-social-care", "health", "probation"]
for k, meeting in enumerate(m for m in sorted(meetings) if m.date().isoformat() < "2026-12-01"):
    present = [m for m in members if not (k == 2 and m == "childrens-social-care")]
    emit("panel.held", "police", stamp(meeting + timedelta(hours=3)),
         data={"panel": "marac", "meeting": meeting.date().isoformat(), "attendees": present})
events.sort(key=lambda e: e["occurred_at"])
lines = [json.dumps(e, ensure_ascii=False) for e in events]
# What real feeds also carry: a line cut short, an unknown source, a bad
# timestamp, and one event delivered twice.
lines.insert(40, '{"id": "police:ASB-TRUNCATED", "type": "asb.report", "occurred_at": "2026-02-')
bad_source = dict(events[80], id="fire:ASB-00001", source="fire-service")
lines.insert(81, json.dumps(bad_source))
bad_time = dict(events[120], id="housing:ASB-BADTIME", occurred_at="31/03/2026 14:05")
lines.insert(121, json.dumps(bad_time))
lines.insert(200, lines[150])
with open("config/samples/events.jsonl", "w") as f:
    f.write("\n".join(lines) + "\n")
print(f"{len(lines)} lines")
