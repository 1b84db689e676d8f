/* linear.c: the dense head, inp (B,C) . w^T + b -> out (B,OC), with sgemm and naive loops.
 * It is tiny next to the convolutions, so it runs serially (deterministic by construction). */
#include <stddef.h>

#include "snforge/nn.h"
#include "internal.h"

/* ---- public API ---- */

void snf_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int C,
                        int OC)
{
    for (int i = 0; i < B; i++) {
        for (int o = 0; o < OC; o++) {
            out[(size_t)i * OC + o] = b ? b[o] : 0.0f;
        }
    }
    /* out (B, OC) += inp (B, C) . w^T (C, OC) */
    snf_sgemm(0, 1, B, OC, C, 1.0f, inp, C, w, C, 1.0f, out,
                OC);
}

void snf_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                         const float *w, int B, int C, int OC)
{
    /* dw (OC, C) += dout^T (OC, B) . inp (B, C) */
    snf_sgemm(1, 0, OC, C, B, 1.0f, dout, OC, inp, C, 1.0f, dw,
                C);
    if (db) {
        for (int i = 0; i < B; i++) {
            for (int o = 0; o < OC; o++) {
                db[o] += dout[(size_t)i * OC + o];
            }
        }
    }
    if (dinp) {
        /* dinp (B, C) += dout (B, OC) . w (OC, C) */
        snf_sgemm(0, 0, B, C, OC, 1.0f, dout, OC, w, C, 1.0f,
                    dinp, C);
    }
}

void snf_linear_forward_naive(float *out, const float *inp, const float *w, const float *b, int B,
                              int C, int OC)
{
    for (int i = 0; i < B; i++) {
        for (int o = 0; o < OC; o++) {
            float s = b ? b[o] : 0.0f;
            for (int c = 0; c < C; c++) {
                s += inp[(size_t)i * C + c] * w[(size_t)o * C + c];
            }
            out[(size_t)i * OC + o] = s;
        }
    }
}

void snf_linear_backward_naive(float *dinp, float *dw, float *db, const float *dout,
                               const float *inp, const float *w, int B, int C, int OC)
{
    for (int i = 0; i < B; i++) {
        for (int o = 0; o < OC; o++) {
            float g = dout[(size_t)i * OC + o];
            if (db) {
                db[o] += g;
            }
            for (int c = 0; c < C; c++) {
                dw[(size_t)o * C + c] += g * inp[(size_t)i * C + c];
                if (dinp) {
                    dinp[(size_t)i * C + c] += g * w[(size_t)o * C + c];
                }
            }
        }
    }
}
