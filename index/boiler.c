/* index/boiler.c: tables of contents and back-of-book indexes told from content, from a chunk's
 * text (and heading) when it is stored: lines with dot leaders ("Intro . . . . 5"), lines that
 * end in page numbers ("tabular, 3, 12-14", "1 Vorwort3"), columns of bare page numbers, and
 * headings such as "Contents", "Index", "Inhaltsverzeichnis". The flag is chunks.boiler. */
#include "idx_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int is_roman(const char *s, size_t n)
{
    if (!n || n > 6) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("ivxlcIVXLC", s[i])) return 0;
    return 1;
}

/* Bytes of the page locators that end a line: numbers of up to 4 digits or roman numerals,
 * joined by ", " or a dash ("12", "xii", "3, 12-14", "45–47"); 0 when it ends otherwise, or in
 * a number with a thousands separator ("1,234"). */
static size_t locator_tail(const char *s, size_t n)
{
    size_t e = n, start = 0;
    int refs = 0;
    while (e > 0) {
        size_t d = e;
        while (d > 0 && isdigit((unsigned char)s[d - 1]) && e - d < 5) d--;
        if (d == e) {
            while (d > 0 && strchr("ivxlcIVXLC", s[d - 1])) d--;
            if (!is_roman(s + d, e - d) || (d > 0 && isalpha((unsigned char)s[d - 1]))) d = e;
        }
        if (d == e || (d > 0 && isdigit((unsigned char)s[d - 1]))) break;
        refs++, start = d;
        size_t p = d;
        while (p > 0 && s[p - 1] == ' ') p--;
        if (p >= 1 && s[p - 1] == ',') {
            if (p == d) return 0; /* "1,234" */
            p--;
        } else if (p >= 1 && s[p - 1] == '-') {
            p--;
        } else if (p >= 3 && !memcmp(s + p - 3, "\xE2\x80\x93", 3)) {
            p -= 3;
        } else {
            break;
        }
        while (p > 0 && s[p - 1] == ' ') p--;
        e = p;
    }
    return refs ? n - start : 0;
}

static int has_leader(const char *s, size_t n)
{
    int dots = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            dots++;
        else if (s[i] != ' ' && s[i] != '\t')
            dots = 0;
        if (dots >= 4) return 1;
        if (i + 2 < n && !memcmp(s + i, "\xE2\x80\xA6", 3) && ++dots >= 4) return 1; /* … */
    }
    return 0;
}

static int has_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isalpha((unsigned char)s[i]) || (unsigned char)s[i] >= 0xC0) return 1;
    return 0;
}

static int heading_word(const char *s, size_t n)
{
    static const char *const words[] = {
        "contents",
        "table of contents",
        "index",
        "general index",
        "subject index",
        "list of figures",
        "list of tables",
        "inhalt",
        "inhaltsverzeichnis",
        "register",
        "stichwortverzeichnis",
        "abbildungsverzeichnis",
        "tabellenverzeichnis",
        "sommaire",
        "table des matières",
        "index alphabétique",
        "índice",
        "indice",
        "contenido",
        "\xE7\x9B\xAE\xE5\xBD\x95",
        "\xE7\x9B\xAE\xE6\xAC\xA1",
        "\xE7\xB4\xA2\xE5\xBC\x95",
        NULL,
    };
    while (n && (isdigit((unsigned char)*s) || *s == ' ' || *s == '.')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == ':')) n--;
    for (int i = 0; words[i]; i++)
        if (strlen(words[i]) == n && !strncasecmp(s, words[i], n)) return 1;
    return 0;
}

int idx_boiler_detect(const char *text, const char *heading)
{
    int lines = 0, leader = 0, loc = 0, bare = 0,
        head = heading && heading_word(heading, strlen(heading));
    size_t bytes = 0;
    for (const char *p = text; p && *p;) {
        size_t n = strcspn(p, "\n");
        const char *s = p;
        p += n + (p[n] == '\n');
        while (n && isspace((unsigned char)*s)) s++, n--;
        while (n && isspace((unsigned char)s[n - 1])) n--;
        if (!n) continue;
        if (!lines && heading_word(s, n)) head = 1;
        lines++, bytes += n;
        size_t t = locator_tail(s, n);
        if (has_leader(s, n))
            leader++;
        else if (t == n && (isdigit((unsigned char)*s) || is_roman(s, n)))
            bare++;
        else if (t && n <= 90 && has_letter(s, n - t))
            loc++;
    }
    if (lines < 3) return 0;
    int listy = leader + loc + bare;
    if (leader >= 3 && leader * 4 >= lines) return 1;
    if (head && listy * 2 >= lines) return 1;
    return lines >= 8 && listy * 10 >= lines * 7 && bytes <= (size_t)lines * 60;
}

static void boiler_fn(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    const char *heading = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    sqlite3_result_int(ctx, text ? idx_boiler_detect(text, heading) : 0);
}

int idx_register_boiler(sqlite3 *db)
{
    return sqlite3_create_function(db, "folio_boiler", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   boiler_fn, NULL, NULL) == SQLITE_OK
               ? 0
               : -1;
}
