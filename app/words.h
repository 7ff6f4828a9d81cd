/* app/words.h: words as retrieval and summaries compare them: split from UTF-8 text, folded to
 * lower case, reduced to a stem by stripping common English endings (terminate, terminated and
 * termination meet), and hashed; plus the stop-word list (assets/stopwords.txt). */
#ifndef APP_WORDS_H
#define APP_WORDS_H

#include <stddef.h>
#include <stdint.h>

enum { APP_STEM_MAX = 48 };

/* The next word of text[*pos..len): letters and digits (ASCII), and any non-ASCII UTF-8
 * sequence (so accented and CJK text stays in words). Sets *start and *n, moves *pos past it;
 * 0 at the end. */
int app_word_next(const char *text, size_t len, size_t *pos, size_t *start, size_t *n);
/* Lower-cased stem of w[0..n) into out (NUL-terminated, at most APP_STEM_MAX bytes). */
void app_word_stem(const char *w, size_t n, char out[APP_STEM_MAX]);
/* 64-bit hash of a NUL-terminated stem (never 0). */
uint64_t app_word_hash(const char *stem);
/* 1 when the lower-cased word w[0..n) is a stop-word. */
int app_word_is_stop(const char *w, size_t n);

/* A document's words reduced to what ranking needs: the hash of each content word's stem in
 * order (stop-words left out) and the byte offset where each starts. */
typedef struct app_terms {
    uint64_t *h;
    uint32_t *off;
    size_t n, cap;
} app_terms;

/* Appends the content words of text[0..len) (offsets counted from text + base). -1 on memory. */
int app_terms_add(app_terms *t, const char *text, size_t len, size_t base);
void app_terms_free(app_terms *t);

#endif
