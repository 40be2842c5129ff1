"""A named pipe nobody writes to, given as the input: reading it would wait for ever."""
import os
import sys

os.mkfifo(sys.argv[1])
