# mailmerge: see README.md.  One binary; each module is a .c/.h pair in
# the folder of its part, src/PART/ (README "Layout").
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/mailmerge
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
PKG_CONFIG ?= pkg-config
LOCALEDIR ?= $(PREFIX)/share/locale
PYTHON ?= /usr/bin/python3
CFLAGS ?= -O2 -g
LIBS_PC = gnutls libpcre2-8 nettle libzip expat libidn2 libbsd freexl
# Linked only into mailmerge-bounces (see BOUNCES_MODULES).
BOUNCES_PC = gmime-3.0 libcurl
# cmark-gfm (tables, strikethrough, autolinks); it exports the same cmark_*
# symbols as cmark, so only cmark-gfm is linked.  libmagic's .pc file is
# not in every release.
CMARK_LIBS := $(shell $(PKG_CONFIG) --libs libcmark-gfm 2>/dev/null || \
	echo -lcmark-gfm -lcmark-gfm-extensions)
CMARK_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcmark-gfm 2>/dev/null)
# The parts, lowest first; a part may include only parts of a lower
# layer (peers in one layer are separated by a comma), which
# tests/layers.sh checks on every build.
LAYERS = base wire inputs,mail accounts records run cli
PARTS = $(subst $(comma), ,$(LAYERS))
comma := ,
SRC_DIRS = $(PARTS:%=src/%)
# src/X.c or src/PART/X.c for each module name X.
src_of = $(foreach m,$(1),$(firstword $(wildcard $(SRC_DIRS:%=%/$(m).c) src/$(m).c)))
vpath %.c $(SRC_DIRS) src
override CFLAGS += -std=c11 -Wall -Wextra -Wpedantic -D_DEFAULT_SOURCE \
	$(SRC_DIRS:%=-I%) -Isrc -MMD -MP -DLOCALEDIR='"$(LOCALEDIR)"' \
	-DLIBEXECDIR='"$(LIBEXECDIR)"' \
	$(shell $(PKG_CONFIG) --cflags $(LIBS_PC) $(BOUNCES_PC)) $(CMARK_CFLAGS)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(LIBS_PC)) $(CMARK_LIBS) -lmagic \
	-lcsv -lpthread

# Build output goes here (never into out/, which holds preview mail).
B ?= build

MODULES = \
	addr \
	attach \
	buf \
	check \
	clock \
	codec \
	config \
	conn \
	dupes \
	err \
	exedir \
	helper \
	html \
	i18n \
	init \
	job \
	markdown \
	message \
	outbox \
	preview \
	provider \
	ratelimit \
	relay \
	report \
	resume \
	review \
	review_html \
	review_json \
	review_retry \
	review_text \
	route \
	roster \
	secrets \
	send \
	sheet \
	show \
	smtp \
	term \
	smtpserver \
	template \
	utf8 \
	xalloc

OBJS = $(MODULES:%=$(B)/%.o)

# The bounces verb links libcurl and GMime, whose pages would add 4.3 MB
# to every run's peak memory: it runs in a helper program built from
# the same objects, mailmerge-bounces, which `mailmerge bounces` execs
# (helper.c; installed in LIBEXECDIR).  The helper has bounces_verb.o
# where mailmerge has helper.o.
BOUNCES_MODULES = bounce bounces imap bounces_verb
BOUNCES_OBJS = $(filter-out $(B)/helper.o,$(OBJS)) \
	$(BOUNCES_MODULES:%=$(B)/%.o) $(B)/main.o
BOUNCES_LIBS = $(shell $(PKG_CONFIG) --libs $(BOUNCES_PC))

# Unit tests: tests/unit/test_X.c links the objects listed in T_X.
UNIT = addr attach buf codec config csvstate deadline dupes err html imapconf markdown \
	message pipeline ratelimit report resume roster sheet smtp smtpserver \
	template term utf8
