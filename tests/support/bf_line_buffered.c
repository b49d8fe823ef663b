/*
 * bf_line_buffered.c - linked into every unit test: its standard output is
 * line-buffered even into a file or a pipe (CTest's log), so the lines a test
 * printed before it died of a signal (an abort, a sanitizer report) are in
 * the log instead of lost in a stdio buffer.
 */
#include <stdio.h>

__attribute__((constructor)) static void bf_line_buffered(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}
