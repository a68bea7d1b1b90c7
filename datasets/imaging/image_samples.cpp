#include "datasets/imaging/image_samples.h"

#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/random.h"

namespace galien {
namespace {

std::unordered_map<std::string, std::int64_t> rows_by_patient(
    const EncodedTable& table, const std::vector<std::string>& pseudonyms) {
  std::unordered_map<std::string, std::int64_t> rows;
  for (std::size_t r = 0; r < pseudonyms.size(); ++r) {
    auto [it, inserted] = rows.emplace(pseudonyms[r], static_cast<std::int64_t>(r));
    if (!inserted) {
      GALIEN_USER_ERROR(table.source << ": lines " << table.lines[it->second] << " and "
                                     << table.lines[r] << " belong to the same patient; images "
                                     << "join a table with one row per patient: merge them");
    }
  }
  return rows;
}

void fill_split_part(SplitPart& part, const std::vector<std::int64_t>& samples,
                     const ImageSamples& all, std::size_t num_classes) {
  std::set<std::string> patients;
  part.class_counts.assign(num_classes, 0);
  for (std::int64_t s : samples) {
    patients.insert(all.pseudonyms[static_cast<std::size_t>(s)]);
    ++part.class_counts[static_cast<std::size_t>(all.labels[static_cast<std::size_t>(s)])];
  }
  part.num_patients = static_cast<std::int64_t>(patients.size());
}

// The source's own split, dealt to shards after a seeded shuffle (as split_dataset does).
std::map<std::string, SplitPart> fixed_splits(const ImageSource& source,
                                              const ImageSamples& samples,
                                              const DataConfig& config) {
  std::map<std::string, std::vector<std::int64_t>> members;
  for (std::size_t s = 0; s < samples.items.size(); ++s) {
    members[source.items[samples.items[s]].split].push_back(static_cast<std::int64_t>(s));
  }
  std::mt19937_64 rng(config.split_seed);
  std::map<std::string, SplitPart> parts;
  for (const char* name : {"train", "val", "test"}) {
    std::vector<std::int64_t>& rows = members[name];
    // data.split.val: 0 on IDX data asks for no val split (as for tables): train on all of train.
    if (rows.empty() && std::string(name) == "val" && config.val_fraction == 0) continue;
    if (rows.empty()) {
      GALIEN_USER_ERROR("split '" << name << "' of " << source.source_name << " is empty: "
                                  << (std::string(name) == "val" ? "raise data.split.val"
                                                                 : "use a complete file"));
    }
    if (rows.size() < static_cast<std::size_t>(config.shards)) {
      GALIEN_USER_ERROR("split '" << name << "' has " << rows.size() << " samples but "
                                  << "data.shards is " << config.shards
                                  << ": every shard needs a sample; lower data.shards");
    }
    SplitPart& part = parts[name];
    fill_split_part(part, rows, samples, samples.classes.size());
    deterministic_shuffle(rows, rng);
    part.shards.assign(static_cast<std::size_t>(config.shards), {});
    for (std::size_t i = 0; i < rows.size(); ++i) {
      part.shards[i % static_cast<std::size_t>(config.shards)].push_back(rows[i]);
    }
  }
  return parts;
}

}  // namespace

ImageSamples join_samples(const ImageSource& source, const EncodedTable* table,
                          const std::vector<std::string>& table_pseudonyms) {
  ImageSamples samples;
  if (table == nullptr) {
    samples.classes = source.classes.empty() ? std::vector<std::string>{"none"} : source.classes;
    for (std::size_t i = 0; i < source.items.size(); ++i) {
      samples.items.push_back(i);
      samples.pseudonyms.push_back(source.items[i].pseudonym);
      // Multi-label targets live in /labels_multi; /label is 0 (one class) for those.
      samples.labels.push_back(source.multi_label ? 0 : source.items[i].label);
    }
    if (source.multi_label) samples.classes = {"all"};
    return samples;
  }
  auto rows = rows_by_patient(*table, table_pseudonyms);
  std::set<std::int64_t> used;
  for (std::size_t i = 0; i < source.items.size(); ++i) {
    auto it = rows.find(source.items[i].pseudonym);
    if (it == rows.end()) {
      ++samples.rejected["image without a clinical row"];
      continue;
    }
    samples.items.push_back(i);
    samples.rows.push_back(it->second);
    samples.pseudonyms.push_back(source.items[i].pseudonym);
    samples.labels.push_back(table->labels[static_cast<std::size_t>(it->second)]);
    used.insert(it->second);
  }
  std::int64_t unused = static_cast<std::int64_t>(rows.size() - used.size());
  if (unused > 0) samples.rejected["clinical row without an image"] = unused;
  samples.classes = table->classes;
  if (samples.items.empty()) {
    GALIEN_USER_ERROR("no image joins a row of " << table->source << ": check that "
                                                 << "data.patient_id holds the images' patient "
                                                 << "keys (docs/imaging.md)");
  }
  return samples;
}

ImageSamples join_rows_by_line(const ImageSource& source, const EncodedTable& table) {
  std::unordered_map<std::int64_t, std::int64_t> row_of_line;
  for (std::size_t r = 0; r < table.lines.size(); ++r) {
    row_of_line.emplace(table.lines[r], static_cast<std::int64_t>(r));
  }
  ImageSamples samples;
  for (std::size_t i = 0; i < source.items.size(); ++i) {
    auto it = row_of_line.find(source.items[i].line);
    if (it == row_of_line.end()) continue;  // left out by data.missing: drop_row
    samples.items.push_back(i);
    samples.rows.push_back(it->second);
    samples.pseudonyms.push_back(source.items[i].pseudonym);
    samples.labels.push_back(source.multi_label ? 0 : source.items[i].label);
  }
  samples.classes = source.multi_label ? std::vector<std::string>{"all"} : source.classes;
  // encode_table refuses a table with no row left, and every row of it is an image.
  GALIEN_CHECK(!samples.items.empty(), "no image matches a row of " << table.source);
  return samples;
}

std::map<std::string, SplitPart> split_samples(const ImageSource& source,
                                               const ImageSamples& samples,
                                               const DataConfig& config) {
  bool fixed = !source.items.empty() && !source.items.front().split.empty();
  if (fixed && config.cv_folds > 0) {
    GALIEN_USER_ERROR(source.source_name << " comes with its own train/val/test splits ("
                      << config.image_format << "), which cross-validation would ignore: "
                      << "remove the cv section");
  }
  if (fixed) return fixed_splits(source, samples, config);
  std::vector<std::int64_t> lines;
  for (std::size_t item : samples.items) lines.push_back(source.items[item].line);
  return split_dataset({source.source_name, lines, samples.pseudonyms, samples.labels,
                        samples.classes.size()},
                       config);
}

}  // namespace galien
