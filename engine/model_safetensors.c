/* engine/model_safetensors.c: reads safetensors files: 8-byte little-endian header length N, N
 * bytes of JSON {name: {dtype, shape, data_offsets [begin, end)}}, then the raw data; mmap'd. */
#include "model_int.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Bound on the element count of one tensor: keeps every byte count far from uint64 overflow. */
#define ST_MAX_ELEMS ((uint64_t)1 << 56)

static const struct {
    const char *name;
    eng_dtype dt;
    size_t size;
} DTYPES[] = {
    {"F32", ENG_DT_F32, 4},         {"BF16", ENG_DT_BF16, 2}, {"F16", ENG_DT_F16, 2},
    {"F8_E4M3", ENG_DT_F8_E4M3, 1}, {"I32", ENG_DT_I32, 4},   {"I64", ENG_DT_I64, 8},
    {"F64", ENG_DT_F64, 8},
};
#define N_DTYPES (sizeof DTYPES / sizeof DTYPES[0])

const char *eng_dtype_name(eng_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (DTYPES[i].dt == dt) return DTYPES[i].name;
    return "?";
}

size_t eng_dtype_size(eng_dtype dt)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (DTYPES[i].dt == dt) return DTYPES[i].size;
    return 0;
}

int model_fail(char *err, size_t errsz, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void st_header_free(st_header *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) free(h->e[i].name);
    free(h->e);
    memset(h, 0, sizeof *h);
}

/* A JSON integer >= 0 (json-c saturates larger values at INT64_MAX, which bounds checks reject). */
static int get_u64(json_object *v, uint64_t *out)
{
    if (!v || !json_object_is_type(v, json_type_int)) return -1;
    int64_t x = json_object_get_int64(v);
    if (x < 0) return -1;
    *out = (uint64_t)x;
    return 0;
}

static int parse_dtype(const char *s, int extra, eng_dtype *dt, size_t *size)
{
    for (size_t i = 0; i < N_DTYPES; i++) {
        if (strcmp(DTYPES[i].name, s) == 0) {
            if (!extra && i >= 4) return -1;
            *dt = DTYPES[i].dt;
            *size = DTYPES[i].size;
            return 0;
        }
    }
    return -1;
}

/* One header entry: dtype, shape, data_offsets, byte count; name already set. */
static int parse_entry(json_object *o, st_entry *e, const st_header *h, const char *what, int extra,
                       char *err, size_t errsz)
{
    json_object *jd, *js, *jo;
    if (!json_object_is_type(o, json_type_object))
        return model_fail(err, errsz, "%s: header entry '%s' is not a JSON object", what, e->name);
    if (!json_object_object_get_ex(o, "dtype", &jd) || !json_object_is_type(jd, json_type_string))
        return model_fail(err, errsz, "%s: tensor '%s' has no \"dtype\" string", what, e->name);
    size_t esize;
    if (parse_dtype(json_object_get_string(jd), extra, &e->dtype, &esize) < 0)
        return model_fail(err, errsz,
                          "%s: tensor '%s' has dtype %.32s, which folio does not support "
                          "(F8_E4M3, BF16, F16, F32)",
                          what, e->name, json_object_get_string(jd));
    if (!json_object_object_get_ex(o, "shape", &js) || !json_object_is_type(js, json_type_array))
        return model_fail(err, errsz, "%s: tensor '%s' has no \"shape\" array", what, e->name);
    size_t nd = json_object_array_length(js);
    if (nd > 4)
        return model_fail(err, errsz, "%s: tensor '%s' has %zu dimensions (at most 4 supported)",
                          what, e->name, nd);
    e->ndim = (int)nd;
    uint64_t elems = 1;
    for (size_t d = 0; d < nd; d++) {
        uint64_t v;
        if (get_u64(json_object_array_get_idx(js, d), &v) < 0 || v > ST_MAX_ELEMS)
            return model_fail(err, errsz, "%s: tensor '%s' shape[%zu] is not a valid size", what,
                              e->name, d);
        e->shape[d] = (int64_t)v;
        if (v && elems > ST_MAX_ELEMS / v)
            return model_fail(err, errsz, "%s: tensor '%s' shape has too many elements", what,
                              e->name);
        elems *= v;
    }
    if (!json_object_object_get_ex(o, "data_offsets", &jo) ||
        !json_object_is_type(jo, json_type_array) || json_object_array_length(jo) != 2 ||
        get_u64(json_object_array_get_idx(jo, 0), &e->begin) < 0 ||
        get_u64(json_object_array_get_idx(jo, 1), &e->end) < 0)
        return model_fail(err, errsz, "%s: tensor '%s' has no valid \"data_offsets\" [begin, end]",
                          what, e->name);
    if (e->begin > e->end || e->end > h->data_len)
        return model_fail(err, errsz,
                          "%s: tensor '%s' data_offsets [%llu, %llu) fall outside the data area "
                          "of %llu bytes (file offset %llu)",
                          what, e->name, (unsigned long long)e->begin, (unsigned long long)e->end,
                          (unsigned long long)h->data_len, (unsigned long long)h->data_start);
    if (e->end - e->begin != elems * esize)
        return model_fail(err, errsz,
                          "%s: tensor '%s' holds %llu bytes but dtype %s x shape needs %llu", what,
                          e->name, (unsigned long long)(e->end - e->begin),
                          eng_dtype_name(e->dtype), (unsigned long long)(elems * esize));
    return 0;
}

