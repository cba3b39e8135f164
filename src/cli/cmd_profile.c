/* cmd_profile.c - `aniso profile MODEL`: the notebook's analysis, end to
 * end, over its prompts or over a corpus; and `aniso merge`, the report of
 * partial results. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: aniso profile [--prompts FILE | --corpus FILE [--context N]] [--max-tokens N]\n"
            "                     [--exclude ROLES] [--positions A:B] [--layers LIST]\n"
            "                     [--last-layer hf|raw|both] [--checkpoint FILE [--resume]]\n"
            "                     [--out DIR] [--format png,pdf,svg] [--reference RESULT.json]\n"
            "                     [--threads N] [--quiet] MODEL\n\n"
            "Measure MODEL's anisotropy profile: run the prompts (or a corpus), compute\n"
            "every layer's metrics (eigenvalue spectrum, intrinsic dimension ratio,\n"
            "effective rank, cosine similarity to the mean, norms), find L*, test the bell\n"
            "curve and the flatness against a reference, and write into DIR:\n"
            "  anisotropy_results_NAME.json   anisotropy_profile_NAME.png\n"
            "  eigenvalue_spectrum_NAME.png   norm_analysis_NAME.png\n"
            "  metric_family_NAME.png         anisotropy_results_NAME_YYYYMMDD_HHMMSS.zip\n"
            "(the zip holds the other files). The report carries 95%% intervals over the\n"
            "sequences, a calibrated shape test, the profile without first tokens and null\n"
            "baselines (docs/METRICS.md section 5).\n"
            "NAME gets _excl-ROLES, _pos-A-B and _last-raw|both for a mask or last layer\n"
            "other than the default, so that different measurements never share a name.\n\n"
            "input:\n"
            "  --prompts FILE       one prompt per line, or JSONL with \"text\"; each prompt is\n"
            "                       one sequence (default: the notebook's 16 prompts)\n"
            "  --corpus FILE        documents (plain text separated by blank lines, or JSONL\n"
            "                       with \"text\"), each tokenized once and cut into windows\n"
            "  --context N          tokens per window, special tokens included (default 512)\n"
            "  --max-tokens N       stop after N tokens\n"
            "rows measured:\n"
            "  --exclude ROLES      leave out tokens by role: bos (what the tokenizer puts\n"
            "                       before the text), first (position 0), special (any special\n"
            "                       token); comma-separated\n"
            "  --skip-first-token   the same as --exclude first\n"
            "  --positions A:B      only positions A <= p < B of each sequence (A: or :B too)\n"
            "  --layers LIST        only these hidden-state layers, e.g. 0,4,8-12\n"
            "  --last-layer WHICH   hf: after the final norm, as transformers returns it\n"
            "                       (default); raw: the last block's output before it; both\n"
            "partial results:\n"
            "  --checkpoint FILE    write the per-layer statistics here every --checkpoint-every\n"
            "                       tokens and at the end (for --resume and 'aniso merge'); under\n"
            "                       MPI each rank writes FILE.RANK-of-SIZE\n"
            "  --shard I/N          measure only documents (prompts) I, I+N, I+2N, ... and write\n"
            "                       them as the partial result --checkpoint FILE, no report: run\n"
            "                       shards 0..N-1 (a cluster job array), then 'aniso merge' them\n"
            "  --checkpoint-every N tokens between checkpoints (default: only at the end)\n"
            "  --resume             continue an interrupted run from --checkpoint\n"
            "output and run:\n"
            "  --out DIR            output folder, created if missing (default: .)\n"
            "  --format LIST        figure formats, any of png,pdf,svg (default: png); each\n"
            "                       figure is written in each, and the zip holds them all;\n"
            "                       none: the JSON report alone\n"
            "  --reference FILE     an earlier result JSON to test flatness against (default:\n"
            "                       the notebook's Pythia-6.9B numbers)\n"
            "  --chunk-tokens N     tokens per forward pass (default 4096)\n"
            "  --threads N          threads (default: all cores)\n"
            "  --max-memory SIZE    refuse a run whose estimated memory is larger (bytes, or\n"
            "                       with K, M, G, T; default: the memory available)\n"
            "  --revision REV       branch, tag or commit of a cached model id (default: main)\n"
            "  --quiet              print only the written files' paths\n"
            "intervals and controls (docs/METRICS.md section 5):\n"
            "  --boot N             bootstrap replicates over whole sequences; 0: none (default:\n"
            "                       1000, or fewer down to 200 so that they cost under a fifth\n"
            "                       of the forward pass)\n"
            "  --boot-blocks K      blocks of sequences that stand for them once a layer holds\n"
            "                       moments (more rows than d); 0: none (default 20, fewer to\n"
            "                       fit the memory)\n"
            "  --boot-indices FILE  write each replicate's resampled units (.npy)\n"
            "  --seed N             of every random draw (default 0)\n"
            "  --no-controls        leave out the profile without first tokens and the "
            "nulls\n" CLI_MODEL_OPTIONS_HELP
            "  -h, --help           show this help\n" CLI_MODEL_HELP);
}

static void eta(char *buf, size_t cap, double s)
{
    if (!(s >= 0 && s < 1e9))
        snprintf(buf, cap, "?");
    else if (s < 3600)
        snprintf(buf, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(buf, cap, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static void progress(void *user, const aniso_progress *p)
{
    (void)user;
    double rate = p->seconds > 0 ? (double)p->tokens / p->seconds : 0;
    char left[32] = "";
    if (p->fraction > 0 && p->fraction < 1) {
        char t[24];
        eta(t, sizeof t, p->seconds * (1 - p->fraction) / p->fraction);
        snprintf(left, sizeof left, ", ETA %s", t);
    }
    fprintf(stderr, "\raniso: %llu tokens, %.0f tokens/s%s   ", (unsigned long long)p->tokens, rate,
            left);
}

/* Token counts: at least 1, at most 2^40. */
static int parse_count(const char *cmd, const char *opt, const char *arg, uint64_t *out)
{
    return cli_parse_uint(cmd, opt, arg, 1, (uint64_t)1 << 40, out);
}

