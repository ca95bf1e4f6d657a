"""Training from a spec: recipes as data, data sources, the loop, checkpoints, resume, DDP.

`archspec train` and `archspec eval` are thin layers over `run.train` and
`evaluate.evaluate_checkpoint`; each module here does one job (see docs/training.md).
"""
