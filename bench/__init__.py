"""The fnnet benchmark harness: ``python -m bench`` (see bench/README.md).

It times one training run per workload for a tutorial-style NumPy baseline,
``fnnet.train`` on both backends and, when installed, PyTorch, JAX and
scikit-learn, interleaved and after a warm-up call, and checks that every
implementation ends where the reference does.
"""
