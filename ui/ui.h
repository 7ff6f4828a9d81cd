/* ui/ui.h: folio's terminal interface (ncursesw) and the text helpers it and the command line
 * share: display widths of UTF-8 text (CJK characters take two columns) and fitting text to a
 * column budget without cutting a character in half. */
#ifndef UI_H
#define UI_H

#include <stddef.h>

/* Terminal columns that the UTF-8 string `s` occupies (invalid bytes count one column each). */
int ui_text_width(const char *s);

/* Copies the longest prefix of `s` that fits in `cols` columns into out (NUL-terminated, at most
 * outsz bytes), ending with "…" when something was cut. Returns the columns used. */
int ui_text_fit(const char *s, int cols, char *out, size_t outsz);

#endif
