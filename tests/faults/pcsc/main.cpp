// The pcsc fault cases run against one real pcscd (started here unless one with
// the four vpcd readers already runs); see tests/fixtures/pcsc.
#include <gtest/gtest.h>

#include "pcsc_fixture.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new kazasu::test::PcscdEnvironment);
  return RUN_ALL_TESTS();
}
