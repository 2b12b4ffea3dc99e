/* SPDX-License-Identifier: MIT */
/*
 * svg_writer.c - draws the physical address space of a map and each PDX
 * scheme's view of it as SVG (see svg_writer.h for the picture).  An axis is
 * a list of pieces (ranges and holes) laid end to end, each as wide as
 * 1 + log2(size / 4 KiB); an address maps linearly inside its piece.
 */
#include "svg_writer.h"

#include "bytes_text.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SVG_W 1280.0
#define BAR_X 40.0
#define BAR_W 1140.0
#define FONT_W 0.6      /* monospace advance per px of font size */
#define LABEL_PX 10.0   /* font size of the rotated address labels */
#define LABEL_GAP 13.0  /* minimum x distance between two rotated labels */
#define LABEL_SIN 0.866 /* labels are rotated 60 degrees */

enum piece_kind { PIECE_RAM, PIECE_OTHER, PIECE_HOLE };

struct piece {
    uint64_t start, end;
    enum piece_kind kind;
    uint32_t type; /* PIECE_OTHER: enum smm_mem_type */
    int32_t node;  /* PIECE_RAM */
};

struct axis {
    struct piece *p;
    size_t n, cap;
    double *cum; /* cum[i]: weight before piece i; cum[n]: total */
};

struct run {
    uint64_t start, end;
};

static const char *const node_colors[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                          "#76b7b2", "#b07aa1", "#edc948", "#ff9da7"};
#define NODE_NONE_COLOR "#5b9b5b"

static const char *type_color(uint32_t type)
{
    switch (type) {
    case SMM_MEM_ACPI:
        return "#d9c27a";
    case SMM_MEM_NVS:
        return "#b08850";
    case SMM_MEM_PMEM:
        return "#8c6bb1";
    case SMM_MEM_SOFT_RESERVED:
        return "#c3b0de";
    case SMM_MEM_UNUSABLE:
        return "#8b1a1a";
    case SMM_MEM_RESERVED:
        return "#8f8f8f";
    default:
        return "#bdbdbd";
    }
}

static const char *node_color(int32_t node)
{
    if (node < 0)
        return NODE_NONE_COLOR;
    return node_colors[(size_t)node % (sizeof(node_colors) / sizeof(node_colors[0]))];
}

static const char *piece_color(const struct piece *p)
{
    if (p->kind == PIECE_RAM)
        return node_color(p->node);
    if (p->kind == PIECE_OTHER)
        return type_color(p->type);
    return "url(#hole)";
}

/* "1.5 TiB", "640 KiB": three significant digits at most. */
static const char *size_str(uint64_t bytes, char *buf, size_t len)
{
    return smm_bytes_text(bytes, SMM_BYTES_3_DIGITS, buf, len);
}

/* Text with the XML specials escaped and control characters dropped. */
static void put_text(FILE *f, const char *s)
{
    static const char *const esc[] = {
        ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;"};
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < sizeof(esc) / sizeof(esc[0]) && esc[c])
            fputs(esc[c], f);
        else if (c >= 0x20 || c == '\t')
            fputc(c, f);
    }
}

/* <text x y class>s</text> */
static void text_at(FILE *f, double x, double y, const char *cls, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\">", x, y, cls);
    put_text(f, s);
    fputs("</text>\n", f);
}

static int axis_push(struct axis *a, const struct piece *p)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        struct piece *np = realloc(a->p, cap * sizeof(*np));
        if (!np)
            return -SMM_ENOMEM;
        a->p = np;
        a->cap = cap;
    }
    a->p[a->n++] = *p;
    return 0;
}

static double piece_weight(const struct piece *p)
{
    double frames = (double)(p->end - p->start) / (double)SMM_PAGE_SIZE;
    return 1.0 + log2(frames < 1.0 ? 1.0 : frames);
}

