/* SPDX-License-Identifier: MIT */
/*
 * parse_dmesg.c - the formats found in kernel and hypervisor logs: e820,
 * EFI memory map (efi=debug), Xen e820 (xl dmesg), SRAT memory affinity
 * (Linux and Xen) and "Early memory node ranges".
 *
 * A whole log is valid input: each line is stripped of its printk prefixes
 * and classified by its leading keyword; lines of other kinds are skipped,
 * but a line that starts like the requested format must parse completely.
 *
 *   [    0.000000][    T0] BIOS-e820: [mem 0x0000000000100000-0x000000007ffdcfff] usable
 *   '---- printk prefixes ---''------ keyword, then one entry, end inclusive ------'
 *   (XEN)  0000000000100000 - 0000000059a24000 (usable)      old Xen: end exclusive
 *   (XEN)  [0000000000100000, 000000003ffeffff] (usable)     Xen >= 4.14: inclusive
 */
#include "io_internal.h"

#include <inttypes.h>

enum line_kind { K_NONE, K_E820, K_EFI, K_XL, K_SRAT, K_NODES_HEADER, K_NODE };

/* Characters of a printk timestamp / caller id: "[  +0.000001]", "[    T0]". */
static bool is_stamp_char(char ch)
{
    return (ch >= '0' && ch <= '9') || ch == ' ' || ch == '.' || ch == '+' || ch == '-' ||
           ch == ':' || ch == 'T' || ch == 'C';
}

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_letter(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Consume n characters each accepted by pred. */
static bool eat_run(struct smm_cur_ *c, bool (*pred)(char), int n)
{
    if (c->end - c->p < n)
        return false;
    for (int i = 0; i < n; i++)
        if (!pred(c->p[i]))
            return false;
    c->p += n;
    return true;
}

/* "hh:mm:ss" then an optional ".fraction" or ",fraction". */
static bool eat_clock(struct smm_cur_ *c)
{
    struct smm_cur_ s = *c;
    if (!(eat_run(&s, is_digit, 2) && smm_cur_eat_char_(&s, ':') && eat_run(&s, is_digit, 2) &&
          smm_cur_eat_char_(&s, ':') && eat_run(&s, is_digit, 2)))
        return false;
    if (smm_cur_peek_(&s, '.') || smm_cur_peek_(&s, ',')) {
        s.p++;
        while (!smm_cur_eof_(&s) && is_digit(*s.p))
            s.p++;
    }
    *c = s;
    return true;
}

/* "Nov 30 17:55:17" / "Nov  3 17:55:17" (syslog, journald short). */
static bool eat_month_day_clock(struct smm_cur_ *c)
{
    struct smm_cur_ s = *c;
    if (!eat_run(&s, is_letter, 3) || !smm_cur_eat_char_(&s, ' '))
        return false;
    smm_cur_eat_char_(&s, ' ');
    if (!eat_run(&s, is_digit, 1))
        return false;
    eat_run(&s, is_digit, 1);
    if (!smm_cur_eat_char_(&s, ' ') || !eat_clock(&s))
        return false;
    *c = s;
    return true;
}

/* "2026-11-30T17:55:17[.frac][Z|+01:00|+0100]" (RFC 3339, dmesg --time-format iso). */
static bool eat_iso_stamp(struct smm_cur_ *c)
{
    struct smm_cur_ s = *c;
    if (!(eat_run(&s, is_digit, 4) && smm_cur_eat_char_(&s, '-') && eat_run(&s, is_digit, 2) &&
          smm_cur_eat_char_(&s, '-') && eat_run(&s, is_digit, 2) &&
          (smm_cur_eat_char_(&s, 'T') || smm_cur_eat_char_(&s, ' ')) && eat_clock(&s)))
        return false;
    if (!smm_cur_eat_char_(&s, 'Z') && (smm_cur_peek_(&s, '+') || smm_cur_peek_(&s, '-'))) {
        s.p++;
        if (!eat_run(&s, is_digit, 2))
            return false;
        smm_cur_eat_char_(&s, ':');
        eat_run(&s, is_digit, 2);
    }
    *c = s;
    return true;
}

/* "[Mon Nov 30 17:55:17 2026]" (dmesg -T / --ctime). */
static bool eat_ctime_stamp(struct smm_cur_ *c)
{
    struct smm_cur_ s = *c;
    if (!smm_cur_eat_char_(&s, '[') || !eat_run(&s, is_letter, 3) ||
        !smm_cur_eat_char_(&s, ' ') || !eat_month_day_clock(&s) || !smm_cur_eat_char_(&s, ' ') ||
        !eat_run(&s, is_digit, 4) || !smm_cur_eat_char_(&s, ']'))
        return false;
    *c = s;
    return true;
}

/*
 * After a syslog date: "host tag: " where the tag starts with a letter and
 * ends with ':' ("kernel:", "kernel[0]:").  A message that itself starts
 * with a word and "N:" ("node   0: [mem") or with "(XEN)" is not a host
 * and a tag.
 */
static void eat_host_tag(struct smm_cur_ *c)
{
    struct smm_cur_ s = *c;
    struct smm_cur_ host = smm_cur_word_(&s);
    struct smm_cur_ tag = smm_cur_word_(&s);
    if (smm_cur_eof_(&host) || host.end[-1] == ':' || *host.p == '(' || smm_cur_eof_(&tag) ||
        !is_letter(*tag.p) || tag.end[-1] != ':')
        return;
    *c = s;
}

/* Skip "[stamp]" groups and a syslog "<6>" level; at most a few of them. */
static void strip_stamps(struct smm_cur_ *c)
{
    for (int i = 0; i < 4; i++) {
        smm_cur_skip_ws_(c);
        if (eat_ctime_stamp(c))
            continue;
        char close = smm_cur_peek_(c, '[') ? ']' : smm_cur_peek_(c, '<') ? '>' : 0;
        if (!close)
            break;
        const char *p = c->p + 1;
        bool digit = false;
        while (p < c->end && is_stamp_char(*p)) {
            digit |= is_digit(*p);
            p++;
        }
        if (p == c->end || *p != close || !digit)
            break;
        c->p = p + 1;
    }
    smm_cur_skip_ws_(c);
}

static enum line_kind classify_stripped(struct smm_cur_ *c, bool xen);

/*
 * What a poster may put before a whole line: their own line number
 * (" 403 [    0.000000] ...") or a bare console clock (" 20:16:33  BIOS-e820:
 * ...").  Eaten only when blanks and then a printk stamp, "(XEN)" or a
 * keyword of this file follow, so a message that merely starts with a
 * number or a time is left whole.
 */
static void eat_pasted_lead(struct smm_cur_ *c)
{
    struct smm_cur_ s = *c;
    if (!eat_clock(&s)) {
        s = *c;
        if (!eat_run(&s, is_digit, 1))
            return;
        while (!smm_cur_eof_(&s) && is_digit(*s.p))
            s.p++;
    }
    if (smm_cur_eof_(&s) || !smm_cur_is_ws_(*s.p))
        return;
    smm_cur_skip_ws_(&s);
    struct smm_cur_ rest = s;
    strip_stamps(&rest);
    bool stamp = rest.p != s.p;
    rest = s;
    if (stamp || smm_cur_eat_(&rest, "(XEN)") || classify_stripped(&rest, false) != K_NONE)
        *c = s;
}

/*
 * Every prefix a pasted log line may carry, outermost first: a poster's
 * line number or console clock (eat_pasted_lead); a syslog or
 * journald date with host and tag, or an ISO date (with host and tag when
 * they follow); "<level>"; printk "[stamp]" / "[caller]" groups or a
 * dmesg -T "[ctime]" (then host and tag, as journalctl -o short-monotonic
 * prints them); then Xen's "(XEN)" and its own "[stamp]".
 */
void smm_dmesg_strip_(struct smm_cur_ *c, bool *xen)
{
    smm_cur_skip_ws_(c);
    eat_pasted_lead(c);
    if (eat_month_day_clock(c) || eat_iso_stamp(c))
        eat_host_tag(c);
    const char *p = c->p;
    strip_stamps(c);
    if (c->p != p) {
        /* journalctl -o short-monotonic: "[    0.000000] host kernel: ..." */
        p = c->p;
        eat_host_tag(c);
        if (c->p != p)
            strip_stamps(c);
    }
    *xen = smm_cur_eat_(c, "(XEN)");
    if (*xen)
        strip_stamps(c);
}

/* A Xen e820 entry starts "S - E" or "[S, E]" with bare hex numbers. */
static bool looks_like_xen_range(struct smm_cur_ c)
{
    bool bracket = smm_cur_eat_char_(&c, '[');
    const char *digits = c.p;
    while (!smm_cur_eof_(&c) && smm_cur_is_hex_digit_(*c.p))
        c.p++;
    if (c.p == digits)
        return false;
    smm_cur_skip_ws_(&c);
    return smm_cur_peek_(&c, bracket ? ',' : '-');
}

/*
 * Xen 4.17 and later print the SRAT memory affinities as "NUMA: Node N PXM P
 * [S, E]"; Linux's "NUMA: Node N [mem ...] + ..." merge lines name no PXM.
 */
static bool names_pxm(struct smm_cur_ c)
{
    const char *digits = c.p;
    while (!smm_cur_eof_(&c) && *c.p >= '0' && *c.p <= '9')
        c.p++;
    if (c.p == digits)
        return false;
    smm_cur_skip_ws_(&c);
    return smm_cur_eat_(&c, "PXM");
}

/*
 * Classify a line and leave c just after its keyword.  A "node N:" line
 * only counts after the "Early memory node ranges" header (caller's job).
 */
static enum line_kind classify(struct smm_cur_ *c)
{
    bool xen;
    smm_dmesg_strip_(c, &xen);
    return classify_stripped(c, xen);
}

/* classify() after the prefixes are gone; xen: the line had "(XEN)". */
static enum line_kind classify_stripped(struct smm_cur_ *c, bool xen)
{
    struct smm_cur_ s = *c;
    if (smm_cur_eat_(&s, "BIOS-e820:"))
        return *c = s, K_E820;
    if (smm_cur_eat_(&s, "efi: mem") && !smm_cur_eof_(&s) && *s.p >= '0' && *s.p <= '9')
        return *c = s, K_EFI;
    s = *c;
    smm_cur_eat_(&s, "ACPI: ");
    if (smm_cur_eat_(&s, "SRAT: Node "))
        return *c = s, K_SRAT;
    s = *c;
    if (xen && smm_cur_eat_(&s, "NUMA: Node ") && names_pxm(s))
        return *c = s, K_SRAT;
    if (smm_cur_eat_(c, "Early memory node ranges"))
        return K_NODES_HEADER;
    s = *c;
    if (smm_cur_eat_(&s, "node") && !smm_cur_eof_(&s) && smm_cur_is_ws_(*s.p)) {
        smm_cur_skip_ws_(&s);
        if (!smm_cur_eof_(&s) && *s.p >= '0' && *s.p <= '9')
            return *c = s, K_NODE;
    }
    if (xen && looks_like_xen_range(*c))
        return K_XL;
    return K_NONE;
}

static enum smm_format kind_format(enum line_kind k)
{
    static const enum smm_format fmt[] = {
        [K_NONE] = SMM_FMT_COUNT, [K_E820] = SMM_FMT_E820, [K_EFI] = SMM_FMT_EFI,
        [K_XL] = SMM_FMT_XL,      [K_SRAT] = SMM_FMT_SRAT, [K_NODES_HEADER] = SMM_FMT_COUNT,
        [K_NODE] = SMM_FMT_NODES,
    };
    return fmt[k];
}

enum smm_format smm_dmesg_line_format_(const struct smm_cur_ *line, bool *nodes_header)
{
    struct smm_cur_ c = *line;
    enum line_kind k = classify(&c);
    *nodes_header = k == K_NODES_HEADER;
    return kind_format(k);
}

/* "[mem 0xS-0xE]": how Linux prints a range; E is the last byte. */
static int parse_mem_range(const struct smm_text_ *t, struct smm_cur_ *c, uint64_t *start,
                           uint64_t *last)
{
    int rc = smm_text_expect_(t, c, "[mem", "before the range");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X, "start address (0x...)", start);
    if (!rc)
        rc = smm_text_expect_(t, c, "-", "after the start address");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X, "end address (0x...)", last);
    if (!rc)
        rc = smm_text_expect_(t, c, "]", "after the end address");
    return rc;
}

