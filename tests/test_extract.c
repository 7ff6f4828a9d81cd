/* tests/test_extract.c: the pieces of `folio extract`: dates, durations, jurisdictions and parties
 * normalized; clauses cut with their page, lines and heading; categories files parsed (and bad
 * ones refused with file:line); the word-Jaccard of the evaluation. */
#include "check.h"
#include "extract.h"
#include "extract_model.h"

static void check_date(const char *s, const char *want_iso, const char *want_text)
{
    size_t ms = 0, me = 0;
    char iso[16] = "";
    int found = app_extract_date_find(s, strlen(s), &ms, &me, iso);
    if (!want_iso) {
        CHECK_MSG(!found, "'%s' gave a date %s", s, iso);
        return;
    }
    CHECK_MSG(found && !strcmp(iso, want_iso), "'%s': %s, expected %s", s, found ? iso : "none",
              want_iso);
    if (found && want_text)
        CHECK_MSG(me - ms == strlen(want_text) && !strncmp(s + ms, want_text, me - ms),
                  "'%s': span '%.*s', expected '%s'", s, (int)(me - ms), s + ms, want_text);
}

static void test_dates(void)
{
    check_date("made as of January 10, 2018 by", "2018-01-10", "January 10, 2018");
    check_date("this 10th day of January, 2018 by and between", "2018-01-10",
               "10th day of January, 2018");
    check_date("dated 3 Sept. 2001", "2001-09-03", "3 Sept. 2001");
    check_date("effective 2019-12-17.", "2019-12-17", "2019-12-17");
    check_date("signed 4/15/94 in", "1994-04-15", "4/15/94");
    check_date("as of the [ ] day of [ ], 2020 (the", "2020", NULL);
    check_date("as of ____ day of ________, 2006", "2006", NULL);
    check_date("in March 1999 the parties", "1999-03", "March 1999");
    check_date("Section 12.3 applies to 45 units", NULL, NULL);
    check_date("on February 30, 2010", "2010-02-30", NULL); /* as written; not a calendar check */
    check_date("13/45/2020", NULL, NULL);
}

static void test_durations(void)
{
    struct {
        const char *s, *want;
    } cases[] = {{"for twelve (12) months from", "12 months"},
                 {"ninety (90) days prior to", "90 days"},
                 {"successive one-year terms", "1 year"},
                 {"for 3 years", "3 years"},
                 {"thirty days' notice", "30 days"},
                 {"two (2) additional years", "2 years"},
                 {"no period here", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t ms, me;
        char out[32] = "";
        int found = app_extract_duration_find(cases[i].s, strlen(cases[i].s), &ms, &me, out);
        if (!cases[i].want)
            CHECK_MSG(!found, "'%s' gave %s", cases[i].s, out);
        else
            CHECK_MSG(found && !strcmp(out, cases[i].want), "'%s': '%s', expected '%s'", cases[i].s,
                      found ? out : "none", cases[i].want);
    }
    char iso[16];
    CHECK(app_extract_date_add("2018-01-10", "12 months", iso) && !strcmp(iso, "2019-01-10"));
    CHECK(app_extract_date_add("2014-02-10", "5 years", iso) && !strcmp(iso, "2019-02-10"));
    CHECK(app_extract_date_add("2020-01-31", "1 month", iso) && !strcmp(iso, "2020-02-29"));
    CHECK(app_extract_date_add("2020-12-20", "30 days", iso) && !strcmp(iso, "2021-01-19"));
    CHECK(!app_extract_date_add("2020", "30 days", iso));
}

static void test_jurisdictions(void)
{
    struct {
        const char *s, *want;
    } cases[] = {
        {"governed by the laws of the State of New York, without regard", "New York"},
        {"construed under the laws of West Virginia", "West Virginia"},
        {"subject to the laws of England and Wales", "England and Wales"},
        {"Delaware corporation ... governed by the laws of the Commonwealth of Massachusetts",
         "Massachusetts"},
        {"governed by the laws of Ontario and the federal laws of Canada", "Ontario"},
        {"governed by applicable law", NULL}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[64] = "";
        int found = app_extract_jurisdiction(cases[i].s, strlen(cases[i].s), out, sizeof out);
        if (!cases[i].want)
            CHECK_MSG(!found, "'%s' gave %s", cases[i].s, out);
        else
            CHECK_MSG(found && !strcmp(out, cases[i].want), "'%s': '%s', expected '%s'", cases[i].s,
                      out, cases[i].want);
    }
}

static void test_parties(void)
{
    const char *s = "This Supply Agreement is made by and between Acme Widgets, Inc., a Delaware\n"
                    "corporation (\"Supplier\"), and Beta Foods LLC, a Texas limited liability "
                    "company (the \"Buyer\").";
    app_extract_party p[8];
    int n = app_extract_parties(s, strlen(s), p, 8);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK(
            !strncmp(s + p[0].name_start, "Acme Widgets, Inc.", p[0].name_end - p[0].name_start) &&
            p[0].name_end - p[0].name_start == strlen("Acme Widgets, Inc."));
        CHECK(!strncmp(s + p[0].alias_start, "Supplier", 8) &&
              p[0].alias_end - p[0].alias_start == 8);
        CHECK(!strncmp(s + p[1].name_start, "Beta Foods LLC", 14) &&
              p[1].name_end - p[1].name_start == 14);
        CHECK(!strncmp(s + p[1].alias_start, "Buyer", 5));
    }
    CHECK_EQ_INT(app_extract_parties("No parties are named here.", 26, p, 8), 0);
}