static const char *dir_of(double s)
{
    return s > 0 ? "rising" : s < 0 ? "falling" : "flat";
}

/* " [lo, hi]" of a 95% interval, or "" without one. */
static const char *interval_str(char *buf, size_t cap, const aniso_interval *iv)
{
    buf[0] = '\0';
    if (iv && iv->lo == iv->lo && iv->hi == iv->hi)
        snprintf(buf, cap, " [%.4g, %.4g]", iv->lo, iv->hi);
    return buf;
}

static void print_shape(const char *what, const aniso_shape_result *s,
                        const aniso_profile_result *r)
{
    if (!s->applicable) {
        printf("%s: not applicable (fewer than 6 layers)\n", what);
        return;
    }
    int k = s->breakpoint >= 0 && r->layer_ids ? r->layer_ids[s->breakpoint] : s->breakpoint;
    printf("%s: %s (p = %.4g against %d orderings of the profile, alpha %.2g; breakpoint at "
           "layer %d)\n",
           what, s->bell ? "rises then falls beyond noise" : "no rise-then-fall beyond noise", s->p,
           s->n_perm, s->alpha, k);
}

/* The notebook's summary, and the files. */
static void summary(const aniso_profile_run *run, int quiet)
{
    const aniso_profile_result *r = &run->result;
    const aniso_profile_analysis *a = &r->analysis;
    if (!quiet) {
        const aniso_run_info *in = r->info;
        const char *bar = "============================================================";
        printf("%s\nSUMMARY\n%s\n", bar, bar);
        printf("Model: %s (%s, %s, %s)\n", r->model, r->architecture, r->normalization, r->dtype);
        char roles[64];
        if (in && !strcmp(in->source, "corpus"))
            printf(
                "Layers: %d   Hidden dim: %d   Corpus: %llu documents, %llu windows of up to %zu "
                "tokens\n",
                r->n_layers, r->hidden_dim, (unsigned long long)in->n_documents,
                (unsigned long long)in->n_sequences, in->context);
        else
            printf("Layers: %d   Hidden dim: %d   Prompts: %zu\n", r->n_layers, r->hidden_dim,
                   r->n_prompts);
        if (in)
            printf("Tokens: %llu through the model, %zu measured (excluded: %s; %llu left out)\n",
                   (unsigned long long)in->n_tokens_seen, r->n_tokens,
                   aniso_token_roles_str(in->exclude, roles, sizeof roles),
                   (unsigned long long)in->n_excluded);
        if (in && in->parts && in->parts_via && !strcmp(in->parts_via, "mpi")) {
            printf("Ranks: %d (tokens per rank:", in->n_parts);
            for (int i = 0; i < in->n_parts; i++)
                printf(" %llu", (unsigned long long)in->parts[i].tokens);
            printf(")\n");
        }
        aniso_report_warnings w;
        aniso_report_warnings_get(r, &w);
        if (w.n) printf("\nWarnings (this result cannot carry every conclusion):\n");
        for (int i = 0; i < w.n; i++) printf("  - %s\n", w.text[i]);
        const aniso_evidence *ev = r->evidence;
        const aniso_bootstrap *bt = ev && ev->boot.n_boot ? &ev->boot : NULL;
        char iv[96];
        printf("\nL* (anisotropy max): Layer %d", a->L_star);
        if (bt) {
            int at = -1;
            for (int i = 0; i < r->n_measured; i++)
                if ((r->layer_ids ? r->layer_ids[i] : i) == a->L_star) at = i;
            printf(
                "   95%% interval %.0f to %.0f; L* is there in %.0f%% of %d resamples of the %llu "
                "%s",
                bt->profile.L_star.lo, bt->profile.L_star.hi,
                at >= 0 ? 100 * bt->profile.L_star_share[at] : 0.0, bt->n_boot,
                (unsigned long long)bt->n_units,
                strcmp(bt->unit, "sequence") ? "blocks of sequences" : "sequences");
        }
        printf("\n");
        if (w.bell_conclusive)
            printf("Bell curve (the notebook's criterion, which passes a third of pure-noise "
                   "profiles): %s\n",
                   a->is_bell_curve ? "yes" : "no");
        else
            printf("Bell curve: cannot be concluded (see the warnings)\n");
        if (ev) print_shape("  Calibrated shape test", &ev->shape, r);
        printf("  Phase 1 (layers before %d): slope %+.6f%s (%s), r %.4f, p %.3g\n", a->L_star,
               a->phase1.slope, interval_str(iv, sizeof iv, bt ? &bt->profile.phase1_slope : NULL),
               dir_of(a->phase1.slope), a->phase1.r, a->phase1.p);
        printf("  Phase 2 (layers %d on): slope %+.6f%s (%s), r %.4f, p %.3g\n", a->L_star,
               a->phase2.slope, interval_str(iv, sizeof iv, bt ? &bt->profile.phase2_slope : NULL),
               dir_of(a->phase2.slope), a->phase2.r, a->phase2.p);
        printf("Profile range: %.4f%s   Max anisotropy: %.4f%s\n", a->profile_range,
               interval_str(iv, sizeof iv, bt ? &bt->profile.profile_range : NULL),
               a->max_anisotropy, "");
        if (!w.flatness_conclusive) {
            printf("\nFlatter than %s: cannot be concluded (see the warnings; range %.4f vs "
                   "%.4f)\n",
                   r->reference.name, a->profile_range, r->reference.profile_range);
        } else {
            const aniso_interval *d = bt ? &bt->profile.range_minus_reference : NULL;
            printf("\nFlatter than %s: range difference %+.4f%s (range %.4f vs %.4f, %.1f%%): ",
                   r->reference.name, a->profile_range - r->reference.profile_range,
                   interval_str(iv, sizeof iv, d), a->profile_range, r->reference.profile_range,
                   a->flatness_percent);
            if (!d || !(d->hi == d->hi))
                printf("%s, without an interval (%s)\n", a->is_flatter ? "flatter" : "not flatter",
                       ev && ev->boot.why ? ev->boot.why : "no bootstrap");
            else if (d->hi < 0)
                printf("flatter (the 95%% interval is below 0)\n");
            else if (d->lo > 0)
                printf("less flat (the 95%% interval is above 0)\n");
            else
                printf("not distinguishable (the 95%% interval holds 0)\n");
        }
        if (ev && ev->nofirst) {
            const aniso_profile_analysis *b = &ev->nofirst_analysis;
            const aniso_bootstrap *nb = ev->nofirst_boot.n_boot ? &ev->nofirst_boot : NULL;
            printf("\nWithout each sequence's first token (%llu rows): L* = %d",
                   (unsigned long long)ev->nofirst_tokens, b->L_star);
            if (nb) printf(" [%.0f, %.0f]", nb->profile.L_star.lo, nb->profile.L_star.hi);
            printf(", max %.4f, range %.4f%s\n", b->max_anisotropy, b->profile_range,
                   interval_str(iv, sizeof iv, nb ? &nb->profile.profile_range : NULL));
            print_shape("  Calibrated shape test", &ev->nofirst_shape, r);
            if (b->L_star != a->L_star)
                printf("  L* moves from %d to %d without the first token: the first token's "
                       "rows drive the profile (see massive activations, docs/SCIENCE.md)\n",
                       a->L_star, b->L_star);
        } else if (ev && ev->nofirst_why) {
            printf("\nWithout each sequence's first token: %s\n", ev->nofirst_why);
        }
        if (ev && ev->null_iso) {
            int at = 0;
            for (int i = 0; i < r->n_measured; i++)
                if ((r->layer_ids ? r->layer_ids[i] : i) == a->L_star) at = i;
            printf("\nNulls at L*: lambda_1/sum %.4f; isotropic Gaussian of the same n x d %.4f; "
                   "columns permuted %.4f\n",
                   r->layers[at].intrinsic_dim_ratio, ev->null_iso[at].intrinsic_dim_ratio,
                   ev->null_perm[at].intrinsic_dim_ratio);
            if (r->n_tokens < (size_t)r->hidden_dim + 1)
                printf("  n - 1 = %zu < d = %d: the ranks (effective rank, participation ratio, "
                       "RankMe) cannot exceed %zu\n",
                       r->n_tokens - 1, r->hidden_dim, r->n_tokens - 1);
        }
        if (ev && !bt && ev->boot.why) printf("\nIntervals: %s\n", ev->boot.why);
        printf("\nTime: load %.2f s, forward %.2f s, moments %.3f s, metrics %.3f s, intervals and "
               "controls %.2f s, total %.2f s\n",
               r->t_load, r->t_forward, r->t_moments, r->t_metrics, r->t_evidence, r->t_total);
        printf("\nFiles saved:\n");
    }
    for (int i = 0; i < run->n_files; i++) printf(quiet ? "%s\n" : "  - %s\n", run->files[i]);
}