static int cmp_begin(const void *a, const void *b)
{
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

/* Tensors must not share bytes: a writer bug or a hostile file could alias two weights. */
static int check_overlaps(const st_header *h, const char *what, char *err, size_t errsz)
{
    if (h->n < 2) return 0;
    const st_entry **v = malloc(h->n * sizeof *v);
    if (!v) return model_fail(err, errsz, "%s: out of memory", what);
    for (size_t i = 0; i < h->n; i++) v[i] = &h->e[i];
    qsort(v, h->n, sizeof *v, cmp_begin);
    int rc = 0;
    const st_entry *prev = NULL;
    for (size_t i = 0; i < h->n && rc == 0; i++) {
        if (v[i]->begin == v[i]->end) continue; /* empty tensors own no bytes */
        if (prev && v[i]->begin < prev->end)
            rc = model_fail(err, errsz,
                            "%s: tensors '%s' [%llu, %llu) and '%s' [%llu, %llu) overlap in the "
                            "data area",
                            what, prev->name, (unsigned long long)prev->begin,
                            (unsigned long long)prev->end, v[i]->name,
                            (unsigned long long)v[i]->begin, (unsigned long long)v[i]->end);
        prev = v[i];
    }
    free(v);
    return rc;
}

static int parse_json(const uint8_t *text, size_t n, const char *what, json_object **out, char *err,
                      size_t errsz)
{
    json_tokener *tok = json_tokener_new_ex(MODEL_JSON_DEPTH);
    if (!tok) return model_fail(err, errsz, "%s: out of memory", what);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *root = json_tokener_parse_ex(tok, (const char *)text, (int)n);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || je != json_tokener_success) {
        json_object_put(root);
        return model_fail(err, errsz, "%s: header JSON is malformed near byte %zu: %s", what,
                          (size_t)8 + end,
                          je == json_tokener_continue ? "unexpected end of the header"
                                                      : json_tokener_error_desc(je));
    }
    for (size_t i = end; i < n; i++) {
        if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r') {
            json_object_put(root);
            return model_fail(err, errsz, "%s: unexpected bytes after the header JSON at byte %zu",
                              what, (size_t)8 + i);
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return model_fail(err, errsz, "%s: header JSON is not an object", what);
    }
    *out = root;
    return 0;
}

static int parse_entries(json_object *root, st_header *h, const char *what, int extra, char *err,
                         size_t errsz)
{
    size_t cap = (size_t)json_object_object_length(root);
    h->e = calloc(cap ? cap : 1, sizeof *h->e);
    if (!h->e) return model_fail(err, errsz, "%s: out of memory", what);
    json_object_object_foreach(root, key, val)
    {
        if (strcmp(key, "__metadata__") == 0) {
            if (!json_object_is_type(val, json_type_object))
                return model_fail(err, errsz, "%s: \"__metadata__\" is not an object", what);
            continue;
        }
        if (!*key || strlen(key) > 1024)
            return model_fail(err, errsz, "%s: a tensor name is empty or longer than 1024 bytes",
                              what);
        st_entry *e = &h->e[h->n];
        if (!(e->name = strdup(key))) return model_fail(err, errsz, "%s: out of memory", what);
        h->n++;
        if (parse_entry(val, e, h, what, extra, err, errsz) < 0) return -1;
    }
    return 0;
}

