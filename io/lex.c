/* SPDX-License-Identifier: MIT */
/*
 * lex.c - the text walker and scanners every line-based parser shares:
 * splitting a (not NUL-terminated) buffer into lines while rejecting huge
 * lines and binary data, bounded hex/decimal scanners, literal matching,
 * and the single place where a parsed range gets its line number, has its
 * inclusive end converted and is appended.
 */
#include "io_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void smm_text_init_(struct smm_text_ *t, const char *buf, size_t len, const char *source,
                    struct smm_diag *diag)
{
    *t = (struct smm_text_){.buf = buf, .len = len, .source = source, .diag = diag};
    /* A UTF-8 byte-order mark is not part of the first line. */
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        t->pos = 3;
}

/* Text is printable ASCII, UTF-8 bytes, tab, CR, FF, VT and ESC (colour). */
static bool is_binary_byte(unsigned char ch)
{
    if (ch >= 0x20)
        return ch == 0x7f;
    return ch != '\t' && ch != '\r' && ch != '\f' && ch != '\v' && ch != 0x1b;
}

int smm_text_next_(struct smm_text_ *t, struct smm_cur_ *line)
{
    if (t->pos >= t->len)
        return 0;
    const char *p = t->buf + t->pos;
    size_t left = t->len - t->pos;
    size_t scan = left < SMM_LINE_MAX + 1 ? left : SMM_LINE_MAX + 1;
    const char *nl = memchr(p, '\n', scan);
    size_t n = nl ? (size_t)(nl - p) : scan;

    if (t->line < UINT32_MAX)
        t->line++;
    if (!nl && left > SMM_LINE_MAX) {
        /* Skip the whole overlong line so a tolerant caller can go on. */
        nl = memchr(p + scan, '\n', left - scan);
        t->pos = nl ? (size_t)(nl - t->buf) + 1 : t->len;
        return smm_text_error_(t, "line longer than %u bytes", SMM_LINE_MAX);
    }
    t->pos += n + (nl != NULL);
    for (size_t i = 0; i < n; i++)
        if (is_binary_byte((unsigned char)p[i]))
            return smm_text_error_(t, "binary data (byte 0x%02x in column %zu)",
                                   (unsigned char)p[i], i + 1);
    if (n > 0 && p[n - 1] == '\r')
        n--;
    *line = (struct smm_cur_){.p = p, .end = p + n};
    return 1;
}

int smm_text_error_(const struct smm_text_ *t, const char *fmt, ...)
{
    if (t->diag) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        smm_diag_set(t->diag, -SMM_EINVAL, t->source, t->line, "%s", msg);
    }
    return -SMM_EINVAL;
}

bool smm_cur_eof_(const struct smm_cur_ *c)
{
    return c->p >= c->end;
}

bool smm_cur_is_ws_(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

void smm_cur_skip_ws_(struct smm_cur_ *c)
{
    while (c->p < c->end && smm_cur_is_ws_(*c->p))
        c->p++;
}

void smm_cur_rtrim_(struct smm_cur_ *c)
{
    while (c->end > c->p && smm_cur_is_ws_(c->end[-1]))
        c->end--;
}

bool smm_cur_peek_(const struct smm_cur_ *c, char ch)
{
    return c->p < c->end && *c->p == ch;
}

bool smm_cur_eat_(struct smm_cur_ *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
        return false;
    c->p += n;
    return true;
}

bool smm_cur_eat_char_(struct smm_cur_ *c, char ch)
{
    if (!smm_cur_peek_(c, ch))
        return false;
    c->p++;
    return true;
}

bool smm_cur_find_(struct smm_cur_ *c, const char *lit)
{
    size_t n = strlen(lit);
    for (const char *p = c->p; (size_t)(c->end - p) >= n; p++) {
        if (memcmp(p, lit, n) == 0) {
            c->p = p + n;
            return true;
        }
    }
    return false;
}

bool smm_cur_equals_(const struct smm_cur_ *c, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(c->end - c->p) == n && memcmp(c->p, lit, n) == 0;
}

struct smm_cur_ smm_cur_word_(struct smm_cur_ *c)
{
    smm_cur_skip_ws_(c);
    struct smm_cur_ w = {.p = c->p, .end = c->p};
    while (w.end < c->end && !smm_cur_is_ws_(*w.end))
        w.end++;
    c->p = w.end;
    return w;
}

bool smm_cur_is_hex_digit_(char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static unsigned hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return (unsigned)(ch - '0');
    return (unsigned)((ch | 0x20) - 'a' + 10);
}

enum smm_num_status_ smm_cur_hex_(struct smm_cur_ *c, enum smm_hex_prefix_ prefix, uint64_t *v)
{
    struct smm_cur_ s = *c;
    bool has_0x = (size_t)(s.end - s.p) >= 2 && s.p[0] == '0' && (s.p[1] | 0x20) == 'x';

    if (has_0x && prefix != SMM_HEX_BARE)
        s.p += 2;
    else if (prefix == SMM_HEX_0X)
        return SMM_NUM_NONE;
    const char *digits = s.p;
    uint64_t x = 0;
    while (s.p < s.end && smm_cur_is_hex_digit_(*s.p)) {
        if (s.p - digits == 16)
            return SMM_NUM_LONG;
        x = x << 4 | hex_value(*s.p++);
    }
    if (s.p == digits)
        return SMM_NUM_NONE;
    *c = s;
    *v = x;
    return SMM_NUM_OK;
}

enum smm_num_status_ smm_cur_dec_(struct smm_cur_ *c, uint64_t *v)
{
    const char *p = c->p;
    uint64_t x = 0;
    while (p < c->end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p++ - '0');
        if (x > (UINT64_MAX - d) / 10)
            return SMM_NUM_LONG;
        x = x * 10 + d;
    }
    if (p == c->p)
        return SMM_NUM_NONE;
    c->p = p;
    *v = x;
    return SMM_NUM_OK;
}