static int load_reference(const char *file, aniso_reference *ref, aniso_error *err)
{
    aniso_result_file *rf = aniso_result_load(file, err);
    if (!rf) return -1;
    aniso_result_reference(rf, ref);
    aniso_result_free(rf);
    if (!(ref->profile_range > 0)) {
        aniso_error_set(err, ANISO_FORMAT,
                        "%s: its profile range is 0 (a flat profile): flatness relative to it is "
                        "undefined",
                        file);
        return -1;
    }
    return 0;
}

enum {
    OPT_CORPUS = 0x2000,
    OPT_CONTEXT,
    OPT_MAX_TOKENS,
    OPT_EXCLUDE,
    OPT_POSITIONS,
    OPT_LAYERS,
    OPT_LAST_LAYER,
    OPT_CHECKPOINT,
    OPT_CHECKPOINT_EVERY,
    OPT_RESUME,
    OPT_CHUNK,
    OPT_SHARD,
    OPT_FORMAT,
    OPT_MAX_MEMORY,
    OPT_BOOT,
    OPT_BOOT_BLOCKS,
    OPT_BOOT_INDICES,
    OPT_SEED,
    OPT_NO_CONTROLS,
};

/* "I/N" with 0 <= I < N. */
/* "I/N" with 0 <= I < N <= 1000000, digits only. */
static int parse_shard(const char *arg, int *i, int *n)
{
    const char *slash = strchr(arg, '/');
    char a[24];
    uint64_t x, y;
    if (!slash || (size_t)(slash - arg) >= sizeof a) return -1;
    memcpy(a, arg, (size_t)(slash - arg));
    a[slash - arg] = 0;
    if (cli_whole_number(a, &x) || cli_whole_number(slash + 1, &y) || y < 1 || x >= y ||
        y > 1000000)
        return -1;
    *i = (int)x, *n = (int)y;
    return 0;
}

