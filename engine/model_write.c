/* engine/model_write.c: writes safetensors files: 8-byte little-endian header length, JSON header
 * ({"__metadata__":{"format":"pt"}, name: {dtype, shape, data_offsets}}) padded to 8, data. */
#include "model_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct wbuf {
    char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void wb_put(wbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void wb_str(wbuf *b, const char *s)
{
    wb_put(b, s, strlen(s));
}

/* A JSON string literal: quotes, backslashes and control bytes escaped. */
static void wb_json_str(wbuf *b, const char *s)
{
    wb_put(b, "\"", 1);
    for (; *s; s++) {
        char esc[8];
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') {
            esc[0] = '\\', esc[1] = (char)ch;
            wb_put(b, esc, 2);
        } else if (ch < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", ch);
            wb_put(b, esc, 6);
        } else {
            wb_put(b, (const char *)s, 1);
        }
    }
    wb_put(b, "\"", 1);
}

typedef struct wsort {
    const eng_st_entry *e;
    size_t i;
    uint64_t nbytes, begin;
} wsort;

static int by_size_then_name(const void *a, const void *b)
{
    const wsort *x = a, *y = b;
    size_t sx = eng_dtype_size(x->e->dtype), sy = eng_dtype_size(y->e->dtype);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->e->name, y->e->name);
}

static int build_header(wsort *v, size_t n, wbuf *b, char *err, size_t errsz)
{
    uint64_t off = 0;
    wb_str(b, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (size_t k = 0; k < n; k++) {
        const eng_st_entry *e = v[k].e;
        uint64_t elems = 1;
        if (e->ndim < 0 || e->ndim > 4 || !eng_dtype_size(e->dtype))
            return model_fail(err, errsz, "tensor '%s': bad dtype or rank", e->name);
        for (int d = 0; d < e->ndim; d++) elems *= (uint64_t)e->shape[d];
        v[k].nbytes = elems * eng_dtype_size(e->dtype);
        v[k].begin = off;
        char num[160];
        wb_str(b, ",");
        wb_json_str(b, e->name);
        snprintf(num, sizeof num, ":{\"dtype\":\"%s\",\"shape\":[", eng_dtype_name(e->dtype));
        wb_str(b, num);
        for (int d = 0; d < e->ndim; d++) {
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)e->shape[d]);
            wb_str(b, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + v[k].nbytes));
        wb_str(b, num);
        off += v[k].nbytes;
    }
    wb_str(b, "}");
    while (b->n % 8) wb_str(b, " ");
    return b->oom ? model_fail(err, errsz, "out of memory building a header") : 0;
}

static int write_data(FILE *fp, const char *tmp, wsort *v, size_t n, eng_st_fill_fn fill, void *ctx,
                      char *err, size_t errsz)
{
    void *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        const void *src = v[k].e->data;
        size_t nb = (size_t)v[k].nbytes;
        if (!src && nb) {
            if (!fill) {
                rc = model_fail(err, errsz, "tensor '%s' has no data", v[k].e->name);
                break;
            }
            if (nb > cap) {
                free(buf);
                cap = nb;
                if (!(buf = malloc(cap))) {
                    rc = model_fail(err, errsz, "out of memory for tensor '%s'", v[k].e->name);
                    break;
                }
            }
            if (fill(ctx, v[k].i, buf, nb, err, errsz) < 0) {
                rc = -1;
                break;
            }
            src = buf;
        }
        if (nb && fwrite(src, 1, nb, fp) != nb)
            rc = model_fail(err, errsz, "%s: write failed: %s", tmp, strerror(errno));
    }
    free(buf);
    return rc;
}

int eng_safetensors_write(const char *path, const eng_st_entry *entries, size_t n,
                          eng_st_fill_fn fill, void *ctx, char *err, size_t errsz)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
        return model_fail(err, errsz, "%s: path too long", path);
    wsort *v = calloc(n ? n : 1, sizeof *v);
    if (!v) return model_fail(err, errsz, "%s: out of memory", path);
    for (size_t i = 0; i < n; i++) v[i] = (wsort){&entries[i], i, 0, 0};
    qsort(v, n, sizeof *v, by_size_then_name);
    wbuf hb = {0};
    int rc = build_header(v, n, &hb, err, errsz);
    FILE *fp = rc == 0 ? fopen(tmp, "wb") : NULL;
    if (rc == 0 && !fp) rc = model_fail(err, errsz, "%s: cannot create: %s", tmp, strerror(errno));
    if (rc == 0) {
        uint8_t len[8];
        for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)hb.n >> (8 * i));
        if (fwrite(len, 1, 8, fp) != 8 || fwrite(hb.p, 1, hb.n, fp) != hb.n)
            rc = model_fail(err, errsz, "%s: write failed: %s", tmp, strerror(errno));
    }
    if (rc == 0) rc = write_data(fp, tmp, v, n, fill, ctx, err, errsz);
    if (fp && fclose(fp) != 0 && rc == 0)
        rc = model_fail(err, errsz, "%s: write failed: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = model_fail(err, errsz, "%s: cannot rename to %s: %s", tmp, path, strerror(errno));
    if (rc < 0 && fp) unlink(tmp);
    free(hb.p);
    free(v);
    return rc;
}
