/* tests/test_ui_tasks.c: the interface's task plumbing without a terminal: tasks defined here
 * stream text, citations, table rows and statistics into the conversation from their thread; a
 * task that fails, one that is absent from the build, one still running when another is asked
 * for, and one cancelled; then the conversation exported as Markdown, JSON and CSV. */
#include "check.h"
#include "tui_int.h"

#include <json-c/json.h>
#include <time.h>
#include <unistd.h>

static int ask_run(ui_task_io *io)
{
    io->emit(io->user, "The notice period ", 18);
    io->emit(io->user, "is thirty days [1].", 19);
    io->cite(io->user, "contracts/a.pdf", 3, 1, 5);
    ui_task_stats st = {
        .context_tokens = 120, .context_max = 4096, .cached_tokens = 64, .decode_tok_s = 12.5};
    io->stats(io->user, &st);
    return io->input && !strcmp(io->input, "What is the notice period?") ? 0 : -1;
}

static int extract_run(ui_task_io *io)
{
    const char *head[] = {"clause", "page", "text"};
    const char *row[] = {"Termination", "3", "either party, with \"notice\""};
    io->row(io->user, head, 3);
    io->row(io->user, row, 3);
    return 0;
}

/* Runs until cancelled (at most 5 s). */
static int slow_run(ui_task_io *io)
{
    for (int i = 0; i < 5000 && !*io->cancel; i++) {
        io->emit(io->user, ".", 1);
        usleep(1000);
    }
    return 0;
}

static int failing_run(ui_task_io *io)
{
    snprintf(io->err, sizeof io->err, "%s", "no model: give one with --model DIR");
    return -1;
}

static const ui_task tasks[] = {
    {"ask", ask_run}, {"extract", extract_run}, {"summarize", slow_run}, {"code", failing_run},
    {NULL, NULL},
};

static void wait_idle(tui *t)
{
    for (int i = 0; i < 5000 && (t->answering || t->work.task_joinable); i++) {
        tui_task_poll(t);
        usleep(1000);
    }
    CHECK(!t->answering && !t->work.task_joinable);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void test_export(tui *t)
{
    const char *dir = getenv("FOLIO_TEST_TMP") ? getenv("FOLIO_TEST_TMP") : "/tmp";
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/test_ui_tasks.md", dir);
    CHECK_EQ_INT(tui_export(t, path, 0, err, sizeof err), 0);
    const char *md = slurp(path);
    CHECK(md && strstr(md, "## ask: What is the notice period?"));
    CHECK(md && strstr(md, "The notice period is thirty days [1]."));
    CHECK(md && strstr(md, "- [1] contracts/a.pdf p.3"));
    CHECK(md && strstr(md, "| clause | page | text |\n| --- | --- | --- |"));
    snprintf(path, sizeof path, "%s/test_ui_tasks.json", dir);
    CHECK_EQ_INT(tui_export(t, path, 0, err, sizeof err), 0);
    json_object *j = json_object_from_file(path), *conv = NULL;
    CHECK(j && json_object_object_get_ex(j, "conversation", &conv));
    CHECK_EQ_INT(conv ? json_object_array_length(conv) : 0, t->nconv);
    json_object *ans = conv ? json_object_array_get_idx(conv, 1) : NULL, *cites = NULL;
    CHECK(ans && json_object_object_get_ex(ans, "citations", &cites));
    CHECK_EQ_INT(cites ? json_object_array_length(cites) : 0, 1);
    json_object_put(j);
    /* CSV holds the extraction table, quoted */
    snprintf(path, sizeof path, "%s/test_ui_tasks.csv", dir);
    CHECK_EQ_INT(tui_export(t, path, 0, err, sizeof err), 0);
    const char *csv = slurp(path);
    CHECK(csv && !strcmp(csv, "\"clause\",\"page\",\"text\"\r\n"
                              "\"Termination\",\"3\",\"either party, with \"\"notice\"\"\"\r\n"));
    CHECK_EQ_INT(tui_export(t, "conversation.txt", 0, err, sizeof err), -1);
    CHECK(strstr(err, ".md, .json or .csv") != NULL);
}

int main(void)
{
    ui_tui_config cfg = {.db = "library.db", .tasks = tasks};
    tui *t = calloc(1, sizeof *t);
    t->cfg = &cfg;
    snprintf(t->libname, sizeof t->libname, "contracts");
    pthread_mutex_init(&t->work.mu, NULL);

    CHECK_EQ_INT(tui_task_start(t, "ask", "What is the notice period?"), 0);
    wait_idle(t);
    CHECK_EQ_INT(t->nconv, 2);
    CHECK_EQ_INT(t->conv[0].role, ENTRY_QUESTION);
    CHECK_STR(t->conv[1].text, "The notice period is thirty days [1].");
    CHECK_EQ_INT(t->conv[1].ncites, 1);
    CHECK_EQ_INT(t->conv[1].ncites ? t->conv[1].cites[0].page : 0, 3);
    CHECK_EQ_INT(t->work.stats.cached_tokens, 64);
    CHECK(t->dirty[UI_PANE_CONVERSATION] && t->dirty[UI_PANE_STATUS]);

    CHECK_EQ_INT(tui_task_start(t, "extract", "a.pdf"), 0);
    wait_idle(t);
    CHECK_EQ_INT(t->conv[t->nconv - 1].nrows, 2);

    /* a task that fails: its message in the conversation */
    CHECK_EQ_INT(tui_task_start(t, "code", "where is main?"), 0);
    wait_idle(t);
    CHECK_EQ_INT(t->conv[t->nconv - 1].role, ENTRY_ERROR);
    CHECK_STR(t->conv[t->nconv - 1].text, "no model: give one with --model DIR");

    /* one at a time; Esc cancels */
    int before = t->nconv;
    CHECK_EQ_INT(tui_task_start(t, "summarize", "a.pdf"), 0);
    CHECK_EQ_INT(tui_task_start(t, "ask", "again?"), -1);
    CHECK(strstr(t->message, "still running") != NULL);
    usleep(20000);
    tui_task_cancel(t);
    wait_idle(t);
    CHECK_EQ_INT(t->nconv, before + 3);
    CHECK_STR(t->conv[t->nconv - 1].text, "(cancelled)");
    CHECK(t->conv[t->nconv - 2].len > 0);

    test_export(t);

    /* a build without the task says so, and runs nothing */
    ui_tui_config none = {.db = "library.db"};
    t->cfg = &none;
    CHECK_EQ_INT(tui_task_start(t, "ask", "anything?"), 1);
    CHECK_STR(t->conv[t->nconv - 1].text, "ask is not available in this build");
    CHECK(!t->work.task_joinable);

    tui_conv_free(t);
    pthread_mutex_destroy(&t->work.mu);
    free(t);
    return check_finish();
}
