#!/bin/bash
# Issue 10 item 17: make check runs the suite; make clean removes every
# build folder (build, build-asan, a valgrind or fuzz build's B=...).
. "$(dirname "$0")/lib.bash"
make -s -C "$TOP" -n check >check.out 2>&1
ok $? "make check is a target"
like check.out 'prove ' "make check runs prove (make test)"

# A scratch copy of the makefiles, with build folders to remove.
mkdir -p proj/tests/smtpd proj/tests/fuzz
cp "$TOP/Makefile" proj/
cp "$TOP/tests/smtpd/Makefile.inc" proj/tests/smtpd/
cp "$TOP/tests/fuzz/Makefile.inc" proj/tests/fuzz/
mkdir -p proj/src proj/out/demo
for d in build build-asan build-vg build-fuzz build/fuzz; do
	mkdir -p "proj/$d" && touch "proj/$d/x.o"
done
make -s -C proj clean >clean.out 2>&1
ok $? "make clean succeeds"
is "$(cd proj && ls -d build* 2>/dev/null | tr '\n' ' ')" "" \
    "make clean removed build, build-asan, build-vg, build-fuzz"
ok "$([ -d proj/out/demo ]; echo $?)" "make clean leaves out/ alone"
done_testing
