build-m/dupes.o: src/run/dupes.c src/run/dupes.h src/base/xalloc.h
src/run/dupes.h:
src/base/xalloc.h:
