/* app/extract_norm.c: normalized answers of the fact categories: dates as ISO 8601 (YYYY-MM-DD, or
 * YYYY / YYYY-MM when the text leaves blanks), durations as "N days|weeks|months|years",
 * jurisdictions from assets/cuad/jurisdictions.txt, and party names from a preamble. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "extract.h"

#include <ctype.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define MONTH                                                                                      \
    "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"               \
    "sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?"
#define BLANK "(?:\\[[^\\]\\n]{0,16}\\]|_{2,}|\\*{1,3}|\\s{2,12})"

/* Date shapes, in order of preference when two start at the same place; groups hold
 * (y, m, d) in the order given by `order`. */
static const struct {
    const char *re;
    const char *order; /* which group is y, m (a month name or number) and d */
} date_res[] = {
    {"\\b" MONTH "\\s+(\\d{1,2})(?:st|nd|rd|th)?\\s*,?\\s+(\\d{4})\\b", "mdy"},
    {"\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:day\\s+of\\s+)?" MONTH ",?\\s+(?:in\\s+the\\s+year\\s+)?"
     "(\\d{4})\\b",
     "dmy"},
    {"\\b(\\d{4})-(\\d{2})-(\\d{2})\\b", "ymd"},
    {"\\b(\\d{1,2})/(\\d{1,2})/(\\d{4}|\\d{2})\\b", "mdy"},
    {"\\b" MONTH ",?\\s+(\\d{4})\\b", "my"},
    {BLANK "\\s*day\\s+of\\s+" BLANK "\\s*,?\\s*(\\d{4})\\b", "y"},
    {"\\b" MONTH "\\s+" BLANK "\\s*,\\s*(\\d{4})\\b", "my"},
};

static pcre2_code *compile(const char *re)
{
    int e;
    PCRE2_SIZE off;
    return pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS | PCRE2_UTF, &e,
                         &off, NULL);
}

static int month_num(const char *s)
{
    static const char *const m[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                    "jul", "aug", "sep", "oct", "nov", "dec"};
    if (isdigit((unsigned char)s[0])) return atoi(s);
    for (int i = 0; i < 12; i++)
        if (!strncasecmp(s, m[i], 3)) return i + 1;
    return 0;
}

static int date_fill(const char *s, const PCRE2_SIZE *ov, const char *order, char iso[16])
{
    int y = 0, mo = 0, d = 0;
    for (int g = 0; order[g]; g++) {
        char buf[16] = {0};
        size_t len = ov[2 * (g + 1) + 1] - ov[2 * (g + 1)];
        memcpy(buf, s + ov[2 * (g + 1)], len < 15 ? len : 15);
        if (order[g] == 'y') y = atoi(buf);
        if (order[g] == 'm') mo = month_num(buf);
        if (order[g] == 'd') d = atoi(buf);
    }
    if (y < 100 && strchr(order, 'd')) y += y >= 50 ? 1900 : 2000;
    if (y < 1800 || y > 2200 || mo < 0 || mo > 12 || d < 0 || d > 31) return 0;
    if (strchr(order, 'm') && mo == 0) return 0;
    if (strchr(order, 'd') && d == 0) return 0;
    if (d)
        snprintf(iso, 16, "%04d-%02d-%02d", y % 10000, mo & 15, d & 31);
    else if (mo)
        snprintf(iso, 16, "%04d-%02d", y % 10000, mo & 15);
    else
        snprintf(iso, 16, "%04d", y % 10000);
    return 1;
}

int app_extract_date_find(const char *s, size_t n, size_t *ms, size_t *me, char iso[16])
{
    size_t best_s = (size_t)-1, best_e = 0;
    pcre2_match_data *md = pcre2_match_data_create(8, NULL);
    if (!md) return 0;
    for (size_t i = 0; i < sizeof date_res / sizeof *date_res; i++) {
        pcre2_code *re = compile(date_res[i].re);
        if (!re) continue;
        PCRE2_SIZE from = 0;
        while (pcre2_match(re, (PCRE2_SPTR)s, n, from, 0, md, NULL) >= 0) {
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            char tmp[16];
            if (ov[0] >= best_s) break;
            if (date_fill(s, ov, date_res[i].order, tmp)) {
                best_s = ov[0], best_e = ov[1];
                memcpy(iso, tmp, 16);
                break;
            }
            from = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
        }
        pcre2_code_free(re);
    }
    pcre2_match_data_free(md);
    if (best_s == (size_t)-1) return 0;
    while (best_s < best_e && isspace((unsigned char)s[best_s])) best_s++;
    *ms = best_s, *me = best_e;
    return 1;
}

/* ---- durations --------------------------------------------------------------------------- */

static const struct {
    const char *w;
    int n;
} numwords[] = {{"one", 1},
                {"two", 2},
                {"three", 3},
                {"four", 4},
                {"five", 5},
                {"six", 6},
                {"seven", 7},
                {"eight", 8},
                {"nine", 9},
                {"ten", 10},
                {"eleven", 11},
                {"twelve", 12},
                {"thirteen", 13},
                {"fourteen", 14},
                {"fifteen", 15},
                {"sixteen", 16},
                {"eighteen", 18},
                {"twenty", 20},
                {"twenty-four", 24},
                {"thirty", 30},
                {"forty-five", 45},
                {"forty", 40},
                {"fifty", 50},
                {"sixty", 60},
                {"seventy-five", 75},
                {"ninety", 90},
                {"one hundred twenty", 120},
                {"one hundred eighty", 180},
                {"a", 1},
                {"an", 1}};

