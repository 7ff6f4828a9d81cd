/* tests/test_ask.c: the pieces of folio ask and summarize: the sentence splitter (abbreviations,
 * numbers, clause labels, CJK, offsets), stems and stop-words, question parsing with synonyms,
 * the rerank (coverage, proximity, headings, boilerplate), GLOB escaping, LexRank summaries and
 * the configuration's order of precedence. */
#include "check.h"

#include "assets.h"
#include "cite.h"
#include "config.h"
#include "retrieve.h"
#include "sentence.h"
#include "summary.h"
#include "words.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int mkdir_p(const char *p)
{
    return mkdir(p, 0755);
}

/* The sentences of text, joined by " | ". */
static const char *split(const char *text)
{
    static char out[4096];
    app_sentence *s;
    size_t n, o = 0;
    out[0] = 0;
    if (app_sentences_split(text, strlen(text), &s, &n)) return "(oom)";
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%.*s", i ? " | " : "",
                              (int)(s[i].end - s[i].start), text + s[i].start);
    free(s);
    return out;
}

static void test_sentences(void)
{
    CHECK_STR(split("The fee is due. Payment is late."), "The fee is due. | Payment is late.");
    CHECK_STR(split("Acme Inc. shall pay Mr. J. Smith $3.50 per unit. Next one."),
              "Acme Inc. shall pay Mr. J. Smith $3.50 per unit. | Next one.");
    CHECK_STR(split("See e.g. Section 4. It applies in the U.S. too."),
              "See e.g. Section 4. | It applies in the U.S. too.");
    CHECK_STR(split("12. Termination. Either party may end it."),
              "12. Termination. | Either party may end it.");
    CHECK_STR(split("Terms apply:\n(a) first item\n(b) second item"),
              "Terms apply: | (a) first item | (b) second item");
    CHECK_STR(split("It ends here\n\nA new paragraph"), "It ends here | A new paragraph");
    CHECK_STR(split("Why? Because! \"Quoted.\" Done"), "Why? | Because! | \"Quoted.\" | Done");
    CHECK_STR(split("本合同自签署之日起生效。任何一方均可终止！是否续约？好"),
              "本合同自签署之日起生效。 | 任何一方均可终止！ | 是否续约？ | 好");
    CHECK_STR(split("approx. five days. Then stop."), "approx. five days. | Then stop.");
    CHECK_STR(split("Version 2.1.3 is out. Upgrade"), "Version 2.1.3 is out. | Upgrade");
    CHECK_STR(split("ARTICLE 5\nTERMINATION\nThe term is one year."),
              "ARTICLE 5 | TERMINATION | The term is one year.");
    CHECK_STR(split("Heading\n-------\nBody text here."), "Heading | Body text here.");
    CHECK_STR(split("   \n\n  "), "");
    /* Offsets map back to lines. */
    const char *t = "Line one.\nLine two. Three\nfour.";
    app_sentence *s;
    size_t n;
    CHECK(app_sentences_split(t, strlen(t), &s, &n) == 0 && n == 3);
    if (n == 3) {
        CHECK_EQ_INT(app_sentence_line(t, s[0].start, 10), 10);
        CHECK_EQ_INT(app_sentence_line(t, s[2].start, 10), 11);
        CHECK_EQ_INT(app_sentence_line(t, s[2].end, 10), 12);
        CHECK_EQ_INT(s[1].end - s[1].start, 9);
    }
    free(s);
    /* Never past len: a text cut in the middle of a CJK character. */
    const char cut[] = "句子。\xe3\x80";
    CHECK(app_sentences_split(cut, sizeof cut - 1, &s, &n) == 0 && n == 2);
    free(s);
}

static void test_words(void)
{
    char a[APP_STEM_MAX], b[APP_STEM_MAX], c[APP_STEM_MAX];
    app_word_stem("terminate", 9, a);
    app_word_stem("Termination", 11, b);
    app_word_stem("terminated", 10, c);
    CHECK_STR(a, b);
    CHECK_STR(a, c);
    app_word_stem("assignment", 10, a);
    app_word_stem("assign", 6, b);
    CHECK_STR(a, b);
    app_word_stem("parties", 7, a);
    app_word_stem("party", 5, b);
    CHECK_STR(a, b);
    CHECK(app_word_is_stop("What", 4));
    CHECK(app_word_is_stop("does", 4));
    CHECK(!app_word_is_stop("terminate", 9));
    /* CJK: one word per character, ideographic punctuation between words. */
    const char *zh = "终止合同。Lease期限";
    size_t pos = 0, ws, wn, nw = 0, total = strlen(zh);
    while (app_word_next(zh, total, &pos, &ws, &wn)) nw++;
    CHECK_EQ_INT(nw, 7);
    CHECK(folio_asset("synonyms.txt", NULL) != NULL);
    CHECK(folio_asset("no-such-asset", NULL) == NULL);
}

