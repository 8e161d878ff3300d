#ifndef CSVSTATE_H
#define CSVSTATE_H

/*
 * Two of libcsv's private parser states (libcsv.c, not csv.h), which
 * roster.c reads from the public struct csv_parser's pstate: between
 * rows, and just after a quoted field's closing quote.  A libcsv that
 * renumbered them would make roster.c miscount lines and misname
 * errors; tests/unit/test_csvstate.c holds libcsv to these numbers.
 */
#define CSV_ROW_NOT_BEGUN		0
#define CSV_FIELD_MIGHT_HAVE_ENDED	3

#endif /* CSVSTATE_H */
