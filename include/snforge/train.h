/* train.h: the door of train/, training networks on data.
 * Owns: light curves and observation files turned into tensors, row batches resident or streamed (data.h);
 * the one training loop behind train, finetune and every curriculum stage, the training config, the model
 * file and its checkpoints (train.h); fine-tuning on resident rows (transfer.h); curriculum transfer with
 * its folds (curriculum.h); hyper-parameter search (search.h).
 * Never: physics (the four parameters are numbers with names and units) nor answering an observed
 * supernova (infer.h). Stands on core, models (the parameters' names and units), grids (the dataset
 * file) and nn.
 * Prefixes: snf_batcher_ snf_ckpt_ snf_curr_ snf_data_ snf_fold_ snf_metrics_ snf_obs_
 *           snf_recipe_ snf_rows_ snf_search_ snf_train_ snf_transfer_ */
#ifndef SNFORGE_DOOR_TRAIN_H
#define SNFORGE_DOOR_TRAIN_H

#include "snforge/export.h"
#include "snforge/train/data.h"
#include "snforge/train/train.h"
#include "snforge/train/transfer.h"
#include "snforge/train/curriculum.h"
#include "snforge/train/search.h"

#endif
