/* engine/model_convert.c: turns a BF16/F16/F32 checkpoint folder into an FP8-block one: sharded
 * safetensors + model.safetensors.index.json, config.json with quantization_config, tokenizer. */
#include "model_int.h"

#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_SHARD_BYTES ((uint64_t)4 << 30)

/* Copied when present; everything else in the source folder is weights or not ours to carry. */
static const char *const TOKENIZER_FILES[] = {
    "tokenizer.json",      "tokenizer_config.json",   "tokenizer.model",
    "tiktoken.model",      "special_tokens_map.json", "generation_config.json",
    "chat_template.jinja", "added_tokens.json",       "vocab.json",
    "merges.txt",
};

enum { R_COPY, R_CODES, R_SCALES };

typedef struct citem {
    const eng_tensor *src;
    int role;
    char *name; /* output name (owned) */
    eng_dtype dtype;
    int64_t shape[2];
    int ndim;
    uint64_t nbytes;
    int shard;
} citem;

typedef struct conv {
    const char *out;
    eng_model *m;
    citem *it;
    size_t n;
    int nshards;
    char **written; /* files created in out, removed if anything fails */
    size_t nwritten;
} conv;

static int quantizable(const eng_tensor *t)
{
    return t->ndim == 2 && model_is_linear_weight(t->name) &&
           (t->dtype == ENG_DT_BF16 || t->dtype == ENG_DT_F16 || t->dtype == ENG_DT_F32);
}

static int cmp_item(const void *a, const void *b)
{
    return model_natural_cmp(((const citem *)a)->name, ((const citem *)b)->name);
}

static int add_item(conv *c, const eng_tensor *t, int role)
{
    citem *it = &c->it[c->n];
    memset(it, 0, sizeof *it);
    it->src = t;
    it->role = role;
    size_t nl = strlen(t->name) + sizeof "_scale_inv";
    if (!(it->name = malloc(nl))) return -1;
    snprintf(it->name, nl, "%s%s", t->name, role == R_SCALES ? "_scale_inv" : "");
    it->ndim = role == R_COPY ? t->ndim : 2;
    if (role == R_COPY) {
        it->dtype = t->dtype;
        it->nbytes = t->nbytes;
    } else if (role == R_CODES) {
        it->dtype = ENG_DT_F8_E4M3;
        it->shape[0] = t->shape[0], it->shape[1] = t->shape[1];
        it->nbytes = (uint64_t)(t->shape[0] * t->shape[1]);
    } else {
        it->dtype = ENG_DT_F32;
        it->shape[0] = (t->shape[0] + 127) / 128, it->shape[1] = (t->shape[1] + 127) / 128;
        it->nbytes = (uint64_t)(it->shape[0] * it->shape[1]) * 4;
    }
    c->n++;
    return 0;
}

/* Items in natural name order, each quantized weight followed by its scales, cut into shards. */
static int plan(conv *c, uint64_t max_shard, eng_convert_result *res, char *err, size_t errsz)
{
    size_t nt = eng_model_tensor_count(c->m);
    if (!(c->it = calloc(2 * nt + 1, sizeof *c->it)))
        return model_fail(err, errsz, "out of memory");
    for (size_t i = 0; i < nt; i++) {
        const eng_tensor *t = eng_model_tensor_at(c->m, i);
        int q = quantizable(t);
        if (add_item(c, t, q ? R_CODES : R_COPY) < 0 || (q && add_item(c, t, R_SCALES) < 0))
            return model_fail(err, errsz, "out of memory");
        res->tensors_quantized += (size_t)q;
        res->tensors_copied += (size_t)!q;
        res->bytes_in += t->nbytes;
    }
    qsort(c->it, c->n, sizeof *c->it, cmp_item);
    uint64_t cur = 0;
    c->nshards = c->n ? 1 : 0;
    for (size_t i = 0; i < c->n; i++) {
        uint64_t add = c->it[i].nbytes;
        int pair = c->it[i].role == R_CODES && i + 1 < c->n && c->it[i + 1].role == R_SCALES;
        if (pair) add += c->it[i + 1].nbytes;
        if (cur && cur + add > max_shard) {
            c->nshards++;
            cur = 0;
        }
        c->it[i].shard = c->nshards - 1;
        if (pair) c->it[++i].shard = c->nshards - 1;
        cur += add;
        res->bytes_out += add;
    }
    res->shards = (size_t)c->nshards;
    return 0;
}

