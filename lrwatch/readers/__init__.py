"""Turn logs that already exist (lrwatch stores, Lightning CSV logs, TensorBoard events) into
the curves analysis reads."""
