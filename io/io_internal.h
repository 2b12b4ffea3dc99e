/* SPDX-License-Identifier: MIT */
/*
 * io_internal.h - what the io/ files share and nobody else sees: the text
 * walker every line-based parser reads through (lex.c), the bounded number
 * scanners, the one place a parsed range is checked and appended, the
 * dmesg line classifier detection reuses, and the parsers' entry points.
 *
 * Cross-file internal names end in an underscore (libfdt's convention).
 *
 * Input buffers are never NUL-terminated: everything here works on
 * [p, end) spans and never calls strto*() or str*() on input bytes.
 *
 *   buf:  |line 1\n|line 2\r\n|...|line n (no newline)|
 *          ^t->pos after smm_text_next_() returned line 1
 *   line: smm_cur_ {p, end} without the newline or a trailing '\r'
 */
#ifndef SPARSEMM_IO_INTERNAL_H
#define SPARSEMM_IO_INTERNAL_H

#include <sparsemm/io/memmap_io.h>

/* Longest accepted line, newline excluded. */
#define SMM_LINE_MAX 65536u
/* Largest input read by the loader. */
#define SMM_INPUT_MAX (64u << 20)

/* A cursor over part of one line: [p, end). */
struct smm_cur_ {
    const char *p;
    const char *end;
};

/* A buffer walked line by line, with the context error messages need. */
struct smm_text_ {
    const char *buf;
    size_t len;
    size_t pos;            /* start of the next line */
    uint32_t line;         /* 1-based number of the line last returned */
    const char *source;    /* for messages */
    struct smm_diag *diag; /* NULL: report nothing (detection) */
};

void smm_text_init_(struct smm_text_ *t, const char *buf, size_t len, const char *source,
                    struct smm_diag *diag);

/*
 * smm_text_next_ - the next line into *line.
 * Return: 1 (a line), 0 (end of input), -SMM_EINVAL when the line is
 * longer than SMM_LINE_MAX or holds binary data (NUL or control bytes); the
 * walker has then moved past that line, so a tolerant caller may go on.
 */
int smm_text_next_(struct smm_text_ *t, struct smm_cur_ *line);

