// The other columns of a PNG labels table (ChestX-ray14's Patient Age, Patient Gender, View
// Position, Follow-up #, ...) as clinical features of each image (docs/imaging.md, "PNG with a
// labels table"). They go through what a clinical table goes through (datasets/tabular.h,
// datasets/privacy_step.h): pseudonymisation policy and risk gate, strict numbers, one-hot
// categories, data.missing, train-only standardisation; but one row is one image, not one
// patient, and the label is the image's own multi-label target.
//
// Every column is accounted for, as in a clinical table: the file, patient and labels columns
// by data.images.*, every other by data.numeric, data.categorical, data.dates, data.free_text
// or data.drop. A column named nowhere stops the run: nothing is dropped silently.
#pragma once

#include <string>

#include "core/config/config.h"
#include "datasets/csv.h"

namespace galien {

// The data.* settings the table is encoded with: data.csv is the labels table, data.patient_id
// its patient column, and the label role, which encode_table requires, goes to a constant
// column that png_table_view adds (the images' targets come from data.images.labels_column).
DataConfig png_table_config(const DataConfig& data);

// The table as the policy and encode_table see it: the file and labels columns taken out (they
// are read by the PNG source), the constant label column added. UserError naming the key when
// data.* names the file or labels column, or when data.csv or data.label is set (a PNG
// dataset's clinical columns are its labels table's).
CsvTable png_table_view(const CsvTable& labels, const DataConfig& data);

// True when data.numeric, data.categorical, data.dates or data.free_text names a column.
bool png_has_features(const DataConfig& data);

// Without feature columns: every column but the file, patient and labels columns must be in
// data.drop, and every data.drop entry in the table. UserError listing what is not.
void check_png_columns_dropped(const CsvTable& labels, const DataConfig& data);

}  // namespace galien
