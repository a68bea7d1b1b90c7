#include <gtest/gtest.h>

#include <torch/cuda.h>

#include "trainers/loop/device.h"

namespace galien {

TEST(Device, OneVisibleDevicePerTaskMeansDeviceZero) {
  EXPECT_EQ(cuda_index_for_rank(4, 3, "2", nullptr), 0);
}

TEST(Device, SlurmLocalIdThenNodeLocalRank) {
  EXPECT_EQ(cuda_index_for_rank(4, 1, "0,1,2,3", "3"), 3);
  EXPECT_EQ(cuda_index_for_rank(4, 1, nullptr, nullptr), 1);
  EXPECT_EQ(cuda_index_for_rank(4, 5, nullptr, nullptr), 1);  // more ranks than GPUs: wrap
}

TEST(Device, CpuLibTorchFallsBackToCpuOrRefusesCuda) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is present";
  EXPECT_TRUE(choose_device("auto", 0).is_cpu());
  EXPECT_THROW(choose_device("cuda", 0), std::exception);
}

}  // namespace galien