static void test_question(void)
{
    app_question *q;
    CHECK_EQ_INT(app_question_parse("What is it and can they?", &q), 1);
    CHECK(q == NULL);
    CHECK_EQ_INT(app_question_parse("Can either party terminate without cause?", &q), 0);
    char d[1024];
    app_question_describe(q, d, sizeof d);
    CHECK_MSG(strstr(d, "terminate (+synonyms)") != NULL, "%s", d);
    /* A synonym the question did not use still finds the clause. */
    double syn =
        app_retrieve_score(q, "Either party may cancel this contract upon notice.", NULL, 0, NULL);
    double none =
        app_retrieve_score(q, "The price of the goods is stated in Schedule A.", NULL, 0, NULL);
    CHECK(syn > none);
    /* Coverage and proximity: all concepts close together beat the same words far apart. */
    const char *close = "Either party may terminate without cause upon notice.";
    char far[2048];
    snprintf(far, sizeof far, "Either party shall keep records. %s terminate %s cause.",
             "The goods are shipped to the buyer and inspected on arrival at the site, and any "
             "defect is reported in writing within a reasonable time after the inspection.",
             "Payments are made monthly and late payments bear interest, without any");
    CHECK(app_retrieve_score(q, close, NULL, 0, NULL) > app_retrieve_score(q, far, NULL, 0, NULL));
    /* A matching heading helps. */
    const char *body = "Either party may end this contract upon thirty days notice.";
    CHECK(app_retrieve_score(q, body, "Termination", 0, NULL) >
          app_retrieve_score(q, body, "Payment", 0, NULL));
    /* The best sentence is marked. */
    app_passage p = {0};
    const char *two =
        "The price is fixed. Either party may terminate this agreement without cause. "
        "Notices go by mail.";
    app_retrieve_score(q, two, NULL, 0, &p);
    CHECK(p.nbest >= 1);
    if (p.nbest) CHECK(!strncmp(two + p.best[0].start, "Either party may terminate", 26));
    app_question_destroy(q);
    /* "How long" expects a duration. */
    CHECK_EQ_INT(app_question_parse("How long does the warranty last?", &q), 0);
    CHECK(app_retrieve_score(q, "Developer warrants the Product for ninety (90) days.", NULL, 0,
                             NULL) >
          app_retrieve_score(q, "Developer warrants that the Product is its own work.", NULL, 0,
                             NULL));
    app_question_destroy(q);
    /* A CJK question finds the passage holding its characters. */
    CHECK_EQ_INT(app_question_parse("合同何时终止？", &q), 0);
    CHECK(app_retrieve_score(q, "本合同于期满时终止。", NULL, 0, NULL) >
          app_retrieve_score(q, "价格由附表规定。", NULL, 0, NULL));
    app_question_destroy(q);
    /* Questions about the parties favour a document's opening passage. */
    CHECK_EQ_INT(app_question_parse("Who are the parties?", &q), 0);
    const char *open = "This agreement is made between Alpha Ltd and Beta LLC, the parties.";
    CHECK(app_retrieve_score(q, open, NULL, 1, NULL) > app_retrieve_score(q, open, NULL, 0, NULL));
    app_question_destroy(q);
}

static void test_boilerplate(void)
{
    CHECK(app_boilerplate("1. Definitions .......... 1\n2. Term .......... 3\n"
                          "3. Payment .......... 4\n4. Termination .......... 7\n") > 0.7);
    CHECK(app_boilerplate("IN WITNESS WHEREOF the parties signed.\nBy: ______\nName: A\n"
                          "Title: CEO\nBy: ______\nName: B\nTitle: CFO\n") > 0.4);
    CHECK(app_boilerplate("Either party may terminate this agreement upon thirty days notice\n"
                          "in writing to the other party, and the terms that by their nature\n"
                          "survive termination shall survive it.\n") < 0.1);
    char g[64];
    app_glob_escape("a*b?[c].pdf", g, sizeof g);
    CHECK_STR(g, "a[*]b[?][[]c].pdf");
}

