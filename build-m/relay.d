build-m/relay.o: src/run/relay.c src/base/buf.h src/base/codec.h \
 src/base/buf.h src/accounts/config.h src/base/err.h \
 src/accounts/provider.h src/wire/smtp.h src/wire/conn.h \
 src/mail/outbox.h src/accounts/ratelimit.h src/run/relay.h \
 src/run/batch.h src/records/report.h src/wire/smtpserver.h \
 src/base/xalloc.h
src/base/buf.h:
src/base/codec.h:
src/base/buf.h:
src/accounts/config.h:
src/base/err.h:
src/accounts/provider.h:
src/wire/smtp.h:
src/wire/conn.h:
src/mail/outbox.h:
src/accounts/ratelimit.h:
src/run/relay.h:
src/run/batch.h:
src/records/report.h:
src/wire/smtpserver.h:
src/base/xalloc.h:
