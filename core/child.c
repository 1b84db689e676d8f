/* child.c: worker processes forked by the trainer and the search (ensemble members, search trials) die with their parent.
 * A parent killed with SIGKILL runs no cleanup, so without this its children would train on, race a
 * rerun for the same files and hold the output's lock (an inherited flock) until they finish. */
#define _GNU_SOURCE /* prctl */
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "snforge/core.h"


/* ---- public API ---- */

void snf_child_tie_to_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) { /* the parent died between fork and prctl */
        _exit(1);
    }
}
