#!/usr/bin/env python3
"""Checks that THIRD-PARTY-LICENSES.txt names every third-party package the downloads ship,
at the version they ship: each Rust crate that masq or the desktop app compiles for any of the
targets in about.toml (normal and build dependencies, not dev ones), and each npm package in
the app's window. A dependency added or upgraded without running update.sh fails here, with
the list of what is missing.

Usage (from the repository root): python3 installer/licenses/check.py
"""
import json
import os
import subprocess
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))


def shipped_crates(manifest, targets):
    """(name, version) of every package `cargo tree` builds for the manifest's members on
    `targets`: cargo's own feature resolution, normal and build dependencies only."""
    found = set()
    for target in targets:
        out = subprocess.check_output(
            ["cargo", "tree", "--locked", "--workspace", "--manifest-path", manifest,
             "--target", target, "-e", "normal,build", "--prefix", "none",
             "--format", "{p}", "--no-dedupe"],
            text=True,
        )
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].startswith("v"):
                found.add((parts[0], parts[1][1:]))
    return found


def shipped_npm():
    out = subprocess.check_output(
        ["npm", "ls", "--omit=dev", "--all", "--parseable", "-w", "ui"], text=True
    )
    found = set()
    for d in filter(None, (line.strip() for line in out.splitlines())):
        with open(os.path.join(d, "package.json"), encoding="utf-8") as f:
            pkg = json.load(f)
        if pkg.get("version") and not pkg.get("private") and pkg["name"] != "masq-ui":
            found.add(f"{pkg['name']}@{pkg['version']}")
    return found


def main():
    with open(os.path.join(HERE, "about.toml"), "rb") as f:
        targets = tomllib.load(f)["targets"]
    with open(os.path.join(HERE, "THIRD-PARTY-LICENSES.txt"), encoding="utf-8") as f:
        text = f.read()
    listed = {tuple(line.strip()[: -len(" (Rust)")].rsplit(" ", 1))
              for line in text.splitlines() if line.endswith(" (Rust)")}
    crates = shipped_crates("Cargo.toml", targets) | shipped_crates("src-tauri/Cargo.toml", targets)
    missing = sorted(f"{n} {v}" for n, v in crates - listed)
    for pkg in sorted(shipped_npm()):
        if f"\n{pkg} (npm), licence" not in text:
            missing.append(f"{pkg} (npm)")
    if missing:
        print(f"THIRD-PARTY-LICENSES.txt lacks {len(missing)} shipped package(s):", file=sys.stderr)
        for m in missing:
            print(f"  {m}", file=sys.stderr)
        print("run installer/licenses/update.sh and commit the result", file=sys.stderr)
        return 1
    print(f"THIRD-PARTY-LICENSES.txt covers all {len(crates)} Rust crates and the npm packages shipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
