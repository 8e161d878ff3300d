build-m/job.o: src/run/job.c src/mail/html.h src/base/buf.h src/run/job.h \
 src/mail/attach.h src/base/err.h src/run/batch.h src/base/codec.h \
 src/base/buf.h src/run/dupes.h src/mail/message.h src/inputs/roster.h \
 src/mail/template.h src/mail/markdown.h src/base/xalloc.h
src/mail/html.h:
src/base/buf.h:
src/run/job.h:
src/mail/attach.h:
src/base/err.h:
src/run/batch.h:
src/base/codec.h:
src/base/buf.h:
src/run/dupes.h:
src/mail/message.h:
src/inputs/roster.h:
src/mail/template.h:
src/mail/markdown.h:
src/base/xalloc.h:
