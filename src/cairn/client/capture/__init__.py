"""Automatic capture: git, command line, config, environment, sources, hardware and console.

Each module collects one thing and either returns it or raises; none prints. The wiring in
``cairn.client.autocapture`` turns a failure into a warning field so training goes on.
"""
