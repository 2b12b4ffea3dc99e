/* SPDX-License-Identifier: MIT */
/*
 * parse_dts.c - memory nodes of a device-tree source (.dts).
 *
 * A small tokenizer (words, strings, punctuation, /directives/; C and C++
 * comments and cpp lines skipped) feeds a flat state machine that tracks
 * the node depth without recursion.  It reads the root's #address-cells
 * and #size-cells (DT spec defaults 2 and 1) and, for every child of the
 * root named "memory" or "memory@...", its device_type, status,
 * numa-node-id and reg.  When the node closes, a node whose device_type is
 * "memory" (and whose status, if any, is "okay") has its reg split into
 * (address, size) pairs with the root's cells; size 0 is skipped.
 *
 *   / {
 *       #address-cells = <2>;  #size-cells = <2>;
 *       memory@80000000 {
 *           device_type = "memory";
 *           reg = <0x0 0x80000000 0x0 0x7f000000>,    pair 1, line of its first cell
 *                 <0x8 0x80000000 0x1 0x80000000>;    pair 2
 *       };
 *   };
 *
 * Not modelled: macros (cpp is not run), label references (&label { })
 * that patch a memory node, /bits/ other than 32, expressions in reg.
 */
#include "io_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { T_EOF, T_WORD, T_STRING, T_PUNCT, T_DIRECTIVE };

struct tok {
    enum tok_kind kind;
    struct smm_cur_ text; /* word, string contents (raw), directive or the punctuation */
    uint32_t line;
};

struct lexer {
    struct smm_text_ *t;
    struct smm_cur_ cur;   /* the rest of the current line */
    uint32_t comment_line; /* inside a block comment opened there (0: not) */
};

static bool is_word_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           strchr(",._+*#?@-", ch) != NULL;
}

static bool is_word_start(char ch)
{
    return ch != ',' && ch != '@' && is_word_char(ch);
}

/* "#include", "#define", "# 12 "file"": a cpp line (but "#address-cells" is not). */
static bool is_cpp_line(struct smm_cur_ c)
{
    static const char *const directives[] = {"include", "define",  "undef", "ifdef", "ifndef",
                                             "if",      "elif",    "else",  "endif", "pragma",
                                             "error",   "warning", "line",  NULL};
    smm_cur_skip_ws_(&c);
    if (!smm_cur_eat_char_(&c, '#'))
        return false;
    smm_cur_skip_ws_(&c);
    if (!smm_cur_eof_(&c) && *c.p >= '0' && *c.p <= '9')
        return true;
    for (const char *const *d = directives; *d; d++) {
        struct smm_cur_ s = c;
        if (smm_cur_eat_(&s, *d) && (smm_cur_eof_(&s) || !is_word_char(*s.p)))
            return true;
    }
    return false;
}

/* Skip blanks, comments and cpp lines; 0 with the cursor on a token, 1 at EOF. */
static int skip_space(struct lexer *lx)
{
    for (;;) {
        if (lx->comment_line) {
            if (!smm_cur_find_(&lx->cur, "*/")) {
                lx->cur.p = lx->cur.end;
            } else {
                lx->comment_line = 0;
            }
        }
        smm_cur_skip_ws_(&lx->cur);
        if (smm_cur_eof_(&lx->cur)) {
            int rc = smm_text_next_(lx->t, &lx->cur);
            if (rc < 0)
                return rc;
            if (rc == 0)
                return 1;
            if (!lx->comment_line && is_cpp_line(lx->cur))
                lx->cur.p = lx->cur.end;
            continue;
        }
        if (lx->comment_line)
            continue;
        if (smm_cur_eat_(&lx->cur, "/*")) {
            lx->comment_line = lx->t->line;
        } else if (smm_cur_eat_(&lx->cur, "//")) {
            lx->cur.p = lx->cur.end;
        } else {
            return 0;
        }
    }
}

