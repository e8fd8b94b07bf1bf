#!/usr/bin/env python3
"""Succeeds when a JSON array on stdin has an object matching every condition.

Conditions: KEY=VALUE (exact), KEY!=VALUE (differs), KEY^=PREFIX (starts with),
KEY>NUMBER (greater than). Values
that are not strings are compared in their JSON spelling (null, true, 3). The array is printed
either way so the test log shows what masq answered.
Usage: masq inbound --json ... | json_match.py protocol=tcp remote^=203.0.113.10: reason=no_translation
"""
import json
import re
import sys


def text(v):
    return v if isinstance(v, str) else json.dumps(v)


def matches(obj, cond):
    m = re.fullmatch(r"([A-Za-z_]+)(\^=|!=|=|>)(.*)", cond)
    if not m:
        raise SystemExit("bad condition: %s" % cond)
    key, op, want = m.groups()
    if key not in obj:
        return False
    got = obj[key]
    if op == "=":
        return text(got) == want
    if op == "!=":
        return text(got) != want
    if op == "^=":
        return text(got).startswith(want)
    return isinstance(got, (int, float)) and got > float(want)


def main():
    raw = sys.stdin.read()
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        print("not JSON (%s): %r" % (e, raw[:300]))
        return 2
    print(json.dumps(data, indent=1))
    if not isinstance(data, list):
        print("expected a JSON array")
        return 2
    conds = sys.argv[1:]
    for obj in data:
        if isinstance(obj, dict) and all(matches(obj, c) for c in conds):
            print("matched: %s" % json.dumps(obj))
            return 0
    print("no element matches: %s" % " ".join(conds))
    return 1


if __name__ == "__main__":
    sys.exit(main())
