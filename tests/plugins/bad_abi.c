/* A plugin built against a future ABI major: the host must refuse it. */
#include <kazasu/plugin.h>

static kazasu_status create(const kazasu_host* host, kazasu_context* ctx, void** instance) {
  (void)host;
  (void)ctx;
  *instance = (void*)1;
  return KAZASU_OK;
}
static void destroy(void* instance) {
  (void)instance;
}
static kazasu_status on_tap(void* instance, const kazasu_tap* tap) {
  (void)instance;
  (void)tap;
  return KAZASU_OK;
}

KAZASU_EXPORT const kazasu_plugin_descriptor* kazasu_plugin_entry(const uint32_t* versions, size_t count) {
  (void)versions;
  (void)count;
  static const kazasu_plugin_descriptor d = {sizeof(kazasu_plugin_descriptor),
                                             2,
                                             0,
                                             "bad_abi",
                                             "9.9.9",
                                             "Speaks ABI 2.0 only.",
                                             0,
                                             0,
                                             create,
                                             destroy,
                                             on_tap,
                                             0,
                                             0,
                                             0,
                                             sizeof(kazasu_setting)};
  return &d;
}
