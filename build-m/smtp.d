build-m/smtp.o: src/wire/smtp.c src/base/buf.h src/base/codec.h \
 src/base/buf.h src/wire/conn.h src/base/err.h src/wire/smtp.h \
 src/base/utf8.h src/base/xalloc.h
src/base/buf.h:
src/base/codec.h:
src/base/buf.h:
src/wire/conn.h:
src/base/err.h:
src/wire/smtp.h:
src/base/utf8.h:
src/base/xalloc.h:
