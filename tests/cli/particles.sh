#!/bin/bash
# Korean particles: a pair like (이)가 right after a field takes the form
# that fits the value's last syllable, in headers and body; a digit by
# its Sino-Korean reading; a Latin value keeps the written form; the
# X-Mailmerge-Particles header turns it off and is never written.
# The messages are read back with Python's email package.
. "$(dirname "$0")/lib.bash"
D=$TOP/tests/data/particles

# check_msgs DIR: each .eml in row order: its decoded Subject, its body.
check_msgs() {
	"$PYTHON" - "$1" <<'PY'
import email, email.policy, glob, sys
for path in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    with open(path, "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    assert msg["X-Mailmerge-Particles"] is None, path
    print(f"Subject: {msg['Subject']}")
    # Text in base64 keeps its canonical CRLF line ends (RFC 2045 §6.8).
    print(msg.get_content().replace("\r\n", "\n"), end="--\n")
PY
}

mm preview -o prev "$D/roster.csv" "$D/template.txt"
is "$RC" 0 "preview with particles exits 0"
no_valgrind_error
check_msgs prev >got.txt 2>&1
cat >want.txt <<'TXT'
Subject: [반 배정] 김민준은 3반입니다
김민준아, 안녕.
김민준이 받은 반: 3반
대표는 김민준으로 정했고, 반장은 김민준과 의논해요.
3으로 가세요.
김민준을 응원해!
--
Subject: [반 배정] 이하나는 2반입니다
이하나야, 안녕.
이하나가 받은 반: 2반
대표는 이하나로 정했고, 반장은 이하나와 의논해요.
2로 가세요.
이하나를 응원해!
--
Subject: [반 배정] 김하늘은 1반입니다
김하늘아, 안녕.
김하늘이 받은 반: 1반
대표는 김하늘로 정했고, 반장은 김하늘과 의논해요.
1로 가세요.
김하늘을 응원해!
--
Subject: [반 배정] Kim(은)는 10반입니다
Kim(아)야, 안녕.
Kim(이)가 받은 반: 10반
대표는 Kim(으)로 정했고, 반장은 Kim과(와) 의논해요.
10으로 가세요.
Kim을(를) 응원해!
--
TXT
check_same want.txt got.txt \
    "final consonant, none, final ㄹ with (으)로, digits, Latin kept"
like stdout '^Subject: \[반 배정\] 김민준은 3반입니다$' \
    "stdout shows the resolved subject"

mm preview -o prevoff "$D/roster.csv" "$D/off.txt"
is "$RC" 0 "X-Mailmerge-Particles: off exits 0"
check_msgs prevoff >got.txt 2>&1
cat >want.txt <<'TXT'
Subject: [반 배정] 김민준(은)는 3반입니다
김민준(이)가 받은 반: 3반
--
Subject: [반 배정] 이하나(은)는 2반입니다
이하나(이)가 받은 반: 2반
--
Subject: [반 배정] 김하늘(은)는 1반입니다
김하늘(이)가 받은 반: 1반
--
Subject: [반 배정] Kim(은)는 10반입니다
Kim(이)가 받은 반: 10반
--
TXT
check_same want.txt got.txt "off: the written forms, and no switch header sent"
unlike prevoff/0001-minjun@example.com.eml '^X-Mailmerge' \
    "off: the raw message has no X-Mailmerge header"
unlike stdout '^X-Mailmerge' "off: stdout shows no X-Mailmerge header"

sed 's/^X-Mailmerge-Particles: off$/x-mailmerge-particles: maybe/' \
    "$D/off.txt" >bad.txt
mm preview -o prevbad "$D/roster.csv" bad.txt
is "$RC" 65 "an invalid switch value exits 65 (EX_DATAERR)"
like stderr "bad\\.txt:4:24: .*expected 'on' or 'off', not 'maybe'" \
    "  with the template's line:col"
[ -z "$(ls prevbad/*.eml 2>/dev/null)" ]
ok $? "  and writes no message"

done_testing
