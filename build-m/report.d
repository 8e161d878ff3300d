build-m/report.o: src/records/report.c src/records/report.h \
 src/base/err.h src/inputs/roster.h src/base/xalloc.h
src/records/report.h:
src/base/err.h:
src/inputs/roster.h:
src/base/xalloc.h:
