build-m/attach.o: src/mail/attach.c src/mail/attach.h src/base/buf.h \
 src/base/err.h src/base/utf8.h src/base/xalloc.h
src/mail/attach.h:
src/base/buf.h:
src/base/err.h:
src/base/utf8.h:
src/base/xalloc.h:
