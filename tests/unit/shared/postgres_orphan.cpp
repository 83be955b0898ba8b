// Helper of PostgresFixture.AClusterOutlivesNoTestProcess: starts a cluster with
// the test fixture, prints its directory and port, and dies by SIGKILL, so no
// destructor runs: only the fixture's watcher can stop the cluster then.
#include <signal.h>
#include <unistd.h>

#include <iostream>

#include "postgres.hpp"

int main() {
  auto* pg = new kazasu::test::Postgres();  // never freed: the process is killed below
  std::cout << pg->dir().string() << ' ' << pg->port() << std::endl;
  ::kill(::getpid(), SIGKILL);
  return 1;
}
