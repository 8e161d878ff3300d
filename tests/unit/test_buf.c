/* Unit tests of the capped buffer. */
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf b;
	char *p;

	buf_init(&b, 10);
	is_str(buf_str(&b), "", "empty buffer reads as \"\"");
	is_int(buf_add(&b, "hello", 5), 0, "add within the cap");
	is_int(buf_addf(&b, "%d", 1234), 0, "addf within the cap");
	is_str(buf_str(&b), "hello1234", "contents");
	is_int(buf_add(&b, "xy", 2), -1, "add past the cap fails");
	is_str(buf_str(&b), "hello1234", "a failed add leaves b unchanged");
	is_int(buf_addc(&b, '!'), 0, "the cap is inclusive");
	is_int(buf_addf(&b, "%s", "z"), -1, "addf past the cap fails");
	is_int(b.len, 10, "len");
	buf_truncate(&b, 5);
	is_str(buf_str(&b), "hello", "truncate");
	p = buf_extend(&b, 3);
	ok(p != NULL, "extend returns room");
	memcpy(p, "abc", 3);
	is_str(buf_str(&b), "helloabc", "extend then write in place");
	ok(buf_extend(&b, 3) == NULL, "extend past the cap fails");
	buf_reset(&b);
	is_int(b.len, 0, "reset empties");
	is_str(buf_str(&b), "", "reset keeps a valid string");
	buf_fini(&b);
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		buf_adds(&b, "0123456789");
	is_int(b.len, 100000, "growth over many appends");
	ok(memcmp(b.data + 99990, "0123456789", 10) == 0, "tail intact");
	buf_fini(&b);
	buf_fini(&b);
	ok(1, "fini twice is safe");
	return tap_done();
}
