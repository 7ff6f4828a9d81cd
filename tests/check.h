/* tests/check.h: the tiny test harness every tests/test_<module>.c uses. CHECK records a failure
 * with file:line and goes on; check_finish() prints "N passed, N failed" and gives the exit code.
 * Tests find the fixtures through FOLIO_SHARED and write only under FOLIO_TEST_TMP. */
#ifndef FOLIO_TEST_CHECK_H
#define FOLIO_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (cond) {                                                                       \
            check_passed++;                                                               \
        } else {                                                                          \
            check_failed++;                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);      \
        }                                                                                 \
    } while (0)

#define CHECK_MSG(cond, ...)                                                              \
    do {                                                                                  \
        if (cond) {                                                                       \
            check_passed++;                                                               \
        } else {                                                                          \
            check_failed++;                                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);      \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

/* Each side is evaluated once: a call with side effects must not run again for the message. */
#define CHECK_EQ_INT(a, b)                                                                       \
    do {                                                                                         \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);                          \
        CHECK_MSG(check_a_ == check_b_, "%s is %lld, expected %lld", #a, check_a_, check_b_);   \
    } while (0)
#define CHECK_STR(a, b) CHECK_MSG(strcmp((a), (b)) == 0, "\"%s\" != \"%s\"", (a), (b))

/* Exit code for a test that cannot run here (no GPU, no fixture): ctest reports it as skipped. */
#define CHECK_SKIP_CODE 77

static inline int check_finish(void)
{
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* The shared fixtures folder (FOLIO_SHARED, else ../shared), joined with `rel`. */
static inline const char *check_shared(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("FOLIO_SHARED");
    snprintf(buf, sizeof buf, "%s/%s", root && *root ? root : "../shared", rel);
    return buf;
}

/* A fresh temporary folder under FOLIO_TEST_TMP (else /tmp) for this test's files. */
static inline const char *check_tmpdir(const char *name)
{
    static char buf[4096];
    const char *root = getenv("FOLIO_TEST_TMP");
    snprintf(buf, sizeof buf, "%s/%s.XXXXXX", root && *root ? root : "/tmp", name);
    if (!mkdtemp(buf)) {
        perror(buf);
        exit(1);
    }
    return buf;
}

#endif