/* "S - E" / "S-E" (end exclusive) or "[S, E]" (inclusive), hex with optional 0x. */
static int parse_pair_range(const struct smm_text_ *t, struct smm_cur_ *c, uint64_t *start,
                            uint64_t *end, bool *inclusive)
{
    smm_cur_skip_ws_(c);
    *inclusive = smm_cur_eat_char_(c, '[');
    int rc = smm_text_hex_(t, c, SMM_HEX_0X_OPT, "start address", start);
    if (!rc)
        rc = smm_text_expect_(t, c, *inclusive ? "," : "-", "after the start address");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X_OPT, "end address", end);
    if (!rc && *inclusive)
        rc = smm_text_expect_(t, c, "]", "after the end address");
    return rc;
}

/* Either form an e820 entry may take; Linux "[mem ...]" or the pair forms. */
static int parse_any_range(const struct smm_text_ *t, struct smm_cur_ *c, uint64_t *start,
                           uint64_t *end, bool *inclusive)
{
    smm_cur_skip_ws_(c);
    struct smm_cur_ s = *c;
    if (smm_cur_eat_(&s, "[mem")) {
        *inclusive = true;
        return parse_mem_range(t, c, start, end);
    }
    return parse_pair_range(t, c, start, end, inclusive);
}

static const struct smm_type_name_ e820_types[] = {
    {"usable", SMM_MEM_RAM},
    {"reserved", SMM_MEM_RESERVED},
    {"soft reserved", SMM_MEM_SOFT_RESERVED},
    {"ACPI data", SMM_MEM_ACPI},
    {"ACPI NVS", SMM_MEM_NVS},
    {"unusable", SMM_MEM_UNUSABLE},
    /* the names recent Linux prints (its 2025 rework of the e820 table print) */
    {"System RAM", SMM_MEM_RAM},
    {"device reserved", SMM_MEM_RESERVED},
    {NULL, 0},
};

