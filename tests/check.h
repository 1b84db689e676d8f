/* check.h: one-line PASS/FAIL checks for the test executables (gsl_test_rel / libuv ASSERT style).
 * Each check prints both values; a test's main returns snf_check_failures() so ctest sees the count. */
#ifndef SNFORGE_TESTS_CHECK_H
#define SNFORGE_TESTS_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int snf_check_failed_count = 0;
static int snf_check_total_count = 0;

static inline int snf_check_failures(void)
{
    printf("%d passed, %d failed\n", snf_check_total_count - snf_check_failed_count,
           snf_check_failed_count);
    return snf_check_failed_count > 0 ? 1 : 0;
}

static inline void snf_check_result(int ok, const char *file, int line, const char *what)
{
    snf_check_total_count++;
    if (!ok) {
        snf_check_failed_count++;
    }
    printf("%s %s:%d %s\n", ok ? "PASS" : "FAIL", file, line, what);
}

/* |got - want| <= rtol |want| (NaN never passes). */
#define CHECK_REL(got, want, rtol, ...)                                                     \
    do {                                                                                    \
        double g_ = (got), w_ = (want), r_ = (rtol);                                       \
        int ok_ = fabs(g_ - w_) <= r_ * fabs(w_);                                          \
        char what_[512];                                                                    \
        int n_ = snprintf(what_, sizeof what_, __VA_ARGS__);                               \
        if (n_ >= 0 && (size_t)n_ < sizeof what_)                                           \
            snprintf(what_ + n_, sizeof what_ - (size_t)n_,                                 \
                     ": got %.10g want %.10g (rel %.3g, tol %.3g)", g_, w_,                 \
                     w_ != 0 ? fabs(g_ - w_) / fabs(w_) : fabs(g_ - w_), r_);               \
        snf_check_result(ok_, __FILE__, __LINE__, what_);                                  \
    } while (0)

/* |got - want| <= atol. */
#define CHECK_ABS(got, want, atol, ...)                                                     \
    do {                                                                                    \
        double g_ = (got), w_ = (want), a_ = (atol);                                       \
        int ok_ = fabs(g_ - w_) <= a_;                                                     \
        char what_[512];                                                                    \
        int n_ = snprintf(what_, sizeof what_, __VA_ARGS__);                               \
        if (n_ >= 0 && (size_t)n_ < sizeof what_)                                           \
            snprintf(what_ + n_, sizeof what_ - (size_t)n_,                                 \
                     ": got %.10g want %.10g (abs %.3g, tol %.3g)", g_, w_, fabs(g_ - w_), a_); \
        snf_check_result(ok_, __FILE__, __LINE__, what_);                                  \
    } while (0)

#define CHECK_INT(got, want, ...)                                                           \
    do {                                                                                    \
        long g_ = (long)(got), w_ = (long)(want);                                          \
        char what_[512];                                                                    \
        int n_ = snprintf(what_, sizeof what_, __VA_ARGS__);                               \
        if (n_ >= 0 && (size_t)n_ < sizeof what_)                                           \
            snprintf(what_ + n_, sizeof what_ - (size_t)n_, ": got %ld want %ld", g_, w_);  \
        snf_check_result(g_ == w_, __FILE__, __LINE__, what_);                             \
    } while (0)

#define CHECK_TRUE(cond, ...)                                 \
    do {                                                      \
        char what_[512];                                      \
        snprintf(what_, sizeof what_, __VA_ARGS__);           \
        snf_check_result((cond) ? 1 : 0, __FILE__, __LINE__, what_); \
    } while (0)

/* Writes text to path (a test's input file); a file that cannot be written is a failed check. */
static inline void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(text, 1, strlen(text), f) == strlen(text);
    if (f && fclose(f) != 0) {
        ok = 0;
    }
    if (!ok) {
        snf_check_result(0, __FILE__, __LINE__, path);
    }
}

#endif
