/* tests/test_ui.c: display widths and fitting of UTF-8 text (ASCII, CJK, combining marks,
 * invalid bytes), which every aligned line folio prints depends on. */
#include "check.h"
#include "ui.h"

#include <locale.h>

int main(void)
{
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