typedef struct fillctx {
    conv *c;
    size_t *map; /* entry index in this shard -> item index */
} fillctx;

static int fill_item(void *ctx, size_t i, void *buf, size_t nbytes, char *err, size_t errsz)
{
    fillctx *f = ctx;
    const citem *it = &f->c->it[f->map[i]];
    const eng_tensor *t = it->src;
    (void)nbytes;
    if (it->role == R_SCALES)
        return eng_fp8_block_quantize(t->data, t->dtype, t->shape[0], t->shape[1], NULL, buf,
                                      t->name, err, errsz);
    size_t nsc = (size_t)(((t->shape[0] + 127) / 128) * ((t->shape[1] + 127) / 128));
    float *sc = malloc(nsc * sizeof *sc + 1);
    if (!sc) return model_fail(err, errsz, "out of memory quantizing '%s'", t->name);
    int rc = eng_fp8_block_quantize(t->data, t->dtype, t->shape[0], t->shape[1], buf, sc, t->name,
                                    err, errsz);
    free(sc);
    return rc;
}

static int note_written(conv *c, const char *path)
{
    char **n = realloc(c->written, (c->nwritten + 1) * sizeof *n);
    if (!n) return -1;
    c->written = n;
    if (!(c->written[c->nwritten] = strdup(path))) return -1;
    c->nwritten++;
    return 0;
}

static void shard_name(const conv *c, int s, char *buf, size_t n)
{
    snprintf(buf, n, "model-%05d-of-%05d.safetensors", s + 1, c->nshards);
}

static int write_shard(conv *c, int s, char *err, size_t errsz)
{
    eng_st_entry *e = calloc(c->n + 1, sizeof *e);
    size_t *map = calloc(c->n + 1, sizeof *map);
    size_t k = 0;
    int rc = 0;
    if (!e || !map) rc = model_fail(err, errsz, "out of memory");
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        const citem *it = &c->it[i];
        if (it->shard != s) continue;
        e[k] = (eng_st_entry){.name = it->name, .dtype = it->dtype, .ndim = it->ndim};
        if (it->role == R_COPY) {
            memcpy(e[k].shape, it->src->shape, sizeof e[k].shape);
            e[k].data = it->src->data;
        } else {
            e[k].shape[0] = it->shape[0], e[k].shape[1] = it->shape[1];
        }
        map[k++] = i;
    }
    char base[64], path[4096];
    shard_name(c, s, base, sizeof base);
    snprintf(path, sizeof path, "%s/%s", c->out, base);
    fillctx f = {c, map};
    if (rc == 0 && note_written(c, path) < 0) rc = model_fail(err, errsz, "out of memory");
    if (rc == 0) rc = eng_safetensors_write(path, e, k, fill_item, &f, err, errsz);
    free(e);
    free(map);
    return rc;
}

static int write_json(conv *c, const char *base, json_object *o, char *err, size_t errsz)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->out, base);
    if (note_written(c, path) < 0) return model_fail(err, errsz, "out of memory");
    if (json_object_to_file_ext(path, o,
                                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                    JSON_C_TO_STRING_NOSLASHESCAPE) < 0)
        return model_fail(err, errsz, "%s: cannot write: %s", path, strerror(errno));
    return 0;
}

static int write_index(conv *c, char *err, size_t errsz)
{
    json_object *root = json_object_new_object(), *meta = json_object_new_object();
    json_object *wm = json_object_new_object();
    uint64_t total = 0;
    char base[64];
    for (size_t i = 0; i < c->n; i++) {
        shard_name(c, c->it[i].shard, base, sizeof base);
        json_object_object_add(wm, c->it[i].name, json_object_new_string(base));
        total += c->it[i].nbytes;
    }
    json_object_object_add(meta, "total_size", json_object_new_int64((int64_t)total));
    json_object_object_add(root, "metadata", meta);
    json_object_object_add(root, "weight_map", wm);
    int rc = write_json(c, "model.safetensors.index.json", root, err, errsz);
    json_object_put(root);
    return rc;
}

static int write_config(conv *c, char *err, size_t errsz)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", eng_model_dir(c->m));
    json_object *root = json_object_from_file(path);
    if (!root || !json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return model_fail(err, errsz, "%s: cannot read it back as a JSON object", path);
    }
    json_object *q = json_object_new_object(), *bs = json_object_new_array();
    json_object_array_add(bs, json_object_new_int(128));
    json_object_array_add(bs, json_object_new_int(128));
    json_object_object_add(q, "activation_scheme", json_object_new_string("dynamic"));
    json_object_object_add(q, "fmt", json_object_new_string("e4m3"));
    json_object_object_add(q, "quant_method", json_object_new_string("fp8"));
    json_object_object_add(q, "weight_block_size", bs);
    json_object_object_add(root, "quantization_config", q);
    int rc = write_json(c, "config.json", root, err, errsz);
    json_object_put(root);
    return rc;
}

