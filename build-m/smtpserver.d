build-m/smtpserver.o: src/wire/smtpserver.c src/wire/smtpserver.h \
 src/base/buf.h src/base/utf8.h
src/wire/smtpserver.h:
src/base/buf.h:
src/base/utf8.h:
