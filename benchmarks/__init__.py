"""`make bench`: what the pipeline costs, measured beside the naive way and the machine's own limit.

Run as `python -m benchmarks` from the repository root (the Makefile's `bench` target). Every figure is taken
in the same run as the figure it is compared with: the machines are shared and noisy, so ratios are what
the targets are about. Benchmarks print numbers; the tests keep asserting behaviour.
"""
