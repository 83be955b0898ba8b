/* Built against today's plugin.h, but with a setting element larger than this
 * host's kazasu_setting, as a plugin of a later 1.x whose setting grew a
 * field: the host must step through the array by the plugin's setting_size. */
#include <kazasu/plugin.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct future_setting {
  kazasu_setting base;
  const char* unit; /* a field this host does not know */
  int64_t step;
} future_setting;

typedef struct instance {
  const kazasu_host* host;
  kazasu_context* ctx;
} instance;

static kazasu_status create(const kazasu_host* host, kazasu_context* ctx, void** out) {
  instance* self = calloc(1, sizeof *self);
  if (self == NULL) return KAZASU_ERROR;
  self->host = host;
  self->ctx = ctx;
  *out = self;
  return KAZASU_OK;
}

static void destroy(void* p) {
  free(p);
}

static kazasu_status on_tap(void* p, const kazasu_tap* tap) {
  instance* self = p;
  char fields[1024];
  const int n = snprintf(fields, sizeof fields, "{\"status\":\"%s\",\"config\":%s}", tap->status,
                         self->host->config_json(self->ctx));
  if (n < 0 || (size_t)n >= sizeof fields) return KAZASU_ERROR;
  return self->host->publish(self->ctx, "seen", fields);
}

static const future_setting kSettings[] = {
    {{"greeting", KAZASU_SETTING_STRING, "\"hello\"", "Sent with every tap.", 0, 0}, "words", 0},
    {{"volume", KAZASU_SETTING_INTEGER, "3", "How loud, 1 to 10.", 1, 10}, "steps", 1},
    {{"quiet", KAZASU_SETTING_BOOLEAN, "false", "Whether to stay quiet.", 0, 0}, "", 0},
};

KAZASU_EXPORT const kazasu_plugin_descriptor* kazasu_plugin_entry(const uint32_t* versions, size_t count) {
  (void)versions;
  (void)count;
  static const kazasu_plugin_descriptor d = {
      sizeof(kazasu_plugin_descriptor),
      KAZASU_ABI_MAJOR,
      KAZASU_ABI_MINOR,
      "future",
      "1.0.0",
      "Declares a setting element larger than this host's.",
      &kSettings[0].base,
      sizeof kSettings / sizeof kSettings[0],
      create,
      destroy,
      on_tap,
      NULL,
      NULL,
      NULL,
      sizeof(future_setting),
  };
  return &d;
}