/*
 * The e820 type after the range: Linux "usable", "persistent (type 12)",
 * "type 9"; Xen and old Linux put it in parentheses: "(usable)".
 */
static int parse_e820_type(const struct smm_text_ *t, struct smm_cur_ *c, uint32_t *type)
{
    struct smm_cur_ name = *c;
    smm_cur_skip_ws_(&name);
    smm_cur_rtrim_(&name);
    if (smm_cur_peek_(&name, '(') && name.end[-1] == ')') {
        name.p++;
        name.end--;
    }
    struct smm_cur_ s = name;
    uint64_t n;
    if (smm_type_lookup_(e820_types, &name, type))
        return 0;
    if (smm_cur_eat_(&s, "persistent")) {
        *type = SMM_MEM_PMEM;
        return 0;
    }
    if (smm_cur_eat_(&s, "type ") && smm_cur_dec_(&s, &n) == SMM_NUM_OK && smm_cur_eof_(&s)) {
        *type = SMM_MEM_OTHER;
        return 0;
    }
    if (smm_cur_eof_(&name))
        return smm_text_error_(t, "missing e820 type after the range");
    return smm_text_error_(t, "unknown e820 type '%.*s'", (int)(name.end - name.p), name.p);
}

/* "[gap 0xS-0xE]": a hole recent Linux prints between e820 entries; no range. */
static int parse_e820_gap(const struct smm_text_ *t, struct smm_cur_ *c)
{
    uint64_t start, last;
    int rc = smm_text_hex_(t, c, SMM_HEX_0X, "gap start (0x...)", &start);
    if (!rc)
        rc = smm_text_expect_(t, c, "-", "after the gap start");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X, "gap end (0x...)", &last);
    if (!rc)
        rc = smm_text_expect_(t, c, "]", "after the gap end");
    return rc;
}