/* Pad the gaps between pieces (and from 0) with holes; weigh every piece. */
static int axis_finish(struct axis *a)
{
    struct axis out = {0};
    uint64_t at = 0;
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        if (a->p[i].start > at) {
            struct piece h = {.start = at, .end = a->p[i].start, .kind = PIECE_HOLE};
            rc = axis_push(&out, &h);
        }
        if (rc == 0)
            rc = axis_push(&out, &a->p[i]);
        at = a->p[i].end;
    }
    free(a->p);
    *a = out;
    if (rc == 0 && a->n) {
        a->cum = malloc((a->n + 1) * sizeof(*a->cum));
        if (!a->cum)
            return -SMM_ENOMEM;
        a->cum[0] = 0;
        for (size_t i = 0; i < a->n; i++)
            a->cum[i + 1] = a->cum[i] + piece_weight(&a->p[i]);
    }
    return rc;
}

static void axis_free(struct axis *a)
{
    free(a->p);
    free(a->cum);
    memset(a, 0, sizeof(*a));
}

static uint64_t axis_end(const struct axis *a)
{
    return a->n ? a->p[a->n - 1].end : 0;
}

/* x of address v on an axis drawn from BAR_X over BAR_W. */
static double axis_x(const struct axis *a, uint64_t v)
{
    size_t lo = 0, hi = a->n;
    if (!a->n || v >= axis_end(a))
        return BAR_X + BAR_W;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (a->p[mid].start <= v)
            lo = mid;
        else
            hi = mid;
    }
    const struct piece *p = &a->p[lo];
    double frac = (double)(v - p->start) / (double)(p->end - p->start);
    double w = a->cum[lo] + frac * (a->cum[lo + 1] - a->cum[lo]);
    return BAR_X + BAR_W * w / a->cum[a->n];
}

/* The physical axis: every range of the map, holes between. */
static int phys_axis(const struct smm_memmap *m, struct axis *a)
{
    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < m->nr; i++) {
        const struct smm_range *r = &m->ranges[i];
        struct piece p = {.start = r->start,
                          .end = r->end,
                          .kind = r->type == SMM_MEM_RAM ? PIECE_RAM : PIECE_OTHER,
                          .type = r->type,
                          .node = r->node};
        int rc = axis_push(a, &p);
        if (rc)
            return rc;
    }
    return axis_finish(a);
}

/* A scheme's PDX axis: the images of the RAM ranges (whole frames), holes between. */
static int pdx_axis(const struct smm_memmap *m, const struct smm_pdx *x, struct axis *a)
{
    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < m->nr; i++) {
        const struct smm_range *r = &m->ranges[i];
        uint64_t s = (r->start + SMM_PAGE_SIZE - 1) >> SMM_PAGE_SHIFT;
        uint64_t e = r->end >> SMM_PAGE_SHIFT;
        if (r->type != SMM_MEM_RAM || s >= e)
            continue;
        struct piece p = {.start = smm_pfn_to_pdx(x, s),
                          .end = smm_pfn_to_pdx(x, e - 1) + 1,
                          .kind = PIECE_RAM,
                          .node = r->node};
        if (a->n && p.start < a->p[a->n - 1].end)
            p.start = a->p[a->n - 1].end; /* never: images ascend (account.h) */
        if (p.start >= p.end)
            continue;
        int rc = axis_push(a, &p);
        if (rc)
            return rc;
    }
    return axis_finish(a);
}

/* Units of 2^shift holding >= 1 of the values [start, end) of each range, merged. */
static struct run *unit_runs(const struct smm_frame_range *r, size_t n, const struct smm_pdx *x,
                             unsigned shift, size_t *nr)
{
    struct run *v = malloc((n ? n : 1) * sizeof(*v));
    size_t k = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t s = x ? smm_pfn_to_pdx(x, r[i].start) : r[i].start;
        uint64_t e = (x ? smm_pfn_to_pdx(x, r[i].end - 1) : r[i].end - 1) + 1;
        uint64_t us = s >> shift, ue = ((e - 1) >> shift) + 1;
        if (k && us <= v[k - 1].end) {
            if (ue > v[k - 1].end)
                v[k - 1].end = ue;
            continue;
        }
        v[k].start = us;
        v[k++].end = ue;
    }
    for (size_t i = 0; i < k; i++) {
        v[i].start <<= shift;
        v[i].end <<= shift;
    }
    *nr = k;
    return v;
}

