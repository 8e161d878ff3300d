build-m/markdown.o: src/mail/markdown.c src/base/buf.h src/base/err.h \
 src/mail/markdown.h
src/base/buf.h:
src/base/err.h:
src/mail/markdown.h:
