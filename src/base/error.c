/* error.c - status strings and the error record. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aniso/error.h"

static const char *const status_str[] = {
#define X(name, desc) desc,
    ANISO_STATUS_LIST(X)
#undef X
};

const char *aniso_status_str(aniso_status code)
{
    if ((unsigned)code >= sizeof status_str / sizeof status_str[0]) return "unknown status";
    return status_str[code];
}

aniso_status aniso_error_set(aniso_error *err, aniso_status code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    /* One line whatever the file contained, and no terminal control
     * sequences from it: line breaks and tabs become spaces, every other
     * control character '?'. */
    for (char *p = err->msg; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n' || c == '\r' || c == '\t')
            *p = ' ';
        else if (c < 0x20 || c == 0x7f)
            *p = '?';
    }
    return code;
}

void aniso_error_clear(aniso_error *err)
{
    if (!err) return;
    err->code = ANISO_OK;
    err->msg[0] = '\0';
}