static void draw_runs(FILE *f, const struct axis *a, const struct run *v, size_t n, double y,
                      double h, const char *color, uint64_t unit_bytes)
{
    for (size_t i = 0; i < n; i++) {
        double x0 = axis_x(a, v[i].start), x1 = axis_x(a, v[i].end);
        if (x1 - x0 < 1.0)
            x1 = x0 + 1.0;
        char b[32];
        fprintf(f,
                "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\">"
                "<title>%" PRIu64 " units, %s</title></rect>\n",
                x0, y, x1 - x0, h, color, (v[i].end - v[i].start) / unit_bytes,
                size_str(v[i].end - v[i].start, b, sizeof(b)));
    }
}

static const char *piece_name(const struct piece *p, char *buf, size_t len)
{
    if (p->kind == PIECE_HOLE)
        snprintf(buf, len, "hole");
    else if (p->kind == PIECE_OTHER)
        snprintf(buf, len, "%s", smm_mem_type_name(p->type));
    else if (p->node >= 0)
        snprintf(buf, len, "RAM node %d", (int)p->node);
    else
        snprintf(buf, len, "RAM");
    return buf;
}

/* The pieces of an axis as rectangles, with a tooltip and an inside label when it fits. */
static void draw_bar(FILE *f, const struct axis *a, double y, double h, const char *unit)
{
    char name[48], b[32], tip[160];
    for (size_t i = 0; i < a->n; i++) {
        const struct piece *p = &a->p[i];
        double x0 = axis_x(a, p->start);
        double x1 = i + 1 < a->n ? axis_x(a, p->end) : BAR_X + BAR_W;
        piece_name(p, name, sizeof(name));
        snprintf(
            tip, sizeof(tip), "%s [0x%" PRIx64 ", 0x%" PRIx64 ") %s, %s", name, p->start, p->end,
            unit,
            size_str((p->end - p->start) * (unit[0] == 'p' ? SMM_PAGE_SIZE : 1), b, sizeof(b)));
        fprintf(f,
                "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"%s\" "
                "stroke=\"#ffffff\" stroke-width=\"0.5\"><title>",
                x0, y, x1 - x0, h, piece_color(p));
        put_text(f, tip);
        fputs("</title></rect>\n", f);
        /* inside: "node 0 64 GiB", else "node 0", else nothing */
        const char *what = p->kind == PIECE_RAM    ? (p->node >= 0 ? name + 4 : "RAM")
                           : p->kind == PIECE_HOLE ? "hole"
                                                   : NULL;
        char inside[80];
        snprintf(inside, sizeof(inside), "%s %s", what ? what : "", b);
        if (what && (double)strlen(inside) * FONT_W * 11 + 6 >= x1 - x0)
            snprintf(inside, sizeof(inside), "%s", what);
        if (what && (double)strlen(inside) * FONT_W * 11 + 6 < x1 - x0)
            text_at(f, (x0 + x1) / 2, y + h / 2 + 4, p->kind == PIECE_HOLE ? "in hole" : "in",
                    inside);
    }
}

struct label {
    double x;
    int prio;
    uint64_t size;
    char text[96];
};

static int label_cmp(const void *pa, const void *pb)
{
    const struct label *a = pa, *b = pb;
    if (a->prio != b->prio)
        return a->prio - b->prio;
    return a->size < b->size ? 1 : a->size > b->size ? -1 : 0;
}

/*
 * Rotated labels "start size [what]" under the physical bar: RAM first,
 * then holes, then other ranges, each by size, each drawn only if no label
 * already drawn is closer than LABEL_GAP.  Returns the height used.
 */
