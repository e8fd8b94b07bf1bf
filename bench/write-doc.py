#!/usr/bin/env python3
"""Writes a netns-bench.sh table into a Markdown document, between its markers.

Usage: write-doc.py DOC TABLE HEADER

Replaces everything between the lines `<!-- netns-bench:begin -->` and
`<!-- netns-bench:end -->` in DOC (or `<!-- $DOC_MARK:begin -->` ... when the
environment sets DOC_MARK) with HEADER (the run's date, machine and settings)
and the table from TABLE (summarize.py's output, its `##` headings one level
deeper so they sit under the document's own section; its title line, which
names the result files, is left out). The rest of DOC, the
commentary on the figures, is left alone. Exits non-zero, changing nothing,
when DOC lacks the markers.
"""
import os
import sys

MARK = os.environ.get("DOC_MARK") or "netns-bench"
BEGIN = f"<!-- {MARK}:begin -->"
END = f"<!-- {MARK}:end -->"


def main(doc_path, table_path, header):
    with open(doc_path) as f:
        doc = f.read()
    if doc.count(BEGIN) != 1 or doc.count(END) != 1 or doc.index(BEGIN) > doc.index(END):
        sys.exit(f"{doc_path}: needs one '{BEGIN}' line and, after it, one '{END}' line")
    with open(table_path) as f:
        table = f.read().strip("\n")
    lines = [line for line in table.splitlines() if not line.startswith("# ")]
    table = "\n".join("#" + line if line.startswith("## ") else line for line in lines).strip("\n")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    block = f"{BEGIN}\n{header}\n\n{table}\n{END}"
    with open(doc_path, "w") as f:
        f.write(head + block + tail)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
