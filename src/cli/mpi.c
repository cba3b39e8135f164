/* mpi.c - the ranks of an MPI job as an aniso_collective (built with
 * -DANISO_MPI=ON; without it, a single process and no collective).
 *
 * Every rank profiles its shard of the corpus (documents whose index is its
 * rank modulo the number of ranks) with its own forward state and threads;
 * rank 0 receives the other ranks' statistics in rank order, one layer at a
 * time, and writes the report. Messages are point-to-point between rank 0
 * and each rank, in an order fixed by the pipeline, so the result does not
 * depend on timing. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#ifdef ANISO_MPI
#include <mpi.h>

/* Messages are cut into pieces below MPI's int counts. */
#define PIECE (1u << 30)
#define TAG   7341

static int agree(void *user, int ok, const char *msg, int *bad, char *bad_msg, size_t cap)
{
    (void)user;
    int size, rank;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int *all = malloc(sizeof *all * (size_t)size);
    /* a rank that cannot take part would leave the others waiting */
    if (!all) MPI_Abort(MPI_COMM_WORLD, 1);
    if (MPI_Allgather(&ok, 1, MPI_INT, all, 1, MPI_INT, MPI_COMM_WORLD) != MPI_SUCCESS) {
        free(all);
        return -1;
    }
    *bad = -1;
    for (int r = 0; r < size && *bad < 0; r++)
        if (!all[r]) *bad = r;
    free(all);
    if (*bad < 0) return 0;
    /* the lowest failing rank tells everyone why */
    char buf[1024];
    memset(buf, 0, sizeof buf);
    if (rank == *bad) strncpy(buf, msg, sizeof buf - 1);
    if (MPI_Bcast(buf, (int)sizeof buf, MPI_CHAR, *bad, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    buf[sizeof buf - 1] = 0;
    snprintf(bad_msg, cap, "%s", buf);
    return 0;
}

static int send0(void *user, const void *buf, size_t n)
{
    (void)user;
    uint64_t len = n;
    if (MPI_Send(&len, 1, MPI_UINT64_T, 0, TAG, MPI_COMM_WORLD) != MPI_SUCCESS) return -1;
    for (size_t at = 0; at < n; at += PIECE) {
        size_t k = n - at < PIECE ? n - at : PIECE;
        if (MPI_Send((const char *)buf + at, (int)k, MPI_BYTE, 0, TAG, MPI_COMM_WORLD) !=
            MPI_SUCCESS)
            return -1;
    }
    return 0;
}

static int recv_from(void *user, int from, void **out, size_t *n)
{
    (void)user;
    uint64_t len;
    *out = NULL;
    *n = 0;
    if (MPI_Recv(&len, 1, MPI_UINT64_T, from, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS)
        return -1;
    char *buf = malloc(len ? (size_t)len : 1);
    if (!buf) MPI_Abort(MPI_COMM_WORLD, 1); /* the sender would wait forever */
    for (uint64_t at = 0; at < len; at += PIECE) {
        size_t k = len - at < PIECE ? (size_t)(len - at) : PIECE;
        if (MPI_Recv(buf + at, (int)k, MPI_BYTE, from, TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
            MPI_SUCCESS) {
            free(buf);
            return -1;
        }
    }
    *out = buf;
    *n = (size_t)len;
    return 0;
}

static aniso_collective world;
static int started;

const aniso_collective *cli_mpi_start(int *argc, char ***argv, int *threads_per_rank)
{
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) return NULL;
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &world.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world.size);
    /* the cores of a node shared by its ranks (unless --threads says) */
    MPI_Comm node;
    int local = 1;
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) ==
        MPI_SUCCESS) {
        MPI_Comm_size(node, &local);
        MPI_Comm_free(&node);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    *threads_per_rank = cores > local ? (int)(cores / local) : 1;
    world.agree = agree;
    world.send = send0;
    world.recv = recv_from;
    return world.size > 1 ? &world : NULL;
}

void cli_mpi_end(void)
{
    if (started) MPI_Finalize();
    started = 0;
}

#else

const aniso_collective *cli_mpi_start(int *argc, char ***argv, int *threads_per_rank)
{
    (void)argc, (void)argv;
    *threads_per_rank = 0;
    return NULL;
}

void cli_mpi_end(void) {}

#endif
