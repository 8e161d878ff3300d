build-m/codec.o: src/base/codec.c src/base/codec.h src/base/buf.h
src/base/codec.h:
src/base/buf.h:
