/* ingest/gz.c: gzip-compressed files (RFC 1952, through zlib): whole files inflated with a bound
 * on the output, so that a gzip bomb is refused instead of filling memory; concatenated members
 * are read as one stream (as gzip -d does); and the first bytes alone, for sniffing a kind. */
#include "ing_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int gz_magic(const void *data, size_t len)
{
    const unsigned char *u = data;
    return len >= 3 && u[0] == 0x1f && u[1] == 0x8b && u[2] == 8; /* deflate is the only method */
}

/* Inflates into *out (malloc'd, NUL-terminated) at most `limit` bytes. Returns 0, 1 when the
 * output would pass `limit` (*out then holds the first `limit` bytes if `partial_ok`), or -1
 * with a reason in err (damaged data, out of memory). */
static int inflate_bounded(const unsigned char *in, size_t len, size_t limit, int partial_ok,
                           unsigned char **out, size_t *outlen, char *err, size_t errsz)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    *out = NULL, *outlen = 0;
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return errf(err, errsz, "zlib failed"), -1;
    size_t cap = len * 4 < 65536 ? 65536 : len * 4, n = 0;
    if (cap > limit + 1) cap = limit + 1;
    unsigned char *buf = malloc(cap + 1);
    int rc = buf ? 0 : -1, zr = Z_OK;
    z.next_in = (unsigned char *)in;
    while (rc == 0) {
        if (n == cap) {
            if (cap > limit) {
                rc = 1;
                break;
            }
            size_t nc = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            unsigned char *b = realloc(buf, nc + 1);
            if (!b) {
                rc = -1;
                break;
            }
            buf = b, cap = nc;
        }
        size_t room = cap - n, in_left = len - (size_t)(z.next_in - in);
        z.avail_in = in_left > (1u << 30) ? 1u << 30 : (uInt)in_left;
        z.next_out = buf + n, z.avail_out = room > (1u << 30) ? 1u << 30 : (uInt)room;
        zr = inflate(&z, Z_NO_FLUSH);
        n = (size_t)(z.next_out - buf);
        if (zr == Z_STREAM_END) {
            in_left = len - (size_t)(z.next_in - in);
            if (!gz_magic(z.next_in, in_left)) break; /* trailing garbage or padding: done */
            inflateReset(&z);                         /* another member follows */
        } else if (zr != Z_OK && !(zr == Z_BUF_ERROR && z.avail_out == 0)) {
            rc = -2;
        }
    }
    const char *zmsg = z.msg ? z.msg : "truncated"; /* zlib's messages are static strings */
    inflateEnd(&z);
    if (rc == 1 && n > limit) n = limit;
    if (rc == -1 || (rc == 1 && !partial_ok) || (rc == -2 && !partial_ok)) {
        if (rc == -1) errf(err, errsz, "out of memory while decompressing");
        else if (rc == -2) errf(err, errsz, "damaged gzip data (%s)", zmsg);
        free(buf);
        return rc == 1 ? 1 : -1;
    }
    buf[n] = 0;
    *out = buf, *outlen = n;
    return rc == 1 ? 1 : 0;
}

int gz_inflate(const char *path, const void *data, size_t len, size_t limit, void **out,
               size_t *outlen, char *err, size_t errsz)
{
    unsigned char *o;
    char why[256] = "";
    int rc = inflate_bounded(data, len, limit, 0, &o, outlen, why, sizeof why);
    if (rc == 1)
        errf(err, errsz, "%s: decompresses to more than %zu MB (the limit for compressed files; "
             "a gzip bomb?); left out", path, limit >> 20);
    else if (rc < 0)
        errf(err, errsz, "%s: %s", path, why);
    *out = rc ? NULL : o;
    return rc ? -1 : 0;
}

size_t gz_head(const void *data, size_t len, unsigned char *out, size_t outsz)
{
    unsigned char *o;
    size_t n = 0;
    if (inflate_bounded(data, len, outsz, 1, &o, &n, NULL, 0) < 0) return 0;
    memcpy(out, o, n);
    free(o);
    return n;
}
