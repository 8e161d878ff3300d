#!/bin/bash
# Every report in tests/data/reports/ (one of each released format, and
# the journals report.sh uses) loads through 'mailmerge report', with
# the counts a plain CSV reader finds (the last line of a row wins).
. "$(dirname "$0")/lib.bash"
D=$TOP/tests/data/reports

cp "$D/roster.csv" roster.csv
SUM=$(sha256sum roster.csv | cut -d' ' -f1)
cat >counts.py <<'PY'
import collections, csv, json, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
    last = {int(r["row"]): r["status"] for r in csv.DictReader(f)}
want = collections.Counter(last.values())
got = json.load(open(sys.argv[2]))
bad = [s for s in set(want) | set(got["by_status"])
       if want.get(s, 0) != got["by_status"].get(s, 0)]
print("rows %d/%d %s" % (len(last), got["rows"], " ".join(sorted(bad))))
PY
n=0
for src in "$D"/*.csv; do
	name=$(basename "$src" .csv)
	[ "$name" = roster ] && continue
	n=$((n + 1))
	sed -e "s/@SHA@/$SUM/" -e "s/@TSHA@/$SUM/" "$src" >"$name.csv"
	mm report --json "$name.csv"
	ok "$([ "$RC" -eq 0 ] || [ "$RC" -eq 75 ]; echo $?)" \
	    "$name.csv loads (exit $RC)"
	cp stdout "$name.json"
	read -r _ rows bad <<<"$("$PYTHON" counts.py "$name.csv" "$name.json")"
	is "${rows%/*}" "${rows#*/}" "... with as many rows as it names"
	is "$bad" "" "... and every status counted as a CSV reader counts it"
done
ok "$([ "$n" -ge 4 ]; echo $?)" "every report fixture was loaded ($n)"
like "$D/format1.csv" '^row,' "format 1 fixture: no BOM"
unlike "$D/format1.csv" 'row_sha256' "... and 17 columns"
like "$D/format2.csv" '^﻿row,.*,row_sha256,roster_sheet' \
    "format 2 fixture: BOM, 19 columns"
done_testing
