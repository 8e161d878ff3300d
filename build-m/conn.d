build-m/conn.o: src/wire/conn.c src/base/buf.h src/wire/conn.h \
 src/base/err.h src/base/xalloc.h
src/base/buf.h:
src/wire/conn.h:
src/base/err.h:
src/base/xalloc.h:
