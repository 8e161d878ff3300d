build-m/template.o: src/mail/template.c src/base/buf.h src/base/err.h \
 src/mail/template.h src/base/utf8.h src/base/xalloc.h
src/base/buf.h:
src/base/err.h:
src/mail/template.h:
src/base/utf8.h:
src/base/xalloc.h:
