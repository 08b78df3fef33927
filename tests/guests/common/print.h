/*
 * printf for the guests: %[#][0][width][l|ll|z]{d,u,x,c,s,p} and %%, written
 * one character at a time through the suite's console_putchar().
 */
#ifndef GUEST_COMMON_PRINT_H
#define GUEST_COMMON_PRINT_H

#include <stdarg.h>

/* Per suite: one character to its console (HTIF, or the SBI's). */
void console_putchar(char c);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);

#endif