static double draw_phys_labels(FILE *f, const struct axis *a, double y)
{
    struct label *l = calloc(a->n + 1, sizeof(*l));
    double *taken = calloc(a->n + 1, sizeof(*taken));
    size_t nt = 0, maxlen = 0;
    if (!l || !taken) {
        free(l);
        free(taken);
        return 0;
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct piece *p = &a->p[i];
        char b[32], name[48];
        l[i].x = axis_x(a, p->start);
        l[i].prio = p->kind == PIECE_RAM ? 0 : p->kind == PIECE_HOLE ? 1 : 2;
        l[i].size = p->end - p->start;
        snprintf(l[i].text, sizeof(l[i].text), "0x%" PRIx64 " %s%s%s", p->start,
                 size_str(p->end - p->start, b, sizeof(b)), p->kind == PIECE_RAM ? "" : " ",
                 p->kind == PIECE_RAM ? "" : piece_name(p, name, sizeof(name)));
    }
    l[a->n].x = BAR_X + BAR_W;
    l[a->n].prio = -1;
    snprintf(l[a->n].text, sizeof(l[a->n].text), "0x%" PRIx64 " end", axis_end(a));
    qsort(l, a->n + 1, sizeof(*l), label_cmp);
    for (size_t i = 0; i < a->n + 1; i++) {
        bool ok = true;
        for (size_t k = 0; k < nt && ok; k++)
            ok = fabs(taken[k] - l[i].x) >= LABEL_GAP;
        if (!ok)
            continue;
        taken[nt++] = l[i].x;
        if (strlen(l[i].text) > maxlen)
            maxlen = strlen(l[i].text);
        fprintf(f, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" y2=\"%.1f\" class=\"tick\"/>\n",
                l[i].x, y - 4, l[i].x, y + 2);
        fprintf(f, "<text transform=\"translate(%.2f,%.1f) rotate(60)\" class=\"lab\">", l[i].x + 2,
                y + 6);
        put_text(f, l[i].text);
        fputs("</text>\n", f);
    }
    free(l);
    free(taken);
    return (double)maxlen * FONT_W * LABEL_PX * LABEL_SIN + 16;
}

/* One legend entry at (*x, *y); wraps to a new line at the right edge. */
static void legend_box(FILE *f, double *x, double *y, const char *fill, const char *what)
{
    double w = 26 + (double)strlen(what) * FONT_W * 11;
    if (*x + w > SVG_W - 20) {
        *x = BAR_X;
        *y += 18;
    }
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"10\" fill=\"%s\" "
            "stroke=\"#666\" stroke-width=\"0.4\"/>\n",
            *x, *y - 9, fill);
    text_at(f, *x + 18, *y, "leg", what);
    *x += w;
}

/* Legend: the nodes and types present, holes, the population strips; returns its last y. */
static double draw_legend(FILE *f, const struct smm_memmap *m, double y)
{
    bool node_seen[9] = {false}, type_seen[SMM_MEM_TYPE_COUNT] = {false};
    double x = BAR_X;
    char what[48];
    for (size_t i = 0; i < m->nr; i++) {
        const struct smm_range *r = &m->ranges[i];
        if (r->type != SMM_MEM_RAM) {
            type_seen[r->type < SMM_MEM_TYPE_COUNT ? r->type : SMM_MEM_OTHER] = true;
            continue;
        }
        size_t k = r->node < 0 ? 8 : (size_t)r->node % 8;
        if (node_seen[k])
            continue;
        node_seen[k] = true;
        if (r->node < 0)
            snprintf(what, sizeof(what), "RAM");
        else
            snprintf(what, sizeof(what), "RAM node %d", (int)r->node);
        legend_box(f, &x, &y, node_color(r->node), what);
    }
    for (unsigned t = 1; t < SMM_MEM_TYPE_COUNT; t++)
        if (type_seen[t])
            legend_box(f, &x, &y, type_color(t), smm_mem_type_name(t));
    legend_box(f, &x, &y, "url(#hole)", "hole (nothing there)");
    legend_box(f, &x, &y, "#222", "M2P chunk populated");
    legend_box(f, &x, &y, "#c0392b", "frame-table group populated");
    return y;
}

