#include <stdio.h>
#include <stdlib.h>
#include "demo/demo.h"
int main(int argc, char **argv) { int n = argc > 1 ? atoi(argv[1]) : 1000;
  for (int i = 0; i < n; i++) { size_t k = (size_t)i * 97 % 1100000; if (k % 7 == 1 || k % 7 == 2) { n++; continue; } struct demo_person p; demo_person_at(1, k, &p); puts(p.id_number); } return 0; }
