/* ode.c: CVODE wrapper (see ode.h). Every CVode* call is checked and mapped to SNF_ECVODE. */
#include "snforge/solvers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "snforge/core.h"

/* ---- types ---- */

struct snf_ode {
    int neq;
    int nroots;
    snf_ode_method method;
    SUNContext sunctx;
    void *cvode;
    N_Vector y;
    N_Vector atol;
    N_Vector ydense; /* interpolated outputs (snf_ode_dense) */
    SUNMatrix A;
    SUNLinearSolver LS;
    snf_ode_rhs_fn f;
    snf_ode_root_fn g;
    void *user;
    int *found;
    int *dir;        /* root directions, applied at every (re)initialisation */
    char cv_msg[256]; /* CVODE's last error text, for our messages (it never prints) */
    int initialized; /* CVodeInit done once; later solves use CVodeReInit */
};

/* CVODE's name for a return flag, copied into buf (CVodeGetReturnFlagName mallocs its answer). */
static const char *snf_cv_flag_name(int flag, char *buf, size_t n)
{
    char *name = CVodeGetReturnFlagName(flag);
    snprintf(buf, n, "%s", name ? name : "unknown CVODE flag");
    free(name);
    return buf;
}

/* Map a CVODE return flag: checks a call, records CVODE's flag name. */
#define SNF_CHECK_CV(call)                                                                       \
    do {                                                                                         \
        int cv_rc_ = (call);                                                                     \
        if (cv_rc_ < 0) {                                                                        \
            char cv_name_[64];                                                                   \
            SNF_ERROR(SNF_ECVODE, "%s failed: %s", #call,                                        \
                      snf_cv_flag_name(cv_rc_, cv_name_, sizeof cv_name_));                      \
        }                                                                                        \
    } while (0)

/* ---- static helpers: CVODE callbacks that expose plain arrays ---- */

static int snf_ode_cv_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *data)
{
    snf_ode *o = data;
    return o->f(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), o->user);
}

static int snf_ode_cv_root(sunrealtype t, N_Vector y, sunrealtype *g, void *data)
{
    snf_ode *o = data;
    return o->g(t, N_VGetArrayPointer(y), g, o->user);
}

/* CVODE reports errors here instead of stderr; the caller's message carries the text. */
static void snf_ode_cv_err(int code, const char *module, const char *function, char *msg, void *data)
{
    snf_ode *o = data;
    (void)code;
    snprintf(o->cv_msg, sizeof o->cv_msg, "%s %s: %s", module, function, msg);
}

/* ---- public API ---- */

snf_ode *snf_ode_alloc(int neq, int nroots, snf_ode_method method)
{
    if (neq <= 0 || nroots < 0) {
        return NULL;
    }
    snf_ode *o = calloc(1, sizeof *o);
    if (!o) {
        return NULL;
    }
    o->neq = neq;
    o->nroots = nroots;
    o->method = method;
    if (SUNContext_Create(NULL, &o->sunctx) != 0) {
        free(o);
        return NULL;
    }
    o->cvode = CVodeCreate(method == SNF_ODE_ADAMS ? CV_ADAMS : CV_BDF, o->sunctx);
    o->y = N_VNew_Serial(neq, o->sunctx);
    if (o->y) {
        /* Fused vector operations: fewer calls per step, which dominate for small systems. */
        N_VEnableFusedOps_Serial(o->y, SUNTRUE);
    }
    o->atol = N_VNew_Serial(neq, o->sunctx);
    o->ydense = N_VNew_Serial(neq, o->sunctx);
    o->found = calloc((size_t)(nroots > 0 ? nroots : 1), sizeof *o->found);
    o->dir = calloc((size_t)(nroots > 0 ? nroots : 1), sizeof *o->dir);
    if (o->y) {
        o->A = SUNDenseMatrix(neq, neq, o->sunctx);
    }
    if (o->A) {
        o->LS = SUNLinSol_Dense(o->y, o->A, o->sunctx);
    }
    if (!o->cvode || !o->y || !o->atol || !o->ydense || !o->found || !o->dir || !o->A || !o->LS ||
        CVodeSetErrHandlerFn(o->cvode, snf_ode_cv_err, o) != CV_SUCCESS) {
        snf_ode_free(o);
        return NULL;
    }
    return o;
}

int snf_ode_set_problem(snf_ode *o, snf_ode_rhs_fn f, snf_ode_root_fn g, void *user)
{
    if (!o || !f || (o->nroots > 0 && !g)) {
        SNF_ERROR(SNF_EINVAL, "missing right-hand side or root function");
    }
    o->f = f;
    o->g = g;
    o->user = user;
    return SNF_OK;
}

