#include "trainers/loop/device.h"

#include <torch/cuda.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace galien {

int cuda_index_for_rank(int device_count, int local_rank, const char* cuda_visible_devices,
                        const char* slurm_localid) {
  if (device_count <= 1) return 0;
  if (cuda_visible_devices && *cuda_visible_devices &&
      std::string(cuda_visible_devices).find(',') == std::string::npos)
    return 0;  // exactly one device visible to this task
  int local = local_rank;
  if (slurm_localid && *slurm_localid) local = std::atoi(slurm_localid);
  return local % device_count;
}

torch::Device choose_device(const std::string& setting, int local_rank) {
  const bool cuda = torch::cuda::is_available();
  if (setting == "cpu" || (setting == "auto" && !cuda)) return torch::Device(torch::kCPU);
  if (!cuda)
    GALIEN_USER_ERROR("trainer.device is cuda but no CUDA device is usable (this LibTorch: "
                      << "CPU-only, or no GPU visible); set trainer.device=cpu or build against "
                      << "a CUDA LibTorch (docs/install.md)");
  const int count = static_cast<int>(torch::cuda::device_count());
  return torch::Device(torch::kCUDA, static_cast<torch::DeviceIndex>(cuda_index_for_rank(
                                         count, local_rank, std::getenv("CUDA_VISIBLE_DEVICES"),
                                         std::getenv("SLURM_LOCALID"))));
}

std::string describe_device(const torch::Device& device) { return device.str(); }

}  // namespace galien
