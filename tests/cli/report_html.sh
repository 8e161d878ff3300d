#!/bin/bash
# mailmerge report --html: one self-contained page, escaped, rendered by
# headless Chromium (file:// only, nothing over the network).
. "$(dirname "$0")/lib.bash"
D=$TOP/tests/data/reports
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

cp "$D/roster.csv" roster.csv
SUM=$(sha256sum roster.csv | cut -d' ' -f1)
for f in run1 run2; do sed "s/@SHA@/$SUM/" "$D/$f.csv" >$f.csv; done

mm report --html report.html run1.csv
is "$RC" 75 "--html exits 75 (rows left to send)"
no_valgrind_error
ok "$([ -s report.html ]; echo $?)" "the page is written"
like stdout '^Not delivered' "the text summary still goes to stdout"
like report.html '^<!DOCTYPE html>' "an HTML5 document"
like report.html '<meta charset="utf-8">' "declares UTF-8"
unlike report.html 'https?://' "no http:// or https:// anywhere"
unlike report.html '(src|href)=|<link|@import|url\(' "no external assets"
like report.html '<style>' "CSS inline"
like report.html 'class="seg" style="width:25\.00%;background:#[0-9a-f]{6}" title="sent: 2"' \
    "sent is a bar segment 25% wide"
like report.html 'title="failed: 3"' "failed is a bar segment"
like report.html '<td class="c">550 5\.1\.1</td>' "the by-code table"
like report.html '<td>no such mailbox</td>' "... with meanings"

# Everything from the report is escaped.
{
	head -1 run1.csv
	printf '1,<b>x@example.com</b>,failed,p,554,5.7.1,"<script>alert(1)</script> & ""q"" '"'"'s'"'"'",,1,2026-11-26T16:20:00+09:00,<i>acc</i>,RCPT,roster.csv,%s,t,s,1\n' "$SUM"
} >nasty.csv
mm report --html nasty.html nasty.csv
is "$RC" 75 "--html of odd strings exits 75 (rows never tried)"
unlike nasty.html '<script|<b>x@|<i>acc' "no markup from the report gets through"
like nasty.html '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; &quot;q&quot; &#39;s&#39;' \
    "reply text escaped"
like nasty.html '&lt;b&gt;x@example\.com&lt;/b&gt;' "recipient escaped"

mm report --html nodir/report.html run1.csv
is "$RC" 73 "an unwritable --html exits 73"

# Render it.  A missing browser fails: install Debian's chromium.
if [ ! -x "$CHROMIUM" ]; then
	ok 1 "chromium is missing: apt-get install -y chromium"
	done_testing
	exit 1
fi
chrome() {
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$TMP/chrome" "$@" 2>>"$TMP/chrome.err"
}
mm report --html report.html run1.csv run2.csv
chrome --screenshot="$TMP/shot.png" --window-size=1024,768 \
    "file://$TMP/report.html" >/dev/null
ok "$([ -f shot.png ]; echo $?)" "Chromium took a screenshot"
is "$(head -c 8 shot.png | od -An -tx1 | tr -d ' \n')" 89504e470d0a1a0a \
    "the screenshot is a PNG"
ok "$([ "$(stat -c %s shot.png)" -gt 10000 ]; echo $?)" \
    "the screenshot is not blank ($(stat -c %s shot.png) bytes)"
chrome --dump-dom "file://$TMP/report.html" >dom.html
ok $? "Chromium dumped the DOM"
"$PYTHON" - <<'PY' >dom.out 2>&1
from html.parser import HTMLParser
class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []
    def handle_data(self, d):
        self.parts.append(d)
p = Text()
p.feed(open("dom.html", encoding="utf-8").read())
text = " ".join(" ".join(p.parts).split())
for want in ["sent 4", "failed 3", "deferred 1", "Not delivered (4)",
             "이서연@example.org", "no such mailbox",
             "Temporary server error, please try again later"]:
    assert want in text, (want, text[:2000])
assert "unknown 1" not in text, "merged: no unknown row"
PY
ok $? "the rendered page has the counts and the failed recipients"
sed 's/^/#   /' dom.out
if [ "$T_FAIL" -ne 0 ]; then grep -v dbus chrome.err | sed 's/^/#   chromium: /' | tail -20; fi

done_testing
