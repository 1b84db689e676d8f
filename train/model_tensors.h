/* model_tensors.h: the named-tensor index of model files (model_tensors.c; not installed). */
#ifndef SNFORGE_LEARN_MODEL_TENSORS_H
#define SNFORGE_LEARN_MODEL_TENSORS_H

#include <hdf5.h>

#include "snforge/train.h"

/* Writes /tensors (name, slab, offset, rank, shape of every trainable tensor and BatchNorm statistic) and
 * the attribute /norm/input_channels into the open model file `file` (its /norm group must exist); path
 * names the file in messages. Returns SNF_OK, SNF_ENOMEM or SNF_EHDF5. */
int snf_ckpt_write_tensors(hid_t file, const snf_ckpt *c, const char *path);

#endif
