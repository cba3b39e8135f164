/* signals.c - an interrupted run leaves nothing partial behind.
 *
 * SIGINT, SIGTERM and SIGHUP are blocked in every thread (the mask is set
 * before OpenMP, OpenBLAS or MPI start theirs, which inherit it) and taken
 * by one thread that waits for them: it removes every temporary file and
 * private result folder (aniso_temporaries_remove, which first lets a
 * result set being put in place finish), prints one line and exits with
 * 128 + the signal's number (130, 143, 129). Earlier results and a
 * checkpoint already written stay as they were. SIGPIPE is ignored, so that
 * a closed standard output is a write error, not a death mid-write. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

static sigset_t stop_set;

static void *wait_for_stop(void *arg)
{
    (void)arg;
    int sig = 0;
    if (sigwait(&stop_set, &sig) != 0) return NULL;
    aniso_temporaries_remove();
    const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
    char line[160];
    int n =
        snprintf(line, sizeof line,
                 "aniso: interrupted (%s); temporary files removed, earlier results kept\n", name);
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0) n = 0;
    _exit(128 + sig);
}

void cli_signals_start(void)
{
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGHUP);
    pthread_t t;
    if (pthread_sigmask(SIG_BLOCK, &stop_set, NULL) != 0) return;
    if (pthread_create(&t, NULL, wait_for_stop, NULL) != 0) {
        /* no waiting thread: the default actions again */
        pthread_sigmask(SIG_UNBLOCK, &stop_set, NULL);
        return;
    }
    pthread_detach(t);
}