int st_header_parse(const uint8_t *buf, size_t len, const char *what, int extra_dtypes,
                    st_header *h, char *err, size_t errsz)
{
    memset(h, 0, sizeof *h);
    if (len < 8)
        return model_fail(err, errsz,
                          "%s: file is %zu bytes, too short for the 8-byte header "
                          "length",
                          what, len);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | buf[i];
    if (n < 2 || n > MODEL_ST_HEADER_MAX || n > len - 8)
        return model_fail(err, errsz,
                          "%s: header length %llu at offset 0 is invalid (file is %zu bytes, "
                          "limit %llu)",
                          what, (unsigned long long)n, len,
                          (unsigned long long)MODEL_ST_HEADER_MAX);
    h->data_start = 8 + n;
    h->data_len = len - h->data_start;
    json_object *root = NULL;
    if (parse_json(buf + 8, (size_t)n, what, &root, err, errsz) < 0) return -1;
    int rc = parse_entries(root, h, what, extra_dtypes, err, errsz);
    json_object_put(root);
    if (rc == 0) rc = check_overlaps(h, what, err, errsz);
    if (rc < 0) st_header_free(h);
    return rc;
}

void st_file_close(st_file *f)
{
    if (!f) return;
    if (f->copies)
        for (size_t i = 0; i < f->hdr.n; i++) free(f->copies[i]);
    free(f->copies);
    free(f->t);
    st_header_free(&f->hdr);
    if (f->map && f->size) munmap(f->map, f->size);
    free(f->path);
    free(f);
}

static int map_file(st_file *f, char *err, size_t errsz)
{
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return model_fail(err, errsz, "%s: cannot open: %s", f->path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return model_fail(err, errsz, "%s: not a regular file", f->path);
    }
    f->size = (size_t)sb.st_size;
    if (f->size) {
        void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            f->map = NULL;
            return model_fail(err, errsz, "%s: mmap of %zu bytes failed: %s", f->path, f->size,
                              strerror(errno));
        }
        f->map = p;
    }
    close(fd);
    return 0;
}

/* Points each tensor at its bytes; copies the few that are misaligned for their element size. */
static int resolve_tensors(st_file *f, char *err, size_t errsz)
{
    size_t n = f->hdr.n;
    f->t = calloc(n ? n : 1, sizeof *f->t);
    f->copies = calloc(n ? n : 1, sizeof *f->copies);
    if (!f->t || !f->copies) return model_fail(err, errsz, "%s: out of memory", f->path);
    for (size_t i = 0; i < n; i++) {
        const st_entry *e = &f->hdr.e[i];
        eng_tensor *t = &f->t[i];
        t->name = e->name;
        t->dtype = e->dtype;
        t->ndim = e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->nbytes = (size_t)(e->end - e->begin);
        const uint8_t *p = f->map + f->hdr.data_start + e->begin;
        size_t al = eng_dtype_size(e->dtype);
        if (t->nbytes && ((uintptr_t)p % al) != 0) {
            if (!(f->copies[i] = aligned_alloc(8, (t->nbytes + 7) & ~(size_t)7)))
                return model_fail(err, errsz, "%s: out of memory copying '%s'", f->path, e->name);
            memcpy(f->copies[i], p, t->nbytes);
            p = f->copies[i];
        }
        t->data = p;
    }
    return 0;
}

int st_file_open(const char *path, int extra_dtypes, st_file **out, char *err, size_t errsz)
{
    *out = NULL;
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return model_fail(err, errsz, "%s: out of memory", path);
    }
    const char *slash = strrchr(f->path, '/');
    f->base = slash ? slash + 1 : f->path;
    if (map_file(f, err, errsz) < 0 ||
        st_header_parse(f->map, f->size, f->path, extra_dtypes, &f->hdr, err, errsz) < 0 ||
        resolve_tensors(f, err, errsz) < 0) {
        st_file_close(f);
        return -1;
    }
    *out = f;
    return 0;
}

/* ---- the public single-file reader -------------------------------------------------------- */

struct eng_st_file {
    st_file *f;
};

int eng_st_open(const char *path, eng_st_file **out, char *err, size_t errsz)
{
    *out = NULL;
    eng_st_file *s = calloc(1, sizeof *s);
    if (!s) return model_fail(err, errsz, "%s: out of memory", path);
    if (st_file_open(path, 1, &s->f, err, errsz) < 0) {
        free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void eng_st_close(eng_st_file *s)
{
    if (!s) return;
    st_file_close(s->f);
    free(s);
}

size_t eng_st_count(const eng_st_file *s)
{
    return s->f->hdr.n;
}

const eng_tensor *eng_st_tensor_at(const eng_st_file *s, size_t i)
{
    return i < s->f->hdr.n ? &s->f->t[i] : NULL;
}

const eng_tensor *eng_st_tensor(const eng_st_file *s, const char *name)
{
    for (size_t i = 0; i < s->f->hdr.n; i++)
        if (strcmp(s->f->t[i].name, name) == 0) return &s->f->t[i];
    return NULL;
}
