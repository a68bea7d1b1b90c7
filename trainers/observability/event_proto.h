// The few TensorFlow `Event` protocol buffers a scalar log needs, encoded by hand so galien
// needs no protobuf compiler or runtime. Field numbers are those of tensorflow/core/util/
// event.proto and summary.proto:
//   Event   { double wall_time = 1; int64 step = 2; string file_version = 3; Summary summary = 5; }
//   Summary { repeated Value value = 1; }
//   Value   { string tag = 1; float simple_value = 2; }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace galien {

struct ScalarValue {
  std::string tag;   // "val/auc"; TensorBoard groups charts by the part before the first '/'
  float value = 0;
};

// The first record of every event file: readers check the version string.
std::string encode_file_version_event(double wall_time, std::string_view version = "brain.Event:2");

// One Event holding one Summary with a simple_value per scalar, all at `step`.
std::string encode_scalar_event(double wall_time, std::int64_t step,
                                const std::vector<ScalarValue>& values);

}  // namespace galien