/* What the scheme removed, in words. */
static void scheme_detail(const struct smm_pdx_info *x, char *buf, size_t len)
{
    char b[32];
    if (!x->compressible) {
        snprintf(buf, len,
                 x->requested == SMM_PDX_NONE
                     ? "identity: pdx = pfn, every hole kept"
                     : "cannot compress this map: identity, every hole kept");
        return;
    }
    switch (x->scheme) {
    case SMM_PDX_MASK:
        snprintf(buf, len,
                 "removes pfn bits %u-%u (address bits %u-%u): %u zero bit%s squeezed out",
                 x->bottom_shift, x->bottom_shift + x->hole_shift - 1,
                 x->bottom_shift + SMM_PAGE_SHIFT,
                 x->bottom_shift + x->hole_shift - 1 + SMM_PAGE_SHIFT, x->hole_shift,
                 x->hole_shift == 1 ? "" : "s");
        break;
    case SMM_PDX_OFFSET:
        snprintf(buf, len,
                 "regions at multiples of %s, slot = pfn bits %u-%u: holes between regions "
                 "removed, padding to the region size kept",
                 size_str(x->region_size << SMM_PAGE_SHIFT, b, sizeof(b)), x->pfn_index_shift,
                 x->pfn_index_shift + (unsigned)log2((double)x->offset_slots) - 1);
        break;
    case SMM_PDX_DENSE:
        snprintf(buf, len,
                 "%" PRIu64 " regions packed back to back at 2^%u-frame granularity; "
                 "%" PRIu64 "-slot directory",
                 x->dense_regions, (unsigned)x->max_order, x->dense_dir_slots);
        break;
    default:
        snprintf(buf, len, "identity");
    }
}

/* One scheme: title, what it removed, its PDX space, frame-table groups. */
static int draw_scheme(FILE *f, const struct smm_svg_input *in, const struct smm_svg_scheme *s,
                       uint64_t max_pfn, double y)
{
    struct axis a;
    int rc = pdx_axis(in->map, s->pdx, &a);
    if (rc) {
        axis_free(&a);
        return rc;
    }
    char line[256], b1[32], b2[32];
    uint64_t kept = s->pdx->max_pdx, removed = max_pfn > kept ? max_pfn - kept : 0;
    snprintf(line, sizeof(line), "%s%s: max_pdx %" PRIu64 " (%s of frame numbers), %s removed",
             s->name, s->best ? " (best)" : "", kept,
             size_str(kept << SMM_PAGE_SHIFT, b1, sizeof(b1)),
             size_str(removed << SMM_PAGE_SHIFT, b2, sizeof(b2)));
    text_at(f, BAR_X, y + 12, s->best ? "row best" : "row", line);
    scheme_detail(s->info, line, sizeof(line));
    text_at(f, BAR_X, y + 27, "det", line);
    /* linear gauge: PDX space against the identity's */
    double g = max_pfn ? (double)kept / (double)max_pfn : 1.0;
    fprintf(f,
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"160\" height=\"8\" fill=\"#eee\" "
            "stroke=\"#999\" stroke-width=\"0.5\"/>\n<rect x=\"%.1f\" y=\"%.1f\" "
            "width=\"%.2f\" height=\"8\" fill=\"#555\"/>\n",
            BAR_X + BAR_W - 160, y + 4, BAR_X + BAR_W - 160, y + 4, g * 160 < 0.5 ? 0.5 : g * 160);
    snprintf(line, sizeof(line), "%.3g%% of pfn space", 100.0 * g);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"det\" text-anchor=\"end\">",
            BAR_X + BAR_W - 166, y + 12);
    put_text(f, line);
    fputs("</text>\n", f);
    draw_bar(f, &a, y + 33, 22, "pdx");
    size_t nr;
    struct run *v = unit_runs(in->frames, in->nr_frames, s->pdx, in->ft_group_shift, &nr);
    if (!v) {
        axis_free(&a);
        return -SMM_ENOMEM;
    }
    draw_runs(f, &a, v, nr, y + 57, 5, "#c0392b", UINT64_C(1) << in->ft_group_shift);
    free(v);
    axis_free(&a);
    return 0;
}