static void test_summary(void)
{
    app_sum_passage p[12];
    char texts[12][512];
    for (int i = 0; i < 12; i++) {
        snprintf(texts[i], sizeof texts[i],
                 "Section %d covers the delivery of goods in region %d. The delivery of goods "
                 "follows the schedule agreed by the buyer and the seller. Unrelated remark "
                 "number %d about weather and holidays is here. int x = f(a[%d]);",
                 i, i, i, i);
        p[i] = (app_sum_passage){texts[i], i / 2 + 1, i < 6 ? "Part One" : "Part Two"};
    }
    app_summary s;
    CHECK(app_summary_make(p, 12, APP_SUM_SHORT, &s) == 0);
    CHECK_EQ_INT(s.n, 2);
    for (size_t i = 0; i < s.n; i++) {
        CHECK_EQ_INT(s.sec[i].n, 1);
        for (size_t k = 0; k < s.sec[i].n; k++) {
            /* Verbatim from its page, never the code line. */
            const char *t = s.sec[i].s[k].text;
            int page = s.sec[i].s[k].page, found = 0;
            for (int j = 0; j < 12; j++) found |= p[j].page == page && strstr(p[j].text, t) != NULL;
            CHECK_MSG(found, "%s", t);
            CHECK(strstr(t, "int x") == NULL);
        }
    }
    if (s.n == 2) {
        CHECK_STR(s.sec[0].heading, "Part One");
        CHECK_EQ_INT(s.sec[1].first_page, 4);
        CHECK_EQ_INT(s.sec[1].last_page, 6);
    }
    app_summary_free(&s);
    /* Without headings: windows of pages. */
    for (int i = 0; i < 12; i++) p[i].heading = NULL, p[i].page = i + 1;
    CHECK(app_summary_make(p, 12, APP_SUM_SHORT, &s) == 0);
    CHECK_EQ_INT(s.n, 6);
    if (s.n == 6) CHECK(s.sec[1].first_page == 3 && s.sec[1].last_page == 4);
    app_summary_free(&s);
    CHECK(app_summary_make(p, 0, APP_SUM_LONG, &s) == 0 && s.n == 0);
    app_summary_free(&s);
}

static void test_config(void)
{
    const char *dir = check_tmpdir("config");
    char path[4200], v[4096], src[4200];
    snprintf(path, sizeof path, "%s/folio", dir);
    CHECK(mkdir_p(path) == 0);
    setenv("XDG_CONFIG_HOME", dir, 1);
    unsetenv("FOLIO_MODEL");
    unsetenv("FOLIO_CTX");
    CHECK_EQ_INT(app_config_get("model", NULL, v, sizeof v, src, sizeof src), 0);
    snprintf(path, sizeof path, "%s/folio/config", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("# folio\nmodel = /models/a  # the small one\n ctx=8192\nunknown = 1\n", f);
    fclose(f);
    CHECK_EQ_INT(app_config_get("model", NULL, v, sizeof v, src, sizeof src), 1);
    CHECK_STR(v, "/models/a");
    CHECK(strstr(src, "config file") && strstr(src, ":2"));
    CHECK_EQ_INT(app_config_get("ctx", NULL, v, sizeof v, src, sizeof src), 1);
    CHECK_STR(v, "8192");
    setenv("FOLIO_MODEL", "/models/env", 1);
    CHECK_EQ_INT(app_config_get("model", NULL, v, sizeof v, src, sizeof src), 1);
    CHECK_STR(v, "/models/env");
    CHECK_STR(src, "environment FOLIO_MODEL");
    CHECK_EQ_INT(app_config_get("model", "/models/flag", v, sizeof v, src, sizeof src), 1);
    CHECK_STR(v, "/models/flag");
    CHECK_STR(src, "flag");
    CHECK_EQ_INT(app_config_get("colour", NULL, v, sizeof v, NULL, 0), -1);
    unsetenv("FOLIO_MODEL");
}

static void test_cite(void)
{
    const char *pass[] = {"Either party may terminate this Agreement upon ninety (90) days notice.",
                          "This Agreement is governed by the laws of the State of Texas."};
    const char *ans = "Either side may end it with \"ninety (90)  days NOTICE\" [1]. Texas law "
                      "governs [2, 1]. It also says \"the tenant pays\" [2]; see [3] and [x] "
                      "and [1-2].";
    app_cite *c;
    size_t n;
    CHECK(app_cite_check(ans, pass, 2, &c, &n) == 0);
    CHECK_EQ_INT(n, 7);
    if (n == 7) {
        CHECK(c[0].n == 1 && c[0].valid && c[0].quote == APP_QUOTE_OK);
        CHECK(c[1].n == 2 && c[1].valid && c[1].quote == APP_QUOTE_NONE);
        CHECK(c[2].n == 1 && c[2].valid);
        CHECK(c[3].n == 2 && c[3].quote == APP_QUOTE_MISSING); /* not in passage 2: flagged */
        CHECK(c[4].n == 3 && !c[4].valid);                     /* no passage 3 */
        CHECK(c[5].n == 1 && c[6].n == 2);                     /* a range */
    }
    free(c);
    /* Typographic quotes. */
    const char *typo = "It is \xe2\x80\x9cgoverned by the laws\xe2\x80\x9d [2].";
    CHECK(app_cite_check(typo, pass, 2, &c, &n) == 0 && n == 1);
    if (n == 1) CHECK(c[0].quote == APP_QUOTE_OK && c[0].qb - c[0].qa == 20);
    free(c);
    CHECK(app_cite_check("No citations here [ ] [a1].", pass, 2, &c, &n) == 0 && n == 0);
    free(c);
    CHECK(app_cite_contains("A  b\nC", "a B c", 5));
    CHECK(!app_cite_contains("abc", "", 0));
}

int main(void)
{
    test_cite();
    test_sentences();
    test_words();
    test_question();
    test_boilerplate();
    test_summary();
    test_config();
    return check_finish();
}