static app_extract_text text_of(const char *const *pages, int n, int pdf)
{
    app_extract_text t;
    char err[256];
    CHECK_MSG(app_extract_text_from_pages(pages, n, pdf, &t, err, sizeof err) == 0, "%s", err);
    return t;
}

static size_t find_clause(const app_extract_text *t, const app_extract_clause *c, size_t n,
                          const char *prefix)
{
    for (size_t i = 0; i < n; i++)
        if (!strncmp(t->text + c[i].start, prefix, strlen(prefix))) return i;
    return (size_t)-1;
}

static void test_segment(void)
{
    const char *pages[] = {
        ("MASTER SUPPLY AGREEMENT\n\nThis Agreement is made by Acme Corp. and Beta Inc. on the\n"
         "date below. It has two parts.\n12. Governing Law. This Agreement is governed by the\n"
         "laws of the State of Ohio. Each party consents to the courts of Ohio.\n"
         "ACME CONFIDENTIAL page 1\n"),
        ("13. Assignment\n(a) Neither party may assign this Agreement without the prior written\n"
         "consent of the other party, e.g. by merger.\n(b) Any other transfer is void.\n"
         "ACME CONFIDENTIAL page 2\n"),
        ("14. Notices\nNotices are given in writing to the addresses above, as set out in "
         "Sec. 4 of the Schedule.\nACME CONFIDENTIAL page 3\n")};
    app_extract_text t = text_of(pages, 3, 1);
    CHECK_EQ_INT(t.dropped, 3); /* the running footer, on every page */
    CHECK(strstr(t.text, "CONFIDENTIAL") == NULL);
    app_extract_clause *c = NULL;
    size_t n = 0;
    char err[256];
    CHECK(app_extract_segment(&t, &c, &n, err, sizeof err) == 0);
    size_t i = find_clause(&t, c, n, "This Agreement is made by Acme Corp. and Beta Inc. on");
    CHECK_MSG(i != (size_t)-1, "the abbreviations cut the first sentence");
    if (i != (size_t)-1) {
        CHECK(t.text[c[i].end - 1] == '.' &&
              strstr(t.text + c[i].start, "below.") == t.text + c[i].end - 6);
        int page, line;
        app_extract_text_locate(&t, c[i].start, &page, &line);
        CHECK_EQ_INT(page, 1);
        CHECK_EQ_INT(line, 3);
    }
    i = find_clause(&t, c, n, "This Agreement is governed");
    CHECK_MSG(i != (size_t)-1, "the inline heading stayed in the sentence");
    if (i != (size_t)-1) {
        CHECK(c[i].head_end - c[i].head_start == strlen("Governing Law") &&
              !strncmp(t.text + c[i].head_start, "Governing Law", 13));
    }
    i = find_clause(&t, c, n, "Neither party may assign"); /* "(a) " is left out */
    CHECK_MSG(i != (size_t)-1, "the numbered item is not a clause of its own");
    if (i != (size_t)-1) {
        int page, line;
        app_extract_text_locate(&t, c[i].start, &page, &line);
        CHECK_EQ_INT(page, 2);
        CHECK_EQ_INT(line, 2);
        CHECK(!strncmp(t.text + c[i].head_start, "Assignment", 10));
        CHECK(strstr(t.text + c[i].start, "by merger.") + 10 == t.text + c[i].end);
    }
    CHECK(find_clause(&t, c, n, "Notices are given") != (size_t)-1);
    CHECK(find_clause(&t, c, n, "4 of the Schedule") == (size_t)-1); /* "Sec. 4" */
    free(c);
    app_extract_text_free(&t);

    const char *edgar[] = {"SUPPLY AGREEMENT   This Agreement is made today.   1) Term   "
                           "The term is one year.\r\nIt renews.\r\n"};
    t = text_of(edgar, 1, 0);
    CHECK(app_extract_segment(&t, &c, &n, err, sizeof err) == 0);
    CHECK(n >= 4 && c[0].is_heading);
    CHECK(find_clause(&t, c, n, "The term is one year.") != (size_t)-1);
    CHECK(strchr(t.text, '\r') == NULL);
    free(c);
    app_extract_text_free(&t);
}

