"""Encoders: text (transformers, offline MiniLM by default), image (MONAI ResNet-18 on
PneumoniaMNIST) and graph (heterogeneous GraphSAGE over the store, by link prediction)."""
