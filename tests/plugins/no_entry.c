/* A shared library that is not a kazasu plugin: no entry symbol. */
#include <kazasu/plugin.h>

KAZASU_EXPORT int not_a_plugin(void) {
  return 42;
}
