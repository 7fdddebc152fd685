#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H

// Debian builds libxml2 with ICU; its headers would pull <unicode/ucnv.h>,
// whose types clash with the ICU that Foundation bundles. Nothing here uses
// libxml2's ICU encoding handlers, so the declarations are switched off.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

/// `xmlFree` is a global function pointer; Swift 6 treats it as shared
/// mutable state, so it is called through this function.
static inline void clibxml2_free(void *pointer) { xmlFree(pointer); }

/// Encoding and I/O errors go to libxml2's generic error function, which
/// prints to standard error and is kept per thread. Every reader thread
/// calls this first; the reader's structured handler still records them.
static void clibxml2_discard_message(void *context, const char *message, ...) {
  (void)context;
  (void)message;
}
static inline void clibxml2_silence_generic_errors(void) {
  xmlSetGenericErrorFunc(NULL, clibxml2_discard_message);
}

#endif
