// CSV reader (datasets/csv.h): every clinical export enters here.
#include "datasets/csv.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  galien_fuzz::expect_user_errors_only([&] {
    galien::CsvTable table = galien::parse_csv(text, "fuzz.csv");
    for (const galien::CsvRow& row : table.rows) {
      GALIEN_FUZZ_INVARIANT(row.fields.size() == table.header.size());
      GALIEN_FUZZ_INVARIANT(row.line >= 1);
    }
    for (const std::string& name : table.header) {
      GALIEN_FUZZ_INVARIANT(table.column_index(name) >= 0);
    }
  });
  return 0;
}
