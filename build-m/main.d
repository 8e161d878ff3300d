build-m/main.o: src/cli/main.c src/run/batch.h src/base/err.h \
 src/base/i18n.h src/cli/init.h src/run/relay.h src/run/batch.h \
 src/records/review.h
src/run/batch.h:
src/base/err.h:
src/base/i18n.h:
src/cli/init.h:
src/run/relay.h:
src/run/batch.h:
src/records/review.h:
