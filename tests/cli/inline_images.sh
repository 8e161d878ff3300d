#!/bin/bash
# Issue 12.7: images referenced by a relative path in a Markdown or HTML
# body go in multipart/related with cid: references; the paths follow a
# field's folder rule; checked with Python's email, mblaze's mshow and
# Chromium's rendering.
. "$(dirname "$0")/lib.bash"
CHECK="$PYTHON $TOP/tests/cli/check_inline.py"

mkdir -p img/pics && cd img || exit 1
"$PYTHON" - <<'P'
import struct, zlib
def png(c):
    raw = b"".join(b"\x00" + bytes(c) * 64 for _ in range(64))
    def ch(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    return (b"\x89PNG\r\n\x1a\n" + ch(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
            + ch(b"IDAT", zlib.compress(raw)) + ch(b"IEND", b""))
open("logo.png", "wb").write(png((255, 0, 0)))
open("pics/직인.png", "wb").write(png((0, 0, 255)))
open("pics/kim.png", "wb").write(png((0, 255, 0)))
P
printf 'name,email,photo\n김민준,kim@example.com,kim.png\n' >roster.csv
cat >md.txt <<'T'
From: p@example.com
To: {{name}} <{{email}}>
Subject: 사진
Content-Type: text/markdown

![logo](logo.png) 안녕하세요

![seal](pics/직인.png) and again ![logo](logo.png)

![me](pics/{{photo}}) ![web](https://example.com/x.png)
T
mm preview -o md roster.csv md.txt
is "$RC" 0 "markdown with images: exit 0"
$CHECK md/0001-kim@example.com.eml . logo.png pics/직인.png pics/kim.png >check.out 2>&1
results "markdown" check.out

cat >html.txt <<'T'
From: p@example.com
To: {{name}} <{{email}}>
Subject: 직인
Content-Type: text/html

<p>성적 확인서</p><img alt="직인" src="pics/%EC%A7%81%EC%9D%B8.png"><IMG SRC='logo.png'>
T
mm preview -o html roster.csv html.txt
is "$RC" 0 "html with images: exit 0"
$CHECK html/0001-kim@example.com.eml . pics/직인.png logo.png >check.out 2>&1
results "html" check.out

# -- mblaze lists them ------------------------------------------------------
mshow -t md/0001-kim@example.com.eml >mshow.out 2>&1
like mshow.out '^ +[0-9]+: multipart/related' "mshow: a multipart/related part"
is "$(grep -c 'image/png size=[0-9]* name=' mshow.out)" 3 "mshow: the 3 images, named"

# -- path rules: those of a field's path ------------------------------------
expect_bad() {	# expect_bad NAME REGEX TEMPLATE
	mm preview -o bad roster.csv "$3"
	is "$RC" 65 "$1: exit 65"
	like "$TMP/stderr" "roster.csv:2: error: row 1, body 'inline image': $2" \
	    "$1: the error names the row and the image"
}
sed 's|pics/{{photo}}|pics/nothere.png|' md.txt >missing.txt
expect_bad "missing image" "'pics/nothere.png' does not exist" missing.txt
printf 'name,email,photo\n김민준,kim@example.com,../../../etc/passwd\n' >evil.csv
mm preview -o bad evil.csv md.txt
is "$RC" 65 "a field with ../ in an image path: exit 65"
like "$TMP/stderr" "has a '\.\.' from a roster field" "…refused as for Attachment"
sed 's|logo.png) 안녕|/etc/hostname) 안녕|' md.txt >abs.txt
mm preview -o abs roster.csv abs.txt
is "$RC" 0 "an absolute src is not a local image: left alone"
like abs/0001-kim@example.com.eml 'src=3D"/etc/hostname"' "…and not attached"
ln -s /etc pics/out
printf 'name,email,photo\n김민준,kim@example.com,out/hostname\n' >link.csv
mm preview -o bad link.csv md.txt
is "$RC" 65 "a field reaching a link out of the folder: exit 65"
like "$TMP/stderr" "link.csv:2: error: row 1, body 'inline image': 'pics/out/hostname' leads out of its folder" \
    "…refused as for Attachment"
# The template's own text is trusted, as for Attachment: a path it writes
# may leave its folder.
mkdir -p ../shared && cp logo.png ../shared/seal.png
sed 's|pics/{{photo}}|../shared/seal.png|' md.txt >shared.txt
mm preview -o shared roster.csv shared.txt
is "$RC" 0 "a path the template writes may leave its folder (../shared)"
$CHECK shared/0001-kim@example.com.eml . logo.png pics/직인.png ../shared/seal.png >check.out 2>&1
results "template path" check.out
printf 'name,email,photo\n김민준,kim@example.com,../../shared/seal.png\n' >up.csv
mm preview -o bad up.csv md.txt
is "$RC" 65 "the same file through a field: exit 65"

# -- Chromium shows them -----------------------------------------------------
"$PYTHON" - md/0001-kim@example.com.eml page.html <<'P'
import base64, email, email.policy, re, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
rel = next(p for p in m.walk() if p.get_content_type() == "multipart/related")
parts = list(rel.iter_parts())
html = parts[0].get_content()
for p in parts[1:]:
    cid = p["Content-ID"].strip("<>")
    data = "data:image/png;base64," + base64.b64encode(p.get_content()).decode()
    html = html.replace("cid:" + cid, data)
html = html.replace('src="https://example.com/x.png"', 'src=""')
open(sys.argv[2], "w").write('<body style="margin:0;background:#fff">' + html)
P
timeout 60 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$TMP/chrome" \
    --screenshot="$TMP/img/shot.png" --window-size=400,400 "file://$TMP/img/page.html" \
    >chrome.out 2>&1
"$PYTHON" - shot.png >shot.out 2>&1 <<'P'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
w, h, depth, ctype = struct.unpack(">IIBB", d[16:26])
idat = b""; i = 8
while i < len(d):
    n = struct.unpack(">I", d[i:i + 4])[0]; t = d[i + 4:i + 8]
    if t == b"IDAT": idat += d[i + 8:i + 8 + n]
    i += 12 + n
raw = zlib.decompress(idat); bpp = 4 if ctype == 6 else 3; stride = w * bpp
rows = []; prev = bytearray(stride); p = 0
for y in range(h):
    f = raw[p]; line = bytearray(raw[p + 1:p + 1 + stride]); p += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line)); prev = line
seen = set()
for r in rows:
    for x in range(0, stride, bpp):
        px = r[x:x + 3]
        if px == b"\xff\x00\x00": seen.add("red")
        if px == b"\x00\x00\xff": seen.add("blue")
        if px == b"\x00\xff\x00": seen.add("green")
ok = seen == {"red", "blue", "green"}
print(f"RESULT\t{0 if ok else 1}\tChromium shows the three images ({sorted(seen)})")
P
results "chromium" shot.out

done_testing