/* Stacked overhead bars on one linear scale. */
static void draw_overhead(FILE *f, const struct smm_svg_input *in, double y)
{
    static const char *const parts[] = {"frame table", "M2P", "compat M2P", "direct-map tables"};
    static const char *const colors[] = {"#c0392b", "#222222", "#7f7f7f", "#4aa3df"};
    uint64_t max = 1;
    size_t rows = in->nr_schemes + in->nr_refs;
    for (size_t i = 0; i < rows; i++) {
        const struct smm_svg_scheme *s =
            i < in->nr_refs ? &in->refs[i] : &in->schemes[i - in->nr_refs];
        if (s->over->total > max)
            max = s->over->total;
    }
    double x = BAR_X + 90;
    for (size_t k = 0; k < 4; k++)
        legend_box(f, &x, &y, colors[k], parts[k]);
    y += 12;
    double scale = (BAR_W - 90 - 330) / (double)max;
    for (size_t i = 0; i < rows; i++, y += 22) {
        const struct smm_svg_scheme *s =
            i < in->nr_refs ? &in->refs[i] : &in->schemes[i - in->nr_refs];
        const uint64_t v[4] = {s->over->frame_table, s->over->m2p, s->over->compat_m2p,
                               s->over->directmap_pt};
        char line[160], b[32];
        text_at(f, BAR_X, y + 14, s->best ? "row best" : "row", s->name);
        double at = BAR_X + 90;
        for (size_t k = 0; k < 4; k++) {
            double w = (double)v[k] * scale;
            fprintf(f,
                    "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"16\" fill=\"%s\">"
                    "<title>%s %s</title></rect>\n",
                    at, y + 2, w, colors[k], parts[k], size_str(v[k], b, sizeof(b)));
            at += w;
        }
        double pct = in->ram_frame_bytes
                         ? 100.0 * (double)s->over->total / (double)in->ram_frame_bytes
                         : 0.0;
        snprintf(line, sizeof(line), "%s, %.3f%% of RAM%s%s", size_str(s->over->total, b, 32), pct,
                 s->pdx && !s->fits ? ", does not fit the layout" : "", s->best ? "  <- best" : "");
        text_at(f, at + 6, y + 14, s->pdx && !s->fits ? "det bad" : "det", line);
    }
}

static void svg_head(FILE *f, double h)
{
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans Mono, Menlo, monospace\">\n"
            "<style>\n"
            "  text { fill: #222; }\n"
            "  .title { font-size: 18px; font-weight: bold; }\n"
            "  .sub { font-size: 12px; fill: #444; }\n"
            "  .sec { font-size: 14px; font-weight: bold; }\n"
            "  .row { font-size: 12px; font-weight: bold; }\n"
            "  .best { fill: #1a7f37; }\n"
            "  .det { font-size: 11px; fill: #444; }\n"
            "  .bad { fill: #b00020; }\n"
            "  .leg { font-size: 11px; }\n"
            "  .lab { font-size: %.0fpx; fill: #333; }\n"
            "  .in { font-size: 11px; fill: #fff; text-anchor: middle; }\n"
            "  .hole { fill: #777; }\n"
            "  .tick { stroke: #555; stroke-width: 0.6; }\n"
            "</style>\n"
            "<defs><pattern id=\"hole\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
            "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f7f7f7\"/>"
            "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#d0d0d0\" stroke-width=\"2\"/>"
            "</pattern></defs>\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
            SVG_W, h, SVG_W, h, LABEL_PX);
}

