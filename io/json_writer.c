/* SPDX-License-Identifier: MIT */
/* json_writer.c - streaming JSON output with tracked commas and indentation. */
#include "json_writer.h"

#include <inttypes.h>
#include <math.h>

void smm_json_init(struct smm_json *j, FILE *f)
{
    *j = (struct smm_json){.f = f, .depth = 0, .pretty = true};
    j->first[0] = true;
}

void smm_json_document_begin(struct smm_json *j, FILE *f, const char *schema)
{
    smm_json_init(j, f);
    smm_json_object_begin(j);
    smm_json_key(j, "schema");
    smm_json_string(j, schema);
}

static void indent(struct smm_json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Before any value: a comma and a new line unless it follows its key. */
static void before_value(struct smm_json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0) {
        if (!j->first[j->depth])
            fputc(',', j->f);
        indent(j);
    }
    j->first[j->depth] = false;
}

static void open(struct smm_json *j, char c)
{
    before_value(j);
    fputc(c, j->f);
    if (j->depth + 1 < SMM_JSON_DEPTH)
        j->depth++;
    j->first[j->depth] = true;
}

static void close(struct smm_json *j, char c)
{
    bool empty = j->first[j->depth];
    if (j->depth > 0)
        j->depth--;
    if (!empty)
        indent(j);
    fputc(c, j->f);
}

void smm_json_object_begin(struct smm_json *j) { open(j, '{'); }
void smm_json_object_end(struct smm_json *j) { close(j, '}'); }
void smm_json_array_begin(struct smm_json *j) { open(j, '['); }
void smm_json_array_end(struct smm_json *j) { close(j, ']'); }

static void raw_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void smm_json_key(struct smm_json *j, const char *key)
{
    before_value(j);
    raw_string(j->f, key);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = true;
}

void smm_json_string(struct smm_json *j, const char *s)
{
    before_value(j);
    raw_string(j->f, s);
}

void smm_json_u64(struct smm_json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->f, "%" PRIu64, v);
}

void smm_json_i64(struct smm_json *j, int64_t v)
{
    before_value(j);
    fprintf(j->f, "%" PRId64, v);
}

void smm_json_double(struct smm_json *j, double v)
{
    before_value(j);
    if (isfinite(v))
        fprintf(j->f, "%.6g", v);
    else
        fputs("null", j->f);
}

void smm_json_bool(struct smm_json *j, bool v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void smm_json_null(struct smm_json *j)
{
    before_value(j);
    fputs("null", j->f);
}

void smm_json_hex(struct smm_json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->f, "\"0x%" PRIx64 "\"", v);
}

void smm_json_finish(struct smm_json *j)
{
    fputc('\n', j->f);
}

void smm_json_kv_u64(struct smm_json *j, const char *key, uint64_t v)
{
    smm_json_key(j, key);
    smm_json_u64(j, v);
}

void smm_json_kv_double(struct smm_json *j, const char *key, double v)
{
    smm_json_key(j, key);
    smm_json_double(j, v);
}

void smm_json_kv_bool(struct smm_json *j, const char *key, bool v)
{
    smm_json_key(j, key);
    smm_json_bool(j, v);
}

void smm_json_kv_string(struct smm_json *j, const char *key, const char *v)
{
    smm_json_key(j, key);
    smm_json_string(j, v);
}
