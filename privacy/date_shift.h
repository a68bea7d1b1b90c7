// Per-patient date shifting: every date of one patient moves by the same number of days, so
// intervals within the patient's record (admission -> discharge, diagnosis -> death) survive
// while calendar dates, which an attacker may know, do not.
//
// offset = uniform integer in [-max_days, +max_days] drawn from
//          HMAC-SHA256(key, "galien date shift v1" || 0x00 || pseudonym).
// The key makes the offset unguessable from the pseudonym written in the shards; deriving it from
// the pseudonym makes it the same for one patient in every table sharded with the same key.
#pragma once

#include <cstdint>
#include <string_view>

#include "privacy/key_file.h"

namespace galien {

class DateShifter {
 public:
  DateShifter(const SecretKey& key, int max_days);
  // Days to add to every date of the patient with this pseudonym.
  int offset_days(std::string_view pseudonym) const;
  int max_days() const { return max_days_; }

 private:
  SecretKey key_;
  int max_days_;
};

}  // namespace galien