static void test_rules_file(void)
{
    app_extract_rules *r = NULL;
    char err[512] = "";
    const char *good = "# a comment\n[Governing Law]\nkind = fact\nanswer = jurisdiction\n"
                       "phrase 6 = \\bgoverned by\\b\nthreshold = 6\n[Audit Rights]\n"
                       "phrase 8 = \\baudit\nthreshold = 8\nmax = 2\n";
    CHECK_MSG(app_extract_rules_load(good, strlen(good), "t.txt", &r, err, sizeof err) == 0, "%s",
              err);
    CHECK_EQ_INT(app_extract_rules_count(r), 2);
    CHECK_EQ_INT(app_extract_rules_find(r, "audit rights"), 1);
    CHECK_EQ_INT(app_extract_rules_kind(r, 0), APP_EXTRACT_FACT);
    const char *pages[] = {"This Agreement is governed by the laws of the State of Iowa.\n\n"
                           "The Buyer may audit the books once a year.\n"};
    app_extract_text t = text_of(pages, 1, 0);
    app_extract_clause *c = NULL;
    size_t n = 0;
    app_extract_result res;
    CHECK(app_extract_segment(&t, &c, &n, err, sizeof err) == 0);
    CHECK(app_extract_run(r, &t, c, n, NULL, &res, err, sizeof err) == 0);
    CHECK_EQ_INT(res.n, 2);
    if (res.n == 2) {
        CHECK(res.hits[0].category == 0 && res.hits[0].answer &&
              !strcmp(res.hits[0].answer, "Iowa"));
        CHECK(res.hits[0].confidence >= 0.5 && res.hits[0].confidence < 1);
        CHECK(res.hits[1].category == 1 && res.hits[1].answer == NULL);
    }
    unsigned char want[2] = {0, 1};
    app_extract_result_free(&res);
    CHECK(app_extract_run(r, &t, c, n, want, &res, err, sizeof err) == 0);
    CHECK(res.n == 1 && res.hits[0].category == 1);
    app_extract_result_free(&res);
    free(c);
    app_extract_text_free(&t);
    app_extract_rules_destroy(r);

    const char *bad_re = "[X]\nphrase 3 = (unclosed\n";
    CHECK(app_extract_rules_load(bad_re, strlen(bad_re), "b.txt", &r, err, sizeof err) < 0);
    CHECK_MSG(strstr(err, "b.txt:2:") != NULL, "%s", err);
    const char *bad_key = "[X]\ncolour = red\n";
    CHECK(app_extract_rules_load(bad_key, strlen(bad_key), "k.txt", &r, err, sizeof err) < 0);
    CHECK_MSG(strstr(err, "k.txt:2:") != NULL, "%s", err);
    CHECK(app_extract_rules_load("", 0, "e.txt", &r, err, sizeof err) < 0);
    app_extract_rules_destroy(NULL);

    CHECK(app_extract_rules_default(&r, err, sizeof err) == 0);
    CHECK_EQ_INT(app_extract_rules_count(r), 41);
    for (int i = 0; r && i < app_extract_rules_count(r); i++)
        CHECK_MSG(app_extract_rules_define(r, i)[0], "%s has no definition",
                  app_extract_rules_name(r, i));
    app_extract_rules_destroy(r);
}

