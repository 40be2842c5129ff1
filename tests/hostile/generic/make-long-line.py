"""An HR directory whose third data row holds a 3 MB field: longer than any line the reader keeps."""
import sys

rows = ["id,email,department,team", "E1,ann@acme.example,Sales,North", "E2,bob@acme.example,Legal,South",
        'E3,cy@acme.example,Legal,"' + "x" * (3 * 1024 * 1024) + '"', "E4,dee@acme.example,Sales,North"]
with open(sys.argv[1], "w") as fh:
    fh.write("\n".join(rows) + "\n")
