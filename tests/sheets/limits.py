#!/usr/bin/python3
"""Run a command; print "STATUS SECONDS MAXRSS_KB" of it on stdout (its
own output goes to the files given).  For the hostile-file tests: a
spreadsheet must be refused in bounded time and memory.

Usage: limits.py STDOUT STDERR CMD [ARGS...]
"""
import resource
import subprocess
import sys
import time

out, err, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
with open(out, "wb") as o, open(err, "wb") as e:
    rc = subprocess.call(cmd, stdout=o, stderr=e)
secs = time.monotonic() - t
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(rc, "%.2f" % secs, kb)