static void test_jaccard(void)
{
    CHECK(fabs(app_extract_jaccard("The cat sat.", "the CAT sat") - 1.0) < 1e-9);
    CHECK(fabs(app_extract_jaccard("a b c d", "a b") - 0.5) < 1e-9);
    CHECK(app_extract_jaccard("", "") == 0.0);
    CHECK(app_extract_jaccard("x y", "z") == 0.0);
}

/* A model's reply: the JSON found in it, clauses verified against the contract. */
static void test_model_reply(void)
{
    const char *pages[] = {"LEASE\n\nThis lease is governed by\nthe laws of Ohio. Rent is due.\n"};
    app_extract_doc d;
    memset(&d, 0, sizeof d);
    d.text = text_of(pages, 1, 0);
    char why[256];
    const char *reply = "Sure: {\"clauses\": [{\"text\": \"This lease is governed by the laws of "
                        "Ohio.\", \"answer\": \"Ohio\"}, {\"text\": \"The tenant may sublet.\", "
                        "\"answer\": null}, {\"answer\": \"no text\"}]} That is all.";
    CHECK_EQ_INT(app_extract_model_accept(reply, &d, 3, NULL, why, sizeof why), 1);
    CHECK_EQ_INT(d.dropped, 1);
    CHECK_EQ_INT(d.res.n, 1);
    if (d.res.n == 1) {
        const app_extract_hit *h = &d.res.hits[0];
        CHECK(h->category == 3 && h->answer && !strcmp(h->answer, "Ohio"));
        CHECK(!strncmp(d.text.text + h->start, "This lease", 10));
        CHECK(!strncmp(d.text.text + h->end - 5, "Ohio.", 5)); /* across the line break */
        CHECK(fabs(h->confidence - 0.6) < 1e-9);
        app_extract_result rules = {0};
        app_extract_result_add(&rules, 3, h->start + 2, h->end, NULL, 0.5);
        CHECK_EQ_INT(app_extract_model_accept(reply, &d, 3, &rules, why, sizeof why), 1);
        CHECK(d.res.n == 2 && fabs(d.res.hits[1].confidence - 0.9) < 1e-9);
        app_extract_result_free(&rules);
    }
    CHECK_EQ_INT(app_extract_model_accept("{\"clauses\": []}", &d, 3, NULL, why, sizeof why), 0);
    const char *fenced = "<think>{maybe}</think>```json\n{\"clauses\": [{\"text\": \"Rent is "
                         "due.\", \"answer\": null}]}\n``` and {\"clauses\": []}";
    CHECK_EQ_INT(app_extract_model_accept(fenced, &d, 4, NULL, why, sizeof why), 0);
    CHECK(d.res.n >= 1 && d.res.hits[d.res.n - 1].category == 4);
    CHECK_EQ_INT(app_extract_model_accept("no JSON at all", &d, 3, NULL, why, sizeof why), -1);
    CHECK(strstr(why, "not the JSON") != NULL);
    CHECK_EQ_INT(app_extract_model_accept("{\"clauses\": 7}", &d, 3, NULL, why, sizeof why), -1);
    CHECK_EQ_INT(
        app_extract_model_accept("{\"clauses\": [{\"text\": \"\"}]}", &d, 3, NULL, why, sizeof why),
        1); /* an empty quote is not in it */
    app_extract_doc_free(&d);
}

/* tests/data/extract_sample_contract.txt holds one ordinary clause per category, in wording of
 * its own: each of the 41 must be found, by the clause that states it. */
typedef struct expect {
    const char *cat, *in_first, *answer; /* answer: NULL to leave it unchecked */
} expect;

