"""A JSON-lines file whose first line nests 200,000 arrays: parsers recurse until they fall over."""
import sys

depth = 200_000
with open(sys.argv[1], "w") as fh:
    fh.write("[" * depth + "]" * depth + "\n")
