/* grid_hydro.c: one row of a model = hydro campaign. The row's progenitor is built in memory (rhd/'s
 * builder), the radiation-hydro code runs it (rhd/), and its daily outputs are resampled onto the campaign's
 * time grid as `snforge import` resamples SNEC runs (grids/hydro: Steffen in log L; v_ph undefined once the
 * photosphere has reached its deepest cell, as the SNEC importer ends it). Physics and numerics stay in rhd/;
 * this file only reads the tables and maps the campaign's axes onto the run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snforge/grids.h"
#include "snforge/rhd.h"
#include "snforge/core.h"
#include "internal.h"

const snf_grid_series_def snf_grid_hydro_series[SNF_GRID_HYDRO_NSERIES] = {
    {"vfe", "km/s", "Fe II 5169 velocity: the absorption minimum of its Sobolev P-Cygni profile (LTE optical depth "
                    "above the photosphere, resonance scattering); NaN where the line does not form"},
    {"teff", "K", "effective temperature at the tau = 2/3 photosphere"},
    {"rph", "cm", "radius of the tau = 2/3 photosphere"},
    {"log_ldep", "log10(erg/s)", "log10 of the deposited 56Ni + 56Co decay power (erg/s overflows float32)"},
};

int snf_grid_hydro_load(snf_grid_hydro *h, const char *tables)
{
    memset(h, 0, sizeof *h);
    if (tables == NULL || tables[0] == '\0') {
        SNF_ERROR(SNF_EINVAL, "model = hydro needs the folder of the OPAL tables and GridPattern.dat (rhd/tables)");
    }
    h->opal = malloc(sizeof *h->opal);
    if (h->opal == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for the opacity tables");
    }
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/GridPattern.dat", tables);
    int rc = snf_rhd_read_opal(tables, h->opal);
    if (rc >= 0) {
        rc = snf_rhd_read_pattern(pat, &h->pattern, &h->npat);
    }
    if (rc < 0) {
        snf_grid_hydro_free(h);
    }
    return rc;
}

void snf_grid_hydro_free(snf_grid_hydro *h)
{
    free(h->opal);
    free(h->pattern);
    memset(h, 0, sizeof *h);
}

/* y[ndays] (scaled by f) resampled onto t_days[T] into out (log10 if log_y). */
static int snf_gh_resample(float *out, const snf_rhd_result *r, const double *y, double f, int log_y, double *buf,
                           const double *t_days, int T)
{
    for (int k = 0; k < r->ndays; k++) {
        buf[k] = y[k] * f;
    }
    snf_hydro_series s = {r->ndays, r->t_d, buf};
    return snf_hydro_resample(out, &s, log_y, t_days, T);
}

/* The run's outputs on the campaign's grid; v_ph NaN after its last photospheric day (snf_rhd_vph_last_day:
 * the SNEC importer's rule, grids/hydro/import_snec.c). */
static int snf_gh_outputs(const snf_rhd_result *r, const double *t_days, int T, float *log_lbol, float *vph,
                          float *series)
{
    double *buf = malloc((size_t)(r->ndays > 0 ? r->ndays : 1) * sizeof *buf);
    if (buf == NULL) {
        SNF_ERROR(SNF_ENOMEM, "out of memory for %d days", r->ndays);
    }
    int kmin = snf_rhd_vph_last_day(r);
    double *v = malloc((size_t)(r->ndays > 0 ? r->ndays : 1) * sizeof *v);
    int rc = v != NULL ? SNF_OK : SNF_ENOMEM;
    for (int k = 0; v != NULL && k < r->ndays; k++) {
        v[k] = (k <= kmin && r->vph[k] > 0) ? r->vph[k] : NAN;
    }
    if (rc >= 0) {
        rc = snf_gh_resample(log_lbol, r, r->L, 1.0, 1, buf, t_days, T);
    }
    if (rc >= 0) {
        rc = snf_gh_resample(vph, r, v, 1e-5, 0, buf, t_days, T);
    }
    const double *ys[SNF_GRID_HYDRO_NSERIES] = {r->vfe, r->Teff, r->Rph, r->Ldep};
    const double fs[SNF_GRID_HYDRO_NSERIES] = {1e-5, 1.0, 1.0, 1.0};
    const int lg[SNF_GRID_HYDRO_NSERIES] = {0, 0, 0, 1};
    for (int s = 0; rc >= 0 && s < SNF_GRID_HYDRO_NSERIES; s++) {
        rc = snf_gh_resample(series + (size_t)s * (size_t)T, r, ys[s], fs[s], lg[s], buf, t_days, T);
    }
    free(v);
    free(buf);
    return rc;
}

void snf_grid_hydro_row(const snf_campaign *c, const snf_grid_hydro *h, const double *t_days, const double *x,
                        float *log_lbol, float *vph, float *series, int *status, char *msg, snf_lc_derived *der)
{
    const int T = c->T;
    snf_rhd_params par;
    snf_prog_params prog;
    double mix;
    snf_config_hydro_inputs(c, x, &par, &prog, &mix);
    snf_rhd_profile prf;
    memset(&prf, 0, sizeof prf);
    snf_rhd_result res;
    memset(&res, 0, sizeof res);
    snf_prog_info info;
    snf_error_clear();
    int rc = snf_prog_build(&prog, &prf, &info);
    if (rc >= 0) {
        par.Ni_boundary_mass = par.mass_excised + mix * (info.M_He - par.mass_excised);
        if (!(par.Ni_boundary_mass < prog.M_tot)) {
            rc = snf_error_report(SNF_EINVAL, __FILE__, __LINE__, __func__,
                                  "ni_mix = %g puts the Ni boundary at %g Msun, beyond the star's %g Msun", mix,
                                  par.Ni_boundary_mass, prog.M_tot);
        }
    }
    if (rc >= 0) {
        rc = snf_rhd_run(&res, &par, &prf, h->opal, h->pattern, h->npat);
    }
    if (rc >= 0) {
        rc = snf_gh_outputs(&res, t_days, T, log_lbol, vph, series);
    }
    memset(msg, 0, SNF_DATASET_MSG_LEN);
    if (rc < 0) {
        for (int k = 0; k < T; k++) {
            log_lbol[k] = vph[k] = NAN;
        }
        for (size_t k = 0; k < (size_t)SNF_GRID_HYDRO_NSERIES * (size_t)T; k++) {
            series[k] = NAN;
        }
        der->t_peak_d = der->log_lpeak = der->t_plateau_end_d = NAN;
        der->t_front_end_d = der->e_rad_erg = der->e_rec_erg = NAN;
        const char *text = snf_error_last_message();
        snprintf(msg, SNF_DATASET_MSG_LEN, "%s: %s", snf_status_name(rc), text[0] ? text : snf_strerror(rc));
    } else {
        snf_hydro_peak(der, t_days, log_lbol, T, 10.0);
    }
    *status = rc < 0 ? rc : SNF_OK;
    snf_rhd_result_free(&res);
    snf_rhd_profile_free(&prf);
}
