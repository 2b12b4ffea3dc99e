/* SPDX-License-Identifier: MIT */
/*
 * json_writer.h - a small streaming JSON writer for the CLI's documents.
 * Commas and nesting are tracked here so callers only say what comes next.
 */
#ifndef SPARSEMM_IO_JSON_WRITER_H
#define SPARSEMM_IO_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SMM_JSON_DEPTH 32

struct smm_json {
    FILE *f;
    int depth;
    bool first[SMM_JSON_DEPTH]; /* nothing written yet at this level */
    bool pretty;
    bool after_key; /* a key was written, its value comes next */
};

void smm_json_init(struct smm_json *j, FILE *f);
/* A CLI document: init, open the top-level object, write "schema": schema. */
void smm_json_document_begin(struct smm_json *j, FILE *f, const char *schema);
void smm_json_object_begin(struct smm_json *j);
void smm_json_object_end(struct smm_json *j);
void smm_json_array_begin(struct smm_json *j);
void smm_json_array_end(struct smm_json *j);
/* Key of the next member (inside an object). */
void smm_json_key(struct smm_json *j, const char *key);
void smm_json_string(struct smm_json *j, const char *s);
void smm_json_u64(struct smm_json *j, uint64_t v);
void smm_json_i64(struct smm_json *j, int64_t v);
void smm_json_double(struct smm_json *j, double v);
void smm_json_bool(struct smm_json *j, bool v);
void smm_json_null(struct smm_json *j);
/* "0x..." hex string: addresses are strings so no consumer loses bits. */
void smm_json_hex(struct smm_json *j, uint64_t v);
/* Ends the document with a newline. */
void smm_json_finish(struct smm_json *j);

/* A member in one call: key, then its value. */
void smm_json_kv_u64(struct smm_json *j, const char *key, uint64_t v);
void smm_json_kv_double(struct smm_json *j, const char *key, double v);
void smm_json_kv_bool(struct smm_json *j, const char *key, bool v);
void smm_json_kv_string(struct smm_json *j, const char *key, const char *v);

#endif
