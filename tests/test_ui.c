/* tests/test_ui.c: display widths and fitting of UTF-8 text (ASCII, CJK, combining marks,
 * invalid bytes), which every aligned line folio prints depends on, and the sanitizer that every
 * piece of untrusted text passes on its way to a terminal. */
#include "check.h"
#include "ui.h"

#include <locale.h>

/* No byte that starts a terminal control sequence survives: ESC, C1 (as raw bytes or as UTF-8
 * U+0080..U+009F), BEL, and no bidi override. */
static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0x1b || *p == 0x07 || (*p < 0x20 && *p != '\n' && *p != '\t')) return 1;
        if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) return 1;
        if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) return 1;
        if (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9) return 1;
    }
    return 0;
}

static void test_sanitize(void)
{
    char out[256];
    const char *evil = "zebrafish \033]0;PWNED\007 \033[2J\n";
    ui_sanitize(out, sizeof out, evil, strlen(evil), 0);
    CHECK(!has_control(out));
    CHECK_STR(out, "zebrafish \xe2\x90\x9b]0;PWNED\xe2\x90\x87 \xe2\x90\x9b[2J ");
    ui_sanitize(out, sizeof out, evil, strlen(evil), UI_SAN_MULTILINE);
    CHECK_STR(out, "zebrafish \xe2\x90\x9b]0;PWNED\xe2\x90\x87 \xe2\x90\x9b[2J\n");
    /* C1 CSI as UTF-8 and as a raw byte, bidi override, invalid UTF-8, overlong, surrogate */
    const char *c1 = "a\xc2\x9b" "31mb\x9b" "c\xe2\x80\xae" "d\xe2\x81\xa6" "e\xc0\xaf\xed\xa0\x80";
    size_t need = ui_sanitize(out, sizeof out, c1, strlen(c1), 0);
    CHECK(!has_control(out));
    CHECK_STR(out, "a\xef\xbf\xbd" "31mb\xef\xbf\xbd" "c\xef\xbf\xbd" "d\xef\xbf\xbd"
                   "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_EQ_INT(need, strlen(out));
    /* ordinary text, CJK and emoji pass unchanged; CRLF keeps one line break */
    const char *ok = "Termination \xe8\xbf\x9d\xe7\xba\xa6 \xf0\x9f\x98\x80 caf\xc3\xa9\r\nend\x7f";
    ui_sanitize(out, sizeof out, ok, strlen(ok), UI_SAN_MULTILINE);
    CHECK_STR(out, "Termination \xe8\xbf\x9d\xe7\xba\xa6 \xf0\x9f\x98\x80 caf\xc3\xa9\nend\xe2\x90\xa1");
    /* a small buffer: the result is cut before a character, never inside one, and the return
     * value still says how much the whole needs */
    char tiny[5];
    need = ui_sanitize(tiny, sizeof tiny, "ab\033cd", 5, 0);
    CHECK_STR(tiny, "ab");
    CHECK_EQ_INT(need, 7);
    char *dup = ui_sanitize_dup("x\033y", 3, 0);
    CHECK(dup && !strcmp(dup, "x\xe2\x90\x9by"));
    free(dup);
    /* a NUL inside counted text is shown, not a terminator */
    ui_sanitize(out, sizeof out, "a\0b", 3, 0);
    CHECK_STR(out, "a\xe2\x90\x80" "b");
}

static void test_output_paths(void)
{
    ui_color_set(UI_COLOR_NEVER);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    ui_fprintf(f, "%s:%d %s\n", "evil\033[41m.txt", 3, "\xe2\x80\xae" "abc");
    ui_write_marked(f, "x \001hit\033\002 y\n", "\001", "\002", 0);
    ui_style(f, UI_STYLE_BOLD); /* colors off: writes nothing */
    ui_color_set(UI_COLOR_ALWAYS);
    ui_write_marked(f, "\001m\002", "\001", "\002", 0);
    ui_color_set(UI_COLOR_AUTO);
    rewind(f);
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    CHECK_STR(buf, "evil\xe2\x90\x9b[41m.txt:3 \xef\xbf\xbd" "abc\n"
                   "x **hit\xe2\x90\x9b** y \033[1;31mm\033[0m");
    CHECK_EQ_INT(ui_color_parse("never"), UI_COLOR_NEVER);
    CHECK_EQ_INT(ui_color_parse("always"), UI_COLOR_ALWAYS);
    CHECK_EQ_INT(ui_color_parse("auto"), UI_COLOR_AUTO);
    CHECK_EQ_INT(ui_color_parse("sometimes"), -1);
}

/* Reads back everything written to a tmpfile. */
static void slurp(FILE *f, char *buf, size_t n)
{
    rewind(f);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = 0;
    fclose(f);
}

/* JSON as json-c writes it keeps C1 controls, bidi overrides and invalid bytes raw; the writer
 * turns them into escapes of the same value (invalid bytes into U+FFFD). */
static void test_json(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    ui_json_puts(f, "{\"s\":\"a\\u001b\xc2\x9b" "b\xe2\x80\xae" "c\xff\x7f\xe8\xbf\x9d\"}");
    ui_json_write(f, "[1]");
    char buf[256];
    slurp(f, buf, sizeof buf);
    CHECK_STR(buf, "{\"s\":\"a\\u001b\\u009bb\\u202ec\\ufffd\\u007f\xe8\xbf\x9d\"}\n[1]");
    CHECK(!has_control(buf));
}

/* Away from a terminal the progress line is a plain line (no CR, no escape), its untrusted
 * item sanitized; the width comes from $COLUMNS when f is no terminal. */
static void test_progress(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    ui_progress *p = ui_progress_create(f);
    CHECK(p != NULL && !ui_progress_is_tty(p));
    ui_progress_update(p, 0.5, "3/6 files", "dir/evil\033]0;x\007.txt", 1);
    ui_progress_update(p, 0.6, "4/6 files", "later.txt", 0); /* within 5 s: not written */
    ui_progress_clear(p);
    ui_progress_destroy(p);
    char buf[512];
    slurp(f, buf, sizeof buf);
    CHECK_STR(buf, "3/6 files  dir/evil\xe2\x90\x9b]0;x\xe2\x90\x87.txt\n");
    /* a path longer than any line keeps its end, after an ellipsis, within the widest line */
    f = tmpfile();
    CHECK(f != NULL);
    if (!f) return;
    p = ui_progress_create(f);
    char item[3000];
    for (int i = 0; i < 2000; i++) item[i] = i % 2 ? 'a' : '/';
    strcpy(item + 2000, "\xe8\xbf\x9d\xe7\xba\xa6/tail.txt"); /* CJK: two columns each */
    ui_progress_update(p, 1.0, "9/9 files", item, 1);
    ui_progress_destroy(p);
    char line[4096];
    slurp(f, line, sizeof line);
    size_t n = strlen(line);
    CHECK(n > 10 && line[n - 1] == '\n');
    line[n - 1] = 0;
    CHECK(strstr(line, "9/9 files  \xe2\x80\xa6") == line);
    CHECK(strstr(line, "\xe8\xbf\x9d\xe7\xba\xa6/tail.txt") != NULL);
    CHECK(ui_text_width(line) <= 400 && ui_text_width(line) >= 390);
    setenv("COLUMNS", "57", 1);
    CHECK_EQ_INT(ui_term_columns(NULL), 57);
    unsetenv("COLUMNS");
    CHECK_EQ_INT(ui_term_columns(NULL), 80);
}

int main(void)
{
    test_sanitize();
    test_output_paths();
    test_json();
    test_progress();
    setlocale(LC_ALL, "C.UTF-8");
    CHECK_EQ_INT(ui_text_width("hello"), 5);
    CHECK_EQ_INT(ui_text_width("违约责任"), 8);
    CHECK_EQ_INT(ui_text_width("e\xcc\x81"), 1);       /* e + combining acute */
    CHECK_EQ_INT(ui_text_width("a\xff" "b"), 3);        /* invalid byte: one column */
    CHECK_EQ_INT(ui_text_width("\xe0\x80\x80"), 3);     /* overlong: three invalid bytes */
    char out[64];
    CHECK_EQ_INT(ui_text_fit("hello world", 20, out, sizeof out), 11);
    CHECK_STR(out, "hello world");
    CHECK_EQ_INT(ui_text_fit("hello world", 6, out, sizeof out), 6);
    CHECK_STR(out, "hello\xe2\x80\xa6");
    /* a wide character that would straddle the limit is left out whole */
    CHECK_EQ_INT(ui_text_fit("ab违约", 4, out, sizeof out), 3);
    CHECK_STR(out, "ab\xe2\x80\xa6");
    CHECK_EQ_INT(ui_text_fit("违约责任", 5, out, sizeof out), 5);
    CHECK_STR(out, "违约\xe2\x80\xa6");
    CHECK_EQ_INT(ui_text_fit("abc", 0, out, sizeof out), 0);
    char tiny[4];
    ui_text_fit("abcdef", 10, tiny, sizeof tiny);
    CHECK(strlen(tiny) < sizeof tiny);
    return check_finish();
}
