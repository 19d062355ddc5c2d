"""The pure core: one module per failure, each with how to cause, detect and mitigate it.

Nothing here imports ipywidgets or draws; tests and benchmarks call these functions directly.
"""