static void check_sample(const char *file, const expect *want, size_t n)
{
    const char *src = getenv("FOLIO_SOURCE");
    char path[4096], err[512];
    snprintf(path, sizeof path, "%s/tests/data/%s", src ? src : ".", file);
    app_extract_rules *r = NULL;
    app_extract_doc d;
    CHECK(app_extract_rules_default(&r, err, sizeof err) == 0);
    int rc = app_extract_doc_rules(path, r, NULL, &d, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    for (size_t k = 0; !rc && k < n; k++) {
        int cat = app_extract_rules_find(r, want[k].cat);
        CHECK_MSG(cat >= 0, "no category %s", want[k].cat);
        const app_extract_hit *h = NULL;
        for (size_t i = 0; i < d.res.n && !h; i++)
            if (d.res.hits[i].category == cat) h = &d.res.hits[i];
        CHECK_MSG(h != NULL, "%s: %s: not found", file, want[k].cat);
        if (!h) continue;
        char *text = app_extract_hit_text(&d, h);
        CHECK_MSG(text && strcasestr(text, want[k].in_first), "%s: %s: '%s' lacks '%s'", file,
                  want[k].cat, text, want[k].in_first);
        if (want[k].answer)
            CHECK_MSG(h->answer && !strcmp(h->answer, want[k].answer), "%s: %s: answer %s, not %s",
                      file, want[k].cat, h->answer ? h->answer : "null", want[k].answer);
        free(text);
    }
    if (!rc) app_extract_doc_free(&d);
    app_extract_rules_destroy(r);
}

static void test_sample_contract(void)
{
    static const expect want[] = {
        {"Document Name", "MASTER SUPPLY AND LICENSE AGREEMENT",
         "MASTER SUPPLY AND LICENSE AGREEMENT"},
        {"Parties", "Northwind Components, Inc.", "Northwind Components, Inc."},
        {"Agreement Date", "March 3, 2021", "2021-03-03"},
        {"Effective Date", "March 3, 2021", "2021-03-03"},
        {"Expiration Date", "three (3) years", "2024-03-03"},
        {"Renewal Term", "successive one (1) year", "successive 1 year"},
        {"Notice Period To Terminate Renewal", "sixty (60) days", "60 days"},
        {"Governing Law", "State of New York", "New York"},
        {"Most Favored Nation", "more favorable than", NULL},
        {"Competitive Restriction Exception", "less than five percent", NULL},
        {"Non-Compete", "competes with", NULL},
        {"Exclusivity", "exclusively from Supplier", NULL},
        {"No-Solicit Of Customers", "solicit or induce any customer", NULL},
        {"No-Solicit Of Employees", "hire any employee", NULL},
        {"Non-Disparagement", "disparages", NULL},
        {"Termination For Convenience", "for convenience", NULL},
        {"Rofr/Rofo/Rofn", "right of first refusal", NULL},
        {"Change Of Control", "change of control", NULL},
        {"Anti-Assignment", "may assign this Agreement", NULL},
        {"Revenue/Profit Sharing", "royalty equal to five percent", NULL},
        {"Price Restrictions", "shall not increase the prices", NULL},
        {"Minimum Commitment", "minimum of 10,000 units", NULL},
        {"Volume Restriction", "exceed 50,000 units", NULL},
        {"Ip Ownership Assignment", "hereby assigns", NULL},
        {"Joint Ip Ownership", "jointly owned", NULL},
        {"License Grant", "hereby grants", NULL},
        {"Non-Transferable License", "non-transferable", NULL},
        {"Affiliate License-Licensor", "on behalf of itself and its Affiliates", NULL},
        {"Affiliate License-Licensee", "Customer and its Affiliates", NULL},
        {"Unlimited/All-You-Can-Eat-License", "unlimited number of users", NULL},
        {"Irrevocable Or Perpetual License", "perpetual, irrevocable", NULL},
        {"Source Code Escrow", "escrow agent", NULL},
        {"Post-Termination Services", "continue to provide support", NULL},
        {"Audit Rights", "audit the books and records", NULL},
        {"Uncapped Liability", "shall not apply to a party's indemnification", NULL},
        {"Cap On Liability", "aggregate liability", NULL},
        {"Liquidated Damages", "as liquidated damages", NULL},
        {"Warranty Duration", "twelve (12) months from the date of delivery", NULL},
        {"Insurance", "liability insurance", NULL},
        {"Covenant Not To Sue", "shall not contest or challenge", NULL},
        {"Third Party Beneficiary", "intended third party beneficiaries", NULL},
    };
    CHECK_EQ_INT(sizeof want / sizeof *want, 41);
    check_sample("extract_sample_contract.txt", want, sizeof want / sizeof *want);
}

/* The same provisions in other words. */
static void test_sample_variants(void)
{
    static const expect want[] = {
        {"Agreement Date", "1st day of July, 2019", "2019-07-01"},
        {"Parties", "Harbor Tools Ltd", "Harbor Tools Ltd"},
        {"Expiration Date", "five (5) years", "2024-07-01"},
        {"Renewal Term", "renewed automatically", "2 years"},
        {"Notice Period To Terminate Renewal", "intent not to renew", "90 days"},
        {"Governing Law", "shall govern", "California"},
        {"Anti-Assignment", "not assignable", NULL},
        {"Audit Rights", "inspect and audit", NULL},
        {"Non-Compete", "compete with", NULL},
        {"Exclusivity", "appoint any other distributor", NULL},
        {"Warranty Duration", "warranty period", NULL},
        {"Post-Termination Services", "sell off", NULL},
        {"Cap On Liability", "limited to", NULL},
    };
    check_sample("extract_sample_variants.txt", want, sizeof want / sizeof *want);
}

/* Text files as they come: Windows-1252, UTF-16 with a byte order mark, and binaries refused. */
static void test_text_encodings(void)
{
    const char *tmp = getenv("FOLIO_TEST_TMP");
    char path[4096], err[512];
    static const struct {
        const char *bytes;
        size_t n;
        const char *want; /* in the text, or NULL: refused */
    } files[] = {
        {"Caf\xe9 \x93quoted\x94\n", 14, "Caf\xc3\xa9 \xe2\x80\x9cquoted\xe2\x80\x9d"},
        {"\xff\xfeO\0h\0i\0o\0", 10, "Ohio"},
        {"\xef\xbb\xbfOhio\n", 8, "Ohio"},
        {"ELF\0\1\2", 6, NULL},
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/extract_enc_%zu.txt", tmp ? tmp : "/tmp", i);
        FILE *f = fopen(path, "wb");
        CHECK(f != NULL);
        if (!f) continue;
        fwrite(files[i].bytes, 1, files[i].n, f);
        fclose(f);
        app_extract_text t;
        int rc = app_extract_text_load(path, &t, err, sizeof err);
        if (!files[i].want) {
            CHECK_MSG(rc < 0 && strstr(err, "binary"), "file %zu: %s", i, err);
            continue;
        }
        CHECK_MSG(rc == 0 && !strncmp(t.text, files[i].want, strlen(files[i].want)),
                  "file %zu: '%s'", i, rc ? err : t.text);
        if (!rc) app_extract_text_free(&t);
        remove(path);
    }
}

/* A contract without a title line is named by its preamble. */
static void test_title_in_preamble(void)
{
    const char *pages[] = {"This Master Services Agreement (the \"Agreement\") is made on May 1, "
                           "2020 between Acme Inc. (\"Acme\") and Beta LLC (\"Beta\").\n"};
    app_extract_text t = text_of(pages, 1, 0);
    app_extract_rules *r = NULL;
    app_extract_clause *c = NULL;
    app_extract_result res = {0};
    size_t n = 0;
    char err[256];
    CHECK(app_extract_rules_default(&r, err, sizeof err) == 0);
    unsigned char want[64] = {0};
    int cat = r ? app_extract_rules_find(r, "Document Name") : -1;
    CHECK(cat >= 0 && cat < 64);
    if (cat >= 0 && cat < 64) want[cat] = 1;
    CHECK(app_extract_segment(&t, &c, &n, err, sizeof err) == 0);
    CHECK(r && app_extract_run(r, &t, c, n, want, &res, err, sizeof err) == 0);
    CHECK(res.n == 1 && res.hits[0].answer &&
          !strcmp(res.hits[0].answer, "Master Services Agreement"));
    app_extract_result_free(&res);
    free(c);
    app_extract_text_free(&t);
    app_extract_rules_destroy(r);
}

int main(void)
{
    test_title_in_preamble();
    test_text_encodings();
    test_sample_contract();
    test_sample_variants();
    test_model_reply();
    test_dates();
    test_durations();
    test_jurisdictions();
    test_parties();
    test_segment();
    test_rules_file();
    test_jaccard();
    return check_finish();
}
