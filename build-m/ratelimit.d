build-m/ratelimit.o: src/accounts/ratelimit.c src/accounts/ratelimit.h
src/accounts/ratelimit.h:
