#include "datasets/imaging/image_samples.h"

#include <set>
#include <unordered_map>

#include "core/error.h"
#include "core/log.h"
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
                                     << table.lines[r] << " belong to the same patient, but "
                                     << "without data.images.join_column images join a table "
                                     << "with one row per patient: merge the rows, or name each "
                                     << "row's image in a column and set data.images.join_column "
                                     << "(docs/imaging.md, \"Joining a clinical table\")");
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

ImageSamples join_by_column(const ImageSource& source, const EncodedTable& table,
                            const std::vector<std::string>& table_pseudonyms,
                            const std::string& column) {
  GALIEN_CHECK(table.image_keys.size() == table.num_rows() &&
                   table_pseudonyms.size() == table.num_rows(),
               "every row of " << table.source << " has its image name and pseudonym");
  auto where = [&](std::size_t row) {
    return table.source + ":" + std::to_string(table.lines[row]) + ": column '" + column +
           "' (data.images.join_column)";
  };
  ImageSamples samples;
  std::unordered_map<std::size_t, std::size_t> first_row;  // item -> first row naming it
  std::vector<std::int64_t> unmatched;                     // lines naming no image
  for (std::size_t r = 0; r < table.num_rows(); ++r) {
    std::vector<std::size_t> named;
    try {
      named = source.items_named(table.image_keys[r]);
    } catch (const UserError& e) {  // the reason only: the cell is not in it
      GALIEN_USER_ERROR(where(r) << " " << e.what());
    }
    if (named.empty()) {
      unmatched.push_back(table.lines[r]);
      continue;
    }
    if (named.size() > 1) {
      GALIEN_USER_ERROR(where(r) << " names a folder holding " << named.size() << " image "
                                 << "series: name the series' own folder, or one of its files");
    }
    const std::size_t item = named.front();
    auto [it, inserted] = first_row.emplace(item, r);
    if (!inserted && table_pseudonyms[it->second] != table_pseudonyms[r]) {
      GALIEN_USER_ERROR(table.source << ": lines " << table.lines[it->second] << " and "
                                     << table.lines[r] << " name the same image (column '"
                                     << column << "') but belong to different patients "
                                     << "(data.patient_id): an image has one patient; fix the "
                                     << "rows");
    }
    samples.items.push_back(item);
    samples.rows.push_back(static_cast<std::int64_t>(r));
    samples.pseudonyms.push_back(table_pseudonyms[r]);
    samples.labels.push_back(table.labels[r]);
  }
  samples.classes = table.classes;
  if (samples.items.empty()) {
    GALIEN_USER_ERROR("no row of " << table.source << " names an image under "
                                   << "data.images.path: column '" << column << "' must hold "
                                   << "each row's DICOM folder or file relative to "
                                   << "data.images.path (or its SeriesInstanceUID), or its "
                                   << "NIfTI case name "
                                   << "(docs/imaging.md, \"Joining a clinical table\")");
  }
  const auto unused = static_cast<std::int64_t>(source.items.size() - first_row.size());
  if (unused > 0) samples.rejected["image without a clinical row"] = unused;
  if (!unmatched.empty()) {
    samples.rejected["clinical row without an image"] =
        static_cast<std::int64_t>(unmatched.size());
    std::string shown;
    for (std::size_t k = 0; k < unmatched.size() && k < 5; ++k)
      shown += (k ? ", " : "") + std::to_string(unmatched[k]);
    spdlog::warn("shard: {} row(s) of {} name no image under data.images.path (column '{}', "
                 "line(s) {}{}): left out, counted in the manifest's rejected_rows",
                 unmatched.size(), table.source, column, shown, unmatched.size() > 5 ? ", ..." : "");
  }
  const std::size_t shared = samples.items.size() - first_row.size();
  if (shared > 0) {
    log::info0("shard: {} row(s) name an image another row names too: each row is a sample, so "
               "that image is stored once per row", shared);
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
