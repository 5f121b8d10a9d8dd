// What including the light umbrella costs by itself (scripts/compile-cost.sh).
#include <aigc/aigc.hpp>

int main() {}