T_addr = addr message codec buf err utf8 xalloc
T_attach = attach template html codec buf err utf8 xalloc
T_buf = buf xalloc
T_csvstate =
T_err = err i18n exedir utf8
T_dupes = dupes xalloc
T_html = html buf xalloc
T_markdown = markdown buf err utf8 xalloc
T_codec = codec buf err utf8 xalloc
T_config = config secrets provider message addr codec buf err utf8 xalloc
T_imapconf = config secrets provider message addr codec buf err utf8 xalloc
T_ratelimit = ratelimit
T_message = message addr codec buf err utf8 xalloc
T_report = report roster sheet buf err utf8 xalloc
T_resume = resume report roster sheet codec buf err utf8 xalloc
T_roster = roster sheet buf err utf8 xalloc
T_sheet = sheet buf err utf8 xalloc
T_smtp = smtp addr conn clock codec buf err utf8 xalloc
T_smtpserver = smtpserver buf utf8 xalloc
T_pipeline = t/server_fixture smtp addr conn clock codec buf err utf8 xalloc
T_deadline = t/server_fixture smtp addr conn clock codec buf err utf8 xalloc
T_template = template html buf err utf8 xalloc
T_utf8 = utf8
T_term = term utf8
UNIT_BINS = $(UNIT:%=$(B)/t/test_%)

.DEFAULT_GOAL := all

# Translations: po/LANG.po, compiled into $(B)/locale, where a binary
# run from the build tree finds them (i18n.c); `make pot` re-extracts.
LINGUAS = ko
MO = $(LINGUAS:%=$(B)/locale/%/LC_MESSAGES/mailmerge.mo)
XGETTEXT_KEYS = -k_ -kN_ -kP_:1,2 -kerr_set:4 -kerr_setv:4 -kerr_prefix:2
# Modules whose own error helpers take the message at another argument
# (a keyword holds for a whole xgettext run: one more run for each).
XGETTEXT_MODS = attach config message relay roster sheet template
XGETTEXT_KEYS_attach = -kfail:3
XGETTEXT_KEYS_config = -kfail:3
XGETTEXT_KEYS_message = -kbad_addr:4
XGETTEXT_KEYS_relay = -knote:3
XGETTEXT_KEYS_roster = -kfail:5
XGETTEXT_KEYS_sheet = -kbail:3 -kbook_fail:4
XGETTEXT_KEYS_template = -kfail_src:3 -kfail_line:4 -kfail_at:3
XGETTEXT = xgettext --from-code=UTF-8 --language=C \
	--add-comments=TRANSLATORS --package-name=mailmerge
POT = po/mailmerge.pot
$(B)/locale/%/LC_MESSAGES/mailmerge.mo: po/%.po
	@mkdir -p $(@D)
	msgfmt --check -o $@ $<

# The messages of the current sources into $(POT) (tests/cli/korean.sh
# checks po/ko.po against it).
extract:
	$(XGETTEXT) $(XGETTEXT_KEYS) -o $(POT) $(sort $(wildcard src/*.c src/*/*.c))
	$(foreach m,$(XGETTEXT_MODS),$(XGETTEXT) -j $(XGETTEXT_KEYS) \
	    $(XGETTEXT_KEYS_$(m)) -o $(POT) $(call src_of,$(m)) &&) true

pot: extract
	for l in $(LINGUAS); do msgmerge -q --backup=none -U po/$$l.po $(POT); done

.PHONY: extract pot all check test test-asan test-valgrind bench install uninstall clean preview \
	demo

all: $(B)/mailmerge $(MO) $(B)/layers.ok

