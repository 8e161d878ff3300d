build-m/roster.o: src/inputs/roster.c src/base/buf.h src/base/err.h \
 src/inputs/roster.h src/base/utf8.h src/base/xalloc.h
src/base/buf.h:
src/base/err.h:
src/inputs/roster.h:
src/base/utf8.h:
src/base/xalloc.h:
