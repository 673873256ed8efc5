#!/usr/bin/python3
"""Validates a convene config folder (and connector mappings) against the JSON
Schemas in config/schema/, as editors do while a policy officer types.

  check_schemas.py CONFIG_DIR [MAPPING.yaml ...]   exit 0 when every file fits
  check_schemas.py --broken-copies CONFIG_DIR MAPPING.yaml
      makes broken copies of the shipped files and exits 0 only when the
      schemas refuse every one of them (the schemas' own test)

Uses Debian's python3-jsonschema and python3-yaml.
"""
import copy
import glob
import os
import re
import sys

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "config", "schema")


def schema(name):
    import json
    with open(os.path.join(SCHEMAS, name)) as f:
        return json.load(f)


def files_of(config_dir):
    """(path, schema name) for every file of a config folder."""
    out = [(os.path.join(config_dir, f + ".yaml"), f + ".schema.json")
           for f in ("partners", "case_types", "calendar", "panels")
           if os.path.exists(os.path.join(config_dir, f + ".yaml"))]
    out += [(p, "rules.schema.json") for p in sorted(glob.glob(os.path.join(config_dir, "rules", "*.yaml")))]
    out += [(p, "tests.schema.json") for p in sorted(glob.glob(os.path.join(config_dir, "tests", "*.yaml")))]
    return out


def errors_of(document, schema_name):
    validator = jsonschema.Draft7Validator(schema(schema_name))
    return sorted(validator.iter_errors(document), key=lambda e: list(e.path))


class Yaml12Loader(yaml.SafeLoader):
    """YAML as convene (yaml-cpp) and editors read it: dates and times stay
    text, and only true/false are booleans (`on:` is a key, not true)."""


Yaml12Loader.yaml_implicit_resolvers = {
    k: [(tag, regexp) for tag, regexp in v
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load(path):
    with open(path) as f:
        return yaml.load(f, Loader=Yaml12Loader)


def check(pairs):
    bad = 0
    for path, name in pairs:
        for e in errors_of(load(path), name):
            where = "/".join(str(p) for p in e.path) or "(top)"
            print(f"{path}: {where}: {e.message}")
            bad += 1
    return bad


def broken_copies(config_dir, mapping):
    """Each a (what, schema, document) that must be refused."""
    rules = load(os.path.join(config_dir, "rules", "asb.yaml"))
    partners = load(os.path.join(config_dir, "partners.yaml"))
    panels = load(os.path.join(config_dir, "panels.yaml"))
    calendar = load(os.path.join(config_dir, "calendar.yaml"))
    tests = load(os.path.join(config_dir, "tests", "asb.yaml"))
    m = load(mapping)
    cases = []

    def variant(what, name, doc, change):
        doc = copy.deepcopy(doc)
        change(doc)
        cases.append((what, name, doc))

    variant("a misspelt rule key (cooldwn)", "rules.schema.json", rules,
            lambda d: d["rules"][0].update({"cooldwn": "30d"}))
    variant("a priority that is not one", "rules.schema.json", rules,
            lambda d: d["rules"][0]["then"].append({"task": {"to": "housing", "title": "x", "priority": "urgentt"}}))
    variant("a duration in words", "rules.schema.json", rules,
            lambda d: d["rules"][0].update({"cooldown": "a month"}))
    variant("an unknown action", "rules.schema.json", rules,
            lambda d: d["rules"][0]["then"].append({"flagg": "x"}))
    variant("a partner without an id", "partners.schema.json", partners,
            lambda d: d["partners"][0].pop("id"))
    variant("a share path outside case and event", "partners.schema.json", partners,
            lambda d: d["partners"][0]["share"].append("everything"))
    variant("a panel meeting on a day that is not one", "panels.schema.json", panels,
            lambda d: d["panels"][0]["meets"].update({"weekday": "tuseday"}))
    variant("a holiday that is not a date or a set", "calendar.schema.json", calendar,
            lambda d: d["calendars"]["working-days"]["holidays"].append("christmas"))
    variant("a test that expects nothing", "tests.schema.json", tests,
            lambda d: d["tests"][0].update({"expect": {}}))
    variant("a mapping of an unknown type", "mapping.schema.json", m,
            lambda d: d.update({"type": "xml"}))
    variant("a mapping value normalised as nothing known", "mapping.schema.json", m,
            lambda d: d["fields"].update({"location.uprn": {"from": "UPRN", "normalise": "digitz"}}))
    return cases


def main(argv):
    if len(argv) >= 3 and argv[1] == "--broken-copies":
        config_dir, mapping = argv[2], argv[3]
        failed = 0
        for what, name, doc in broken_copies(config_dir, mapping):
            found = errors_of(doc, name)
            print(("refused   " if found else "ACCEPTED  ") + what +
                  (f": {found[0].message}" if found else ""))
            failed += 0 if found else 1
        return 1 if failed else 0
    if len(argv) < 2:
        print(__doc__)
        return 2
    pairs = files_of(argv[1]) + [(p, "mapping.schema.json") for p in argv[2:]]
    bad = check(pairs)
    print(f"{len(pairs)} files checked against config/schema: {bad} problem{'s' if bad != 1 else ''}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