/* One e820 entry, for "BIOS-e820:" and Xen's e820 lines alike. */
static int parse_e820(const struct smm_text_ *t, struct smm_cur_ *c, struct smm_rangelist *out)
{
    uint64_t start, end;
    bool inclusive;
    uint32_t type;
    smm_cur_skip_ws_(c);
    if (smm_cur_eat_(c, "[gap"))
        return parse_e820_gap(t, c);
    int rc = parse_any_range(t, c, &start, &end, &inclusive);
    if (!rc)
        rc = parse_e820_type(t, c, &type);
    if (!rc)
        rc = smm_text_range_(t, out, start, end, inclusive, type, SMM_NODE_NONE);
    return rc;
}

/* EFI memory types by number (UEFI spec order) ... */
static const uint32_t efi_type_by_number[] = {
    SMM_MEM_RESERVED, /* Reserved */
    SMM_MEM_RAM,      /* Loader Code */
    SMM_MEM_RAM,      /* Loader Data */
    SMM_MEM_RAM,      /* Boot Services Code */
    SMM_MEM_RAM,      /* Boot Services Data */
    SMM_MEM_RESERVED, /* Runtime Services Code */
    SMM_MEM_RESERVED, /* Runtime Services Data */
    SMM_MEM_RAM,      /* Conventional Memory */
    SMM_MEM_UNUSABLE, /* Unusable Memory */
    SMM_MEM_ACPI,     /* ACPI Reclaim Memory */
    SMM_MEM_NVS,      /* ACPI Memory NVS */
    SMM_MEM_RESERVED, /* Memory Mapped I/O */
    SMM_MEM_RESERVED, /* Memory Mapped I/O Port Space */
    SMM_MEM_RESERVED, /* PAL Code */
    SMM_MEM_PMEM,     /* Persistent Memory */
    SMM_MEM_RAM,      /* Unaccepted (accepted on use: RAM, as Linux does) */
};

