/* export.h: SNF_API marks the public API, the one thing the shared library exports. The library is
 * compiled with hidden visibility (-fvisibility=hidden), so libsnforge.so exports exactly the functions
 * the headers of include/snforge/ declare with SNF_API, and every public declaration carries it
 * (tests/test_symbols.sh checks both directions). Internal headers never use it. */
#ifndef SNFORGE_EXPORT_H
#define SNFORGE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define SNF_API __attribute__((visibility("default")))
#else
#define SNF_API
#endif

#endif