static int number_error(const struct smm_text_ *t, enum smm_num_status_ st, const char *what,
                        const char *kind)
{
    if (st == SMM_NUM_LONG)
        return smm_text_error_(t, "%s: number too large (more than %s)", what, kind);
    return smm_text_error_(t, "expected %s", what);
}

int smm_text_hex_(const struct smm_text_ *t, struct smm_cur_ *c, enum smm_hex_prefix_ prefix,
                  const char *what, uint64_t *v)
{
    smm_cur_skip_ws_(c);
    enum smm_num_status_ st = smm_cur_hex_(c, prefix, v);
    return st == SMM_NUM_OK ? 0 : number_error(t, st, what, "16 hex digits");
}

int smm_text_dec_(const struct smm_text_ *t, struct smm_cur_ *c, const char *what, uint64_t *v)
{
    smm_cur_skip_ws_(c);
    enum smm_num_status_ st = smm_cur_dec_(c, v);
    return st == SMM_NUM_OK ? 0 : number_error(t, st, what, "64 bits");
}

int smm_text_expect_(const struct smm_text_ *t, struct smm_cur_ *c, const char *lit,
                     const char *where)
{
    smm_cur_skip_ws_(c);
    if (smm_cur_eat_(c, lit))
        return 0;
    return smm_text_error_(t, "expected '%s' %s", lit, where);
}

int smm_text_expect_end_(const struct smm_text_ *t, struct smm_cur_ *c)
{
    smm_cur_skip_ws_(c);
    if (smm_cur_eof_(c))
        return 0;
    int n = c->end - c->p > 40 ? 40 : (int)(c->end - c->p);
    return smm_text_error_(t, "unexpected text '%.*s'", n, c->p);
}

int smm_text_range_(const struct smm_text_ *t, struct smm_rangelist *out, uint64_t start,
                    uint64_t end, bool inclusive, uint32_t type, int32_t node)
{
    if (inclusive) {
        if (end == UINT64_MAX) {
            smm_diag_set(t->diag, -SMM_ERANGE, t->source, t->line,
                         "address past 2^52 (end 0x%016" PRIx64 " inclusive)", end);
            return -SMM_ERANGE;
        }
        end++;
    }
    struct smm_range r = {.start = start, .end = end, .type = type, .node = node, .line = t->line};
    return smm_rangelist_push(out, &r, t->source, t->diag);
}

int smm_strip_ansi_(const char *buf, size_t len, enum smm_format fmt, char **clean,
                    size_t *out_len)
{
    *clean = NULL;
    if (!buf || !memchr(buf, 0x1b, len) || fmt == SMM_FMT_DTB ||
        (fmt == SMM_FMT_AUTO && smm_is_fdt_magic_(buf, len)))
        return 0;
    char *out = malloc(len ? len : 1);
    if (!out)
        return -SMM_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != 0x1b) {
            out[n++] = buf[i];
            continue;
        }
        if (i + 1 < len && buf[i + 1] == '[') {
            /* CSI: ESC [ parameters intermediates final (0x40..0x7e) */
            size_t j = i + 2;
            while (j < len && (unsigned char)buf[j] >= 0x20 && (unsigned char)buf[j] < 0x40)
                j++;
            if (j < len && (unsigned char)buf[j] >= 0x40 && (unsigned char)buf[j] <= 0x7e)
                i = j;
            else
                i = j - 1; /* cut short: drop what was read, keep the rest */
        } else if (i + 1 < len && buf[i + 1] != '\n') {
            i++; /* a two-byte escape */
        }
    }
    *out_len = n;
    *clean = out;
    return 0;
}

bool smm_type_lookup_(const struct smm_type_name_ *tab, const struct smm_cur_ *name, uint32_t *type)
{
    for (; tab->name; tab++) {
        if (smm_cur_equals_(name, tab->name)) {
            *type = tab->type;
            return true;
        }
    }
    return false;
}
