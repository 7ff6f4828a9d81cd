/* app/sentence.h: sentence splitting for extractive answers, summaries and clause finding. Works
 * on UTF-8 text as extracted (PDF pages, text files): knows abbreviations ("Inc.", "e.g.", "U.S."),
 * initials, decimal numbers, numbered clauses ("1.", "2.1", "(a)", "Section 4.") and CJK sentence
 * ends (。！？), and treats blank lines and clause numbers at the start of a line as breaks.
 * Sentences come as byte offsets into the caller's text, so callers map them to pages and lines. */
#ifndef APP_SENTENCE_H
#define APP_SENTENCE_H

#include <stddef.h>

typedef struct app_sentence {
    size_t start, end; /* bytes [start, end) of the text, without surrounding white space */
} app_sentence;

/* Splits text[0..len) into sentences in order (empty ones left out). *out is malloc'd (free());
 * *n may be 0. Returns 0, or -1 when out of memory (*out NULL, *n 0). Never reads past len. */
int app_sentences_split(const char *text, size_t len, app_sentence **out, size_t *n);

/* 1-based line of byte offset `off` in text, counting from `first_line` at offset 0. */
int app_sentence_line(const char *text, size_t off, int first_line);

#endif
