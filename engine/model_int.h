/* engine/model_int.h: internals shared by the model_*.c files (safetensors parsing, the mapped
 * files, small helpers). Not part of the public interface; eng_model.h is. */
#ifndef MODEL_INT_H
#define MODEL_INT_H

#include "eng_model.h"

#include <stdarg.h>

/* Largest safetensors JSON header accepted (the reference implementation's own limit). */
#define MODEL_ST_HEADER_MAX ((uint64_t)100 << 20)
/* JSON nesting needed by a header is 3 ({name: {shape: [...]}}); anything deeper is hostile. */
#define MODEL_JSON_DEPTH 16

/* ---- model_safetensors.c ------------------------------------------------------------------ */

/* One tensor of a parsed header: offsets are relative to the data area. */
typedef struct st_entry {
    char *name;
    eng_dtype dtype;
    int ndim;
    int64_t shape[4];
    uint64_t begin, end;
} st_entry;

typedef struct st_header {
    st_entry *e;
    size_t n;
    uint64_t data_start; /* 8 + header length: file offset of the data area */
    uint64_t data_len;   /* bytes from data_start to the end of the file */
} st_header;

/* Parses and validates the header of a safetensors file held in buf[0..len) (the whole file):
 * length prefix, JSON, dtypes (extra_dtypes: also I32/I64/F64), shapes, offsets inside the data
 * area, byte counts, no overlaps. `what` names the file in messages. Never reads outside buf. */
int st_header_parse(const uint8_t *buf, size_t len, const char *what, int extra_dtypes,
                    st_header *h, char *err, size_t errsz);
void st_header_free(st_header *h);

/* A mapped safetensors file with its tensors resolved to pointers. Tensors whose data is not
 * aligned to their element size are copied into owned memory, so readers may cast freely. */
typedef struct st_file {
    char *path;
    const char *base; /* file name within path, for messages */
    uint8_t *map;
    size_t size;
    st_header hdr;
    eng_tensor *t; /* hdr.n tensors, names point into hdr */
    void **copies; /* owned aligned copies (NULL where zero-copy) */
} st_file;

int st_file_open(const char *path, int extra_dtypes, st_file **out, char *err, size_t errsz);
void st_file_close(st_file *f);

/* ---- model_fp8.c / helpers ---------------------------------------------------------------- */

/* True for the names of linear weights that FP8 checkpoints store as F8_E4M3 with a scale:
 * model.layers.N.self_attn.*_proj.weight (and kv_a_proj_with_mqa.weight) and
 * model.layers.N.mlp.[...]*_proj.weight. */
int model_is_linear_weight(const char *name);

/* snprintf into err (never overflowing; err may be NULL). Returns -1 for `return model_fail()`. */
int model_fail(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Reads a whole small file (config, index) into a NUL-terminated buffer of at most max bytes. */
int model_read_small_file(const char *path, size_t max, char **out, size_t *len, char *err,
                          size_t errsz);

/* Parses JSON text (depth-limited) into *root; the message names `what` and the byte offset. */
struct json_object;
int model_json_parse(const char *text, size_t len, const char *what, struct json_object **root,
                     char *err, size_t errsz);

/* Compares names with embedded numbers by value ("layers.2" < "layers.10"). */
int model_natural_cmp(const char *a, const char *b);

/* ---- the model (model_load.c, model_check.c) ---------------------------------------------- */

struct eng_model {
    char *dir;
    eng_config cfg;
    char *config_text; /* config.json as read, hashed into the fingerprint */
    size_t config_len;
    st_file **files; /* the mapped shards, in the order first named */
    size_t nfiles, filecap;
    eng_tensor *t;      /* every tensor; scale_inv links set by model_link_scales */
    const char **tfile; /* file name holding t[i] (for messages) */
    size_t nt, tcap;
    size_t *hash; /* open addressing over t by name; SIZE_MAX = empty */
    size_t hcap;
    void **owned; /* buffers the model frees: quantized weights, scales, names */
    size_t nowned, owncap;
    int quantized; /* opened with quantize_to_fp8 */
    int mtp_layers;
    uint64_t fingerprint;
    char need_why[96]; /* why a missing tensor is required, for the message */
};

int model_add_tensor(eng_model *m, const eng_tensor *t, const char *file);
int model_own(eng_model *m, void *p); /* takes p (frees it on failure) */

/* The validation steps of eng_model_open, in order. */
int model_quantize_linear(eng_model *m, char *err, size_t errsz);
int model_link_scales(eng_model *m, char *err, size_t errsz);
int model_check_required(eng_model *m, char *err, size_t errsz);
int model_check_mtp(eng_model *m, char *err, size_t errsz);
int model_fingerprint(eng_model *m, char *err, size_t errsz);

#endif