/* ... and by the names Linux prints (4.x long names and 5.x short ones). */
static const struct smm_type_name_ efi_types[] = {
    {"Reserved", SMM_MEM_RESERVED},
    {"Loader Code", SMM_MEM_RAM},
    {"Loader Data", SMM_MEM_RAM},
    {"Boot Code", SMM_MEM_RAM},
    {"Boot Data", SMM_MEM_RAM},
    {"Boot Services Code", SMM_MEM_RAM},
    {"Boot Services Data", SMM_MEM_RAM},
    {"Runtime Code", SMM_MEM_RESERVED},
    {"Runtime Data", SMM_MEM_RESERVED},
    {"Runtime Services Code", SMM_MEM_RESERVED},
    {"Runtime Services Data", SMM_MEM_RESERVED},
    {"Conventional", SMM_MEM_RAM},
    {"Conventional Memory", SMM_MEM_RAM},
    {"Unusable", SMM_MEM_UNUSABLE},
    {"Unusable Memory", SMM_MEM_UNUSABLE},
    {"ACPI Reclaim", SMM_MEM_ACPI},
    {"ACPI Reclaim Memory", SMM_MEM_ACPI},
    {"ACPI Mem NVS", SMM_MEM_NVS},
    {"ACPI Memory NVS", SMM_MEM_NVS},
    {"MMIO", SMM_MEM_RESERVED},
    {"Memory Mapped I/O", SMM_MEM_RESERVED},
    {"MMIO Port", SMM_MEM_RESERVED},
    {"MMIO Port Space", SMM_MEM_RESERVED},
    {"PAL Code", SMM_MEM_RESERVED},
    {"Persistent", SMM_MEM_PMEM},
    {"Persistent Memory", SMM_MEM_PMEM},
    {"Unaccepted", SMM_MEM_RAM},
    {NULL, 0},
};

/* "type=N" (pre-4.x line, or an unknown type inside the brackets). */
static int parse_efi_type_number(const struct smm_text_ *t, struct smm_cur_ *c, uint32_t *type)
{
    uint64_t n;
    int rc = smm_text_dec_(t, c, "EFI type number", &n);
    if (!rc)
        *type = n < sizeof(efi_type_by_number) / sizeof(efi_type_by_number[0])
                    ? efi_type_by_number[n]
                    : SMM_MEM_OTHER;
    return rc;
}

/*
 * "[Conventional Memory|   |WB|...]" or "type=7, attr=0xf," before the
 * range; only the type is read, attributes are skipped.
 */
static int parse_efi_type(const struct smm_text_ *t, struct smm_cur_ *c, uint32_t *type)
{
    smm_cur_skip_ws_(c);
    if (smm_cur_eat_(c, "type="))
        return parse_efi_type_number(t, c, type);
    if (!smm_cur_eat_char_(c, '['))
        return smm_text_error_(t, "expected '[type|attributes]' or 'type=N'");
    if (smm_cur_eat_(c, "type="))
        return parse_efi_type_number(t, c, type);
    struct smm_cur_ name = {.p = c->p, .end = c->p};
    while (name.end < c->end && *name.end != '|' && *name.end != ']')
        name.end++;
    c->p = name.end;
    smm_cur_rtrim_(&name);
    if (smm_type_lookup_(efi_types, &name, type))
        return 0;
    return smm_text_error_(t, "unknown EFI memory type '%.*s'", (int)(name.end - name.p), name.p);
}

