#!/bin/bash
# Issue 10: a teacher's first hour.  check says what is wrong with a bad
# config, exactly as send does (it used to exit 78 in silence).
. "$(dirname "$0")/lib.bash"
S=$TOP/samples
T=$TOP/templates/announcement.txt

base='[lab]
provider = custom
host = 127.0.0.1
user = demo@example.com'
printf '%s\npassword = x\n' "$base" >mode0644.conf
chmod 644 mode0644.conf
printf '%s\npassword_env = X\nbogus = 1\n' "$base" >unknown_key.conf
printf '%s\npassword_env = X\npassword_command = echo x\n' "$base" >two_sources.conf
printf '[lab]\nprovider = custom\nhost = 127.0.0.1\npassword_env = X\n' >no_user.conf
printf 'user = x@example.com\n%s\npassword_env = X\n' "$base" >before_section.conf
printf '[gmial]\nuser = x@gmail.com\npassword_env = X\n' >unknown_section.conf
printf '%s\npassword_env = X\n[oops\n' "$base" >bad_header.conf

for c in mode0644 unknown_key two_sources no_user before_section \
    unknown_section bad_header; do
	mm send -c $c.conf --yes "$S/roster.csv" "$T"
	cp "$TMP/stderr" send.err
	mm check -c $c.conf
	is "$RC" 78 "check, $c: exit 78"
	like "$TMP/stderr" "^mailmerge: $c\\.conf(:[0-9]+)?: error: " \
	    "check, $c: the error names the file"
	check_same send.err "$TMP/stderr" "check, $c: the same message as send"
done
like "$TMP/stderr" 'expected \[section\]' "the message says what was expected"

done_testing
