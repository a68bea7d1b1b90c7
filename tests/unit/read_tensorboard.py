"""Loads a TensorBoard log directory with TensorBoard's own reader and prints its scalars as
JSON: {"tag": [[step, value, wall_time], ...], ...}. Used by tests/unit/test_tensorboard.cpp to
check that galien's event files are what the real TensorBoard reads."""
import json
import sys

from tensorboard.backend.event_processing import event_accumulator


def main(logdir):
    # size_guidance 0 keeps every event (the default samples scalars down to 10,000).
    accumulator = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    scalars = {tag: [[e.step, e.value, e.wall_time] for e in accumulator.Scalars(tag)]
               for tag in accumulator.Tags()["scalars"]}
    print(json.dumps(scalars))


if __name__ == "__main__":
    main(sys.argv[1])