/* Everything but the document head; returns the height used (negative: error). */
static double svg_body(FILE *f, const struct smm_svg_input *in, const struct axis *phys)
{
    char line[256], b1[32], b2[32];
    uint64_t ram = smm_memmap_ram_bytes(in->map);
    uint64_t max_pfn = in->frames[in->nr_frames - 1].end;
    size_t nram = 0, nodes = 0;
    uint64_t seen = 0; /* nodes 0..63 met so far */
    for (size_t i = 0; i < in->map->nr; i++) {
        const struct smm_range *r = &in->map->ranges[i];
        if (r->type != SMM_MEM_RAM)
            continue;
        nram++;
        if (r->node >= 0 && r->node < 64 && !((seen >> r->node) & 1)) {
            seen |= UINT64_C(1) << r->node;
            nodes++;
        }
    }
    char nodes_str[32] = "";
    if (nodes)
        snprintf(nodes_str, sizeof(nodes_str), " on %zu node%s", nodes, nodes > 1 ? "s" : "");
    text_at(f, BAR_X, 28, "title", in->source);
    snprintf(line, sizeof(line),
             "RAM %s in %zu ranges%s, address space to 0x%" PRIx64 " (%s); widths: 1 + "
             "log2(size/4 KiB) per range or hole, linear inside",
             size_str(ram, b1, sizeof(b1)), nram, nodes_str, axis_end(phys),
             size_str(axis_end(phys), b2, sizeof(b2)));
    text_at(f, BAR_X, 48, "sub", line);
    text_at(f, BAR_X, 76, "sec", "Physical address space");
    draw_bar(f, phys, 84, 34, "bytes");
    size_t nr;
    struct run *v = unit_runs(in->frames, in->nr_frames, NULL, in->m2p_chunk_shift, &nr);
    if (!v)
        return -1;
    for (size_t i = 0; i < nr; i++) {
        v[i].start <<= SMM_PAGE_SHIFT;
        v[i].end <<= SMM_PAGE_SHIFT;
    }
    draw_runs(f, phys, v, nr, 121, 5, "#222",
              UINT64_C(1) << (in->m2p_chunk_shift + SMM_PAGE_SHIFT));
    free(v);
    double y = 134;
    y += draw_phys_labels(f, phys, y);
    y = draw_legend(f, in->map, y) + 34;
    snprintf(line, sizeof(line), "PDX space per scheme (frame-table groups of 2^%u PDXs)",
             in->ft_group_shift);
    text_at(f, BAR_X, y, "sec", line);
    y += 8;
    for (size_t i = 0; i < in->nr_schemes; i++, y += 78)
        if (draw_scheme(f, in, &in->schemes[i], max_pfn, y) != 0)
            return -1;
    y += 14;
    snprintf(line, sizeof(line), "Overhead per scheme (layout %s)", in->layout_name);
    text_at(f, BAR_X, y, "sec", line);
    draw_overhead(f, in, y + 22);
    return y + 22 + 12 + 22.0 * (double)(in->nr_schemes + in->nr_refs) + 16;
}

int smm_svg_write(FILE *f, const struct smm_svg_input *in)
{
    struct axis phys;
    if (!in->nr_frames)
        return -SMM_EINVAL;
    int rc = phys_axis(in->map, &phys);
    if (rc) {
        axis_free(&phys);
        return rc;
    }
    /* Draw once into nothing to learn the height, then for real. */
    FILE *scratch = fopen("/dev/null", "w");
    double h = scratch ? svg_body(scratch, in, &phys) : -1;
    if (scratch)
        fclose(scratch);
    if (h < 0) {
        axis_free(&phys);
        return -SMM_ENOMEM;
    }
    svg_head(f, h);
    svg_body(f, in, &phys);
    fputs("</svg>\n", f);
    axis_free(&phys);
    return ferror(f) ? -SMM_EFAULT : 0;
}
