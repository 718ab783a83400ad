#include <cstdio>
int main() { std::puts("edgegw " EDGEGW_VERSION); return 0; }
