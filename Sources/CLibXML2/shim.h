#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H

// Debian builds libxml2 with ICU; its headers would pull <unicode/ucnv.h>,
// whose types clash with the ICU that Foundation bundles. Nothing here uses
// libxml2's ICU encoding handlers, so the declarations are switched off.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlerror.h>

/// `xmlFree` is a global function pointer; Swift 6 treats it as shared
/// mutable state, so it is called through this function.
static inline void clibxml2_free(void *pointer) { xmlFree(pointer); }

#endif
