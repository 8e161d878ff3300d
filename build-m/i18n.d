build-m/i18n.o: src/base/i18n.c src/base/i18n.h
src/base/i18n.h:
