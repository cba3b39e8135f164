/* error.h - status codes and the error record every fallible call fills.
 *
 * Ownership rule for the whole library (stated once, here): a function named
 * aniso_<thing>_open/_parse/_load returns an object the caller owns and frees
 * with the matching aniso_<thing>_free, which accepts NULL. Pointers returned
 * by accessors are borrowed from their object and stay valid until it is
 * freed. The library never prints and never exits; on failure it returns
 * NULL or a non-zero status and describes the problem in a caller-owned
 * aniso_error, whose message names the file (or key, or tensor) and what was
 * wrong, on one line.
 */
#ifndef ANISO_ERROR_H
#define ANISO_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, description) */
#define ANISO_STATUS_LIST(X)                                                                       \
    X(OK, "success")                                                                               \
    X(INVALID_ARGUMENT, "invalid argument")                                                        \
    X(IO, "input/output error")                                                                    \
    X(NOT_FOUND, "not found")                                                                      \
    X(FORMAT, "malformed file")                                                                    \
    X(UNSUPPORTED, "unsupported")                                                                  \
    X(NO_MEMORY, "out of memory")

typedef enum aniso_status {
#define ANISO_X_(name, desc) ANISO_##name,
    ANISO_STATUS_LIST(ANISO_X_)
#undef ANISO_X_
} aniso_status;

#define ANISO_ERROR_MSG_MAX 1024

typedef struct aniso_error {
    aniso_status code;
    char msg[ANISO_ERROR_MSG_MAX]; /* one line, no trailing newline */
} aniso_error;

/* The fixed description of a status code ("malformed file"). */
const char *aniso_status_str(aniso_status code);

/* Sets err (if not NULL) to code and a printf-formatted message; returns
 * code so callers can write `return aniso_error_set(err, ...)`. */
aniso_status aniso_error_set(aniso_error *err, aniso_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Clears err to ANISO_OK and an empty message. */
void aniso_error_clear(aniso_error *err);

#ifdef __cplusplus
}
#endif
#endif
