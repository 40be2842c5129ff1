"""A CSV whose first line runs 5 MB without a line break: not a header row."""
import sys

with open(sys.argv[1], "w") as fh:
    fh.write("id,email," + ",".join(f"c{i}" for i in range(600_000)) + "\nE1,a@acme.example\n")
