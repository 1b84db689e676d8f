# nn/ lighter architectures: depthwise dilated convolution, hand-crafted filters, LITE and
# H-InceptionTime parameter counts and gradients (central differences), determinism.
snf_add_test(test_arch LABELS unit)
