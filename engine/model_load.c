/* engine/model_load.c: opens a checkpoint folder: config.json, model.safetensors.index.json (or
 * the single model.safetensors), the mapped shards, and one name -> tensor table over them. */
#include "model_int.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static uint64_t name_hash(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

static int table_rehash(eng_model *m, size_t cap)
{
    size_t *h = malloc(cap * sizeof *h);
    if (!h) return -1;
    for (size_t i = 0; i < cap; i++) h[i] = SIZE_MAX;
    for (size_t i = 0; i < m->nt; i++) {
        size_t j = (size_t)name_hash(m->t[i].name) & (cap - 1);
        while (h[j] != SIZE_MAX) j = (j + 1) & (cap - 1);
        h[j] = i;
    }
    free(m->hash);
    m->hash = h;
    m->hcap = cap;
    return 0;
}

const eng_tensor *eng_model_tensor(const eng_model *m, const char *name)
{
    if (!m || !m->hcap) return NULL;
    size_t j = (size_t)name_hash(name) & (m->hcap - 1);
    while (m->hash[j] != SIZE_MAX) {
        if (strcmp(m->t[m->hash[j]].name, name) == 0) return &m->t[m->hash[j]];
        j = (j + 1) & (m->hcap - 1);
    }
    return NULL;
}

/* Appends a tensor (copied by value; name and data must outlive the model). */
int model_add_tensor(eng_model *m, const eng_tensor *t, const char *file)
{
    if (m->nt == m->tcap) {
        size_t cap = m->tcap ? 2 * m->tcap : 256;
        eng_tensor *nt = realloc(m->t, cap * sizeof *nt);
        const char **nf = nt ? realloc(m->tfile, cap * sizeof *nf) : NULL;
        if (nt) m->t = nt;
        if (nf) m->tfile = nf;
        if (!nt || !nf) return -1;
        m->tcap = cap;
    }
    m->t[m->nt] = *t;
    m->t[m->nt].scale_inv = NULL;
    m->tfile[m->nt] = file;
    m->nt++;
    if (2 * m->nt > m->hcap) return table_rehash(m, m->hcap ? 2 * m->hcap : 1024);
    size_t j = (size_t)name_hash(t->name) & (m->hcap - 1);
    while (m->hash[j] != SIZE_MAX) j = (j + 1) & (m->hcap - 1);
    m->hash[j] = m->nt - 1;
    return 0;
}

int model_own(eng_model *m, void *p)
{
    if (!p) return -1;
    if (m->nowned == m->owncap) {
        size_t cap = m->owncap ? 2 * m->owncap : 64;
        void **n = realloc(m->owned, cap * sizeof *n);
        if (!n) {
            free(p);
            return -1;
        }
        m->owned = n;
        m->owncap = cap;
    }
    m->owned[m->nowned++] = p;
    return 0;
}

static int open_shard(eng_model *m, const char *base, st_file **out, char *err, size_t errsz)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", m->dir, base) >= sizeof path)
        return model_fail(err, errsz, "%s: path too long", m->dir);
    if (m->nfiles == m->filecap) {
        size_t cap = m->filecap ? 2 * m->filecap : 8;
        st_file **n = realloc(m->files, cap * sizeof *n);
        if (!n) return model_fail(err, errsz, "%s: out of memory", path);
        m->files = n;
        m->filecap = cap;
    }
    if (st_file_open(path, 0, out, err, errsz) < 0) return -1;
    m->files[m->nfiles++] = *out;
    return 0;
}

static int load_single(eng_model *m, char *err, size_t errsz)
{
    st_file *f;
    if (open_shard(m, "model.safetensors", &f, err, errsz) < 0) return -1;
    for (size_t i = 0; i < f->hdr.n; i++)
        if (model_add_tensor(m, &f->t[i], f->base) < 0)
            return model_fail(err, errsz, "%s: out of memory", f->path);
    return 0;
}

/* A shard name from the index must stay inside the folder. */
static int bad_shard_name(const char *s)
{
    return !*s || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0 || strlen(s) > 255;
}

static int parse_index(const char *path, json_object **wm_out, json_object **root_out, char *err,
                       size_t errsz)
{
    char *text;
    size_t len;
    if (model_read_small_file(path, (size_t)1 << 28, &text, &len, err, errsz) < 0) return -1;
    json_object *root, *wm = NULL;
    int rc = model_json_parse(text, len, path, &root, err, errsz);
    free(text);
    if (rc < 0) return -1;
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "weight_map", &wm) ||
        !json_object_is_type(wm, json_type_object)) {
        json_object_put(root);
        return model_fail(err, errsz, "%s: field 'weight_map' is missing or not an object", path);
    }
    json_object_object_foreach(wm, name, shard)
    {
        if (!json_object_is_type(shard, json_type_string) ||
            bad_shard_name(json_object_get_string(shard))) {
            model_fail(err, errsz,
                       "%s: weight_map entry '%.200s' does not name a shard file in the folder",
                       path, name);
            json_object_put(root);
            return -1;
        }
    }
    *wm_out = wm;
    *root_out = root;
    return 0;
}

