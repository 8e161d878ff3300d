build-m/err.o: src/base/err.c src/base/err.h src/base/i18n.h \
 src/base/utf8.h
src/base/err.h:
src/base/i18n.h:
src/base/utf8.h:
