/*
 * Timeouts are deadlines, not idle timers (issue 14.8): against
 * tests/smtpd dripping one reply (or the TLS handshake) an octet every
 * DRIP_MS, each stage of a session must fail within its timeout plus a
 * margin, with a "timed out" E_NET, where a per-read timer would wait
 * for the whole drip (a 42-octet greeting: 21 s) and then go on.  Each
 * case starts its own server on an ephemeral loopback port
 * (server_fixture.c).  TAP; a missing tool fails, nothing skips.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "server_fixture.h"
#include "smtp.h"
#include "tap.h"

#define TIMEOUT_MS	1000	/* the client's every timeout */
#define MARGIN_MS	3000	/* the bound: timeout + this */
#define DRIP		"500ms"	/* the server's pause after each octet */

static int
client_open(const struct fixture_server *sv, struct smtp **sp,
    struct err *e)
{
	struct fixture_client c;

	fixture_client(&c, sv, TIMEOUT_MS);
	return smtp_open(sp, &c.p, NULL, e);
}

/* One message through an open session: its smtp_send() status. */
static int
client_send(struct smtp *s, struct err *e)
{
	static const char *const rcpt[] = { "b@example.com" };
	static const char data[] = "From: a@example.com\r\nSubject: x\r\n"
	    "\r\nbody\r\n";
	struct smtp_message m;
	struct smtp_outcome o;

	memset(&m, 0, sizeof(m));
	m.from = "a@example.com";
	m.rcpt = rcpt;
	m.nrcpt = 1;
	m.data = data;
	m.len = sizeof(data) - 1;
	return smtp_send(s, &m, &o, e);
}

/*
 * The session with a server running script fails at the stage within
 * TIMEOUT_MS + MARGIN_MS, with a timeout.  sending: the stage is in the
 * transaction (the session opens first, undripped).
 */
static void
drip_case(const char *name, const char *script, bool sending)
{
	struct fixture_server sv;
	struct smtp *s = NULL;
	struct err e;
	long long t0, ms;
	int rc;

	memset(&e, 0, sizeof(e));
	if (!ok(fixture_server_start(&sv, name, script) == 0,
	    "%s: server started", name))
		return;
	t0 = (long long)clock_ms();
	rc = client_open(&sv, &s, &e);
	if (sending && rc == 0) {
		t0 = (long long)clock_ms();
		rc = client_send(s, &e);
	}
	ms = (long long)clock_ms() - t0;
	smtp_close(s);
	fixture_server_stop(&sv);
	ok(rc == -1 && e.kind == E_NET && strstr(e.msg, "timed out"),
	    "%s: fails with a timeout (%s)", name, rc == -1 ? e.msg : "none");
	ok(ms < TIMEOUT_MS + MARGIN_MS, "%s: within %d ms of a %d ms "
	    "timeout (took %lld ms)", name, MARGIN_MS, TIMEOUT_MS, ms);
}

int
main(void)
{
	if (fixture_setup("deadline") == -1)
		return 1;
	drip_case("greeting", "DRIP CONNECT " DRIP "\n", false);
	drip_case("EHLO", "DRIP EHLO#1 " DRIP "\n", false);
	drip_case("STARTTLS handshake", "DRIP_HANDSHAKE " DRIP "\n", false);
	drip_case("EHLO after TLS", "DRIP EHLO#2 " DRIP "\n", false);
	drip_case("AUTH", "DRIP AUTH " DRIP "\n", false);
	drip_case("MAIL", "DRIP MAIL " DRIP "\n", true);
	drip_case("RCPT", "DRIP RCPT " DRIP "\n", true);
	drip_case("DATA", "DRIP DATA " DRIP "\n", true);
	drip_case("end of data", "DRIP EOM " DRIP "\n", true);
	fixture_teardown();
	return tap_done();
}
