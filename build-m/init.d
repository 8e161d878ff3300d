build-m/init.o: src/cli/init.c src/cli/init.h src/base/err.h
src/cli/init.h:
src/base/err.h:
