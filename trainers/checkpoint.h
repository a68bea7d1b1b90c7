// Model checkpoints, written atomically (serialised in memory, then temporary file + fsync +
// rename): a crash or a kill while saving leaves the previous checkpoint intact.
#pragma once

#include <string>

#include "models/model.h"

namespace galien {

void save_model_checkpoint(Model& model, const std::string& path);
void load_model_checkpoint(Model& model, const std::string& path);

}  // namespace galien