static int next_token(struct lexer *lx, struct tok *tk)
{
    int rc = skip_space(lx);
    if (rc < 0)
        return rc;
    *tk = (struct tok){.kind = T_EOF, .line = lx->t->line};
    if (rc == 1) {
        if (lx->comment_line) {
            smm_diag_set(lx->t->diag, -SMM_EINVAL, lx->t->source, lx->comment_line, "unterminated comment");
            return -SMM_EINVAL;
        }
        return 0;
    }
    struct smm_cur_ *c = &lx->cur;
    const char *p = c->p;
    tk->text = (struct smm_cur_){.p = p, .end = p + 1};
    if (*p == '"' || *p == '\'') {
        const char *q = p + 1;
        while (q < c->end && *q != *p)
            q += *q == '\\' ? 2 : 1;
        if (q >= c->end)
            return smm_text_error_(lx->t, "unterminated %s",
                                   *p == '"' ? "string" : "character literal");
        tk->kind = *p == '"' ? T_STRING : T_WORD;
        tk->text = (struct smm_cur_){.p = *p == '"' ? p + 1 : p, .end = *p == '"' ? q : q + 1};
        c->p = q + 1;
        return 0;
    }
    if (is_word_start(*p)) {
        while (tk->text.end < c->end && is_word_char(*tk->text.end))
            tk->text.end++;
        tk->kind = T_WORD;
    } else if (*p == '/') {
        /* "/dts-v1/", "/memreserve/", "/delete-node/" ...; else a lone '/' */
        const char *q = p + 1;
        while (q < c->end && ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-'))
            q++;
        tk->kind = T_PUNCT;
        if (q > p + 1 && q < c->end && *q == '/') {
            tk->kind = T_DIRECTIVE;
            tk->text.end = q + 1;
        }
    } else {
        tk->kind = T_PUNCT;
    }
    c->p = tk->text.end;
    return 0;
}

static bool tok_is(const struct tok *tk, const char *s)
{
    return tk->kind != T_EOF && tk->kind != T_STRING && smm_cur_equals_(&tk->text, s);
}

static int tok_error(const struct lexer *lx, const struct tok *tk, const char *expected)
{
    if (tk->kind == T_EOF)
        return smm_text_error_(lx->t, "unexpected end of input, expected %s", expected);
    int n = (int)(tk->text.end - tk->text.p);
    return smm_text_error_(lx->t, "expected %s, found '%.*s'", expected, n > 40 ? 40 : n,
                           tk->text.p);
}

static int expect_punct(struct lexer *lx, const char *s)
{
    struct tok tk;
    int rc = next_token(lx, &tk);
    if (!rc && !tok_is(&tk, s)) {
        char what[8];
        snprintf(what, sizeof(what), "'%s'", s);
        rc = tok_error(lx, &tk, what);
    }
    return rc;
}

/* Consume tokens through the next ';' (a property value, a directive). */
static int skip_statement(struct lexer *lx)
{
    struct tok tk;
    int rc;
    while ((rc = next_token(lx, &tk)) == 0 && !tok_is(&tk, ";"))
        if (tk.kind == T_EOF)
            return tok_error(lx, &tk, "';'");
    return rc;
}

/* A cell: C integer literal (hex, octal, decimal, U/L suffixes) within 32 bits. */
static int parse_cell(const struct lexer *lx, const struct tok *tk, uint32_t *cell)
{
    struct smm_cur_ w = tk->text;
    uint64_t v = 0;
    enum smm_num_status_ st;
    int n = (int)(w.end - w.p);
    if (tk->kind != T_WORD)
        return tok_error(lx, tk, "a number");
    if (smm_cur_peek_(&w, '0') && w.end - w.p > 1 && (w.p[1] | 0x20) != 'x') {
        st = SMM_NUM_OK;
        while (!smm_cur_eof_(&w) && *w.p >= '0' && *w.p <= '7' && v <= UINT32_MAX)
            v = v * 8 + (uint64_t)(*w.p++ - '0');
    } else if (smm_cur_peek_(&w, '0') && w.end - w.p > 1) {
        st = smm_cur_hex_(&w, SMM_HEX_0X, &v);
    } else {
        st = smm_cur_dec_(&w, &v);
    }
    while (!smm_cur_eof_(&w) && (*w.p == 'u' || *w.p == 'U' || *w.p == 'l' || *w.p == 'L'))
        w.p++;
    if (st != SMM_NUM_LONG && (st == SMM_NUM_NONE || !smm_cur_eof_(&w)))
        return smm_text_error_(lx->t,
                               "'%.*s' is not a number (expressions and macros are "
                               "not supported)",
                               n > 40 ? 40 : n, tk->text.p);
    if (st == SMM_NUM_LONG || v > UINT32_MAX)
        return smm_text_error_(lx->t, "cell '%.*s' does not fit in 32 bits", n, tk->text.p);
    *cell = (uint32_t)v;
    return 0;
}

/* "<N>;" - a one-cell property value. */
static int parse_one_cell(struct lexer *lx, uint32_t *v)
{
    struct tok tk;
    int rc = expect_punct(lx, "<");
    if (!rc)
        rc = next_token(lx, &tk);
    if (!rc)
        rc = parse_cell(lx, &tk, v);
    if (!rc)
        rc = expect_punct(lx, ">");
    if (!rc)
        rc = expect_punct(lx, ";");
    return rc;
}

/* "\"str\"[, ...];" - the first string of a string-list value. */
static int parse_string(struct lexer *lx, struct tok *str)
{
    int rc = next_token(lx, str);
    if (!rc && str->kind != T_STRING)
        rc = tok_error(lx, str, "a string");
    return rc ? rc : skip_statement(lx);
}

struct cell {
    uint32_t v;
    uint32_t line;
};

/* The memory node being read (a child of the root). */
struct memnode {
    bool candidate;     /* named memory or memory@... */
    bool device_memory; /* device_type = "memory" */
    bool disabled;      /* status other than "okay" */
    int32_t numa_node;
    struct cell *reg;
    size_t nr, cap;
    uint32_t reg_line;
};

/* "<c c c>, <c c>;" - every cell of a reg value, with its line. */
static int parse_reg(struct lexer *lx, struct memnode *m)
{
    struct tok tk;
    int rc;
    m->nr = 0;
    m->reg_line = lx->t->line;
    do {
        if ((rc = expect_punct(lx, "<")) != 0)
            return rc;
        while ((rc = next_token(lx, &tk)) == 0 && !tok_is(&tk, ">")) {
            uint32_t v;
            if ((rc = parse_cell(lx, &tk, &v)) != 0)
                return rc;
            if (m->nr == m->cap) {
                size_t cap = m->cap ? 2 * m->cap : 16;
                struct cell *nv = realloc(m->reg, cap * sizeof(*nv));
                if (!nv) {
                    smm_text_error_(lx->t, "out of memory");
                    return -SMM_ENOMEM;
                }
                m->reg = nv;
                m->cap = cap;
            }
            m->reg[m->nr++] = (struct cell){.v = v, .line = tk.line};
        }
        if (rc || (rc = next_token(lx, &tk)) != 0)
            return rc;
    } while (tok_is(&tk, ","));
    return tok_is(&tk, ";") ? 0 : tok_error(lx, &tk, "',' or ';' after '>'");
}

/* Root-level cell sizes, and the output. */
struct dts_state {
    struct lexer lx;
    uint32_t address_cells, size_cells;
    struct memnode mem;
    struct smm_rangelist *out;
};

static uint64_t join_cells(const struct cell *c, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++)
        v = v << 32 | c[i].v;
    return v;
}

