#!/usr/bin/python3
"""Independent checks of one message (issue 12) with Python's email
package and dkimpy.  check_audit.py WHAT FILE [ARGS]; prints RESULT
lines (see lib.bash's results).

  defects FILE             no defects anywhere (policy=default), but
                           the RFC 2047 words Content-Type's name= holds
                           in quotes on purpose (for old readers)
  names FILE NAME...       the attachments' get_filename() in order
  charset FILE NAME CS     the attachment NAME has charset CS
  type FILE NAME TYPE      the attachment NAME has content type TYPE
  dkim FILE                sign (dkimpy, relaxed/relaxed), then do what a
                           relay without 8BITMIME does (every 8bit part
                           to quoted-printable or base64), then verify
"""
import email
import email.policy
import sys

KNOWN = ("encoded word inside quoted string",
         "missing trailing whitespace after encoded-word")


def result(ok, desc):
    print(f"RESULT\t{0 if ok else 1}\t{desc}")


def parse(path):
    raw = open(path, "rb").read()
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def defects(path):
    _, msg = parse(path)
    found = []
    for part in msg.walk():
        found += [str(d) for d in part.defects]
        for k, v in part.items():
            if k.lower() == "content-type" and part.get_filename():
                found += [str(d) for d in v.defects
                          if not any(x in str(d) for x in KNOWN)]
            else:
                found += [f"{k}: {d}" for d in v.defects]
    result(not found, f"Python finds no defect {found}")


def attachments(msg):
    return [p for p in msg.walk() if p.get_content_disposition() == "attachment"]


def names(path, *want):
    _, msg = parse(path)
    got = [p.get_filename() for p in attachments(msg)]
    result(got == list(want), f"attachment names {got}")


def find(msg, name):
    for p in attachments(msg):
        if p.get_filename() == name:
            return p
    return None


def charset(path, name, cs):
    _, msg = parse(path)
    p = find(msg, name)
    got = p.get_content_charset() if p else None
    result(got == cs.lower(), f"{name}: charset {got}")
    if p is not None and got:
        text = p.get_payload(decode=True).decode(got)
        result("한글" in text, f"{name}: decodes in its charset to {text!r}")


def ctype(path, name, want):
    _, msg = parse(path)
    p = find(msg, name)
    got = p.get_content_type() if p else None
    result(got == want, f"{name}: type {got}")


def downgrade(raw):
    """A relay without 8BITMIME: each 8bit leaf becomes base64."""
    import email.encoders
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    changed = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get("Content-Transfer-Encoding", "7bit").lower() == "8bit":
            data = part.get_payload(decode=True)
            del part["Content-Transfer-Encoding"]
            part.set_payload(data)
            email.encoders.encode_base64(part)
            changed += 1
    out = msg.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
    return out, changed


def dkim_check(path):
    import dkim
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())
    pub = key.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    import base64
    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)
    raw = open(path, "rb").read()
    sig = dkim.sign(raw, b"mm", b"example.com", priv,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date",
                                     b"message-id", b"mime-version",
                                     b"content-type"])
    signed = sig + raw
    relayed, changed = downgrade(signed)
    result(changed == 0, f"no 8bit part for a relay to convert ({changed})")
    ok = dkim.verify(relayed, dnsfunc=lambda name, timeout=5: record)
    result(ok, "the DKIM signature verifies after the relay")


def main():
    what, path, *args = sys.argv[1:]
    {"defects": defects, "names": names, "charset": charset,
     "type": ctype, "dkim": dkim_check}[what](path, *args)


main()
