/* SPDX-License-Identifier: MIT */
/*
 * parse_iomem.c - the kernel's resource-name formats: /proc/iomem (only
 * top-level lines count; nested, indented lines are ignored) and the dump
 * of /sys/firmware/memmap ("0xS 0xE TYPE" per entry).  Both print the last
 * byte of a range (inclusive end) and the same e820 type names.
 *
 *   00100000-bfffffff : System RAM          /proc/iomem
 *     01000000-01ffffff : Kernel code       (nested: ignored)
 *   0x100000 0xbfffffff System RAM          sysfs dump
 */
#include "io_internal.h"

/* Names from the kernel's e820_type_to_string(); anything else is "other". */
static const struct smm_type_name_ resource_types[] = {
    {"System RAM", SMM_MEM_RAM},
    {"Reserved", SMM_MEM_RESERVED},
    {"ACPI Tables", SMM_MEM_ACPI},
    {"ACPI Non-volatile Storage", SMM_MEM_NVS},
    {"Unusable memory", SMM_MEM_UNUSABLE},
    {"Persistent Memory", SMM_MEM_PMEM},
    {"Persistent Memory (legacy)", SMM_MEM_PMEM},
    {"Soft Reserved", SMM_MEM_SOFT_RESERVED},
    {NULL, 0},
};

/* One line "S<sep>E<name-sep>NAME" with an inclusive end. */
static int parse_resource(const struct smm_text_ *t, struct smm_cur_ *c, bool sysfs,
                          struct smm_rangelist *out)
{
    enum smm_hex_prefix_ prefix = sysfs ? SMM_HEX_0X_OPT : SMM_HEX_BARE;
    uint64_t start, last;
    int rc = smm_text_hex_(t, c, prefix, "start address", &start);
    if (!rc && !sysfs)
        rc = smm_text_expect_(t, c, "-", "after the start address");
    if (!rc && sysfs && !(!smm_cur_eof_(c) && smm_cur_is_ws_(*c->p)))
        rc = smm_text_error_(t, "expected a blank after the start address");
    if (!rc)
        rc = smm_text_hex_(t, c, prefix, "end address", &last);
    if (!rc && !sysfs)
        rc = smm_text_expect_(t, c, ":", "after the end address");
    if (rc)
        return rc;
    if (!sysfs && start == 0 && last == 0)
        return smm_text_error_(t, "all addresses are 0 (read /proc/iomem as root)");

    struct smm_cur_ name = *c;
    smm_cur_skip_ws_(&name);
    smm_cur_rtrim_(&name);
    if (name.p == c->p && !smm_cur_eof_(&name))
        return smm_text_error_(t, "expected a blank before the type name");
    if (smm_cur_eof_(&name))
        return smm_text_error_(t, "missing type name after the range");
    uint32_t type = SMM_MEM_OTHER;
    smm_type_lookup_(resource_types, &name, &type);
    return smm_text_range_(t, out, start, last, true, type, SMM_NODE_NONE);
}

static int parse_resource_lines(struct smm_text_ *t, bool sysfs, struct smm_rangelist *out)
{
    struct smm_cur_ line;
    int rc;
    while ((rc = smm_text_next_(t, &line)) > 0) {
        struct smm_cur_ rest = line;
        smm_cur_skip_ws_(&rest);
        if (smm_cur_eof_(&rest) || (!sysfs && rest.p != line.p))
            continue; /* blank, or a nested /proc/iomem resource */
        rc = parse_resource(t, &rest, sysfs, out);
        if (rc)
            return rc;
    }
    return rc;
}

int smm_parse_iomem_(struct smm_text_ *t, struct smm_rangelist *out)
{
    return parse_resource_lines(t, false, out);
}

int smm_parse_sysfs_(struct smm_text_ *t, struct smm_rangelist *out)
{
    return parse_resource_lines(t, true, out);
}
