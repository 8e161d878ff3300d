build-m/config.o: src/accounts/config.c src/base/buf.h \
 src/accounts/config.h src/base/err.h src/accounts/provider.h \
 src/wire/smtp.h src/mail/message.h src/base/utf8.h src/base/xalloc.h
src/base/buf.h:
src/accounts/config.h:
src/base/err.h:
src/accounts/provider.h:
src/wire/smtp.h:
src/mail/message.h:
src/base/utf8.h:
src/base/xalloc.h:
