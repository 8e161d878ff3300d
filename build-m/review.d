build-m/review.o: src/records/review.c src/base/codec.h src/base/buf.h \
 src/records/report.h src/base/err.h src/records/review.h \
 src/inputs/roster.h src/base/utf8.h src/base/xalloc.h
src/base/codec.h:
src/base/buf.h:
src/records/report.h:
src/base/err.h:
src/records/review.h:
src/inputs/roster.h:
src/base/utf8.h:
src/base/xalloc.h:
