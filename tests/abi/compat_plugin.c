/* A plain C plugin built against an earlier plugin.h (the include path picks
 * which): it declares settings with ranges, answers taps and commands, and
 * echoes its config so the test sees the host read the settings right. */
#include <kazasu/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef COMPAT_NAME
#error "COMPAT_NAME names the plugin"
#endif

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
  const char* config = self->host->config_json(self->ctx);
  char fields[1024];
  const int n = snprintf(fields, sizeof fields, "{\"status\":\"%s\",\"abi\":\"%d.%d\",\"config\":%s}", tap->status,
                         KAZASU_ABI_MAJOR, KAZASU_ABI_MINOR, config);
  if (n < 0 || (size_t)n >= sizeof fields) return KAZASU_ERROR;
  return self->host->publish(self->ctx, "seen", fields);
}

static kazasu_status on_command(void* p, const kazasu_command* cmd) {
  instance* self = p;
  if (strcmp(cmd->name, "ping") != 0) return self->host->reply_error(self->ctx, "unknown_command", "only ping");
  return self->host->reply(self->ctx, "{\"pong\":true}");
}

static const kazasu_setting kSettings[] = {
    {"greeting", KAZASU_SETTING_STRING, "\"hello\"", "Sent with every tap.", 0, 0},
    {"volume", KAZASU_SETTING_INTEGER, "3", "How loud, 1 to 10.", 1, 10},
    {"quiet", KAZASU_SETTING_BOOLEAN, "false", "Whether to stay quiet.", 0, 0},
};

KAZASU_EXPORT const kazasu_plugin_descriptor* kazasu_plugin_entry(const uint32_t* versions, size_t count) {
  (void)versions;
  (void)count;
  static const kazasu_plugin_descriptor d = {
      sizeof(kazasu_plugin_descriptor),
      KAZASU_ABI_MAJOR,
      KAZASU_ABI_MINOR,
      COMPAT_NAME,
      "1.0.0",
      "Built against an earlier plugin.h.",
      kSettings,
      sizeof kSettings / sizeof kSettings[0],
      create,
      destroy,
      on_tap,
      on_command,
      NULL,
      NULL,
  };
  return &d;
}
