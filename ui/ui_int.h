/* ui/ui_int.h: helpers shared by the files of ui/ and not part of its public header. */
#ifndef UI_INT_H
#define UI_INT_H

#include <stddef.h>
#include <stdint.h>

/* Length of the valid UTF-8 character at s (n bytes left, n >= 1) and its code point in *cp, or
 * 0 for an invalid or truncated sequence (overlong forms and surrogates included). */
size_t ui_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