# Fails the build when a part includes a part of its own or a higher layer.
$(B)/layers.ok: $(wildcard src/*/*.[ch] src/*.[ch]) tests/layers.sh | $(B)
	sh tests/layers.sh "$(LAYERS)" >$(B)/layers.log || { cat $(B)/layers.log; exit 1; }
	@touch $@

# Building mailmerge builds its helper too (order-only: neither is
# relinked for the other).
$(B)/mailmerge: $(OBJS) $(B)/main.o | $(B)/mailmerge-bounces
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(B)/main.o $(LDLIBS)

$(B)/mailmerge-bounces: $(BOUNCES_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(BOUNCES_LIBS)

$(B)/%.o: %.c | $(B)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/t/test_%.o: tests/unit/test_%.c | $(B)/t
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests -c -o $@ $<

# Test code that unit tests share (T_X lists it as t/NAME).
$(B)/t/server_fixture.o: tests/unit/server_fixture.c | $(B)/t
	$(CC) $(CPPFLAGS) $(CFLAGS) -Itests -c -o $@ $<

.SECONDEXPANSION:
$(B)/t/test_%: $(B)/t/test_%.o $$(addprefix $(B)/,$$(addsuffix .o,$$(T_$$*)))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B) $(B)/t:
	mkdir -p $@

include tests/smtpd/Makefile.inc
include tests/fuzz/Makefile.inc

TEST_ENV = MAILMERGE=$(abspath $(B)/mailmerge) SMTPD=$(abspath $(B)/smtpd) \
	PYTHON=$(PYTHON)
TEST_SCRIPTS = tests/layers.sh tests/smtpd/test_smtpd.py tests/cli/*.sh \
	tests/cases/run.sh
# make test CASE=042: that protocol case alone (tests/cases/042-*).
ifdef CASE
UNIT_BINS_RUN =
TEST_SCRIPTS = tests/cases/run.sh
else
UNIT_BINS_RUN = $(UNIT_BINS)
endif

# Everything, needing nothing but loopback; prove prints the summary.
test: $(B)/mailmerge $(MO) $(B)/smtpd $(UNIT_BINS)
	$(TEST_ENV) LAYERS="$(LAYERS)" CASE=$(CASE) prove --exec '' $(UNIT_BINS_RUN) $(TEST_SCRIPTS)

# The GNU name for the same.
check: test

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) B=build-asan CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' test

# Children are traced (mailmerge execs mailmerge-bounces), but not system
# programs (password_command's /bin/sh).
VALGRIND = valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --suppressions=$(abspath tests/valgrind.supp) \
	--trace-children=yes --trace-children-skip=/bin/*,/usr/*,/sbin/*
test-valgrind: $(B)/mailmerge $(MO) $(B)/smtpd $(UNIT_BINS)
	prove --exec '$(VALGRIND)' $(UNIT_BINS)
	$(TEST_ENV) MAILMERGE_WRAP='$(VALGRIND)' prove --exec '' $(TEST_SCRIPTS)

bench: $(B)/mailmerge $(B)/smtpd
	$(PYTHON) tests/bench/bench_preview.py $(abspath $(B)/mailmerge)
	$(PYTHON) tests/bench/bench_send.py $(abspath $(B)/mailmerge) \
	    $(abspath $(B)/smtpd)

# The whole job through a local test server: no account needed.
demo: $(B)/mailmerge $(B)/smtpd
	MAILMERGE=$(abspath $(B)/mailmerge) SMTPD=$(abspath $(B)/smtpd) \
	    tests/demo.sh

# Preview the bundled samples into out/preview.
preview: $(B)/mailmerge
	$(B)/mailmerge preview -o out/preview samples/roster.csv templates/announcement.txt

# The helper comes with $(B)/mailmerge; a stand-in build folder (make -o
# $(B)/mailmerge, as tests/cli/korean.sh does) may have none.
install: $(B)/mailmerge $(MO)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/ko/man1
	install -m 755 $(B)/mailmerge $(DESTDIR)$(BINDIR)/mailmerge
	if [ -e $(B)/mailmerge-bounces ]; then \
	    install -d $(DESTDIR)$(LIBEXECDIR) && \
	    install -m 755 $(B)/mailmerge-bounces \
	        $(DESTDIR)$(LIBEXECDIR)/mailmerge-bounces; fi
	install -m 644 mailmerge.1 $(DESTDIR)$(MANDIR)/man1/mailmerge.1
	install -m 644 mailmerge.ko.1 $(DESTDIR)$(MANDIR)/ko/man1/mailmerge.1
	for l in $(LINGUAS); do \
	    install -d $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES && \
	    install -m 644 $(B)/locale/$$l/LC_MESSAGES/mailmerge.mo \
	        $(DESTDIR)$(LOCALEDIR)/$$l/LC_MESSAGES/mailmerge.mo; done
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 src/cli/mailmerge.bash $(DESTDIR)$(BASHCOMPDIR)/mailmerge

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailmerge $(DESTDIR)$(MANDIR)/man1/mailmerge.1 \
	    $(DESTDIR)$(LIBEXECDIR)/mailmerge-bounces \
	    $(DESTDIR)$(MANDIR)/ko/man1/mailmerge.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/mailmerge \
	    $(LINGUAS:%=$(DESTDIR)$(LOCALEDIR)/%/LC_MESSAGES/mailmerge.mo)
	rmdir $(DESTDIR)$(LIBEXECDIR) 2>/dev/null || true

# Every build folder: build, build-asan, and any B=build-* (fuzz builds
# live inside them).
clean:
	rm -rf build build-*

-include $(wildcard $(B)/*.d $(B)/t/*.d)
