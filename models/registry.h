// Models by name, as chosen in YAML (`model.name`). Adding a model is one file plus one line in
// registry.cpp's table.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "models/model.h"

namespace galien {

std::shared_ptr<Model> make_model(const ModelConfig& config, const ModelShape& shape);
std::vector<std::string> model_names();

}  // namespace galien