/* Opens every shard the index names (once each) and takes from each the tensors mapped to it. */
static int load_shards(eng_model *m, const char *ipath, json_object *wm, char *err, size_t errsz)
{
    json_object_object_foreach(wm, name, shard)
    {
        (void)name;
        const char *s = json_object_get_string(shard);
        size_t k = 0;
        while (k < m->nfiles && strcmp(m->files[k]->base, s) != 0) k++;
        if (k < m->nfiles) continue;
        st_file *f;
        if (open_shard(m, s, &f, err, errsz) < 0) {
            size_t n = err && errsz ? strlen(err) : 0;
            if (n + 1 < errsz) snprintf(err + n, errsz - n, " (named in %s)", ipath);
            return -1;
        }
        for (size_t i = 0; i < f->hdr.n; i++) {
            json_object *v;
            if (json_object_object_get_ex(wm, f->t[i].name, &v) &&
                strcmp(json_object_get_string(v), s) == 0 &&
                model_add_tensor(m, &f->t[i], f->base) < 0)
                return model_fail(err, errsz, "%s: out of memory", f->path);
        }
    }
    json_object_object_foreach(wm, tname, tshard)
    {
        if (!eng_model_tensor(m, tname))
            return model_fail(err, errsz,
                              "%s maps tensor '%.200s' to %s, which has no such "
                              "tensor",
                              ipath, tname, json_object_get_string(tshard));
    }
    return 0;
}

static int load_tensors(eng_model *m, char *err, size_t errsz)
{
    char ipath[4096];
    snprintf(ipath, sizeof ipath, "%s/model.safetensors.index.json", m->dir);
    FILE *probe = fopen(ipath, "rb");
    if (!probe) {
        char spath[4096];
        snprintf(spath, sizeof spath, "%s/model.safetensors", m->dir);
        FILE *p2 = fopen(spath, "rb");
        if (!p2)
            return model_fail(err, errsz,
                              "%s: neither model.safetensors.index.json nor "
                              "model.safetensors is there",
                              m->dir);
        fclose(p2);
        return load_single(m, err, errsz);
    }
    fclose(probe);
    json_object *root = NULL, *wm = NULL;
    if (parse_index(ipath, &wm, &root, err, errsz) < 0) return -1;
    int rc = load_shards(m, ipath, wm, err, errsz);
    json_object_put(root);
    return rc;
}

static int read_config(eng_model *m, char *err, size_t errsz)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", m->dir);
    if (model_read_small_file(path, 1u << 24, &m->config_text, &m->config_len, err, errsz) < 0)
        return -1;
    if (eng_config_parse(m->config_text, m->config_len, path, &m->cfg, err, errsz) < 0) return -1;
    if (m->cfg.weight_block_rows != 128 || m->cfg.weight_block_cols != 128)
        return model_fail(err, errsz,
                          "%s: field 'quantization_config.weight_block_size' is "
                          "[%d, %d]; folio supports [128, 128]",
                          path, m->cfg.weight_block_rows, m->cfg.weight_block_cols);
    return 0;
}

void eng_model_close(eng_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->nfiles; i++) st_file_close(m->files[i]);
    for (size_t i = 0; i < m->nowned; i++) free(m->owned[i]);
    free(m->owned);
    free(m->files);
    free(m->t);
    free(m->tfile);
    free(m->hash);
    free(m->config_text);
    free(m->dir);
    free(m);
}

int eng_model_open(const char *dir, const eng_model_options *opts, eng_model **out, char *err,
                   size_t errsz)
{
    *out = NULL;
    eng_model *m = calloc(1, sizeof *m);
    if (!m || !(m->dir = strdup(dir))) {
        free(m);
        return model_fail(err, errsz, "%s: out of memory", dir);
    }
    m->quantized = opts && opts->quantize_to_fp8;
    if (read_config(m, err, errsz) < 0 || load_tensors(m, err, errsz) < 0 ||
        (m->quantized && model_quantize_linear(m, err, errsz) < 0) ||
        model_link_scales(m, err, errsz) < 0 || model_check_required(m, err, errsz) < 0 ||
        model_check_mtp(m, err, errsz) < 0 || model_fingerprint(m, err, errsz) < 0) {
        eng_model_close(m);
        return -1;
    }
    *out = m;
    return 0;
}

const eng_config *eng_model_config(const eng_model *m)
{
    return &m->cfg;
}
const char *eng_model_dir(const eng_model *m)
{
    return m->dir;
}
uint64_t eng_model_fingerprint(const eng_model *m)
{
    return m->fingerprint;
}
size_t eng_model_tensor_count(const eng_model *m)
{
    return m->nt;
}
int eng_model_mtp_layers(const eng_model *m)
{
    return m->mtp_layers;
}

const eng_tensor *eng_model_tensor_at(const eng_model *m, size_t i)
{
    return i < m->nt ? &m->t[i] : NULL;
}
