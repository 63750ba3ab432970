// passphrase.h - where passphrases come from: a file (first line) or an
// interactive prompt on the terminal with echo off. Never the command line
// (argv is visible to every user in ps) and never the environment.
#pragma once

#include <filesystem>
#include <string_view>

#include "pki/key.h"
#include "util/error.h"

namespace sm::pki {

// file non-empty: the file's first line (without the line end); an empty
// first line is an error. Otherwise, when /dev/tty can be opened, prompt
// there without echo (twice when confirm, and they must match). Otherwise
// an error telling the user to pass --passphrase-file.
Result<Passphrase> read_passphrase(const std::filesystem::path& file, std::string_view prompt,
                                   bool confirm = false);

}  // namespace sm::pki