int snf_ode_reinit(snf_ode *o, double t0, const double *y0, double rtol, const double *atol,
                   long max_steps, double t_stop)
{
    if (!o->f) {
        SNF_ERROR(SNF_EINVAL, "snf_ode_set_problem was not called");
    }
    memcpy(N_VGetArrayPointer(o->y), y0, (size_t)o->neq * sizeof(double));
    memcpy(N_VGetArrayPointer(o->atol), atol, (size_t)o->neq * sizeof(double));
    if (!o->initialized) {
        SNF_CHECK_CV(CVodeInit(o->cvode, snf_ode_cv_rhs, t0, o->y));
        SNF_CHECK_CV(CVodeSetUserData(o->cvode, o));
        SNF_CHECK_CV(CVodeSetLinearSolver(o->cvode, o->LS, o->A));
        if (o->nroots > 0) {
            SNF_CHECK_CV(CVodeRootInit(o->cvode, o->nroots, snf_ode_cv_root));
            /* A root function sitting exactly at zero at the start is a switch just made. */
            SNF_CHECK_CV(CVodeSetNoInactiveRootWarn(o->cvode));
        }
        o->initialized = 1;
    } else {
        SNF_CHECK_CV(CVodeReInit(o->cvode, t0, o->y));
    }
    SNF_CHECK_CV(CVodeSVtolerances(o->cvode, rtol, o->atol));
    SNF_CHECK_CV(CVodeSetMaxNumSteps(o->cvode, max_steps));
    SNF_CHECK_CV(CVodeSetStopTime(o->cvode, t_stop));
    if (o->nroots > 0) {
        SNF_CHECK_CV(CVodeSetRootDirection(o->cvode, o->dir));
    }
    return SNF_OK;
}

int snf_ode_set_root_direction(snf_ode *o, const int *dir)
{
    if (o->nroots == 0) {
        return SNF_OK;
    }
    memcpy(o->dir, dir, (size_t)o->nroots * sizeof *o->dir); /* applied by snf_ode_reinit */
    return SNF_OK;
}

/* One CVode call in the given task mode; shared by advance and step. */
static int snf_ode_call(snf_ode *o, double tout, int task, double *t, double *y, int *found)
{
    sunrealtype tret = 0;
    int rc = CVode(o->cvode, tout, o->y, &tret, task);
    *t = tret;
    memcpy(y, N_VGetArrayPointer(o->y), (size_t)o->neq * sizeof(double));
    if (rc == CV_ROOT_RETURN) {
        SNF_CHECK_CV(CVodeGetRootInfo(o->cvode, o->found));
        for (int i = 0; i < o->nroots; i++) {
            found[i] = o->found[i];
        }
        return SNF_ODE_ROOT;
    }
    if (rc < 0) {
        char name[64];
        SNF_ERROR(SNF_ECVODE, "CVode failed at t = %.6g (target %.6g): %s (%s)", tret, tout,
                  snf_cv_flag_name(rc, name, sizeof name), o->cv_msg);
    }
    return SNF_OK;
}

int snf_ode_advance(snf_ode *o, double tout, double *t, double *y, int *found)
{
    return snf_ode_call(o, tout, CV_NORMAL, t, y, found);
}

int snf_ode_step(snf_ode *o, double *t, double *y, int *found)
{
    /* In CV_ONE_STEP mode tout only sets the direction and, on the first call, the first step. */
    return snf_ode_call(o, *t + 1.0, CV_ONE_STEP, t, y, found);
}

int snf_ode_dense(snf_ode *o, double t, double *y)
{
    SNF_CHECK_CV(CVodeGetDky(o->cvode, t, 0, o->ydense));
    memcpy(y, N_VGetArrayPointer(o->ydense), (size_t)o->neq * sizeof(double));
    return SNF_OK;
}

long snf_ode_num_steps(const snf_ode *o)
{
    long n = 0;
    CVodeGetNumSteps(o->cvode, &n);
    return n;
}

long snf_ode_num_rhs(const snf_ode *o)
{
    long n = 0;
    CVodeGetNumRhsEvals(o->cvode, &n);
    return n;
}

void snf_ode_get_stats(const snf_ode *o, snf_ode_stats *st)
{
    snf_ode_stats z = {0};
    *st = z;
    CVodeGetNumSteps(o->cvode, &st->steps);
    CVodeGetNumRhsEvals(o->cvode, &st->rhs);
    CVodeGetNumLinRhsEvals(o->cvode, &st->rhs_jac);
    CVodeGetNumJacEvals(o->cvode, &st->jac);
    CVodeGetNumLinSolvSetups(o->cvode, &st->lin_setups);
    CVodeGetNumErrTestFails(o->cvode, &st->err_fails);
    CVodeGetNumNonlinSolvIters(o->cvode, &st->nonlin_iters);
    CVodeGetNumNonlinSolvConvFails(o->cvode, &st->nonlin_fails);
    if (o->nroots > 0) {
        CVodeGetNumGEvals(o->cvode, &st->g_evals);
    }
}

void snf_ode_free(snf_ode *o)
{
    if (!o) {
        return;
    }
    if (o->cvode) {
        CVodeFree(&o->cvode);
    }
    if (o->LS) {
        SUNLinSolFree(o->LS);
    }
    if (o->A) {
        SUNMatDestroy(o->A);
    }
    if (o->y) {
        N_VDestroy(o->y);
    }
    if (o->atol) {
        N_VDestroy(o->atol);
    }
    if (o->ydense) {
        N_VDestroy(o->ydense);
    }
    free(o->found);
    free(o->dir);
    if (o->sunctx) {
        SUNContext_Free(&o->sunctx);
    }
    free(o);
}
