#!/usr/bin/env python3
"""Derives the survival tables of the DeepSurv Rotterdam -> GBSG experiment from rotterdam.csv
and gbsg.csv (this folder), with the Python standard library only. Deterministic: rows keep the
order of their source file, numbers are copied as written.

  rotterdam_node_positive_rfs.csv  the 1546 node-positive (nodes > 0) Rotterdam patients
  gbsg_deepsurv.csv                the 686 GBSG patients

Both have the columns pid, hormon, size, meno, age, nodes, pgr, er, time, event: DeepSurv's 7
covariates in its order (size as the category 0 = <=20 mm, 1 = 20-50, 2 = >50) and
recurrence-free survival (RFS) in days:
  Rotterdam: event = max(recur, death), time = rtime if recur == 1 else dtime
             (shared/datasets/published_results.md, note A; survival::rotterdam's help)
  GBSG:      time = rfstime, event = status (already RFS); size in mm cut at 20 and 50.
pid is kept as the patient ID; the two files number their patients independently (282 pid
values occur in both), so shard them with data.test_patients: separate.

Usage: python3 prepare_deepsurv.py [FOLDER]   (default: the folder of this script)
The counts below are asserted; a mismatch stops the script before anything is written.
"""
import csv
import io
import os
import sys

COLUMNS = ["pid", "hormon", "size", "meno", "age", "nodes", "pgr", "er", "time", "event"]
ROTTERDAM_SIZE = {"<=20": "0", "20-50": "1", ">50": "2"}

EXPECTED = {
    "rotterdam_rows": 2982,
    "rotterdam_node_positive": 1546,
    "rotterdam_events": 1080,        # max(recur, death) among the node-positive
    # Node-positive patients with recur 0, death 1 and rtime < dtime: RFS events at dtime (21 of
    # the 43 such patients of the whole table; published_results.md, note A).
    "rotterdam_death_after_censoring": 21,
    "rotterdam_sizes": [501, 783, 262],  # categories 0, 1, 2
    "gbsg_rows": 686,
    "gbsg_events": 299,
    "gbsg_sizes": [180, 453, 53],
}


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def is_integer_text(text):
    return text.lstrip("-").isdigit()


def gbsg_size_category(mm_text):
    mm = float(mm_text)
    return "0" if mm <= 20 else "1" if mm <= 50 else "2"


def rotterdam_rows(rows):
    out = []
    for r in rows:
        if int(r["nodes"]) <= 0:
            continue
        recur, death = int(r["recur"]), int(r["death"])
        out.append({
            "pid": r["pid"], "hormon": r["hormon"], "size": ROTTERDAM_SIZE[r["size"]],
            "meno": r["meno"], "age": r["age"], "nodes": r["nodes"], "pgr": r["pgr"],
            "er": r["er"],
            "time": r["rtime"] if recur == 1 else r["dtime"],
            "event": str(max(recur, death)),
        })
    return out


def gbsg_rows(rows):
    return [{
        "pid": r["pid"], "hormon": r["hormon"], "size": gbsg_size_category(r["size"]),
        "meno": r["meno"], "age": r["age"], "nodes": r["nodes"], "pgr": r["pgr"], "er": r["er"],
        "time": r["rfstime"], "event": r["status"],
    } for r in rows]


def check(name, actual, expected):
    if actual != expected:
        sys.exit(f"prepare_deepsurv.py: {name} is {actual}, expected {expected}: "
                 "the source files are not the ones PROVENANCE.md describes")


def text_of(rows):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rotterdam = read(os.path.join(folder, "rotterdam.csv"))
    gbsg = read(os.path.join(folder, "gbsg.csv"))
    check("rotterdam.csv rows", len(rotterdam), EXPECTED["rotterdam_rows"])
    check("gbsg.csv rows", len(gbsg), EXPECTED["gbsg_rows"])

    train = rotterdam_rows(rotterdam)
    test = gbsg_rows(gbsg)
    check("node-positive Rotterdam patients", len(train), EXPECTED["rotterdam_node_positive"])
    check("Rotterdam RFS events", sum(int(r["event"]) for r in train),
          EXPECTED["rotterdam_events"])
    check("GBSG patients", len(test), EXPECTED["gbsg_rows"])
    check("GBSG events", sum(int(r["event"]) for r in test), EXPECTED["gbsg_events"])
    for name, rows in (("Rotterdam", train), ("GBSG", test)):
        check(f"{name} patients with a size category outside 0-2",
              sum(r["size"] not in ("0", "1", "2") for r in rows), 0)
        check(f"{name} negative or non-integer times",
              sum(not is_integer_text(r["time"]) or int(r["time"]) < 0 for r in rows), 0)
        check(f"{name} events other than 0/1", sum(r["event"] not in ("0", "1") for r in rows), 0)
        check(f"{name} repeated pid", len(rows) - len({r["pid"] for r in rows}), 0)
    check("Rotterdam deaths without recurrence after the recurrence censoring time",
          sum(1 for r in rotterdam if int(r["nodes"]) > 0 and r["recur"] == "0"
              and r["death"] == "1" and int(r["rtime"]) < int(r["dtime"])),
          EXPECTED["rotterdam_death_after_censoring"])
    check("Rotterdam size categories (<=20, 20-50, >50)",
          [sum(r["size"] == c for r in train) for c in "012"], EXPECTED["rotterdam_sizes"])
    check("GBSG size categories (<=20, 20-50, >50)",
          [sum(r["size"] == c for r in test) for c in "012"], EXPECTED["gbsg_sizes"])

    for name, rows in (("rotterdam_node_positive_rfs.csv", train), ("gbsg_deepsurv.csv", test)):
        path = os.path.join(folder, name)
        with open(path, "w", newline="") as f:
            f.write(text_of(rows))
        print(f"{path}: {len(rows)} patients, {sum(int(r['event']) for r in rows)} events")


if __name__ == "__main__":
    main()