/* A memory node closed: split its reg into (address, size) pairs. */
static int emit_memory(struct dts_state *st)
{
    struct memnode *m = &st->mem;
    const struct smm_text_ *t = st->lx.t;
    uint32_t per = st->address_cells + st->size_cells;
    if (!m->candidate || !m->device_memory || m->disabled)
        return 0;
    if (m->nr % per != 0) {
        smm_diag_set(t->diag, -SMM_EINVAL, t->source, m->reg_line,
                     "reg has %zu cells, not a multiple of #address-cells + #size-cells = %u",
                     m->nr, per);
        return -SMM_EINVAL;
    }
    for (size_t i = 0; i < m->nr; i += per) {
        uint64_t addr = join_cells(&m->reg[i], st->address_cells);
        uint64_t size = join_cells(&m->reg[i + st->address_cells], st->size_cells);
        struct smm_range r = {.start = addr,
                              .end = addr + size,
                              .type = SMM_MEM_RAM,
                              .node = m->numa_node,
                              .line = m->reg[i].line};
        if (size == 0)
            continue;
        if (size > UINT64_MAX - addr) {
            smm_diag_set(t->diag, -SMM_ERANGE, t->source, r.line,
                         "address past 2^52 (0x%" PRIx64 " + 0x%" PRIx64 " overflows)", addr, size);
            return -SMM_ERANGE;
        }
        int rc = smm_rangelist_push(st->out, &r, t->source, t->diag);
        if (rc)
            return rc;
    }
    return 0;
}