/* Report "source:line: ..." for the current line; returns -SMM_EINVAL. */
int smm_text_error_(const struct smm_text_ *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Cursor primitives (all bounded by c->end). */
bool smm_cur_eof_(const struct smm_cur_ *c);
bool smm_cur_is_ws_(char ch);
void smm_cur_skip_ws_(struct smm_cur_ *c);
void smm_cur_rtrim_(struct smm_cur_ *c);
bool smm_cur_peek_(const struct smm_cur_ *c, char ch);
/* Consume lit (or one ch) if the cursor starts with it. */
bool smm_cur_eat_(struct smm_cur_ *c, const char *lit);
bool smm_cur_eat_char_(struct smm_cur_ *c, char ch);
/* Move just past the first occurrence of lit; false (cursor kept) if none. */
bool smm_cur_find_(struct smm_cur_ *c, const char *lit);
/* The whole remaining span equals lit. */
bool smm_cur_equals_(const struct smm_cur_ *c, const char *lit);
/* Split off the next run of non-blank characters. */
struct smm_cur_ smm_cur_word_(struct smm_cur_ *c);
bool smm_cur_is_hex_digit_(char ch);

/* Number scanners: SMM_NUM_NONE leaves the cursor where it was. */
enum smm_num_status_ { SMM_NUM_OK, SMM_NUM_NONE, SMM_NUM_LONG };
enum smm_hex_prefix_ {
    SMM_HEX_BARE,  /* digits only: "0009fbff" */
    SMM_HEX_0X,    /* "0x" required */
    SMM_HEX_0X_OPT /* either */
};
enum smm_num_status_ smm_cur_hex_(struct smm_cur_ *c, enum smm_hex_prefix_ prefix, uint64_t *v);
enum smm_num_status_ smm_cur_dec_(struct smm_cur_ *c, uint64_t *v);

/*
 * Scan a number, reporting "expected <what>" or "<what>: more than 16 hex
 * digits" on the current line.  Return 0 or -SMM_EINVAL.
 */
int smm_text_hex_(const struct smm_text_ *t, struct smm_cur_ *c, enum smm_hex_prefix_ prefix,
                  const char *what, uint64_t *v);
int smm_text_dec_(const struct smm_text_ *t, struct smm_cur_ *c, const char *what, uint64_t *v);
/* Expect a literal (after optional blanks); error "expected 'lit' <where>". */
int smm_text_expect_(const struct smm_text_ *t, struct smm_cur_ *c, const char *lit,
                     const char *where);
/* Error unless only blanks remain. */
int smm_text_expect_end_(const struct smm_text_ *t, struct smm_cur_ *c);

/*
 * smm_text_range_ - append [start, end) read on the current line.  With
 * @inclusive, @end is the last byte and is converted (an inclusive end of
 * 2^64-1 is reported as past 2^52, never wrapped).
 */
int smm_text_range_(const struct smm_text_ *t, struct smm_rangelist *out, uint64_t start,
                    uint64_t end, bool inclusive, uint32_t type, int32_t node);

/*
 * smm_strip_ansi_ - for text in format fmt: a copy of buf without ANSI
 * escape sequences (terminal colours: ESC [ ... final byte; other two-byte
 * escapes), newlines kept so line numbers stay, into *out (the caller
 * frees it) and *out_len.  *out is NULL when there is nothing to remove or
 * the bytes are a blob (fmt DTB, or AUTO and the device-tree magic): use
 * buf as it is.  Return 0 or -SMM_ENOMEM.
 */
int smm_strip_ansi_(const char *buf, size_t len, enum smm_format fmt, char **out,
                    size_t *out_len);

/* Whether buf starts with the flattened device-tree magic (detect.c). */
bool smm_is_fdt_magic_(const char *buf, size_t len);

/* A name -> memory type table entry; NULL name ends a table. */
struct smm_type_name_ {
    const char *name;
    uint32_t type;
};
/* Look the whole span up; false if absent. */
bool smm_type_lookup_(const struct smm_type_name_ *tab, const struct smm_cur_ *name,
                      uint32_t *type);

/*
 * dmesg: which dmesg-family format a line belongs to, after stripping the
 * printk prefixes.  Returns SMM_FMT_COUNT for an unrelated line;
 * *nodes_header is set for the "Early memory node ranges" header.
 */
enum smm_format smm_dmesg_line_format_(const struct smm_cur_ *line, bool *nodes_header);

/*
 * smm_dmesg_strip_ - move c past every log prefix: a poster's line number
 * or console clock (only before a stamp or a keyword), syslog/journald/ISO
 * dates with host and tag, "<level>", printk "[stamp]"s, dmesg -T
 * "[ctime]", and Xen's "(XEN)" (*xen set) with its own "[stamp]".
 */
void smm_dmesg_strip_(struct smm_cur_ *c, bool *xen);

/*
 * smm_read_input_ - the bytes of path: a file, "-" (stdin) or a
 * /sys/firmware/memmap directory (then *fmt becomes SMM_FMT_SYSFS and the
 * bytes are its dump).  *buf is the caller's to free; *source the name
 * messages use ("<stdin>" for "-").  Errors as smm_loaded_map_create() reports them.
 */
int smm_read_input_(const char *path, enum smm_format *fmt, char **buf, size_t *len,
                    const char **source, struct smm_diag *diag);

/* Parsers: append to out, diag through t (dtb: source/diag). */
int smm_parse_dmesg_(struct smm_text_ *t, enum smm_format fmt, struct smm_rangelist *out);
int smm_parse_iomem_(struct smm_text_ *t, struct smm_rangelist *out);
int smm_parse_sysfs_(struct smm_text_ *t, struct smm_rangelist *out);
int smm_parse_plain_(struct smm_text_ *t, struct smm_rangelist *out);
int smm_parse_dts_(struct smm_text_ *t, struct smm_rangelist *out);
int smm_parse_dtb_(const char *buf, size_t len, const char *source, struct smm_rangelist *out,
                   struct smm_diag *diag);

/*
 * smm_normalize_ - normalize n raw ranges into *map (its ranges malloc'ed,
 * capacity 2n; the caller frees map->ranges either way), the core's reason
 * reported as "source:line: ..." (the other line kept in diag->other_line).
 * Return 0, -SMM_ENOMEM or the core's error.
 */
int smm_normalize_(const struct smm_range *raw, size_t n, const char *source,
                   struct smm_memmap *map, struct smm_diag *diag);

/* Give back the ranges of a list held inside another object (it stays usable, empty). */
void smm_rangelist_release_(struct smm_rangelist *l);

/* The no-RAM refusal of a map read as fmt whose first range (at line) has type. */
void smm_diag_no_ram_read_as_(struct smm_diag *diag, const char *source, uint32_t line,
                              enum smm_format fmt, uint32_t type);

#endif
