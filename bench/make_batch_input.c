/* bench/make_batch_input.c - the input of the batch lookup benchmark (R4.3-R4.7): a
 * resident list as a subdistrict would upload it, with the realistic mix of issue 4.
 *
 *   make_batch_input --rows N --out PATH [--residents R] [--seed S] [--offset K] [--csv]
 *
 * Columns 序号, 姓名, 身份证号, 联系电话 under a merged title row. Rows, deterministic for
 * (seed, offset):
 *   ~89.5% a resident of the demo district (demo_person_at(seed, i), i walking a fixed
 *          permutation of 0..R-1 from offset), ID as stored text, clean;
 *   ~0.5%  a repeat of an earlier row's ID (duplicate);
 *   ~5%    a resident with a dirty spelling: spaces inside, surrounding spaces, full-width
 *          digits, lowercase x (X-IDs) or apostrophe prefix, ="…" wrapper, ideographic space;
 *   ~3%    a valid ID of someone outside the district (region 440106, computed check digit);
 *   ~2%    invalid: wrong check digit, Excel scientific notation (a number cell
 *          1.10102199003077E+17), an 18-digit number with the zeroed tail, an empty cell,
 *          or text that is not an ID.
 * R defaults to 1,100,000 (the district scale). The demo district gives some residents the
 * same ID number (1,100,000 residents hold 903,542 distinct IDs with seed 1): a resident
 * whose ID was already written is skipped, so the only duplicates are the intended 0.5%,
 * until every resident has been walked; after that IDs repeat, and the count of such rows
 * is printed (repeated_resident_ids) - they come out as "duplicate". The workbook stores text in the shared-string table, as Excel does
 * (libxlsxwriter without constant_memory); --csv writes UTF-8 CSV instead.
 *
 * Prints the exact counts of each kind on stdout. Build: see bench/batch_bench.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "core/alloc.h"
#include "core/idno.h"
#include "core/str.h"
#include "demo/demo.h"

enum kind { K_CLEAN, K_DUP, K_DIRTY, K_OUTSIDE, K_INVALID, K__N };
static const char *const kind_names[] = { "clean", "duplicate", "dirty", "outside", "invalid" };

static uint64_t
mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A set of 17-digit prefixes (IDs) already written. */
struct seen {
    uint64_t *slots;
    size_t cap, len;
};

