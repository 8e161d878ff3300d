#ifndef NITEMS_H
#define NITEMS_H

/* The number of elements of array a (not of a pointer), as BSD's. */
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#endif /* NITEMS_H */
