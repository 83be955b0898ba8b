// The data directory holds the plugins' ledgers (patron links, shifts) and
// the outboxes: readable by the service user only, whatever umask kazasud was
// started with (a shell's 022 made them 0644 in a 0755 directory).
#pragma once

#include <filesystem>

namespace kazasu {

/**
 * Sets the process umask to 077, creates `dir` 0700 if missing, and tightens
 * what is already there: directories to 0700 and files to 0600 (as far down
 * as kazasud itself creates them). Throws a sentence naming the path and
 * the chmod to run when it cannot tighten something it does not own. Then
 * opens the process's audit log in `dir` (once per process; AuditLog).
 */
void prepare_data_dir(const std::filesystem::path& dir);

}  // namespace kazasu
