// The 2-convolution CNN of TensorFlow's "Build a Convolutional Neural Network using Estimators"
// tutorial (tensorflow/examples/tutorials/layers/cnn_mnist.py), the model behind the row
// "2 Conv Layers with max pooling (Tensorflow)", 0.916, of the Fashion-MNIST benchmark table:
//   conv 32 5x5 "same" + ReLU -> max-pool 2x2/2 -> conv 64 5x5 "same" + ReLU -> max-pool 2x2/2
//   -> flatten -> dense 1024 + ReLU -> dropout 0.4 -> dense num_outputs (logits).
// A fixed reference architecture: model.hidden and model.dropout are not used. 28x28x1 input,
// 10 classes: 3,274,634 parameters. See docs/models.md for why 5x5 rather than 3x3 kernels.
#pragma once

#include <torch/nn/modules/container/sequential.h>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

class TfCnn : public Model {
 public:
  TfCnn(const ModelShape& shape, double dropout);
  InputKind input_kind() const override { return InputKind::kImage; }
  using Model::forward;
  // [N, C, H, W] -> [N, num_outputs] logits.
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Sequential layers_;
};

std::shared_ptr<Model> make_tf_cnn(const ModelConfig& config, const ModelShape& shape);

}  // namespace galien
