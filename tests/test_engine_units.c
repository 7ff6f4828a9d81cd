/* tests/test_engine_units.c: placeholder replaced below. */
#include "check.h"
int main(void) { return check_finish(); }