#define NUMWORD                                                                                    \
    "(one hundred (?:twenty|eighty)|twenty-four|forty-five|seventy-five|one|two|three|four|five|"  \
    "six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|eighteen|twenty|"    \
    "thirty|forty|fifty|sixty|ninety|an?)"

int app_extract_duration_find(const char *s, size_t n, size_t *ms, size_t *me, char out[32])
{
    static const char *re_s =
        "\\b(?:" NUMWORD "\\s*\\(\\s*(\\d{1,4})\\s*\\)|(\\d{1,4})|" NUMWORD ")\\s*[- ]?\\s*"
        "(?:\\(\\d{1,4}\\)\\s*)?(?:additional\\s+|consecutive\\s+|successive\\s+|calendar\\s+|"
        "business\\s+|full\\s+)?(day|week|month|year)s?\\b";
    pcre2_code *re = compile(re_s);
    pcre2_match_data *md = re ? pcre2_match_data_create(8, NULL) : NULL;
    int found = 0;
    if (md && pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0) {
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        int num = 0;
        if (ov[4] != PCRE2_UNSET)
            num = atoi(s + ov[4]);
        else if (ov[6] != PCRE2_UNSET)
            num = atoi(s + ov[6]);
        else {
            size_t g = ov[2] != PCRE2_UNSET ? 1 : 4, len = ov[2 * g + 1] - ov[2 * g];
            for (size_t i = 0; i < sizeof numwords / sizeof *numwords; i++)
                if (strlen(numwords[i].w) == len && !strncasecmp(s + ov[2 * g], numwords[i].w, len))
                    num = numwords[i].n;
        }
        char unit[8] = {0};
        size_t ul = ov[11] - ov[10];
        for (size_t i = 0; i < ul && i < 5; i++)
            unit[i] = (char)tolower((unsigned char)s[ov[10] + i]);
        if (num > 0) {
            snprintf(out, 32, "%d %.5s%s", num & 0xffff, unit, num == 1 ? "" : "s");
            *ms = ov[0], *me = ov[1];
            found = 1;
        }
    }
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return found;
}

static long days_from_civil(long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long)doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int app_extract_date_add(const char *iso, const char *duration, char out[16])
{
    int y, m, d, k;
    char unit[16];
    if (!iso || !duration || strlen(iso) != 10 || sscanf(iso, "%d-%d-%d", &y, &m, &d) != 3)
        return 0;
    if (sscanf(duration, "%d %15s", &k, unit) != 2 || k <= 0 || k > 1200) return 0;
    if (!strncmp(unit, "year", 4))
        m += 12 * k;
    else if (!strncmp(unit, "month", 5))
        m += k;
    if (!strncmp(unit, "year", 4) || !strncmp(unit, "month", 5)) {
        y += (m - 1) / 12, m = (m - 1) % 12 + 1;
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int last = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
        if (d > last) d = last;
    } else {
        long z =
            days_from_civil(y, (unsigned)m, (unsigned)d) + (!strncmp(unit, "week", 4) ? 7L * k : k);
        civil_from_days(z, &y, &m, &d);
    }
    if (y < 0 || y > 9999) return 0;
    snprintf(out, 16, "%04d-%02d-%02d", y % 10000, (m & 15), (d & 31));
    return 1;
}

/* ---- jurisdictions ----------------------------------------------------------------------- */

/* Finds `name` as whole words in s[from, n) (caseless); its offset or (size_t)-1. */
static size_t find_words(const char *s, size_t n, size_t from, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = from; i + len <= n; i++) {
        if (strncasecmp(s + i, name, len)) continue;
        if (i > 0 && isalnum((unsigned char)s[i - 1])) continue;
        if (i + len < n && isalnum((unsigned char)s[i + len])) continue;
        return i;
    }
    return (size_t)-1;
}

int app_extract_jurisdiction(const char *s, size_t n, char *out, size_t outsz)
{
    app_extract_asset found, *a = &found;
    if (!app_extract_asset_find("jurisdictions.txt", &found)) return 0;
    size_t from = find_words(s, n, 0, "laws of");
    if (from == (size_t)-1) from = find_words(s, n, 0, "law of");
    if (from == (size_t)-1) from = 0;
    size_t best = (size_t)-1, best_len = 0;
    for (const char *l = a->data; *l;) {
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) : strlen(l);
        const char *tab = memchr(l, '\t', len);
        if (l[0] != '#' && tab) {
            char name[64];
            size_t nl = len - (size_t)(tab + 1 - l);
            if (nl < sizeof name) {
                memcpy(name, tab + 1, nl), name[nl] = 0;
                size_t at = find_words(s, n, from, name);
                if (at != (size_t)-1 && (at < best || (at == best && nl > best_len)))
                    best = at, best_len = nl, snprintf(out, outsz, "%s", name);
            }
        }
        if (!e) break;
        l = e + 1;
    }
    return best != (size_t)-1;
}
