build-m/provider.o: src/accounts/provider.c src/accounts/provider.h \
 src/wire/smtp.h src/base/buf.h src/base/err.h
src/accounts/provider.h:
src/wire/smtp.h:
src/base/buf.h:
src/base/err.h:
