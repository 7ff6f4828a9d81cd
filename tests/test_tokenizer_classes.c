/* tests/test_tokenizer_classes.c: the compiled code-point class table (engine/tok_classes.c) equals
 * the fixture's codepoint_classes.tsv, and differs from PCRE2's Unicode data only where PCRE2 is
 * older (code points it has as unassigned) or where Oniguruma's \s and PCRE2's \s differ. */
#include <stdint.h>

#include "check.h"
#include "tok_int.h"

static int class_code(const char *s)
{
    static const char *const names[] = {"O", "LM", "N", "PS", "WS", "NL"};
    for (int i = 0; i < 6; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

static int in_literal_ranges(uint32_t cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FA5);
}

/* Every code point outside the literal CJK ranges of the second pattern (which the generator
 * fills from unicodedata, checked against PCRE2 below) has the class the .tsv gives it. */
static void test_table_equals_tsv(void)
{
    FILE *f = fopen(check_shared("fixtures/tokenizer/deepseek-v3/codepoint_classes.tsv"), "r");
    CHECK(f != NULL);
    if (!f) return;
    uint8_t *want = calloc(0x110000, 1);
    char line[256];
    int ranges = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned lo, hi;
        char cl[8];
        if (line[0] == '#' || sscanf(line, "U+%X\tU+%X\t%7s", &lo, &hi, cl) != 3) continue;
        CHECK(lo <= hi && hi <= 0x10FFFF && class_code(cl) > 0);
        if (lo <= hi && hi <= 0x10FFFF) memset(want + lo, class_code(cl), hi - lo + 1);
        ranges++;
    }
    fclose(f);
    tok_classes c;
    CHECK(tok_classes_build(&c) == 0);
    int bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++)
        if (!in_literal_ranges(cp) && tok_class_of(&c, cp) != want[cp] && bad++ < 5)
            fprintf(stderr, "U+%04X: table %d, tsv %d\n", (unsigned)cp, tok_class_of(&c, cp),
                    want[cp]);
    CHECK_MSG(bad == 0 && ranges > 1000, "tok_classes.c is stale: rerun tok_classes_gen.py");
    tok_classes_free(&c);
    free(want);
}

static pcre2_code *compile(const char *re)
{
    int ec;
    PCRE2_SIZE eo;
    pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
                                  PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &ec, &eo, NULL);
    pcre2_jit_compile(c, PCRE2_JIT_COMPLETE);
    return c;
}

static int encode_utf8(uint32_t cp, unsigned char *o)
{
    if (cp < 0x80) return o[0] = (unsigned char)cp, 1;
    if (cp < 0x800) return o[0] = 0xC0 | (cp >> 6), o[1] = 0x80 | (cp & 63), 2;
    if (cp < 0x10000)
        return o[0] = 0xE0 | (cp >> 12), o[1] = 0x80 | ((cp >> 6) & 63), o[2] = 0x80 | (cp & 63), 3;
    o[0] = 0xF0 | (cp >> 18), o[1] = 0x80 | ((cp >> 12) & 63);
    o[2] = 0x80 | ((cp >> 6) & 63), o[3] = 0x80 | (cp & 63);
    return 4;
}

static void test_against_pcre2(void)
{
    tok_classes c;
    CHECK(tok_classes_build(&c) == 0);
    pcre2_code *re = compile("(?:([\\p{L}\\p{M}])|(\\p{N})|([\\p{P}\\p{S}])|([\\r\\n])|(\\s))");
    pcre2_code *cn = compile("\\p{Cn}");
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    pcre2_match_data *md2 = pcre2_match_data_create_from_pattern(cn, NULL);
    int differ = 0, unexplained = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        unsigned char u[4];
        int n = encode_utf8(cp, u), pc = TOK_CL_O;
        int rc = pcre2_match(re, u, (size_t)n, 0, 0, md, NULL);
        if (rc > 1) pc = rc - 1; /* group k matched: LM, N, PS, NL, WS in that order */
        if (pc == 4)
            pc = TOK_CL_NL;
        else if (pc == 5)
            pc = TOK_CL_WS;
        int tc = tok_class_of(&c, cp);
        if (tc == pc) continue;
        differ++;
        /* Newer Unicode in the reference, or U+180E, which PCRE2's \s has and Oniguruma's not. */
        int cn_in_pcre2 = pcre2_match(cn, u, (size_t)n, 0, 0, md2, NULL) > 0;
        if (!(cn_in_pcre2 && pc == TOK_CL_O) && cp != 0x180E) {
            if (unexplained++ < 10)
                fprintf(stderr, "U+%04X: table %d, PCRE2 %d\n", (unsigned)cp, tc, pc);
        }
    }
    printf("%d code points class differently in PCRE2 %d.%d than in the reference\n", differ,
           PCRE2_MAJOR, PCRE2_MINOR);
    CHECK_EQ_INT(unexplained, 0);
    pcre2_match_data_free(md);
    pcre2_match_data_free(md2);
    pcre2_code_free(re);
    pcre2_code_free(cn);
    tok_classes_free(&c);
}

int main(void)
{
    test_table_equals_tsv();
    test_against_pcre2();
    return check_finish();
}
