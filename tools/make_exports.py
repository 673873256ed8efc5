#!/usr/bin/env python3
"""Writes the sample partner-system exports in connectors/samples/: a police
incident export (CSV, as Windows systems write it: byte-order mark, CRLF,
quoted free text with commas, quotes and line breaks), a housing provider's ASB
case export (one JSON array) and the IDVA service's DASH form export (CSV).
Made up, but shaped like the real thing; every record is valid, so they
convert with no rejects. Deterministic. Run from the repository root."""
import csv
import io
import json
import random

rng = random.Random(20260901)


def when(month, day, hour, minute=0):
    return f"{day:02d}/{month:02d}/2026 {hour:02d}:{minute:02d}"


# Places: (UPRN as the force records it, postcode as typed, ward, address).
A = ("1000 8000 4512", "sg2 9ab", "Shephall", "14 Canterbury Way")      # repeat ASB, also housing
B = ("100080004688", "SG1 3PQ", "Old Town", "3 Church Lane")             # two ASB incidents
C = ("100080004931", "SG1 4DL", "Pin Green", "27 Vardon Road")           # drug dealing
D = ("100080005107", "SG2 0JT", "Chells", "Flat 6, 80 Chells Way")       # hate crime
E = ("100080005290", "SG1 5RW", "Martins Wood", "9 Jessop Road")         # domestic abuse

police = []
n = [0]


def incident(month, day, hour, category, place, offence="", hate="", suspect="", victim="",
             reporter="", summary=""):
    n[0] += 1
    police.append({
        "Incident Number": f"STV/26/{4300 + n[0]:06d}",
        "Reported Date/Time": when(month, day, hour, rng.choice([0, 5, 10, 20, 35, 50])),
        "Category": category, "Offence Code": offence, "Hate Flag": hate,
        "Location": place[3], "Postcode": place[1], "UPRN": place[0], "Ward": place[2],
        "Suspect Ref": suspect, "Victim Ref": victim, "Reporter Ref": reporter,
        "Summary": summary})
    return police[-1]["Incident Number"]


a1 = incident(9, 2, 23, "ASB-N", A, suspect="P-71001", reporter="R-71101",
              summary="Loud music and shouting, neighbours \"can't sleep\"")
a2 = incident(9, 19, 22, "ASB-N", A, suspect="P-71001", reporter="R-71102",
              summary="Party, approx 20 people, music until 03:00")
a3 = incident(10, 8, 1, "ASB-P", A, suspect="P-71001", reporter="R-71101",
              summary="Reporter threatened on the stairwell, said:\n\"you'll regret calling them\"")
a4 = incident(11, 3, 0, "ASB-N", A, suspect="P-71001", reporter="R-71103",
              summary="Music, banging on walls, bins set alight, again")
incident(9, 12, 18, "ASB-E", B, reporter="R-71201", summary="Fly-tipping, mattress and white goods")
incident(10, 24, 17, "ASB-N", B, reporter="R-71201", summary="Youths, fireworks at the bus shelter")
for k, (m, d) in enumerate([(9, 5), (9, 28), (10, 17)]):
    incident(m, d, 21, "CRIME", C, offence="DRG", hate="N", suspect=f"P-7130{k}",
             summary="Suspected supply from the address, visitors at all hours, stop and search")
incident(9, 9, 16, "CRIME", D, offence="ASLT", hate="RACE", victim="V-72001",
         summary="Victim pushed and racially abused outside the shop")
incident(10, 1, 19, "CRIME", D, offence="CD", hate="RACE", victim="V-72001",
         summary="Front door daubed with racist graffiti")
incident(10, 11, 2, "CRIME", E, offence="DA", hate="N", suspect="P-73001", victim="V-73001",
         summary="Domestic, victim injured, children present; DASH completed by IDVA")
# One-off ASB reports across the town.
streets = ["Fair Lane", "Bedwell Crescent", "Shephall Way", "Hydean Way", "Fishers Green Road",
           "Marymead Drive", "Broadwater Crescent", "Scarborough Avenue"]
wards = [("Bedwell", "SG1 1"), ("Bandley Hill", "SG2 9"), ("Longmeadow", "SG2 8"),
         ("St Nicholas", "SG1 4"), ("Symonds Green", "SG1 2"), ("Woodfield", "SG1 6")]
for i in range(24):
    ward, out = wards[i % len(wards)]
    place = (str(100080006000 + i * 41), f"{out}{'ABDEFGHJLNPQRSTUWXYZ'[i % 20]}{'ABDEFGHJLNPQRSTUWXYZ'[(i * 7) % 20]}",
             ward, f"{(i * 13) % 90 + 1} {streets[i % len(streets)]}")
    incident(rng.choice([9, 10, 11]), rng.randint(1, 28), rng.randint(8, 23),
             rng.choice(["ASB-N", "ASB-N", "ASB-P", "ASB-E"]), place, reporter=f"R-7150{i:02d}",
             summary=rng.choice(["Noise complaint", "Youths gathering, some drinking",
                                 "Abusive neighbour, ongoing", "Dog fouling, communal area",
                                 "Motorbikes on the green"]))
