#include "proxy/cgroup_cpu.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace blueshift::proxy {
namespace {

namespace fs = std::filesystem;

TEST(CgroupCpu, ParsesCpuMaxAndV1Quota) {
  EXPECT_EQ(parse_cpu_max("max 100000\n"), std::nullopt);
  EXPECT_DOUBLE_EQ(parse_cpu_max("150000 100000\n").value(), 1.5);
  EXPECT_DOUBLE_EQ(parse_cpu_max("200000 100000").value(), 2.0);
  EXPECT_EQ(parse_cpu_max("-1 100000"), std::nullopt);
  EXPECT_EQ(parse_cpu_max(""), std::nullopt);
  EXPECT_EQ(parse_cpu_max("lots 100000"), std::nullopt);
  EXPECT_EQ(parse_cpu_max("100000 0"), std::nullopt);
}

// A fake filesystem root holding /proc/self/cgroup and /sys/fs/cgroup/...
class FakeRoot : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("cgroup_cpu_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    const fs::path p = root_ / path;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }
  std::optional<double> limit() { return cgroup_cpu_limit(root_.string()); }
  fs::path root_;
};

TEST_F(FakeRoot, V2TakesTheTightestLimitUpTheTree) {
  write("proc/self/cgroup", "0::/kubepods/pod1/app\n");
  write("sys/fs/cgroup/cpu.max", "max 100000\n");
  write("sys/fs/cgroup/kubepods/pod1/cpu.max", "150000 100000\n");
  write("sys/fs/cgroup/kubepods/pod1/app/cpu.max", "max 100000\n");
  EXPECT_DOUBLE_EQ(limit().value(), 1.5);
  write("sys/fs/cgroup/kubepods/cpu.max", "50000 100000\n");
  EXPECT_DOUBLE_EQ(limit().value(), 0.5);
}

TEST_F(FakeRoot, V1ReadsTheCpuControllersQuota) {
  write("proc/self/cgroup", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/\n");
  write("sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
  write("sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
  write("sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us", "250000\n");
  write("sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_DOUBLE_EQ(limit().value(), 2.5);
}

TEST_F(FakeRoot, NoLimitOrNoInformationLimitsNothing) {
  EXPECT_EQ(limit(), std::nullopt);  // no /proc/self/cgroup at all
  write("proc/self/cgroup", "0::/\n");
  EXPECT_EQ(limit(), std::nullopt);  // no cpu.max: the root cgroup
  write("sys/fs/cgroup/cpu.max", "max 100000\n");
  EXPECT_EQ(limit(), std::nullopt);
}

}  // namespace
}  // namespace blueshift::proxy
