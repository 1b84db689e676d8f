/* progenitor_build.h (not installed): the builder's state between the structure (progenitor.c) and the
 * tabulation onto output zones (progenitor_table.c). */
#ifndef SNFORGE_RHD_PROGENITOR_BUILD_H
#define SNFORGE_RHD_PROGENITOR_BUILD_H

#include "rhd/progenitor_internal.h"
#include "snforge/solvers.h"

/* One integrated layer: polytrope (K, n) from r_top (y_top) down to r_bot (y_bot); y = (h, m). */
typedef struct snf_prog_layer {
    int kind;
    double K, n;
    double r_top, r_bot;
    double y_top[2], y_bot[2];
} snf_prog_layer;

typedef struct snf_prog_builder {
    snf_prog_params p;
    double M_tot, M_He, M_CO, m_in;      /* g */
    double x[3][SNF_PROG_NISO], mu[3];   /* per layer kind */
    snf_ode *ode_r;
    double K, n, m_stop;                 /* the layer being integrated */
    int roots_on;
    double m_mix_top, m_mix_bot;         /* the H/He composition transition [g] */
    snf_prog_layer L[3];                 /* outermost first */
    int nl;
    double r_tr, T_surf;                 /* the surface found */
} snf_prog_builder;

int snf_prog_builder_init(snf_prog_builder *b, const snf_prog_params *p);
void snf_prog_builder_free(snf_prog_builder *b);
/* Envelope constant, surface radius and jump; leaves the final layers in b->L. */
int snf_prog_structure(snf_prog_builder *b, snf_prog_info *info);
int snf_prog_integrate(snf_prog_builder *b, double R_s, double K_env, int envelope_only, double f_jump, double *r_if);
/* (h, m) of layer L at radii r[0..nr) (decreasing). */
int snf_prog_sample_layer(snf_prog_builder *b, const snf_prog_layer *L, const double *r, int nr, double *h, double *m);
double snf_prog_rho_of_h(double h, double K, double n);
double snf_prog_mix_s(const snf_prog_builder *b, double m);

#endif
