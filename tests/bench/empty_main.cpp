// tests/bench/empty_main.cpp — the RSS baseline: a main that does nothing
// but wait, linked (--no-as-needed) with the shared libraries edgegw loads,
// so `RSS(edgegw idle) - RSS(empty_main)` is what edgegw itself costs.
#include <csignal>
#include <cstdio>
#include <unistd.h>

int main() {
  std::puts("ready");
  std::fflush(stdout);
  pause();  // until the benchmark script kills it
  return 0;
}
