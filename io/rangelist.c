/* SPDX-License-Identifier: MIT */
/*
 * rangelist.c - the growable list of raw ranges parsers append to, with the
 * checks every range passes (start < end, end <= 2^52), and the
 * "source:line: message" diagnostics.
 */
#include "io_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

void smm_diag_set(struct smm_diag *diag, int code, const char *source, uint32_t line,
                  const char *fmt, ...)
{
    if (!smm_diag_begin(diag, code))
        return;
    if (!source)
        source = "<input>";
    diag->line = line;
    /* Line 0 means "no line" (a device-tree blob, a whole file). */
    int n = line ? snprintf(diag->msg, sizeof(diag->msg), "%s:%" PRIu32 ": ", source, line)
                 : snprintf(diag->msg, sizeof(diag->msg), "%s: ", source);
    if (n < 0 || (size_t)n >= sizeof(diag->msg))
        return; /* the source name alone fills the buffer */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->msg + n, sizeof(diag->msg) - (size_t)n, fmt, ap);
    va_end(ap);
}

void smm_rangelist_release_(struct smm_rangelist *l)
{
    free(l->v);
    *l = (struct smm_rangelist){0};
}

int smm_rangelist_create(struct smm_rangelist **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -SMM_ENOMEM;
}

void smm_rangelist_destroy(struct smm_rangelist *l)
{
    if (!l)
        return;
    free(l->v);
    free(l);
}

static int grow(struct smm_rangelist *l)
{
    size_t cap = l->cap ? l->cap * 2 : 64;
    if (cap > SIZE_MAX / sizeof(*l->v) || cap < l->cap)
        return -SMM_ENOMEM;
    struct smm_range *v = realloc(l->v, cap * sizeof(*v));
    if (!v)
        return -SMM_ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

int smm_rangelist_push(struct smm_rangelist *l, const struct smm_range *r, const char *source,
                       struct smm_diag *diag)
{
    int rc = smm_range_check(r);
    if (rc != 0) {
        if (r->type >= SMM_MEM_TYPE_COUNT)
            smm_diag_set(diag, rc, source, r->line, "invalid memory type %" PRIu32, r->type);
        else if (r->start >= r->end)
            smm_diag_set(diag, rc, source, r->line,
                         "empty or inverted range [0x%" PRIx64 ", 0x%" PRIx64 ")", r->start,
                         r->end);
        else
            smm_diag_set(diag, rc, source, r->line,
                         "address past 2^52 (range [0x%" PRIx64 ", 0x%" PRIx64 "))", r->start,
                         r->end);
        return rc;
    }
    if (l->n == l->cap && grow(l) != 0) {
        smm_diag_set(diag, -SMM_ENOMEM, source, r->line, "out of memory");
        return -SMM_ENOMEM;
    }
    l->v[l->n++] = *r;
    return 0;
}
