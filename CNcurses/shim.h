#ifndef FLOWTAP_CNCURSES_SHIM_H
#define FLOWTAP_CNCURSES_SHIM_H
// SwiftPM drops pkg-config's -D flags: ask for the wide-character API here.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <ncursesw/curses.h>

// What Swift cannot import (macros, and global variables Swift 6 rejects as not
// concurrency-safe), as functions. Call them only on the thread that owns curses.

/// The standard screen window.
static inline WINDOW *flowtap_stdscr(void) { return stdscr; }
/// The terminal's rows, as curses knows them (updated on KEY_RESIZE).
static inline int flowtap_lines(void) { return LINES; }
/// The terminal's columns.
static inline int flowtap_cols(void) { return COLS; }
/// Attributes.
static inline attr_t flowtap_a_normal(void) { return A_NORMAL; }
static inline attr_t flowtap_a_bold(void) { return A_BOLD; }
static inline attr_t flowtap_a_reverse(void) { return A_REVERSE; }
static inline attr_t flowtap_a_dim(void) { return A_DIM; }
/// A new curses screen on stdout/stdin with $TERM; NULL (instead of exiting, as initscr does)
/// when the terminal cannot be used.
static inline SCREEN *flowtap_newterm(void) { return newterm(NULL, stdout, stdin); }
/// 1 when the current locale's character set (LC_CTYPE, after setlocale) is UTF-8.
static inline int flowtap_codeset_is_utf8(void) {
    const char *codeset = nl_langinfo(CODESET);
    return codeset != NULL && (strcmp(codeset, "UTF-8") == 0 || strcmp(codeset, "utf8") == 0);
}
#endif