static bool
seen_add(struct seen *s, uint64_t v)
{
    if ((s->len + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1 << 16;
        uint64_t *slots = xcalloc(cap, sizeof *slots);
        for (size_t j = 0; j < s->cap; j++)
            if (s->slots[j]) {
                size_t i = mix(s->slots[j]) & (cap - 1);
                while (slots[i])
                    i = (i + 1) & (cap - 1);
                slots[i] = s->slots[j];
            }
        xfree(s->slots);
        s->slots = slots;
        s->cap = cap;
    }
    size_t i = mix(v) & (s->cap - 1);
    while (s->slots[i]) {
        if (s->slots[i] == v)
            return false;
        i = (i + 1) & (s->cap - 1);
    }
    s->slots[i] = v;
    s->len++;
    return true;
}

static uint64_t
id_value(const char *id)
{
    uint64_t v = 0;
    for (int i = 0; i < 17; i++)
        v = v * 10 + (uint64_t)(id[i] - '0');
    return v * 11 + (uint64_t)(id[17] == 'X' ? 10 : id[17] - '0') + 1;
}

/* dirty writes a spelling of id that idno_normalize cleans back to id. */
static void
dirty(const char *id, uint64_t h, char *out, size_t cap)
{
    static const char *const fw[] = { "０", "１", "２", "３", "４", "５", "６", "７", "８", "９" };
    switch (h % 6) {
    case 0: /* grouped like a printed card: 6 8 4 */
        snprintf(out, cap, "%.6s %.8s %.4s", id, id + 6, id + 14);
        break;
    case 1:
        snprintf(out, cap, "  %s ", id);
        break;
    case 2: { /* full-width digits */
        size_t n = 0;
        out[0] = '\0';
        for (int i = 0; i < 18 && n + 4 < cap; i++) {
            const char *c = id[i] == 'X' ? "Ｘ" : fw[id[i] - '0'];
            memcpy(out + n, c, strlen(c));
            n += strlen(c);
        }
        out[n] = '\0';
        break;
    }
    case 3:
        if (id[17] == 'X')
            snprintf(out, cap, "%.17sx", id);
        else
            snprintf(out, cap, "'%s", id);
        break;
    case 4:
        snprintf(out, cap, "=\"%s\"", id);
        break;
    default: /* ideographic space after the region */
        snprintf(out, cap, "%.6s\u3000%s", id, id + 6);
        break;
    }
}

static void
outside_id(uint64_t h, char out[19])
{
    char first17[40];
    unsigned year = 1950 + (unsigned)(h % 60), month = 1 + (unsigned)((h >> 8) % 12),
             day = 1 + (unsigned)((h >> 16) % 28), seq = (unsigned)((h >> 24) % 1000);
    snprintf(first17, sizeof first17, "440106%04u%02u%02u%03u", year, month, day, seq);
    memcpy(out, first17, 17);
    out[17] = idno_check_digit(first17);
    out[18] = '\0';
}

struct writer {
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *text;
    FILE *csv;
    lxw_row_t row;
};

static void
put_row(struct writer *w, const char *const cells[4], int numeric_col, double number)
{
    if (w->csv) {
        for (int c = 0; c < 4; c++) {
            fputs(c ? "," : "", w->csv);
            if (c == numeric_col) {
                fprintf(w->csv, "%.15G", number);
                continue;
            }
            fputc('"', w->csv);
            for (const char *p = cells[c]; *p; p++) {
                if (*p == '"')
                    fputc('"', w->csv);
                fputc(*p, w->csv);
            }
            fputc('"', w->csv);
        }
        fputs("\r\n", w->csv);
    } else {
        for (int c = 0; c < 4; c++) {
            if (c == numeric_col)
                worksheet_write_number(w->ws, w->row, (lxw_col_t)c, number, NULL);
            else if (cells[c][0])
                worksheet_write_string(w->ws, w->row, (lxw_col_t)c, cells[c], w->text);
        }
    }
    w->row++;
}

int
main(int argc, char **argv)
{
    long long rows = 0, residents = 1100000, seed = 1, offset = 0;
    const char *out = NULL;
    bool csv = false;
    size_t counts[K__N] = { 0 }, repeats = 0;
    struct seen seen = { 0 };
    char (*recent)[19] = xcalloc(1024, sizeof *recent);
    size_t nrecent = 0;

    for (int i = 1; i < argc; i++) {
        int64_t v = 0;
        if (strcmp(argv[i], "--csv") == 0) {
            csv = true;
            continue;
        }
        if (i + 1 >= argc)
            goto usage;
        if (strcmp(argv[i], "--out") == 0) {
            out = argv[++i];
            continue;
        }
        if (cstr_to_i64(argv[i + 1], &v, 0, 100000000))
            goto usage;
        if (strcmp(argv[i], "--rows") == 0)
            rows = v;
        else if (strcmp(argv[i], "--residents") == 0)
            residents = v;
        else if (strcmp(argv[i], "--seed") == 0)
            seed = v;
        else if (strcmp(argv[i], "--offset") == 0)
            offset = v;
        else
            goto usage;
        i++;
    }
    if (!rows || !out || residents < 2)
        goto usage;

    struct writer w = { 0 };
    if (csv) {
        if (!(w.csv = fopen(out, "wb"))) {
            perror(out);
            return 1;
        }
        fputs("\"居民名单（批量核酸查询）\",,,\r\n", w.csv);
        w.row = 1;
    } else {
        w.wb = workbook_new(out);
        if (!w.wb) {
            fprintf(stderr, "make_batch_input: cannot create %s\n", out);
            return 1;
        }
        w.ws = workbook_add_worksheet(w.wb, "名单");
        w.text = workbook_add_format(w.wb);
        format_set_num_format(w.text, "@");
        lxw_format *title = workbook_add_format(w.wb);
        format_set_bold(title);
        worksheet_merge_range(w.ws, 0, 0, 0, 3, "居民名单（批量核酸查询）", title);
        w.row = 1;
    }
    const char *header[4] = { "序号", "姓名", "身份证号", "联系电话" };
    put_row(&w, header, -1, 0);

    /* a permutation of residents: stride coprime with residents */
    uint64_t stride = 1000003;
    while (residents % (long long)stride == 0)
        stride += 2;
    uint64_t next_resident = (uint64_t)offset;
    for (long long r = 0; r < rows; r++) {
        uint64_t h = mix((uint64_t)seed * 0x9e3779b97f4a7c15ULL ^ mix((uint64_t)(offset + r)));
        unsigned pct = (unsigned)(h % 1000);
        enum kind k = pct < 895 ? K_CLEAN : pct < 900 ? K_DUP : pct < 950 ? K_DIRTY : pct < 980 ? K_OUTSIDE : K_INVALID;
        char seqbuf[24], idbuf[96], id[19];
        struct demo_person p;
        const char *cells[4] = { seqbuf, "", idbuf, "" };
        int numeric = -1;
        double number = 0;
        snprintf(seqbuf, sizeof seqbuf, "%lld", r + 1);
        idbuf[0] = '\0';
        if (k == K_DUP && nrecent == 0)
            k = K_CLEAN;
        if (k == K_CLEAN || k == K_DIRTY || k == K_INVALID) {
            for (;;) { /* the next resident whose ID was not written yet */
                demo_person_at((uint64_t)seed, (size_t)((next_resident * stride) % (uint64_t)residents), &p);
                next_resident++;
                if (seen_add(&seen, id_value(p.id_number)))
                    break;
                if (next_resident - (uint64_t)offset >= (uint64_t)residents) {
                    repeats++; /* every resident walked: IDs repeat from here on */
                    break;
                }
            }
            cells[1] = p.name;
            cells[3] = p.phone;
            memcpy(id, p.id_number, sizeof id);
        }
        switch (k) {
        case K_CLEAN:
            snprintf(idbuf, sizeof idbuf, "%s", id);
            memcpy(recent[nrecent++ % 1024], id, sizeof id);
            break;
        case K_DUP: {
            const char *prev = recent[(h >> 20) % (nrecent < 1024 ? nrecent : 1024)];
            snprintf(idbuf, sizeof idbuf, "%s", prev);
            cells[1] = "（重复登记）";
            break;
        }
        case K_DIRTY:
            dirty(id, h >> 12, idbuf, sizeof idbuf);
            break;
        case K_OUTSIDE:
            outside_id(h >> 12, id);
            snprintf(idbuf, sizeof idbuf, "%s", id);
            cells[1] = "外区人员";
            cells[3] = "13900000000";
            break;
        default:
            switch ((h >> 12) % 5) {
            case 0: /* a typo: wrong check digit */
                id[17] = id[17] == '0' ? '1' : '0';
                if (idno_check_digit(id) == id[17])
                    id[17] = id[17] == '0' ? '2' : '3';
                snprintf(idbuf, sizeof idbuf, "%s", id);
                break;
            case 1: /* Excel made it a number: 1.10102199003077E+17 */
            case 2: {
                char digits[19];
                memcpy(digits, id, 15);
                memset(digits + 15, '0', 3);
                digits[18] = '\0';
                if (digits[0] == '0' || id[17] == 'X')
                    digits[0] = '1';
                numeric = 2;
                number = strtod(digits, NULL);
                break;
            }
            case 3: /* empty ID cell */
                break;
            default:
                snprintf(idbuf, sizeof idbuf, "%s", "待补");
                break;
            }
            break;
        }
        counts[k]++;
        put_row(&w, cells, numeric, number);
    }
    int rc = 0;
    if (w.csv)
        rc = fclose(w.csv) != 0;
    else
        rc = workbook_close(w.wb) != LXW_NO_ERROR;
    if (rc) {
        fprintf(stderr, "make_batch_input: writing %s failed\n", out);
        return 1;
    }
    printf("rows=%lld", rows);
    for (int k = 0; k < K__N; k++)
        printf(" %s=%zu", kind_names[k], counts[k]);
    printf(" repeated_resident_ids=%zu distinct_resident_ids=%zu\n", repeats, seen.len);
    xfree(seen.slots);
    xfree(recent);
    return 0;
usage:
    fprintf(stderr, "usage: make_batch_input --rows N --out PATH [--residents R] [--seed S] [--offset K] [--csv]\n");
    return 2;
}
