/* core.h: the door of core/, the bottom room every other room stands on.
 * Owns: status codes and the per-thread error message, library versions and the monotonic clock
 * (status.h); text tables, CSV/JSON writing, digests, the output owner (locks, staged atomic writes,
 * fingerprints of resumable runs) and forked children tied to their parent (fileio.h); INI texts with line numbers (ini.h);
 * the checked HDF5 layer every file goes through (h5io.h).
 * Never: physics, networks, campaigns, or the meaning of any snforge file; it includes no other room.
 * Prefixes: snf_atomic_ snf_child_ snf_clock_ snf_csv_ snf_digest_ snf_error_ snf_file_ snf_fingerprint_ snf_h5_
 *           snf_ini_ snf_json_ snf_lock_ snf_output_ snf_path_ snf_status_ snf_strerror_ snf_text_
 *           snf_unlock_ snf_versions_ */
#ifndef SNFORGE_DOOR_CORE_H
#define SNFORGE_DOOR_CORE_H

#include "snforge/export.h"
#include "snforge/core/status.h"
#include "snforge/core/fileio.h"
#include "snforge/core/ini.h"
#include "snforge/core/h5io.h"

#endif
