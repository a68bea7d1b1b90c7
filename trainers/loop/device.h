// One rank per GPU. The device index comes from, in order: a single visible device (Slurm set
// CUDA_VISIBLE_DEVICES per task, so the task's GPU is device 0), SLURM_LOCALID, the node-local
// MPI rank (MPI_Comm_split_type SHARED). Without CUDA (Debian's CPU LibTorch) it is the CPU.
#pragma once

#include <torch/types.h>

#include <string>

namespace galien {

// `setting`: trainer.device (auto | cpu | cuda). UserError for cuda without a usable GPU.
torch::Device choose_device(const std::string& setting, int local_rank);
// Pure part, testable without a GPU: which CUDA index a rank uses.
int cuda_index_for_rank(int device_count, int local_rank, const char* cuda_visible_devices,
                        const char* slurm_localid);
std::string describe_device(const torch::Device& device);

}  // namespace galien
