# learn/ training recipe: step schedules, AdamW, clipping, weight EMA by hand, and bitwise resume with each.
snf_add_test(test_recipe LABELS unit)
