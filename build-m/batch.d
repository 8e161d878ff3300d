build-m/batch.o: src/run/batch.c src/run/batch.h src/base/err.h \
 src/accounts/config.h src/base/buf.h src/accounts/provider.h \
 src/wire/smtp.h src/run/job.h src/mail/attach.h src/base/codec.h \
 src/base/buf.h src/run/dupes.h src/mail/message.h src/inputs/roster.h \
 src/mail/template.h src/mail/outbox.h src/records/report.h
src/run/batch.h:
src/base/err.h:
src/accounts/config.h:
src/base/buf.h:
src/accounts/provider.h:
src/wire/smtp.h:
src/run/job.h:
src/mail/attach.h:
src/base/codec.h:
src/base/buf.h:
src/run/dupes.h:
src/mail/message.h:
src/inputs/roster.h:
src/mail/template.h:
src/mail/outbox.h:
src/records/report.h:
