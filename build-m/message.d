build-m/message.o: src/mail/message.c src/base/buf.h src/base/codec.h \
 src/base/buf.h src/base/err.h src/mail/message.h src/base/utf8.h
src/base/buf.h:
src/base/codec.h:
src/base/buf.h:
src/base/err.h:
src/mail/message.h:
src/base/utf8.h:
