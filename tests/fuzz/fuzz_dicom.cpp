// DICOM reader (datasets/imaging/dicom.h) through DCMTK: the input is written as the only file
// of a tmpfs folder, which goes through scan_dicom (grouping, PatientID pseudonymisation,
// redacted names) and load_dicom_series (pixels, rescale, orientation) as `galien shard` does.
#include "datasets/imaging/dicom.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  galien_fuzz::write_scratch("dicom/1.dcm", data, size);
  const std::string root = galien_fuzz::scratch_dir() + "/dicom";
  galien::DicomPatientKey key = [](const std::string&, const std::string& id) {
    return "pseudonym-" + std::to_string(id.size());
  };
  galien_fuzz::expect_user_errors_only([&] {
    for (const galien::DicomSeries& series : galien::scan_dicom(root, key)) {
      galien::ImageAttributes attributes;
      galien::Volume v = galien::load_dicom_series(series, &attributes);
      GALIEN_FUZZ_INVARIANT(static_cast<std::int64_t>(v.voxels.size()) == v.size());
    }
  });
  return 0;
}