/* "efi: memNN: [type|attrs] range=[0xS-0xE] (NMB)"; "]" inclusive, ")" exclusive. */
static int parse_efi(const struct smm_text_ *t, struct smm_cur_ *c, struct smm_rangelist *out)
{
    uint64_t idx, start, end;
    uint32_t type;
    int rc = smm_text_dec_(t, c, "descriptor number after 'efi: mem'", &idx);
    if (!rc)
        rc = smm_text_expect_(t, c, ":", "after the descriptor number");
    if (!rc)
        rc = parse_efi_type(t, c, &type);
    if (rc)
        return rc;
    if (!smm_cur_find_(c, "range="))
        return smm_text_error_(t, "expected 'range=[0xS-0xE]'");
    rc = smm_text_expect_(t, c, "[", "after 'range='");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X, "start address (0x...)", &start);
    if (!rc)
        rc = smm_text_expect_(t, c, "-", "after the start address");
    if (!rc)
        rc = smm_text_hex_(t, c, SMM_HEX_0X, "end address (0x...)", &end);
    if (rc)
        return rc;
    bool inclusive = smm_cur_eat_char_(c, ']');
    if (!inclusive && !smm_cur_eat_char_(c, ')'))
        return smm_text_error_(t, "expected ']' or ')' after the end address");
    return smm_text_range_(t, out, start, end, inclusive, type, SMM_NODE_NONE);
}

/* A node or proximity number. */
static int parse_node_number(const struct smm_text_ *t, struct smm_cur_ *c, const char *what,
                             int32_t *node)
{
    uint64_t n;
    int rc = smm_text_dec_(t, c, what, &n);
    if (!rc && n > INT32_MAX)
        rc = smm_text_error_(t, "%s %" PRIu64 " too large", what, n);
    if (!rc)
        *node = (int32_t)n;
    return rc;
}

/*
 * After "SRAT: Node ": "N PXM P [mem 0xS-0xE]" (Linux, inclusive, then
 * " hotplug" / " non-volatile"), "N PXM P S-E" (Xen, exclusive) or
 * "N PXM P [S, E]" (newer Xen, inclusive), then "(hotplug)".
 */
static int parse_srat(const struct smm_text_ *t, struct smm_cur_ *c, struct smm_rangelist *out)
{
    int32_t node, pxm;
    uint64_t start, end;
    bool inclusive;
    int rc = parse_node_number(t, c, "node number", &node);
    if (!rc)
        rc = smm_text_expect_(t, c, "PXM", "after the node number");
    if (!rc)
        rc = parse_node_number(t, c, "proximity domain", &pxm);
    if (!rc)
        rc = parse_any_range(t, c, &start, &end, &inclusive);
    for (struct smm_cur_ w = smm_cur_word_(c); !rc && !smm_cur_eof_(&w); w = smm_cur_word_(c)) {
        if (!smm_cur_equals_(&w, "hotplug") && !smm_cur_equals_(&w, "(hotplug)") &&
            !smm_cur_equals_(&w, "non-volatile"))
            rc = smm_text_error_(t, "unexpected '%.*s' after the SRAT range", (int)(w.end - w.p),
                                 w.p);
    }
    if (!rc)
        rc = smm_text_range_(t, out, start, end, inclusive, SMM_MEM_RAM, node);
    return rc;
}

/* After "node": "N: [mem 0xS-0xE]" (memblock, inclusive). */
static int parse_node(const struct smm_text_ *t, struct smm_cur_ *c, struct smm_rangelist *out)
{
    int32_t node;
    uint64_t start, last;
    int rc = parse_node_number(t, c, "node number", &node);
    if (!rc)
        rc = smm_text_expect_(t, c, ":", "after the node number");
    if (!rc)
        rc = parse_mem_range(t, c, &start, &last);
    if (!rc)
        rc = smm_text_expect_end_(t, c);
    if (!rc)
        rc = smm_text_range_(t, out, start, last, true, SMM_MEM_RAM, node);
    return rc;
}

int smm_parse_dmesg_(struct smm_text_ *t, enum smm_format fmt, struct smm_rangelist *out)
{
    typedef int parse_fn(const struct smm_text_ *, struct smm_cur_ *, struct smm_rangelist *);
    static parse_fn *const parsers[] = {
        [K_E820] = parse_e820, [K_EFI] = parse_efi,   [K_XL] = parse_e820,
        [K_SRAT] = parse_srat, [K_NODE] = parse_node,
    };
    bool in_nodes = false;
    struct smm_cur_ line;
    int rc;

    while ((rc = smm_text_next_(t, &line)) > 0) {
        enum line_kind k = classify(&line);
        in_nodes |= k == K_NODES_HEADER;
        if (kind_format(k) != fmt || (k == K_NODE && !in_nodes))
            continue;
        rc = parsers[k](t, &line, out);
        if (rc)
            return rc;
    }
    return rc;
}