/* "#address-cells = <N>;" in the root: 1 or 2 (addresses are 64-bit). */
static int parse_root_cells(struct dts_state *st, const struct tok *name)
{
    bool address = tok_is(name, "#address-cells");
    uint32_t v;
    int rc = parse_one_cell(&st->lx, &v);
    if (!rc && (v < 1 || v > 2))
        rc = smm_text_error_(st->lx.t, "unsupported %s = <%" PRIu32 "> (1 or 2 supported)",
                             address ? "#address-cells" : "#size-cells", v);
    if (!rc)
        *(address ? &st->address_cells : &st->size_cells) = v;
    return rc;
}

/* A memory node's property we care about, or skip the value. */
static int parse_memory_property(struct dts_state *st, const struct tok *name)
{
    struct lexer *lx = &st->lx;
    struct tok str;
    uint32_t v;
    int rc;
    if (tok_is(name, "reg"))
        return parse_reg(lx, &st->mem);
    if (tok_is(name, "numa-node-id")) {
        if ((rc = parse_one_cell(lx, &v)) == 0 && v > INT32_MAX)
            rc = smm_text_error_(lx->t, "numa-node-id %" PRIu32 " too large", v);
        if (!rc)
            st->mem.numa_node = (int32_t)v;
        return rc;
    }
    if (tok_is(name, "device_type") || tok_is(name, "status")) {
        if ((rc = parse_string(lx, &str)) != 0)
            return rc;
        if (tok_is(name, "device_type"))
            st->mem.device_memory = smm_cur_equals_(&str.text, "memory");
        else
            st->mem.disabled =
                !smm_cur_equals_(&str.text, "okay") && !smm_cur_equals_(&str.text, "ok");
        return 0;
    }
    return skip_statement(lx);
}

/* After '&': "label" or "{/path/to/node}". */
static int skip_reference(struct lexer *lx)
{
    struct tok tk;
    int rc = next_token(lx, &tk);
    if (rc || tk.kind == T_WORD)
        return rc;
    if (!tok_is(&tk, "{"))
        return tok_error(lx, &tk, "a label or '{/path}' after '&'");
    while ((rc = next_token(lx, &tk)) == 0 && !tok_is(&tk, "}"))
        if (tk.kind == T_EOF)
            return tok_error(lx, &tk, "'}'");
    return rc;
}

/* "memory" or "memory@unit-address". */
static bool is_memory_name(const struct tok *tk)
{
    struct smm_cur_ name = tk->text;
    return tok_is(tk, "memory") || smm_cur_eat_(&name, "memory@");
}