static int copy_file(conv *c, const char *base, char *err, size_t errsz)
{
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/%s", eng_model_dir(c->m), base);
    snprintf(dst, sizeof dst, "%s/%s", c->out, base);
    FILE *in = fopen(src, "rb");
    if (!in) return 0; /* absent: nothing to copy */
    FILE *out = NULL;
    int rc = note_written(c, dst) < 0 ? model_fail(err, errsz, "out of memory") : 0;
    if (rc == 0 && !(out = fopen(dst, "wb")))
        rc = model_fail(err, errsz, "%s: cannot create: %s", dst, strerror(errno));
    char buf[65536];
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            rc = model_fail(err, errsz, "%s: write failed: %s", dst, strerror(errno));
    if (rc == 0 && ferror(in)) rc = model_fail(err, errsz, "%s: read failed", src);
    if (out && fclose(out) != 0 && rc == 0)
        rc = model_fail(err, errsz, "%s: write failed: %s", dst, strerror(errno));
    fclose(in);
    return rc;
}

/* out must not exist (it is created) or be an empty folder: never overwrite a checkpoint. */
static int prepare_out(const char *out, int *created, char *err, size_t errsz)
{
    struct stat sb;
    *created = 0;
    if (stat(out, &sb) != 0) {
        if (mkdir(out, 0755) != 0)
            return model_fail(err, errsz, "%s: cannot create: %s", out, strerror(errno));
        *created = 1;
        return 0;
    }
    if (!S_ISDIR(sb.st_mode))
        return model_fail(err, errsz, "%s: exists and is not a folder; refusing to overwrite", out);
    DIR *d = opendir(out);
    if (!d) return model_fail(err, errsz, "%s: cannot read: %s", out, strerror(errno));
    struct dirent *de;
    int empty = 1;
    while (empty && (de = readdir(d)))
        empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
    closedir(d);
    if (!empty)
        return model_fail(err, errsz, "%s: folder is not empty; refusing to overwrite", out);
    return 0;
}

static int convert_all(conv *c, const char *src, uint64_t max_shard, eng_convert_result *res,
                       char *err, size_t errsz)
{
    if (eng_model_open(src, NULL, &c->m, err, errsz) < 0) return -1;
    if (eng_model_config(c->m)->fp8)
        return model_fail(err, errsz,
                          "%s: already FP8 block-quantized (config.json has a "
                          "quantization_config); nothing to convert",
                          src);
    if (plan(c, max_shard, res, err, errsz) < 0) return -1;
    for (int s = 0; s < c->nshards; s++)
        if (write_shard(c, s, err, errsz) < 0) return -1;
    if (write_index(c, err, errsz) < 0 || write_config(c, err, errsz) < 0) return -1;
    for (size_t i = 0; i < sizeof TOKENIZER_FILES / sizeof *TOKENIZER_FILES; i++)
        if (copy_file(c, TOKENIZER_FILES[i], err, errsz) < 0) return -1;
    eng_model *check;
    if (eng_model_open(c->out, NULL, &check, err, errsz) < 0) return -1;
    eng_model_close(check);
    return 0;
}

int eng_model_convert(const char *src_dir, const char *out_dir, uint64_t max_shard_bytes,
                      eng_convert_result *res, char *err, size_t errsz)
{
    eng_convert_result dummy;
    res = res ? res : &dummy;
    memset(res, 0, sizeof *res);
    int created;
    if (prepare_out(out_dir, &created, err, errsz) < 0) return -1;
    conv c = {.out = out_dir};
    int rc = convert_all(&c, src_dir, max_shard_bytes ? max_shard_bytes : DEFAULT_SHARD_BYTES, res,
                         err, errsz);
    for (size_t i = 0; i < c.nwritten; i++) {
        if (rc < 0) unlink(c.written[i]);
        free(c.written[i]);
    }
    if (rc < 0 && created) rmdir(out_dir);
    for (size_t i = 0; i < c.n; i++) free(c.it[i].name);
    free(c.it);
    free(c.written);
    eng_model_close(c.m);
    return rc;
}
