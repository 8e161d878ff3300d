#!/bin/sh
# The layering rule of src/ (README "Layout"): a part may include its
# own headers and those of parts in lower layers, never a peer's or a
# higher one's.  LAYERS lists the parts lowest first, peers of one layer
# joined by commas ("base wire inputs,mail ...").  Prints TAP.
cd "$(dirname "$0")/.." || exit 1
LAYERS=${1:-${LAYERS:-}}
[ -n "$LAYERS" ] || { echo "1..0 # SKIP no LAYERS"; exit 1; }

level_of() {	# level_of PART: its layer's index, or nothing
	i=0
	for layer in $LAYERS; do
		case ",$layer," in *",$1,"*) echo $i; return ;; esac
		i=$((i + 1))
	done
}

n=0 bad=0
for dir in src/*/; do
	part=$(basename "$dir")
	n=$((n + 1))
	mine=$(level_of "$part")
	if [ -z "$mine" ]; then
		echo "not ok $n - src/$part is in no layer of LAYERS (Makefile)"
		bad=$((bad + 1))
		continue
	fi
	msg=""
	for f in "$dir"*.[ch]; do
		[ -e "$f" ] || continue
		for h in $(sed -n 's/^#include "\(.*\)"/\1/p' "$f"); do
			[ -e "$dir$h" ] && continue
			owner=$(ls src/*/"$h" 2>/dev/null | head -n 1)
			[ -n "$owner" ] || continue	# tests' or system headers
			op=$(basename "$(dirname "$owner")")
			theirs=$(level_of "$op")
			if [ -z "$theirs" ] || [ "$theirs" -ge "$mine" ]; then
				msg="$msg $f includes $op/$h;"
			fi
		done
	done
	if [ -z "$msg" ]; then
		echo "ok $n - src/$part includes only lower layers"
	else
		echo "not ok $n - src/$part includes a peer or higher part:$msg"
		bad=$((bad + 1))
	fi
done
# Within run, job is the shared lower layer of the verbs: its header
# includes no verb's (nor anything of run but dupes, its own helper).
n=$((n + 1))
up=$(sed -n 's/^#include "\(.*\)"/\1/p' src/run/job.h | while read -r h; do
	[ -e "src/run/$h" ] && [ "$h" != dupes.h ] && echo "$h"
done)
if [ -z "$up" ]; then
	echo "ok $n - src/run/job.h includes no other header of src/run but dupes.h"
else
	echo "not ok $n - src/run/job.h includes a runner header above it:" $up
	bad=$((bad + 1))
fi
loose=$(ls src/*.c src/*.h 2>/dev/null)
n=$((n + 1))
if [ -z "$loose" ]; then
	echo "ok $n - every module sits in a part's folder"
else
	echo "not ok $n - modules outside any part:" $loose
	bad=$((bad + 1))
fi
echo "1..$n"
[ "$bad" -eq 0 ]
