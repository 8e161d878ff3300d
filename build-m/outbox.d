build-m/outbox.o: src/mail/outbox.c src/base/buf.h src/mail/outbox.h \
 src/base/err.h src/base/xalloc.h
src/base/buf.h:
src/mail/outbox.h:
src/base/err.h:
src/base/xalloc.h:
