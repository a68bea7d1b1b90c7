#include <gtest/gtest.h>

#include <algorithm>

#include "launcher/local_launch.h"

namespace galien {
namespace {

bool has(const std::vector<std::string>& cmd, const std::string& arg) {
  return std::find(cmd.begin(), cmd.end(), arg) != cmd.end();
}

TEST(LocalLaunch, RootFlagOnlyForRoot) {
  LocalLaunch l{2, 2, false, "/bin/galien", {"c.yaml"}};
  EXPECT_FALSE(has(mpirun_command(l), "--allow-run-as-root"));
  l.as_root = true;
  EXPECT_TRUE(has(mpirun_command(l), "--allow-run-as-root"));
}

TEST(LocalLaunch, OversubscribeOnlyWhenRanksExceedCores) {
  LocalLaunch l{2, 2, false, "/bin/galien", {"c.yaml"}};
  auto cmd = mpirun_command(l);
  EXPECT_FALSE(has(cmd, "--oversubscribe"));
  EXPECT_TRUE(has(cmd, "core"));  // one rank per core: pinned
  l.ranks = 4;
  cmd = mpirun_command(l);
  EXPECT_TRUE(has(cmd, "--oversubscribe"));
  EXPECT_TRUE(has(cmd, "none"));
  EXPECT_EQ(threads_per_rank(l), 1);
}

TEST(LocalLaunch, CommandEndsWithTrainAndItsArguments) {
  LocalLaunch l{1, 8, false, "/opt/galien", {"c.yaml", "trainer.epochs=2"}};
  auto cmd = mpirun_command(l);
  EXPECT_EQ(cmd[0], "mpirun");
  EXPECT_EQ(cmd[2], "1");
  ASSERT_GE(cmd.size(), 4u);
  EXPECT_EQ(cmd[cmd.size() - 4], "/opt/galien");
  EXPECT_EQ(cmd[cmd.size() - 3], "train");
  EXPECT_EQ(cmd.back(), "trainer.epochs=2");
  EXPECT_EQ(threads_per_rank(l), 8);
  EXPECT_TRUE(has(cmd, "none"));  // one rank, many threads: not pinned to one core
}

}  // namespace
}  // namespace galien
