build-m/html.o: src/mail/html.c src/base/buf.h src/mail/html.h
src/base/buf.h:
src/mail/html.h:
