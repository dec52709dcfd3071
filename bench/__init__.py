"""The benchmark: journeys against a same-work minimal workflow, measured in one run.

    make bench                      # or: .venv/bin/python -m bench --journeys 1000
    make bench ARGS="--journeys 200 --dashboard"

See bench/run.py for what is measured and README.md ("Performance") for the latest figures.
"""