int cmd_profile(int argc, char **argv)
{
    static const struct option opts[] = {
        {"prompts", required_argument, NULL, 'p'},
        {"corpus", required_argument, NULL, OPT_CORPUS},
        {"context", required_argument, NULL, OPT_CONTEXT},
        {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
        {"exclude", required_argument, NULL, OPT_EXCLUDE},
        {"positions", required_argument, NULL, OPT_POSITIONS},
        {"layers", required_argument, NULL, OPT_LAYERS},
        {"last-layer", required_argument, NULL, OPT_LAST_LAYER},
        {"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
        {"checkpoint-every", required_argument, NULL, OPT_CHECKPOINT_EVERY},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"chunk-tokens", required_argument, NULL, OPT_CHUNK},
        {"shard", required_argument, NULL, OPT_SHARD},
        {"format", required_argument, NULL, OPT_FORMAT},
        {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
        {"boot", required_argument, NULL, OPT_BOOT},
        {"boot-blocks", required_argument, NULL, OPT_BOOT_BLOCKS},
        {"boot-indices", required_argument, NULL, OPT_BOOT_INDICES},
        {"seed", required_argument, NULL, OPT_SEED},
        {"no-controls", no_argument, NULL, OPT_NO_CONTROLS},
        {"out", required_argument, NULL, 'o'},
        {"reference", required_argument, NULL, 'R'},
        {"skip-first-token", no_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"revision", required_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        CLI_MODEL_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    aniso_profile_opts o = {0};
    const char *ref_file = NULL;
    int quiet = 0, c, rc;
    uint64_t v = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o.prompts_file = optarg;
            break;
        case OPT_CORPUS:
            o.corpus_file = optarg;
            break;
        case OPT_CONTEXT:
            if ((rc = parse_count("profile", "--context", optarg, &v))) return rc;
            o.context = (size_t)v;
            break;
        case OPT_MAX_TOKENS:
            if ((rc = parse_count("profile", "--max-tokens", optarg, &o.max_tokens))) return rc;
            break;
        case OPT_EXCLUDE: {
            unsigned roles;
            if (aniso_token_roles_parse(optarg, &roles))
                return cli_usage_error("profile",
                                       "--exclude takes bos, first and special, comma-separated, "
                                       "not '%s'",
                                       optarg);
            o.mask.exclude |= roles;
            break;
        }
        case OPT_POSITIONS:
            if (aniso_mask_parse_positions(optarg, &o.mask.pos_from, &o.mask.pos_to))
                return cli_usage_error("profile", "--positions takes A:B with A < B, not '%s'",
                                       optarg);
            break;
        case OPT_LAYERS:
            o.layers = optarg;
            break;
        case OPT_LAST_LAYER:
            if ((rc = cli_last_layer("profile", optarg, &o.last_layer))) return rc;
            break;
        case OPT_CHECKPOINT:
            o.checkpoint = optarg;
            break;
        case OPT_CHECKPOINT_EVERY:
            if ((rc = parse_count("profile", "--checkpoint-every", optarg, &o.checkpoint_every)))
                return rc;
            break;
        case OPT_RESUME:
            o.resume = 1;
            break;
        case OPT_CHUNK:
            if ((rc = parse_count("profile", "--chunk-tokens", optarg, &v))) return rc;
            o.chunk_tokens = (size_t)v;
            break;
        case OPT_SHARD:
            if (parse_shard(optarg, &o.shard_index, &o.shard_count))
                return cli_usage_error("profile", "--shard takes I/N with 0 <= I < N, not '%s'",
                                       optarg);
            break;
        case OPT_MAX_MEMORY:
            if ((rc = cli_parse_size("profile", "--max-memory", optarg, &o.max_memory))) return rc;
            break;
        case OPT_BOOT:
            if ((rc = cli_parse_int("profile", "--boot", optarg, 0, 100000, &o.n_boot))) return rc;
            if (o.n_boot == 0) o.n_boot = -1; /* none */
            break;
        case OPT_BOOT_BLOCKS:
            if ((rc = cli_parse_int("profile", "--boot-blocks", optarg, 0, ANISO_MOMENTS_MAX_BLOCKS,
                                    &o.boot_blocks)))
                return rc;
            if (o.boot_blocks == 0) o.boot_blocks = -1;
            if (o.boot_blocks == 1)
                return cli_usage_error("profile", "--boot-blocks takes 0 (none) or 2 to %d, not 1",
                                       ANISO_MOMENTS_MAX_BLOCKS);
            break;
        case OPT_BOOT_INDICES:
            o.boot_indices = optarg;
            break;
        case OPT_SEED:
            if ((rc = cli_parse_uint("profile", "--seed", optarg, 0, UINT64_MAX, &o.seed)))
                return rc;
            break;
        case OPT_NO_CONTROLS:
            o.no_controls = 1;
            break;
        case OPT_FORMAT:
            if (aniso_figure_formats_parse(optarg, &o.formats))
                return cli_usage_error("profile",
                                       "--format takes png, pdf and svg, comma-separated, not '%s'",
                                       optarg);
            break;
        case 'o':
            o.out_dir = optarg;
            break;
        case 'R':
            ref_file = optarg;
            break;
        case 's':
            o.mask.exclude |= ANISO_TOKEN_FIRST;
            break;
        case 't':
            if ((rc = cli_parse_int("profile", "--threads", optarg, 1, CLI_MAX_THREADS,
                                    &o.n_threads)))
                return rc;
            break;
        case 'r':
            o.open.revision = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            help(stdout);
            return EXIT_OK;
        default: {
            int mo = cli_model_option("profile", c, optarg, &o.open.config);
            if (mo >= 0) {
                if (mo) return mo;
                break;
            }
            return cli_usage_error("profile", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
        }
    }
    if (optind != argc - 1)
        return cli_usage_error("profile", optind >= argc ? "missing MODEL" : "too many arguments");
    if (o.prompts_file && o.corpus_file)
        return cli_usage_error("profile", "--prompts and --corpus exclude each other");
    if (o.context && !o.corpus_file)
        return cli_usage_error("profile", "--context applies to --corpus only");
    if (o.resume && !o.checkpoint) return cli_usage_error("profile", "--resume needs --checkpoint");
    if (o.shard_count && !o.checkpoint)
        return cli_usage_error("profile", "--shard needs --checkpoint FILE (its partial result)");
    aniso_error err;
    if (o.out_dir && cli_check_out_dir(o.out_dir, &err)) return cli_fail(&err);
    char *mpath = cli_model_path(argv[optind], &err);
    if (mpath) mpath = cli_hub_model(mpath, o.open.revision, quiet, &err);
    if (!mpath) return cli_fail(&err);
    o.model = mpath;
    o.name = argv[optind];
    aniso_reference ref;
    if (ref_file) {
        if (load_reference(ref_file, &ref, &err)) {
            free(mpath);
            return cli_fail(&err);
        }
        o.reference = &ref;
    }
    char *cache = cli_hf_cache_dir();
    o.open.cache_dir = cache;
    /* Under mpirun: this rank's shard; rank 0 alone prints and reports. */
    int per_rank = 0;
    o.collective = cli_mpi_start(&argc, &argv, &per_rank);
    int rank = o.collective ? o.collective->rank : 0;
    if (o.collective && !o.n_threads && per_rank) o.n_threads = per_rank;
    int show = !quiet && rank == 0 && isatty(STDERR_FILENO);
    if (show) o.progress = progress;
    aniso_profile_run *run = NULL;
    aniso_status st = aniso_profile(&o, &run, &err);
    if (show) fprintf(stderr, "\n");
    cli_mpi_end();
    free(cache);
    free(mpath);
    if (st) return rank == 0 ? cli_fail(&err) : EXIT_ERROR;
    if (rank == 0 && o.shard_count) {
        const aniso_run_info *in = &run->info;
        if (quiet)
            printf("%s\n", o.checkpoint);
        else
            printf("Partial result (shard %d of %d: %llu sequences, %llu tokens, %zu measured):\n"
                   "  - %s\n",
                   o.shard_index, o.shard_count, (unsigned long long)in->n_sequences,
                   (unsigned long long)in->n_tokens_seen, run->result.n_tokens, o.checkpoint);
    } else if (rank == 0) {
        summary(run, quiet);
    }
    aniso_profile_run_free(run);
    return EXIT_OK;
}

static void merge_help(FILE *f)
{
    fprintf(f, "usage: aniso merge [--out DIR] [--format png,pdf,svg] [--reference RESULT.json] "
               "[--quiet] PART PART ...\n\n"
               "Merge partial results (the --checkpoint files of 'aniso profile' runs over\n"
               "disjoint parts of a corpus, with the same model, tokenizer, token selection,\n"
               "layers and context) and write the report of the whole, as 'aniso profile'\n"
               "does.\n\n"
               "options:\n"
               "  --out DIR            output folder, created if missing (default: .)\n"
               "  --reference FILE     an earlier result JSON to test flatness against\n"
               "  --format LIST        figure formats, any of png,pdf,svg, or none (the JSON\n"
               "                       alone; default: png)\n"
               "  --quiet              print only the written files' paths\n"
               "  -h, --help           show this help\n");
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, NULL, 'o'}, {"reference", required_argument, NULL, 'R'},
        {"quiet", no_argument, NULL, 'q'},     {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *ref_file = NULL;
    int quiet = 0, c;
    unsigned formats = ANISO_FIG_PNG;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'o':
            out = optarg;
            break;
        case 'R':
            ref_file = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'f':
            if (aniso_figure_formats_parse(optarg, &formats))
                return cli_usage_error(
                    "merge", "--format takes png, pdf and svg, comma-separated, not '%s'", optarg);
            break;
        case 'h':
            merge_help(stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("merge", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) return cli_usage_error("merge", "missing PART");
    aniso_error err;
    if (out && cli_check_out_dir(out, &err)) return cli_fail(&err);
    aniso_reference ref;
    if (ref_file && load_reference(ref_file, &ref, &err)) return cli_fail(&err);
    aniso_profile_run *run = NULL;
    if (aniso_merge((const char *const *)argv + optind, argc - optind, out, formats,
                    ref_file ? &ref : NULL, &run, &err))
        return cli_fail(&err);
    summary(run, quiet);
    aniso_profile_run_free(run);
    return EXIT_OK;
}
