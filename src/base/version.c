/* version.c - the library version, from CMakeLists.txt. */
#include "aniso/aniso.h"
#include "aniso_version.h"

const char *aniso_version(void)
{
    return ANISO_VERSION_STRING;
}
