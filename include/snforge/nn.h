/* nn.h: the door of nn/, layers and networks as numerics.
 * Owns: the layer kernels as forward/backward pairs, losses (MSE, the Gaussian head), the random streams,
 * thread setup (layers.h); the network of any architecture run through its operations table
 * (InceptionTime, H-InceptionTime, LITE), Adam/AdamW, schedules, EMA, early stopping (net.h); sums across
 * MPI ranks (dist.h).
 * Never: files, datasets, physics, training loops. Stands on core.
 * Prefixes: snf_adam_ snf_adamw_ snf_add_ snf_addrelu_ snf_bn_ snf_bnrelu_ snf_conv1d_ snf_dist_ snf_dropout_
 *           snf_dwconv1d_ snf_earlystop_ snf_ema_ snf_gap_ snf_glorot_ snf_gnll_ snf_grad_ snf_head_
 *           snf_hybrid_ snf_linear_ snf_lr_ snf_maxpool_ snf_mse_ snf_net_ snf_omp_ snf_plateau_ snf_relu_
 *           snf_rng_ snf_threads_ */
#ifndef SNFORGE_DOOR_NN_H
#define SNFORGE_DOOR_NN_H

#include "snforge/export.h"
#include "snforge/nn/layers.h"
#include "snforge/nn/net.h"
#include "snforge/nn/dist.h"

#endif