/*
 * The node body loop.  depth 0 is outside any node; depth 1 the root (or
 * a "&label {" block: in_root false); depth 2 the root's children.
 */
static int parse_dts(struct dts_state *st)
{
    struct lexer *lx = &st->lx;
    size_t depth = 0;
    bool in_root = false;
    uint32_t open_line[3] = {0};
    struct tok tk, next;
    int rc;

    while ((rc = next_token(lx, &tk)) == 0) {
        if (tk.kind == T_EOF) {
            if (depth == 0)
                return 0;
            smm_diag_set(lx->t->diag, -SMM_EINVAL, lx->t->source, open_line[depth < 3 ? depth : 2],
                         "node never closed: missing '};' before the end of input");
            return -SMM_EINVAL;
        }
        if (tk.kind == T_DIRECTIVE) {
            /* /include/ "file" has no ';'; /omit-if-no-ref/ prefixes a node. */
            if (tok_is(&tk, "/include/")) {
                if ((rc = next_token(lx, &next)) == 0 && next.kind != T_STRING)
                    rc = tok_error(lx, &next, "a file name");
            } else if (!tok_is(&tk, "/omit-if-no-ref/"))
                rc = skip_statement(lx);
        } else if (tok_is(&tk, "}")) {
            if (depth == 0)
                return tok_error(lx, &tk, "a node");
            if ((rc = expect_punct(lx, ";")) == 0 && depth == 2 && in_root)
                rc = emit_memory(st);
            depth--;
        } else if (depth == 0 && (tok_is(&tk, "/") || tok_is(&tk, "&"))) {
            in_root = tok_is(&tk, "/");
            if (!in_root)
                rc = skip_reference(lx);
            if (!rc)
                rc = next_token(lx, &next);
            if (!rc && !in_root && tok_is(&next, ";"))
                continue; /* "/omit-if-no-ref/ &label;" */
            if (!rc && !tok_is(&next, "{"))
                rc = tok_error(lx, &next, "'{'");
            depth = 1;
            open_line[1] = tk.line;
        } else if (tk.kind == T_WORD) {
            if ((rc = next_token(lx, &next)) != 0)
                return rc;
            if (tok_is(&next, ":")) {
                continue; /* a label */
            } else if (depth > 0 && tok_is(&next, "{")) {
                if (++depth == 2 && in_root) {
                    st->mem = (struct memnode){.candidate = is_memory_name(&tk),
                                               .numa_node = SMM_NODE_NONE,
                                               .reg = st->mem.reg,
                                               .cap = st->mem.cap};
                }
                open_line[depth < 3 ? depth : 2] = tk.line;
            } else if (depth > 0 && tok_is(&next, "=")) {
                if (depth == 1 && in_root &&
                    (tok_is(&tk, "#address-cells") || tok_is(&tk, "#size-cells")))
                    rc = parse_root_cells(st, &tk);
                else if (depth == 2 && in_root && st->mem.candidate)
                    rc = parse_memory_property(st, &tk);
                else
                    rc = skip_statement(lx);
            } else if (depth == 0 || !tok_is(&next, ";")) {
                rc = tok_error(lx, &next, depth ? "'=', ';', ':' or '{'" : "'/ {'");
            }
        } else {
            rc = tok_error(lx, &tk, depth ? "a property or a node" : "'/ {'");
        }
        if (rc)
            return rc;
    }
    return rc;
}

int smm_parse_dts_(struct smm_text_ *t, struct smm_rangelist *out)
{
    struct dts_state st = {
        .lx = {.t = t, .cur = {.p = t->buf, .end = t->buf}},
        .address_cells = 2, /* DT spec defaults */
        .size_cells = 1,
        .out = out,
    };
    int rc = parse_dts(&st);
    free(st.mem.reg);
    return rc;
}
