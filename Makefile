# mailmerge: see README.md.  One binary; each module is a src/*.c/.h pair.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
PKG_CONFIG ?= pkg-config
PYTHON ?= /usr/bin/python3
CFLAGS ?= -O2 -g
LIBS_PC = gnutls libpcre2-8 nettle gmime-3.0 libcurl libzip expat libidn2 libbsd
# cmark-gfm (tables, strikethrough, autolinks); it exports the same cmark_*
# symbols as cmark, so only cmark-gfm is linked.  libmagic's .pc file is
# not in every release.
CMARK_LIBS := $(shell $(PKG_CONFIG) --libs libcmark-gfm 2>/dev/null || \
	echo -lcmark-gfm -lcmark-gfm-extensions)
CMARK_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcmark-gfm 2>/dev/null)
override CFLAGS += -std=c11 -Wall -Wextra -Wpedantic -D_DEFAULT_SOURCE \
	-MMD -MP $(shell $(PKG_CONFIG) --cflags $(LIBS_PC)) $(CMARK_CFLAGS)
LDLIBS += $(shell $(PKG_CONFIG) --libs $(LIBS_PC)) $(CMARK_LIBS) -lmagic \
	-lcsv -lpthread

# Build output goes here (never into out/, which holds preview mail).
B ?= build

MODULES = \
	addr \
	attach \
	batch \
	buf \
	codec \
	config \
	conn \
	err \
	html \
	job \
	markdown \
	message \
	outbox \
	provider \
	ratelimit \
	report \
	review \
	roster \
	send \
	smtp \
	template \
	utf8 \
	xalloc

OBJS = $(MODULES:%=$(B)/%.o)

# Unit tests: tests/unit/test_X.c links the objects listed in T_X.
UNIT = addr attach buf codec config html markdown message pipeline ratelimit \
	roster smtp template utf8
T_addr = addr message codec buf err utf8 xalloc
T_attach = attach buf err utf8 xalloc
T_buf = buf xalloc
T_html = html buf xalloc
T_markdown = markdown buf err utf8 xalloc
T_codec = codec buf err utf8 xalloc
T_config = config provider message addr codec buf err utf8 xalloc
T_ratelimit = ratelimit
T_message = message addr codec buf err utf8 xalloc
T_roster = roster buf err utf8 xalloc
T_smtp = smtp addr conn codec buf err utf8 xalloc
T_pipeline = smtp addr conn codec buf err utf8 xalloc
T_template = template buf err utf8 xalloc
T_utf8 = utf8
UNIT_BINS = $(UNIT:%=$(B)/t/test_%)

.PHONY: all test test-asan test-valgrind bench install uninstall clean preview \
	demo

all: $(B)/mailmerge

$(B)/mailmerge: $(OBJS) $(B)/main.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: src/%.c | $(B)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/t/test_%.o: tests/unit/test_%.c | $(B)/t
	$(CC) $(CPPFLAGS) $(CFLAGS) -Isrc -Itests -c -o $@ $<

.SECONDEXPANSION:
$(B)/t/test_%: $(B)/t/test_%.o $$(addprefix $(B)/,$$(addsuffix .o,$$(T_$$*)))
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B) $(B)/t:
	mkdir -p $@

include tests/smtpd/Makefile.inc
include tests/fuzz/Makefile.inc

TEST_ENV = MAILMERGE=$(abspath $(B)/mailmerge) SMTPD=$(abspath $(B)/smtpd) \
	PYTHON=$(PYTHON)
TEST_SCRIPTS = tests/smtpd/test_smtpd.py tests/cli/*.sh

# Everything, needing nothing but loopback; prove prints the summary.
test: $(B)/mailmerge $(B)/smtpd $(UNIT_BINS)
	$(TEST_ENV) prove --exec '' $(UNIT_BINS) $(TEST_SCRIPTS)

# The same suite under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	$(MAKE) B=build-asan CFLAGS='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' test

VALGRIND = valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect \
	--error-exitcode=99 --suppressions=$(abspath tests/valgrind.supp)
test-valgrind: $(B)/mailmerge $(B)/smtpd $(UNIT_BINS)
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

install: $(B)/mailmerge
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(B)/mailmerge $(DESTDIR)$(BINDIR)/mailmerge
	install -m 644 mailmerge.1 $(DESTDIR)$(MANDIR)/man1/mailmerge.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/mailmerge $(DESTDIR)$(MANDIR)/man1/mailmerge.1

clean:
	rm -rf build build-asan

-include $(wildcard $(B)/*.d $(B)/t/*.d)
