/* SPDX-License-Identifier: MIT */
/*
 * detect.c - guess the format of a memory-map buffer.
 *
 * A device-tree blob is known by its magic.  Text is walked line by line:
 *  - a whole-file format (dts, iomem, sysfs dump, plain) is decided by the
 *    first significant line (blank lines and '#' lines skipped);
 *  - otherwise it is a log: every line is classified as the dmesg parser
 *    would, and when a log holds several kinds of map the most authoritative
 *    one wins, in this order:
 *        e820 > xl > efi > nodes > srat
 *    e820 is the firmware's own map as Linux read it (and what efi becomes);
 *    xl is the hypervisor's copy of it; efi is the raw UEFI map; the
 *    memblock node ranges are the kernel's own RAM by node; SRAT entries
 *    are affinity windows (hot-plug, memory-less nodes), not what is RAM.
 */
#include "io_internal.h"

#include <strings.h>

static const enum smm_format dmesg_priority[] = {
    SMM_FMT_E820, SMM_FMT_XL, SMM_FMT_EFI, SMM_FMT_NODES, SMM_FMT_SRAT,
};

static bool skip_hex_run(struct smm_cur_ *c)
{
    const char *p = c->p;
    while (!smm_cur_eof_(c) && smm_cur_is_hex_digit_(*c->p))
        c->p++;
    return c->p > p;
}

/* "0xS 0xE ..." with both 0x prefixes (sysfs dump and plain). */
static bool two_0x_numbers(struct smm_cur_ *c)
{
    for (int i = 0; i < 2; i++) {
        smm_cur_skip_ws_(c);
        if (!(smm_cur_eat_(c, "0x") || smm_cur_eat_(c, "0X")) || !skip_hex_run(c))
            return false;
        if (!smm_cur_eof_(c) && !smm_cur_is_ws_(*c->p))
            return false;
    }
    smm_cur_skip_ws_(c);
    return true;
}

/* The format a first significant line announces, or SMM_FMT_COUNT. */
static enum smm_format whole_file_format(struct smm_cur_ c)
{
    smm_cur_skip_ws_(&c);
    if (smm_cur_peek_(&c, '/') || smm_cur_peek_(&c, '&'))
        return SMM_FMT_DTS; /* "/dts-v1/;", "/ {", a comment, "&label {" */
    struct smm_cur_ s = c;
    if (skip_hex_run(&s) && smm_cur_eat_char_(&s, '-') && skip_hex_run(&s)) {
        smm_cur_skip_ws_(&s);
        if (smm_cur_peek_(&s, ':'))
            return SMM_FMT_IOMEM; /* "00100000-bfffffff : System RAM" */
    }
    if (two_0x_numbers(&c)) {
        /* plain types are one word, "ram" in any case, or lower case; sysfs
         * names start upper case and most have two ("System RAM") */
        struct smm_cur_ w = c;
        while (!smm_cur_eof_(&w) && !smm_cur_is_ws_(*w.p))
            w.p++;
        bool one_word = smm_cur_eof_(&w) || *w.p == '#';
        if (smm_cur_eof_(&c) || *c.p == '#' || (*c.p >= 'a' && *c.p <= 'z') ||
            (one_word && w.p - c.p == 3 && strncasecmp(c.p, "ram", 3) == 0))
            return SMM_FMT_PLAIN;
        return SMM_FMT_SYSFS;
    }
    return SMM_FMT_COUNT;
}

bool smm_is_fdt_magic_(const char *buf, size_t len)
{
    static const unsigned char magic[4] = {0xd0, 0x0d, 0xfe, 0xed};
    for (size_t i = 0; i < sizeof(magic); i++)
        if (i >= len || (unsigned char)buf[i] != magic[i])
            return false;
    return true;
}

enum smm_format smm_detect_format(const char *buf, size_t len)
{
    struct smm_text_ t;
    struct smm_cur_ line;
    bool first = true, in_nodes = false;
    unsigned seen = 0;
    int rc;

    if (!buf)
        return SMM_FMT_COUNT;
    if (smm_is_fdt_magic_(buf, len))
        return SMM_FMT_DTB;
    smm_text_init_(&t, buf, len, NULL, NULL);
    while ((rc = smm_text_next_(&t, &line)) != 0) {
        bool header;
        if (rc < 0)
            continue; /* huge or binary line: the parser will say so */
        enum smm_format f = smm_dmesg_line_format_(&line, &header);
        in_nodes |= header;
        if (f == SMM_FMT_NODES && !in_nodes)
            f = SMM_FMT_COUNT;
        if (f == dmesg_priority[0])
            return f;
        if (f != SMM_FMT_COUNT) {
            seen |= 1u << f;
            continue;
        }
        smm_cur_skip_ws_(&line);
        if (first && !smm_cur_eof_(&line) && !smm_cur_peek_(&line, '#')) {
            first = false;
            f = whole_file_format(line);
            if (seen == 0 && f != SMM_FMT_COUNT)
                return f;
        }
    }
    for (size_t i = 0; i < sizeof(dmesg_priority) / sizeof(dmesg_priority[0]); i++)
        if (seen & (1u << dmesg_priority[i]))
            return dmesg_priority[i];
    return SMM_FMT_COUNT;
}