police.sort(key=lambda r: (r["Reported Date/Time"][6:10], r["Reported Date/Time"][3:5],
                           r["Reported Date/Time"][0:2], r["Reported Date/Time"][11:]))

buf = io.StringIO()
w = csv.DictWriter(buf, fieldnames=list(police[0]), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
w.writeheader()
w.writerows(police)
with open("connectors/samples/police-incidents.csv", "w", encoding="utf-8-sig", newline="") as f:
    f.write(buf.getvalue())

# The landlord's reports: two of the incidents at A also reported to housing
# (with the police number), one only to housing, and other estates.
housing = [
    {"report_id": "HSG-ASB-2026-0412", "reported_at": "2026-09-03 09:12", "category": "Noise",
     "police_ref": a1, "property": {"uprn": "100080004512", "postcode": "SG2 9AB", "ward": "Shephall",
                                    "address": "14 Canterbury Way", "tenancy_ref": "TEN-50412"},
     "people": [{"ref": "P-71001", "role": "Alleged perpetrator"}, {"ref": "R-71101", "role": "Complainant"}],
     "officer": "J. Okafor", "notes": "Tenant of no. 14 warned verbally."},
    {"report_id": "HSG-ASB-2026-0437", "reported_at": "2026-09-20 10:40", "category": "Rowdy behaviour",
     "police_ref": a2, "property": {"uprn": "100080004512", "postcode": "sg29ab", "ward": "Shephall",
                                    "address": "14 Canterbury Way", "tenancy_ref": "TEN-50412"},
     "people": [{"ref": "P-71001", "role": "Alleged perpetrator"}, {"ref": "R-71102", "role": "Complainant"}],
     "officer": "J. Okafor", "notes": "Second report; first warning letter sent."},
    {"report_id": "HSG-ASB-2026-0455", "reported_at": "2026-10-02 14:05", "category": "Intimidation",
     "police_ref": None, "property": {"uprn": "100080004512", "postcode": "SG2 9AB", "ward": "Shephall",
                                      "address": "14 Canterbury Way", "tenancy_ref": "TEN-50412"},
     "people": [{"ref": "P-71001", "role": "Alleged perpetrator"}, {"ref": "R-71104", "role": "Witness"}],
     "officer": "J. Okafor", "notes": "Contractor intimidated while repairing the door entry system."},
]
for i in range(8):
    housing.append({
        "report_id": f"HSG-ASB-2026-{500 + i:04d}", "reported_at": f"2026-{9 + i % 3:02d}-{3 + i * 3:02d} {9 + i}:15",
        "category": ["Noise", "Fly-tipping", "Graffiti", "Verbal abuse"][i % 4], "police_ref": None,
        "property": {"uprn": str(100080007000 + i * 53), "postcode": f"SG1 {i + 1}H{'ABDEFGHJ'[i]}",
                     "ward": ["Bedwell", "Roebuck", "Manor", "Shephall"][i % 4],
                     "address": f"{i * 7 + 2} Hertford Road", "tenancy_ref": f"TEN-{50600 + i}"},
        "people": [{"ref": f"R-716{i:02d}", "role": "Complainant"}],
        "officer": "S. Patel", "notes": ""})
with open("connectors/samples/housing-asb-cases.json", "w", encoding="utf-8") as f:
    json.dump(housing, f, indent=2, ensure_ascii=False)
    f.write("\n")

# DASH forms: one for the domestic abuse above (high risk, children), and others.
dash = [
    ("IDVA-26-0311", when(10, 11, 15), "K. Lewis", "V-73001", "P-73001", "C-73001", "SG1 5RW", "100080005290", 17, "No", 2),
    ("IDVA-26-0318", when(10, 14, 11), "K. Lewis", "V-73002", "P-73002", "", "SG2 8LD", "", 11, "No", 1),
    ("IDVA-26-0324", when(10, 20, 10), "M. Brown", "V-73003", "", "", "SG1 2QA", "", 6, "No", 0),
    ("IDVA-26-0330", when(10, 27, 14), "M. Brown", "V-73004", "P-73004", "", "SG1 1EE", "", 9, "No", 4),
    ("IDVA-26-0336", when(11, 4, 16), "K. Lewis", "V-73005", "P-73005", "C-73005", "SG2 0NN", "", 12, "Yes", 1),
    ("IDVA-26-0342", when(11, 10, 9), "M. Brown", "V-73006", "P-73006", "", "SG1 6TT", "", 15, "No", 3),
]
buf = io.StringIO()
w = csv.writer(buf, lineterminator="\n")
w.writerow(["Form ID", "Date Completed", "Completed By", "Victim Ref", "Perpetrator Ref", "Child Ref",
            "Postcode", "UPRN", "Total Yes", "Professional Judgement High Risk",
            "Police Callouts (12 months)"])
w.writerows(dash)
with open("connectors/samples/dash-forms.csv", "w", encoding="utf-8", newline="") as f:
    f.write(buf.getvalue())
print(f"{len(police)} police incidents, {len(housing)} housing reports, {len(dash)} DASH forms")
